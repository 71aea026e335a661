using System.Management.Automation;
using MemMgmt.Core.Workloads;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-WorkingSet: the access workloads running on a node (Add-WorkingSet, Add-Pressure -Access).</summary>
    [Cmdlet(VerbsCommon.Get, "WorkingSet")]
    [OutputType(typeof(WorkingSet))]
    public sealed class GetWorkingSetCommand : MemNodeCmdlet
    {
        [Parameter(Position = 0)]
        [SupportsWildcards]
        public string[]? Name { get; set; }

        protected override void ProcessNode(MemNode node)
        {
            var filter = NameFilter.Create(Name);
            bool any = false;
            foreach (var ws in WorkingSets.Get(node))
                if (filter.IsMatch(ws.Name)) { WriteObject(ws); any = true; }
            if (any || Name == null) return;
            foreach (var n in Name)
                if (!WildcardPattern.ContainsWildcardCharacters(n))
                    WriteError(Errors.Make("WorkingSetNotFound", ErrorCategory.ObjectNotFound, $"No working set named '{n}' runs on node '{node.Name}'.", n));
        }
    }
}
