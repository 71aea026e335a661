using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using MemMgmt.Core;
using MemMgmt.Core.Sysctl;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;
using MemMgmt.PS.Results;

namespace MemMgmt.PS.Commands
{
    /// <summary>Set-MemSysctl: writes a /proc/sys/vm knob, running the kernel's handler (watermarks, reserves, pagesets).</summary>
    [Cmdlet(VerbsCommon.Set, "MemSysctl", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(SysctlEntry))]
    public sealed class SetMemSysctlCommand : MemNodeCmdlet
    {
        /// <summary>The sysctl; binds the Name of piped Get-MemSysctl entries.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(SysctlNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        /// <summary>The value: a number, a string as echo would write it, or an array for vector sysctls.</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNull]
        public object Value { get; set; } = "";

        /// <summary>The CPU the writing task runs on: nr_hugepages allocates through its per-cpu lists and compact_memory
        /// drains them, while kswapd and kcompactd run on the other CPU.</summary>
        [Parameter]
        public int Cpu { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>What `echo VALUE &gt; /proc/sys/vm/NAME` would write: arrays joined by spaces.</summary>
        private static string ToText(object value)
        {
            object v = value is PSObject p ? p.BaseObject : value;
            if (v is string s) return s;
            if (v is IEnumerable list)
            {
                var parts = new List<string>();
                foreach (var item in list) parts.Add(ToText(item ?? ""));
                return string.Join(" ", parts);
            }
            return System.Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";
        }

        protected override void ProcessNode(MemNode node)
        {
            VmSysctl.Entry entry;
            try { entry = VmSysctl.Find(Name); VmSysctl.CheckExists(node, entry); }
            catch (MemMgmtException e)
            {
                WriteError(Errors.ToRecord(e));
                return;
            }
            string text = ToText(Value);
            string name = "vm." + entry.Name;
            if (!ShouldProcess($"{name} on node '{node.Name}'", $"Set to '{text}' (was '{node.Sysctl.Read(entry.Name)}')")) return;
            try { VmSysctl.Write(node, entry.Name, text, Cpu); }
            catch (MemMgmtException e)
            {
                WriteError(Errors.ToRecord(e));
                return;
            }
            if (PassThru) WriteObject(GetMemSysctlCommand.Entry(node, entry));
        }
    }
}
