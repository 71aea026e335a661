using System.Management.Automation;
using MemMgmt.Core;
using MemMgmt.Core.Node;
using MemMgmt.Core.Sysctl;
using MemMgmt.PS.Infrastructure;
using MemMgmt.PS.Results;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-MemSysctl: reads /proc/sys/vm knobs of a node.</summary>
    [Cmdlet(VerbsCommon.Get, "MemSysctl")]
    [OutputType(typeof(SysctlEntry))]
    public sealed class GetMemSysctlCommand : MemNodeCmdlet
    {
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(SysctlNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[]? Name { get; set; }

        internal static SysctlEntry Entry(MemNode node, VmSysctl.Entry e) =>
            new SysctlEntry(node, "vm." + e.Name, node.Sysctl.Read(e.Name), e.Allowed);

        protected override void ProcessNode(MemNode node)
        {
            if (Name == null)
            {
                foreach (var e in VmSysctl.Entries) if (VmSysctl.Exists(node, e)) WriteObject(Entry(node, e));
                return;
            }
            foreach (var pattern in Name)
            {
                if (!WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    try
                    {
                        var entry = VmSysctl.Find(pattern);
                        VmSysctl.CheckExists(node, entry);
                        WriteObject(Entry(node, entry));
                    }
                    catch (MemMgmtException ex) { WriteError(Errors.ToRecord(ex)); }
                    continue;
                }
                var wc = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase);
                foreach (var e in VmSysctl.Entries)
                    if (VmSysctl.Exists(node, e) && (wc.IsMatch("vm." + e.Name) || wc.IsMatch(e.Name) || wc.IsMatch("/proc/sys/vm/" + e.Name)))
                        WriteObject(Entry(node, e));
            }
        }
    }
}
