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

        /// <summary>The allocation order to compact for (try_to_compact_pages); absent: no order, the whole node as
        /// compact_memory does (the kernel's order -1).</summary>
        [Parameter]
        public int? Order { get; set; }

        [Parameter]
        public ZoneType Zone { get; set; }

        [Parameter]
        public GfpFlags Gfp { get; set; } = GfpFlags.GFP_HIGHUSER_MOVABLE;

        [Parameter]
        public int Cpu { get; set; }

        private readonly CancellationTokenSource _cancel = new CancellationTokenSource();
        private readonly System.Collections.Generic.HashSet<MemNode> _done = new System.Collections.Generic.HashSet<MemNode>();

        protected override void StopProcessing() => _cancel.Cancel();

        protected override void ProcessNode(MemNode node)
        {
            // Several upstream reports (one per zone) may name the same node: compact it once per pipeline.
            if (!_done.Add(node)) return;
            ZoneType? zone = MyInvocation.BoundParameters.ContainsKey(nameof(Zone)) ? Zone : (ZoneType?)null;
            if (Order.HasValue && Order.Value < 0)
                ThrowTerminatingError(Errors.Make("OrderOutOfRange", ErrorCategory.InvalidArgument,
                    $"-Order {Order.Value} is out of range; allowed 0 to {node.Geometry.MaxOrder - 1}, or omit -Order to compact the whole node (compact_memory).", Order.Value));
            int order = Order ?? -1;
            TryCore(() => CompactionCommands.Validate(node, order, zone, Cpu));
            CompactionRun? run = null;
            var progress = new ProgressRecord(2, "Invoke-Compaction", $"Compacting node '{node.Name}'");
            TryCore(() => run = CompactionCommands.Compact(node, Priority, order, zone, Gfp, Cpu, _cancel.Token, (z, done) =>
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
