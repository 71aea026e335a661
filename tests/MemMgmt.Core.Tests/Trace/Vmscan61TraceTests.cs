using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Tests.Reclaim;
using MemMgmt.Core.Time;
using MemMgmt.Core.Trace;
using Xunit;

namespace MemMgmt.Core.Tests.Trace
{
    /// <summary>The mm_vmscan_* tracepoints as include/trace/events/vmscan.h of 6.1 prints them on the 6.1 profile.</summary>
    public class Vmscan61TraceTests
    {
        private static MemNode Node61() => new MemNode(new NodeConfig { Kernel = KernelProfile.Linux61, SizeBytes = 256 * NodeConfig.MiB });

        private static List<TraceEvent> Only(MemNode node, TraceEventId id)
        {
            var list = new List<TraceEvent>();
            foreach (var e in node.Trace.Events(node)) if (e.Event == id) list.Add(e);
            return list;
        }

        /// <summary>6.1 splits nr_activate by type (nr_activate_anon/_file, fields nr_activate0/1); a file list's
        /// activations are all file ones.</summary>
        [Fact]
        public void ShrinkInactive_PrintsActivationsByType()
        {
            var node = Node61();
            TraceControl.Clear(node);
            node.Trace.Record(node, TraceEventId.mm_vmscan_lru_shrink_inactive, 32, 30, 1, 2, 3, 4, 5, TraceRecord.Pack(7, 12 << 1 | 1));
            node.Trace.Record(node, TraceEventId.mm_vmscan_lru_shrink_inactive, 32, 20, 0, 0, 0, 0, 9, TraceRecord.Pack(0, 11 << 1));
            var e = node.Trace.Events(node);
            Assert.Equal("nid=0 nr_scanned=32 nr_reclaimed=30 nr_dirty=1 nr_writeback=2 nr_congested=3 nr_immediate=4 nr_activate_anon=0 nr_activate_file=5 nr_ref_keep=7 nr_unmap_fail=0 priority=12 flags=RECLAIM_WB_FILE|RECLAIM_WB_ASYNC", e[0].Text);
            Assert.Equal(5L, e[0].Fields["nr_activate1"]);
            Assert.False(e[0].Fields.ContainsKey("nr_activate"));
            Assert.Equal("nid=0 nr_scanned=32 nr_reclaimed=20 nr_dirty=0 nr_writeback=0 nr_congested=0 nr_immediate=0 nr_activate_anon=9 nr_activate_file=0 nr_ref_keep=0 nr_unmap_fail=0 priority=11 flags=RECLAIM_WB_ANON|RECLAIM_WB_ASYNC", e[1].Text);
        }

        /// <summary>Page cache with an active half, so reclaim also looks at the active file list.</summary>
        private static void FillHalfActive(MemNode node)
        {
            var file = ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            for (int i = 0; i < file.Count; i += 2) { PageAccess.MarkAccessed(node, file[i]); PageAccess.MarkAccessed(node, file[i]); }
            LruCache.DrainAll(node);
        }

        /// <summary>6.1's direct_reclaim_begin prints only order and gfp_flags (no may_writepage, no classzone_idx); 6.1 has no
        /// mm_vmscan_inactive_list_is_low, which 4.14 records in the same reclaim.</summary>
        [Fact]
        public void DirectReclaim_Begins61Style_AndHasNoInactiveListIsLow()
        {
            var node = Node61();
            FillHalfActive(node);
            TraceControl.Clear(node);
            Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL | GfpFlags.__GFP_RECLAIMABLE);
            var begin = Only(node, TraceEventId.mm_vmscan_direct_reclaim_begin)[0];
            Assert.Equal("order=0 gfp_flags=GFP_KERNEL|__GFP_RECLAIMABLE", begin.Text);
            Assert.False(begin.Fields.ContainsKey("classzone_idx"));
            Assert.NotEmpty(Only(node, TraceEventId.mm_vmscan_lru_shrink_inactive));
            Assert.Empty(Only(node, TraceEventId.mm_vmscan_inactive_list_is_low));

            var old = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            FillHalfActive(old);
            TraceControl.Clear(old);
            Vmscan.TryToFreePages(old, 0, GfpFlags.GFP_KERNEL);
            Assert.NotEmpty(Only(old, TraceEventId.mm_vmscan_inactive_list_is_low));
        }

        /// <summary>6.1's kswapd_wake prints nid and order (zid stays a field); wakeup_kswapd adds the waking allocation's
        /// gfp_flags, here from the slow path of a movable allocation below the low watermark.</summary>
        [Fact]
        public void KswapdWakeups_PrintNidOrderAndTheWakersGfpFlags()
        {
            var node = Node61();
            var dma = node.GetZone(ZoneType.DMA);
            ReclaimTestKit.FillNoWatermarks(node, PageOwner.FileCache, dma.FreePages - dma.WatermarkLow + 10);
            TraceControl.Clear(node);
            PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0, PageOwner.Anon);
            var wakeup = Only(node, TraceEventId.mm_vmscan_wakeup_kswapd)[0];
            Assert.Equal("nid=0 order=0 gfp_flags=GFP_HIGHUSER_MOVABLE", wakeup.Text);
            Assert.Equal((long)dma.Idx, wakeup.Fields["zid"]);
            Daemons.Step(node, 200_000_000);
            var wake = Only(node, TraceEventId.mm_vmscan_kswapd_wake)[0];
            Assert.Equal("nid=0 order=0", wake.Text);
            Assert.Equal("kswapd0", wake.Task);
        }
    }
}
