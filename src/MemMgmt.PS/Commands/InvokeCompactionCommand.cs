using System.Management.Automation;
using System.Threading;
using MemMgmt.Core;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Invoke-Compaction: try_to_compact_pages at an order and a priority, or compact_node (compact_memory:
    /// MIGRATE_SYNC, whole zones, order -1) without an order. The order comes from -Order or by property name from the
    /// pipeline (Add-Pressure's report carries the order it pressed); a priority without an order is refused, since
    /// compact_memory has none.</summary>
    [Cmdlet(VerbsLifecycle.Invoke, "Compaction")]
    [OutputType(typeof(ZoneCompactionReport))]
    public sealed class InvokeCompactionCommand : MemNodeCmdlet
    {
        [Parameter(Position = 0)]
        public CompactPriority Priority { get; set; } = CompactPriority.SyncFull;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public int Order { get; set; } = -1;

        [Parameter]
        [ArgumentCompleter(typeof(ZoneNameCompleter))]
        public string? Zone { get; set; }

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
            ZoneType? zone = null;
            if (Zone != null) TryCore(() => zone = node.ParseZone(Zone));
            int order = Order;
            if (order < 0 && MyInvocation.BoundParameters.ContainsKey(nameof(Priority)))
                TryCore(() => throw new MemMgmtException("PriorityWithoutOrder", ErrorKind.InvalidArgument,
                    $"-Priority {Priority} needs an order: try_to_compact_pages runs at a priority, while compaction without an order is compact_memory, which always runs MIGRATE_SYNC over whole zones. Give -Order 0 to {node.Geometry.MaxOrder - 1}, pipe a report that carries an order (Add-Pressure -Order n), or leave -Priority out.", Priority));
            TryCore(() => CompactionCommands.Validate(node, order, zone, Cpu));
            // compact_memory has no priority: MIGRATE_SYNC (what SyncFull selects for order -1).
            var priority = order < 0 ? CompactPriority.SyncFull : Priority;
            CompactionRun? run = null;
            var progress = new ProgressRecord(2, "Invoke-Compaction", $"Compacting node '{node.Name}'");
            TryCore(() => run = CompactionCommands.Compact(node, priority, order, zone, Gfp, Cpu, _cancel.Token, (z, done) =>
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
