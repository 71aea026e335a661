using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Tests.Reclaim;
using MemMgmt.Core.Trace;
using Xunit;

namespace MemMgmt.Core.Tests.Trace
{
    public class VmscanTraceTests
    {
        private static List<TraceEvent> Only(MemNode node, string prefix)
        {
            var list = new List<TraceEvent>();
            foreach (var e in node.Trace.Events(node)) if (e.Name.StartsWith(prefix, System.StringComparison.Ordinal)) list.Add(e);
            return list;
        }

        /// <summary>Direct reclaim records mm_vmscan_direct_reclaim_begin/end around the LRU tracepoints, with the kernel's
        /// field names as Fields and the TP_printk text; nr_reclaimed in _end equals the report's.</summary>
        [Fact]
        public void DirectReclaimEventsReachTheTraceBuffer()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            TraceControl.Clear(node);
            var rep = Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL);
            var events = Only(node, "mm_vmscan_");
            Assert.Equal(TraceEventId.mm_vmscan_direct_reclaim_begin, events[0].Event);
            Assert.Equal(TraceEventId.mm_vmscan_direct_reclaim_end, events[events.Count - 1].Event);
            Assert.Equal(rep.NrReclaimed, events[events.Count - 1].Fields["nr_reclaimed"]);
            Assert.Contains(events, e => e.Event == TraceEventId.mm_vmscan_lru_shrink_inactive);
            var isolate = events.Find(e => e.Event == TraceEventId.mm_vmscan_lru_isolate)!;
            Assert.Equal("inactive_file", isolate.Fields["lru"]);
            Assert.Equal("memsh", isolate.Task);
            Assert.Contains("mm_vmscan_direct_reclaim_end: nr_reclaimed=" + rep.NrReclaimed, events[events.Count - 1].ToFtraceLine());
        }

        /// <summary>kswapd's events are recorded in kswapd0's context when Step-MemNode runs it.</summary>
        [Fact]
        public void KswapdEventsComeFromKswapd0()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            ReclaimTestKit.FillNoWatermarks(node, PageOwner.FileCache, node.GetZone(ZoneType.DMA).FreePages - node.GetZone(ZoneType.DMA).WatermarkMin + 50);
            Kswapd.Wakeup(node, 0, node.Kernel.ZoneIndex(ZoneType.Movable));
            TraceControl.Clear(node);
            Daemons.Step(node, 200_000_000); // past the HZ/10 nap, so kswapd reaches its full sleep
            var events = Only(node, "mm_vmscan_");
            var wake = events.Find(e => e.Event == TraceEventId.mm_vmscan_kswapd_wake)!;
            Assert.Equal("kswapd0", wake.Task);
            Assert.Equal(32, wake.Pid);
            Assert.Contains(events, e => e.Event == TraceEventId.mm_vmscan_kswapd_sleep);
        }
    }
}
