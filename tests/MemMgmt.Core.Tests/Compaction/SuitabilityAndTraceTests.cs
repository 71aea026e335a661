using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Sysctl;
using MemMgmt.Core.Time;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Compaction
{
    public class SuitabilityAndTraceTests
    {
        [Fact]
        public void CompactionSuitableUsesTheFragmentationIndexForCostlyOrders()
        {
            var node = Scenario.Node(256);
            // EveryOther with a 256-page chunk leaves free memory in order-8 blocks.
            Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.EveryOther, ChunkPages = 256, ExtraGfp = GfpFlags.__GFP_MEMALLOC });
            PageAllocator.DrainAllPages(node);
            var zone = Scenario.MainZone(node);
            // By hand: blocks_total = Σ nr_free, free_pages = Σ nr_free·2^o; index = 1000 − (1000 + free·1000/512) / blocks.
            long blocks = 0, free = 0;
            for (int o = 0; o < 11; o++) { blocks += zone.GetNrFree(o); free += zone.GetNrFree(o) << o; }
            Assert.Equal(0, zone.GetNrFree(9) + zone.GetNrFree(10));
            long expected = 1000 - (1000 + free * 1000 / 512) / blocks;
            Assert.Equal(expected, CompactionCommands.FragmentationIndex(zone, 9));
            Assert.InRange(expected, 0, 500);
            node.Trace.Clear();
            Assert.Equal(CompactResult.Skipped, CompactionCommands.Suitable(zone, 9));
            Assert.Equal("node=0 zone=DMA      order=9 ret=not_suitable_zone", node.Trace.Events(node).Last().Text);
            // Raising the threshold is not needed: lowering it below the index makes the zone suitable.
            VmSysctl.Write(node, "vm.extfrag_threshold", (expected - 1).ToString());
            Assert.Equal(CompactResult.Continue, CompactionCommands.Suitable(zone, 9));
            // Order 3 is not costly: no fragmentation check. Order -1 always continues.
            Assert.Equal(CompactResult.Continue, CompactionCommands.Suitable(zone, -1));
            // Order 8 blocks exist: the order-8 watermark passes.
            Assert.Equal(CompactResult.Success, CompactionCommands.Suitable(zone, 8));
        }

        [Fact]
        public void CompactionSuitableSkipsWhenOrder0WatermarkPlusGapFails()
        {
            var node = Scenario.Node(256);
            Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.Fill });
            var zone = Scenario.MainZone(node);
            // The fill stops at the min watermark: free < low + compact_gap(9) = low + 1024.
            Assert.True(zone.FreePages < zone.WatermarkLow + 1024);
            Assert.Equal(CompactResult.Skipped, CompactionCommands.Suitable(zone, 9));
            Assert.Equal(CompactResult.Skipped, CompactionCommands.Compact(node, CompactPriority.SyncFull, 9).Zones[0].Result);
        }

        [Fact]
        public void ShouldCompactRetryFollowsThe414Rules()
        {
            var node = Scenario.Node(64);
            var prio = CompactPriority.SyncLight;
            int retries = 0;
            var gfp = GfpFlags.GFP_KERNEL;
            // Success counts retries; order 3 allows 16.
            for (int i = 1; i <= 16; i++) Assert.True(PageAllocator.ShouldCompactRetry(node, 3, gfp, 0, CompactResult.Success, ref prio, ref retries));
            Assert.Equal(16, retries);
            // The 17th: retries exhausted, so the priority drops to SYNC_FULL and retries restart.
            Assert.True(PageAllocator.ShouldCompactRetry(node, 3, gfp, 0, CompactResult.Success, ref prio, ref retries));
            Assert.Equal((CompactPriority.SyncFull, 0), (prio, retries));
            // COMPLETE at the minimum priority: give up.
            Assert.False(PageAllocator.ShouldCompactRetry(node, 3, gfp, 0, CompactResult.Complete, ref prio, ref retries));
            // Costly orders: 16 / 4 = 4 retries and the floor is SYNC_LIGHT.
            prio = CompactPriority.Async; retries = 0;
            for (int i = 1; i <= 4; i++) Assert.True(PageAllocator.ShouldCompactRetry(node, 9, gfp, 0, CompactResult.Success, ref prio, ref retries));
            Assert.True(PageAllocator.ShouldCompactRetry(node, 9, gfp, 0, CompactResult.Success, ref prio, ref retries));
            Assert.Equal((CompactPriority.SyncLight, 0), (prio, retries));
            Assert.False(PageAllocator.ShouldCompactRetry(node, 9, gfp, 0, CompactResult.Complete, ref prio, ref retries));
            // Withdrawn results ask compaction_zonelist_suitable: a fresh node has room.
            Assert.True(PageAllocator.ShouldCompactRetry(node, 9, gfp, 0, CompactResult.Deferred, ref prio, ref retries));
            Assert.False(PageAllocator.ShouldCompactRetry(node, 0, gfp, 0, CompactResult.Complete, ref prio, ref retries));
        }

        [Fact]
        public void TraceEventsRenderAsFtraceLines()
        {
            var node = Scenario.Node(64);
            Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.EveryOther, ExtraGfp = GfpFlags.__GFP_MEMALLOC });
            node.Trace.Clear();
            // An unmovable request's async compaction only scans unmovable blocks: there are none, so it completes.
            Assert.Equal(CompactResult.Complete, CompactionCommands.Compact(node.Clone(), CompactPriority.Async, 4, null, GfpFlags.GFP_KERNEL).Result);
            CompactionCommands.Compact(node, CompactPriority.Async, 4, null, GfpFlags.GFP_HIGHUSER_MOVABLE);
            var ev = node.Trace.Events(node);
            Assert.Equal("mm_compaction_try_to_compact_pages", ev[0].Name);
            Assert.Equal("order=4 gfp_mask=0x14200ca priority=2", ev[0].Text);
            var begin = ev.First(e => e.Event == TraceEventId.mm_compaction_begin);
            Assert.StartsWith("zone_start=0x40000 migrate_pfn=0x40000 free_pfn=0x43e00 zone_end=0x44000, mode=async", begin.Text);
            var end = ev.First(e => e.Event == TraceEventId.mm_compaction_end);
            Assert.EndsWith("mode=async status=success", end.Text);
            Assert.Matches(@"^ {11}memsh-1000  \[000\] \.\.\.\. +\d+\.\d{6}: mm_compaction_begin: zone_start=0x40000 ", begin.ToFtraceLine());
            Assert.Matches(@"^range=\(0x[0-9a-f]+ ~ 0x[0-9a-f]+\) nr_scanned=\d+ nr_taken=\d+$", ev.First(e => e.Event == TraceEventId.mm_compaction_isolate_freepages).Text);
            Assert.Matches(@"^nr_succeeded=\d+ nr_failed=0 mode=MIGRATE_ASYNC reason=compaction$", ev.First(e => e.Event == TraceEventId.mm_migrate_pages).Text);
            string text = node.Trace.RenderFtrace(node);
            Assert.StartsWith("# tracer: nop\n#\n# entries-in-buffer/entries-written: " + ev.Count + "/" + ev.Count + "   #P:2\n", text);
            Assert.Equal("GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_NOWARN|__GFP_RETRY_MAYFAIL".Split('|').OrderBy(s => s),
                GfpText.Show(GfpFlags.GFP_HIGHUSER_MOVABLE | GfpFlags.__GFP_COMP | GfpFlags.__GFP_NOWARN | GfpFlags.__GFP_RETRY_MAYFAIL).Split('|').OrderBy(s => s));
        }

        [Fact]
        public void ExtfragEventIsRecordedWhenAllocationsFallBack()
        {
            var node = Scenario.Node(64);
            node.Trace.Clear();
            var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_KERNEL);
            Assert.True(r.Success);
            var e = Assert.Single(node.Trace.Events(node), x => x.Event == TraceEventId.mm_page_alloc_extfrag);
            Assert.Matches(@"^page=ffff7e[0-9a-f]{10} pfn=\d+ alloc_order=0 fallback_order=10 pageblock_order=9 alloc_migratetype=0 fallback_migratetype=1 fragmenting=0 change_ownership=1$", e.Text);
        }

        [Fact]
        public void BadInputIsRejectedWithoutChangingState()
        {
            var node = Scenario.Node(64);
            long free = node.FreePages, now = node.Clock.NowNs;
            void Rejected(string id, System.Action a) => Assert.Equal(id, Assert.Throws<MemMgmtException>(a).ErrorId);
            Rejected("OrderOutOfRange", () => CompactionCommands.Compact(node, CompactPriority.SyncFull, 11));
            Rejected("OrderOutOfRange", () => CompactionCommands.Compact(node, CompactPriority.SyncFull, -2));
            Rejected("UnknownCompactPriority", () => CompactionCommands.Compact(node, (CompactPriority)7));
            Rejected("UnknownCompactPriority", () => CompactionNames.ParsePriority("Fastest"));
            Assert.Equal(CompactPriority.SyncLight, CompactionNames.ParsePriority("COMPACT_PRIO_SYNC_LIGHT"));
            Rejected("ZoneNotPopulated", () => CompactionCommands.Compact(node, CompactPriority.SyncFull, -1, ZoneType.Movable));
            Rejected("ZoneNotPresent", () => CompactionCommands.Compact(node, CompactPriority.SyncFull, -1, ZoneType.DMA32));
            Rejected("PercentOutOfRange", () => Pressure.Run(node, new PressureOptions { Percent = 101 }));
            Rejected("PercentOutOfRange", () => Pressure.Run(node, new PressureOptions { Percent = 0 }));
            Rejected("ContradictoryPressureOptions", () => Pressure.Run(node, new PressureOptions { Percent = 10, SizeBytes = 4096 }));
            Rejected("ContradictoryPatternOptions", () => Pressure.Run(node, new PressureOptions { Pattern = PressurePattern.RandomHalf, ChunkPages = 4 }));
            Rejected("ContradictoryPressureOptions", () => Pressure.Run(node, new PressureOptions { Gfp = GfpFlags.GFP_KERNEL, UnmovableFraction = 0.5 }));
            Rejected("FractionOutOfRange", () => Pressure.Run(node, new PressureOptions { PinnedFraction = 1.5 }));
            Rejected("OrderOutOfRange", () => CompactionCommands.Kcompactd(node, 0));
            Rejected("DurationOutOfRange", () => Daemons.Step(node, -1));
            Assert.Equal(free, node.FreePages);
            Assert.Equal(now, node.Clock.NowNs);
            Assert.Equal(0, node.Trace.Written);
            Assert.Equal(0, node.Counters[VmEvent.CompactStall]);
        }
    }
}
