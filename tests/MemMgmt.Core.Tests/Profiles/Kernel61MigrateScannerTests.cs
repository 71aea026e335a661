using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Trace;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>6.1's migration scanner (fast_find_migrateblock, per-block skip hints; mm/compaction.c, 6.1 stable) against
    /// 4.14's linear scan, on the same node.</summary>
    public class Kernel61MigrateScannerTests
    {
        private static TraceEvent FirstMigrateIsolation(MemNode node) =>
            node.Trace.Events(node).First(e => e.Event == TraceEventId.mm_compaction_isolate_migratepages);

        /// <summary>A 1 GiB node filled with anon pages, with an aligned order-4 hole in pageblock <paramref name="holeBlock"/>
        /// of the zone and every other page free in its top eight blocks (targets for compaction, no free block of order 9),
        /// skip hints clear and the scanners at the zone's ends.</summary>
        private static (MemNode Node, Zone Zone, long Hole) WithOrderFourHole(KernelProfile kernel, int holeBlock)
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 1L << 30, CmaBytes = 0, Kernel = kernel, Seed = 1 });
            var zone = MainZone(node);
            // Small watermarks, so the fill leaves no free block of pageblock order behind the low watermark.
            MemMgmt.Core.Sysctl.VmSysctl.Write(node, "min_free_kbytes", "128");
            var gfp = GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_RECLAIM;
            var handles = new System.Collections.Generic.Dictionary<long, long>();
            while (true)
            {
                var r = PageAllocator.Allocate(node, 0, gfp, 0, PageOwner.Anon);
                if (!r.Success) break;
                handles[r.Pfn] = r.Handle;
            }
            long hole = zone.ZoneStartPfn + holeBlock * 512L + 64;
            for (long pfn = hole; pfn < hole + 16; pfn++) PageAllocator.Free(node, handles[pfn], 0);
            for (long pfn = zone.ZoneEndPfn - 8 * 512; pfn < zone.ZoneEndPfn; pfn += 2)
                if (handles.TryGetValue(pfn, out long h)) PageAllocator.Free(node, h, 0);
            BuddyAllocator.DrainPagesZone(zone, 0);
            for (long pfn = zone.ZoneStartPfn; pfn < zone.ZoneEndPfn; pfn += 512) node.SetBlockSkip(node.ToIndex(pfn), false);
            CompactionEngine.ResetCachedPositions(zone);
            zone.CompactBlockskipFlush = false;
            node.Trace.Clear();
            return (node, zone, hole);
        }

        [Fact]
        public void CostlyRequest_61StartsInTheBlockOfALowFreePageOfOrderThreeOrMore_AndGivesItUpOnTheHintItSet()
        {
            var (node, zone, hole) = WithOrderFourHole(KernelProfile.Linux61, 100);
            long block = hole & ~511L;
            Assert.Contains(hole, FreeListPfns(node, zone, 4));

            CompactionCommands.Compact(node, CompactPriority.Async, 9, gfp: GfpFlags.GFP_HIGHUSER_MOVABLE);

            var first = FirstMigrateIsolation(node);
            Assert.Equal(block, (long)first.Fields["start_pfn"]);
            Assert.Equal(1L, (long)first.Fields["nr_scanned"]);   // its first page: the hint the search set, so give up
            Assert.Equal(0L, (long)first.Fields["nr_taken"]);
            Assert.True(node.BlockSkip(node.ToIndex(block)));
        }

        [Fact]
        public void CostlyRequest_61IgnoresAFreePageAboveHalfTheScanSpace_AndScansFromTheZoneStart()
        {
            // 300 of the zone's 512 blocks: above half of the space between the scanners at the start.
            var (node, zone, _) = WithOrderFourHole(KernelProfile.Linux61, 300);
            CompactionCommands.Compact(node, CompactPriority.Async, 9, gfp: GfpFlags.GFP_HIGHUSER_MOVABLE);
            Assert.Equal(zone.ZoneStartPfn, (long)FirstMigrateIsolation(node).Fields["start_pfn"]);
        }

        [Fact]
        public void CostlyRequest_414ScansFromTheZoneStart_WhereverTheFreePagesAre()
        {
            var (node, zone, _) = WithOrderFourHole(KernelProfile.Linux414, 100);
            CompactionCommands.Compact(node, CompactPriority.Async, 9, gfp: GfpFlags.GFP_HIGHUSER_MOVABLE);
            Assert.Equal(zone.ZoneStartPfn, (long)FirstMigrateIsolation(node).Fields["start_pfn"]);
        }

        [Fact]
        public void ScanningAfterTheFirstBlock_61ClaimsEachBlockItTakesTheFirstPageOf()
        {
            // test_and_set_skip: taking a block's first LRU page sets the block's hint (4.14 sets it only for a block that
            // gave nothing).
            var (n61, z61, _) = WithOrderFourHole(KernelProfile.Linux61, 300);
            var (n414, z414, _) = WithOrderFourHole(KernelProfile.Linux414, 300);
            CompactionCommands.Compact(n61, CompactPriority.Async, 9, gfp: GfpFlags.GFP_HIGHUSER_MOVABLE);
            CompactionCommands.Compact(n414, CompactPriority.Async, 9, gfp: GfpFlags.GFP_HIGHUSER_MOVABLE);
            // The first block both scans took pages from, starting at its first page (an anon page of the fill).
            var taken = n61.Trace.Events(n61).First(e => e.Event == TraceEventId.mm_compaction_isolate_migratepages && (long)e.Fields["nr_taken"] > 0);
            long block = (long)taken.Fields["start_pfn"];
            Assert.Equal(0, block & 511);
            Assert.Contains(n414.Trace.Events(n414), e => e.Event == TraceEventId.mm_compaction_isolate_migratepages
                && (long)e.Fields["start_pfn"] == block && (long)e.Fields["nr_taken"] > 0);
            Assert.True(n61.BlockSkip(n61.ToIndex(block)));
            Assert.False(n414.BlockSkip(n414.ToIndex(block)));
        }

        private static Zone MainZone(MemNode node)
        {
            Zone? main = null;
            foreach (var z in node.ZoneArr) if (z.IsPopulated && (main == null || z.ManagedPages > main.ManagedPages)) main = z;
            return main!;
        }

        private static System.Collections.Generic.IEnumerable<long> FreeListPfns(MemNode node, Zone zone, int order)
        {
            var pages = node.Pages;
            int head = zone.FreeListHead(order, (int)MigrateType.Movable);
            for (int p = pages.Next(head); p != head; p = pages.Next(p)) yield return node.NodeStartPfn + p;
        }
    }
}
