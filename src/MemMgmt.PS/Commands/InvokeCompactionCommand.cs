using System.Management.Automation;
using System.Threading;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Invoke-Compaction: try_to_compact_pages at an order, or compact_node (compact_memory) without one.</summary>
    [Cmdlet(VerbsLifecycle.Invoke, "Compaction")]
    [OutputType(typeof(ZoneCompactionReport))]
    public sealed class InvokeCompactionCommand : MemNodeCmdlet
    {
        [Parameter(Position = 0)]
        public CompactPriority Priority { get; set; } = CompactPriority.SyncFull;

        [Parameter]
        public int Order { get; set; } = -1;

        [Parameter]
        public ZoneType Zone { get; set; }

        [Parameter]
        public GfpFlags Gfp { get; set; } = GfpFlags.GFP_HIGHUSER_MOVABLE;

        [Parameter]
        public int Cpu { get; set; }

        private readonly CancellationTokenSource _cancel = new CancellationTokenSource();
        private readonly System.Collections.Generic.HashSet<MemNode> _done = new System.Collections.Generic.HashSet<MemNode>();

        protected override void StopProcessing() => _cancel.Cancel();

        protected override void ProcessRecord()
        {
            var node = ResolveNode();
            // Several upstream reports (one per zone) may name the same node: compact it once per pipeline.
            if (!_done.Add(node)) return;
            ZoneType? zone = MyInvocation.BoundParameters.ContainsKey(nameof(Zone)) ? Zone : (ZoneType?)null;
            TryCore(() => CompactionCommands.Validate(node, Order, zone, Cpu));
            CompactionRun? run = null;
            var progress = new ProgressRecord(2, "Invoke-Compaction", $"Compacting node '{node.Name}'");
            TryCore(() => run = CompactionCommands.Compact(node, Priority, Order, zone, Gfp, Cpu, _cancel.Token, (z, done) =>
            {
                progress.StatusDescription = $"zone {z.Name}: the scanners have covered {done:P0} of the distance between them";
                progress.PercentComplete = (int)(done * 100);
                WriteProgress(progress);
            }));
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
            if (run == null) return;
            if (run.Zones.Count == 0)
                WriteWarning($"try_to_compact_pages on node '{node.Name}' returned {CompactionNames.Status(run.Result)} without compacting a zone: the GFP mask {Gfp} lacks __GFP_IO.");
            foreach (var z in run.Zones) WriteObject(z);
            if (run.Stopped) WriteWarning($"Compaction of node '{node.Name}' was stopped; the node is consistent (Test-MemNode).");
        }
    }
}
