using MemMgmt.Core.Compaction;
using MemMgmt.Core.Reclaim;

namespace MemMgmt.Core.Node
{
    public sealed partial class MemNode
    {
        /// <summary>Connects reclaim and compaction the way the kernel's calls do: the slow path's direct reclaim and
        /// wake_all_kswapds, kswapd's compaction_suitable checks, skip-hint flush and kcompactd wakeup, and the
        /// mm_vmscan_* tracepoints into the node's trace buffer.</summary>
        private void ConnectReclaimAndCompaction()
        {
            Compaction.DirectReclaim = (n, gfp, order) => Vmscan.TryToFreePages(n, order, gfp).NrReclaimed;
            Compaction.WakeupKswapd = (n, order, classzoneIdx) => Kswapd.Wakeup(n, order, classzoneIdx);
            var hooks = ReclaimHooks;
            hooks.CompactionSuitable = (zone, order, classzoneIdx) => ToSuitability(CompactionEngine.CompactionSuitable(zone, order, 0, classzoneIdx));
            hooks.WakeupKcompactd = (n, order, classzoneIdx) => CompactionEngine.WakeupKcompactd(n, order, classzoneIdx);
            hooks.ResetIsolationSuitable = CompactionEngine.ResetIsolationSuitable;
            hooks.Tracepoint = (n, name, text) =>
            {
                if (System.Enum.TryParse(name, out MemMgmt.Core.Trace.TraceEventId id)) n.Trace.RecordText(n, id, text);
            };
        }

        private static CompactionSuitability ToSuitability(CompactResult r) => r switch
        {
            CompactResult.Success => CompactionSuitability.Success,
            CompactResult.Continue => CompactionSuitability.Continue,
            CompactResult.NotSuitableZone => CompactionSuitability.NotSuitableZone,
            _ => CompactionSuitability.Skipped,
        };
    }
}
