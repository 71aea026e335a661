using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Tests.Reclaim;
using MemMgmt.Core.Time;
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

        /// <summary>Events with more fields than record slots pack two 32-bit fields into one; the TP_printk text of
        /// mm_vmscan_lru_shrink_inactive (include/trace/events/vmscan.h, 4.14) and its typed fields come back whole.</summary>
        [Fact]
        public void PackedFieldsRenderTheKernelText()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            TraceControl.Clear(node);
            node.Trace.Record(node, TraceEventId.mm_vmscan_lru_shrink_inactive, 32, 30, 1, 2, 3, 4, 5, TraceRecord.Pack(7, 12 << 1 | 1));
            node.Trace.Record(node, TraceEventId.balance_dirty_pages, 1000, 750, 900, 4096, 2048, 17, TraceRecord.Pack(200, 3000000), 5);
            var e = node.Trace.Events(node);
            Assert.Equal("nid=0 nr_scanned=32 nr_reclaimed=30 nr_dirty=1 nr_writeback=2 nr_congested=3 nr_immediate=4 nr_activate=5 nr_ref_keep=7 nr_unmap_fail=0 priority=12 flags=RECLAIM_WB_FILE|RECLAIM_WB_ASYNC", e[0].Text);
            Assert.Equal(12L, e[0].Fields["priority"]);
            Assert.Equal(7L, e[0].Fields["nr_ref_keep"]);
            Assert.Equal("bdi 254:0: limit=1000 setpoint=750 dirty=900 bdi_setpoint=750 bdi_dirty=900 dirty_ratelimit=4096 task_ratelimit=2048 dirtied=17 dirtied_pause=17 paused=0 pause=200 period=3000000 think=5 cgroup_ino=1", e[1].Text);
            Assert.Equal(3000000L, e[1].Fields["period"]);
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
            Assert.Equal($"nid=0 zid={wake.Fields["zid"]} order=0", wake.Text);
            Assert.Equal(0L, wake.Fields["order"]);
            Assert.Equal("nid=0", events.Find(e => e.Event == TraceEventId.mm_vmscan_kswapd_sleep)!.Text);
            Assert.Contains(events, e => e.Event == TraceEventId.mm_vmscan_kswapd_sleep);
        }

        /// <summary>do_shrink_slab records mm_shrink_slab_start/end with 4.14's TP_printk text (pgs_scanned and lru_pgs,
        /// no priority) and the figures of the call: deferred work in, delta, capped total_scan, what is left and deferred.</summary>
        [Fact]
        public void ShrinkSlabEventsCarryTheDeltaArithmetic()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            Shrinkers.Register(node, "test", 10000, 2);
            Shrinkers.DoShrink(node, "test", GfpFlags.GFP_KERNEL, 32, 1000); // leaves 127 deferred, 9488 objects
            TraceControl.Clear(node);
            Shrinkers.DoShrink(node, "test", GfpFlags.GFP_KERNEL | GfpFlags.__GFP_RECLAIMABLE, 32, 1000);
            var start = Only(node, "mm_shrink_slab_start")[0];
            Assert.Equal("test_scan+0x0/0x1a0 ffff800070a00140: nid: 0 objects to shrink 127 gfp_flags GFP_KERNEL|__GFP_RECLAIMABLE pgs_scanned 32 lru_pgs 1000 cache items 9488 delta 606 total_scan 733", start.Text);
            Assert.Equal(127L, start.Fields["nr_objects_to_shrink"]);
            Assert.Equal(9488L, start.Fields["cache_items"]);
            Assert.Equal(733L, start.Fields["total_scan"]);
            var end = Only(node, "mm_shrink_slab_end")[0];
            Assert.Equal("test_scan+0x0/0x1a0 ffff800070a00140: nid: 0 unused scan count 127 new scan count 93 total_scan 93 last shrinker return val 640", end.Text);
            Assert.Equal(640L, end.Fields["retval"]);
            Assert.Equal(93L, end.Fields["new_scan"]);
        }

        /// <summary>direct_reclaim_begin prints gfp_flags the way show_gfp_flags does (composites, then bits, '|').</summary>
        [Fact]
        public void DirectReclaimBeginShowsGfpFlagsAsTheKernel()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            TraceControl.Clear(node);
            Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL | GfpFlags.__GFP_RECLAIMABLE);
            var begin = Only(node, "mm_vmscan_direct_reclaim_begin")[0];
            Assert.Equal("GFP_KERNEL|__GFP_RECLAIMABLE", begin.Fields["gfp_flags"]);
        }
    }
}
