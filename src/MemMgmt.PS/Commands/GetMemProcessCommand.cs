using System.Management.Automation;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-MemProcess: the node's simulated processes with rss, swap entries, page tables, oom_score_adj and
    /// oom_score, like ps and /proc/&lt;pid&gt;/oom_score.</summary>
    [Cmdlet(VerbsCommon.Get, "MemProcess", DefaultParameterSetName = "ByName")]
    [OutputType(typeof(SimProcess))]
    public sealed class GetMemProcessCommand : MemNodeCmdlet
    {
        [Parameter(Position = 0, ParameterSetName = "ByName")]
        [SupportsWildcards]
        public string[]? Name { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = "ById")]
        [Alias("Pid")]
        public int[]? Id { get; set; }

        protected override void ProcessRecord()
        {
            var node = ResolveNode();
            if (ParameterSetName == "ById")
            {
                foreach (var id in Id!)
                {
                    SimProcess? p = null;
                    if (TryCore(() => p = Processes.GetProcess(node, id), terminating: false)) WriteObject(p);
                }
                return;
            }
            var filter = NameFilter.Create(Name);
            bool any = false;
            foreach (var p in Processes.GetProcesses(node))
                if (filter.IsMatch(p.Name)) { WriteObject(p); any = true; }
            if (any || Name == null) return;
            foreach (var n in Name)
                if (!WildcardPattern.ContainsWildcardCharacters(n))
                    WriteError(Errors.Make("ProcessNotFound", ErrorCategory.ObjectNotFound, $"No process named '{n}' runs on node '{node.Name}'.", n));
        }
    }
}
