using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Workloads;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Stop-WorkingSet: a workload stops making accesses; its pages stay allocated (and age towards reclaim).</summary>
    [Cmdlet(VerbsLifecycle.Stop, "WorkingSet", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(WorkingSet))]
    public sealed class StopWorkingSetCommand : MemNodeCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(WorkingSetNameCompleter))]
        public string[] Name { get; set; } = new string[0];

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessNode(MemNode node)
        {
            // Every name is checked before any workload stops.
            var found = new List<WorkingSet>();
            foreach (var n in Name)
            {
                bool match = false;
                foreach (var ws in WorkingSets.Get(node))
                    if (string.Equals(ws.Name, n, System.StringComparison.Ordinal)) { match = true; if (!found.Contains(ws)) found.Add(ws); }
                if (!match)
                    ThrowTerminatingError(Errors.Make("WorkingSetNotFound", ErrorCategory.ObjectNotFound,
                        $"No working set named '{n}' runs on node '{node.Name}'; Get-WorkingSet lists them.", n));
            }
            foreach (var ws in found)
            {
                if (!ShouldProcess($"working set '{ws.Name}' ({ws.Pattern} {ws.Owner}, {ws.TargetPages} pages) on node '{node.Name}'", "Stop")) continue;
                WorkingSets.Remove(node, ws);
                if (PassThru) WriteObject(ws);
            }
        }
    }
}
