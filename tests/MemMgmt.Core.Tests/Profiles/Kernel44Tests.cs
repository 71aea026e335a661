using System.Collections.Generic;
using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Swap;
using MemMgmt.Core.Time;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Watermarks;
using MemMgmt.Core.Workloads;
using MemMgmt.Core.Tests.Reclaim;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>The 4.4 profile: the zone-based reclaim the seed 004 article describes (shrink_zone, per-zone LRU lists and
    /// inactive_ratio, should_continue_reclaim with __GFP_REPEAT), the kswapd loop of seed 000 (kswapd_max_order,
    /// balance_pgdat returning the balanced order), 4.4's compaction_suitable with COMPACT_PARTIAL and the slow path that
    /// retries on reclaim progress. Each expectation is worked from the 4.4 source lines the code cites.</summary>
    public class Kernel44Tests
    {
        private static MemNode Node44(long sizeBytes = 512L << 20, long swapBytes = 0)
        {
            var node = new MemNode(new NodeConfig { SizeBytes = sizeBytes, CmaBytes = 0, Kernel = KernelProfile.Linux44 });
            if (swapBytes > 0) SwapDevice.Configure(node, swapBytes);
            return node;
        }

        private static MemNode Node414(long sizeBytes = 512L << 20) =>
            new MemNode(new NodeConfig { SizeBytes = sizeBytes, CmaBytes = 0, Kernel = KernelProfile.Linux414 });

        /// <summary>Fills all memory with file cache and pins every page at an odd pfn (an extra reference: neither reclaim
        /// nor migration can take it), so reclaim frees only single pages between pinned neighbours and no order above 0
        /// can ever form.</summary>
        private static void FillInterleaved(MemNode node)
        {
            ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            while (PageAllocator.AllocateNoWatermarks(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.FileCache) != 0) { }
            LruCache.DrainAll(node);
            var pages = node.Pages;
            for (int i = 1; i < pages.NrPages; i += 2)
                if ((pages.Flags[i] & (uint)PageFlags.Lru) != 0) pages.ExtraRefs[i] = 1;
        }

        // ----- the profile -----

        [Fact]
        public void Profile_IsFoundBy44_HasTheArm64ZonesOf44_AndItsBehaviourSwitches()
        {
            var k = KernelProfile.Find("4.4");
            Assert.Same(KernelProfile.Linux44, k);
            Assert.Equal(new[] { ZoneType.DMA, ZoneType.Normal, ZoneType.Movable }, k.ZoneTypes);
            Assert.Equal(new[] { 256, 32 }, k.DefaultLowmemReserveRatio);
            Assert.True(k.ZoneBasedReclaim && k.KswapdBalancedOrder && k.AllocRetryByReclaimProgress && k.CompactionSuitablePartial
                && k.CompactMemoryResetsSkipHints);
            var k414 = KernelProfile.Linux414;
            Assert.False(k414.ZoneBasedReclaim || k414.KswapdBalancedOrder || k414.AllocRetryByReclaimProgress || k414.CompactionSuitablePartial
                || k414.CompactMemoryResetsSkipHints);
            Assert.Contains(k, KernelProfile.All);
        }

        [Fact]
        public void UnknownKernel_ErrorListsEveryProfile_Including44()
        {
            var e = Assert.Throws<MemMgmtException>(() => KernelProfile.Find("3.10"));
            Assert.Equal("UnknownKernelVersion", e.ErrorId);
            Assert.Contains("4.14, 6.1, 4.4", e.Message);
        }

        // ----- calculate_zone_inactive_ratio: the table in its comment (mm/page_alloc.c, 4.4) -----

        [Theory]
        [InlineData(10L << 20, 1)]      // 10 MB zone
        [InlineData(100L << 20, 1)]     // 100 MB
        [InlineData(1L << 30, 3)]       // 1 GB: int_sqrt(10) = 3
        [InlineData(10L << 30, 10)]     // 10 GB: int_sqrt(100)
        [InlineData(100L << 30, 31)]    // 100 GB: int_sqrt(1000) = 31
        [InlineData(1L << 40, 101)]     // 1 TB: int_sqrt(10240) = 101
        [InlineData(10L << 40, 320)]    // 10 TB: int_sqrt(102400) = 320
        [InlineData((1L << 30) - 4096, 1)] // one page short of a GiB still rounds down to 0 GB
        public void ZoneInactiveRatio_Vectors(long zoneBytes, long ratio) =>
            Assert.Equal(ratio, ZoneReclaim.CalculateZoneInactiveRatio(zoneBytes >> 12, 12));

        /// <summary>inactive_anon_is_low (mm/vmscan.c, 4.4): with memcg enabled (`!mem_cgroup_disabled()`) every lruvec,
        /// the root's included, goes to mem_cgroup_inactive_anon_is_low (include/linux/memcontrol.h, 4.4): gb = (inactive +
        /// active) of that lruvec &gt;&gt; (30 − PAGE_SHIFT), ratio int_sqrt(10·gb) or 1, low when inactive·ratio &lt; active.
        /// The zone's inactive_ratio and NR_*_ANON counters (inactive_anon_is_low_global) are not consulted.</summary>
        [Fact]
        public void InactiveAnonIsLow_RootLruvec_UsesItsOwnListSizes_NotTheZonesRatio()
        {
            // A 4 GiB node at pfn 1 GiB: DMA's managed pages are over 2 GiB, so the zone's own ratio is int_sqrt(20) = 4.
            var node = Node44(4L << 30, 256L << 20);
            var dma = node.GetZone(ZoneType.DMA);
            Assert.Equal(4, ZoneReclaim.ZoneInactiveRatio(node, dma));
            var l = node.LruvecSt;
            int Idx(LruList lru) => (0 * l.NrZones + dma.Idx) * Lru.NrLruLists + (int)lru;
            long savedI = l.LruZoneSize[Idx(LruList.InactiveAnon)], savedA = l.LruZoneSize[Idx(LruList.ActiveAnon)];
            long savedZi = dma.Stat[(int)ZoneStatItem.NrZoneInactiveAnon], savedZa = dma.Stat[(int)ZoneStatItem.NrZoneActiveAnon];
            try
            {
                // 4 inactive, 16 active: 20 pages, gb 0, ratio 1: 4 < 16 is low (the zone's ratio 4 would say 16 < 16, not).
                l.LruZoneSize[Idx(LruList.InactiveAnon)] = 4;
                l.LruZoneSize[Idx(LruList.ActiveAnon)] = 16;
                dma.Stat[(int)ZoneStatItem.NrZoneInactiveAnon] = 4;
                dma.Stat[(int)ZoneStatItem.NrZoneActiveAnon] = 16;
                Assert.True(ZoneReclaim.InactiveListIsLow(node, dma, 0, false));
                // Exactly 1 GiB of anon in the lists: gb 1, ratio int_sqrt(10) = 3; 65536·3 = 196608 is not below 196608 …
                l.LruZoneSize[Idx(LruList.InactiveAnon)] = 65536;
                l.LruZoneSize[Idx(LruList.ActiveAnon)] = 196608;
                // … whatever the zone counters say (by them, 0 inactive against 100 active would be low).
                dma.Stat[(int)ZoneStatItem.NrZoneInactiveAnon] = 0;
                dma.Stat[(int)ZoneStatItem.NrZoneActiveAnon] = 100;
                Assert.False(ZoneReclaim.InactiveListIsLow(node, dma, 0, false));
                l.LruZoneSize[Idx(LruList.ActiveAnon)] = 196609;
                Assert.True(ZoneReclaim.InactiveListIsLow(node, dma, 0, false));
            }
            finally
            {
                l.LruZoneSize[Idx(LruList.InactiveAnon)] = savedI;
                l.LruZoneSize[Idx(LruList.ActiveAnon)] = savedA;
                dma.Stat[(int)ZoneStatItem.NrZoneInactiveAnon] = savedZi;
                dma.Stat[(int)ZoneStatItem.NrZoneActiveAnon] = savedZa;
            }
        }

        // ----- reclaim is per zone -----

        [Fact]
        public void DirectReclaim_ScansTheZonesOwnLists_AndCountsReclaimStatPerZone()
        {
            var node = Node44(4L << 30);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            var dma = node.GetZone(ZoneType.DMA);
            var normal = node.GetZone(ZoneType.Normal);
            long dmaFile = ZoneReclaim.LruSize(node, dma, 0, LruList.InactiveFile);
            long normalFile = ZoneReclaim.LruSize(node, normal, 0, LruList.InactiveFile);
            Assert.True(dmaFile > 0 && normalFile > 0);
            var r = Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL);
            Assert.True(r.NrReclaimed >= 32);
            // shrink_zones walks Normal first (the zonelist), and at DEF_PRIORITY each zone is scanned
            // size >> 12 of its own inactive file list (SCAN_FILE: inactive file is not low).
            var l = node.LruvecSt;
            long normalScanned = l.ZoneRecentScanned[(0 * l.NrZones + normal.Idx) * 2 + 1];
            long dmaScanned = l.ZoneRecentScanned[(0 * l.NrZones + dma.Idx) * 2 + 1];
            Assert.True(normalScanned > 0, "Normal's lruvec was scanned");
            Assert.True(dmaScanned > 0, "DMA's lruvec was scanned");
            Assert.Equal(normalFile - ZoneReclaim.LruSize(node, normal, 0, LruList.InactiveFile), normal.Stat[(int)ZoneStatItem.NrZoneInactiveFile] == 0 ? normalFile : normalFile - normal.Stat[(int)ZoneStatItem.NrZoneInactiveFile]);
            Assert.True(normal.PagesScanned > 0 || dma.PagesScanned > 0 || node.Counters.Events[(int)VmEvent.PgFree] > 0);
            ReclaimTestKit.AssertClean(node);
        }

        [Fact]
        public void GetScanCount_Zone_IsSizeShiftedByPriority_OfTheZonesList()
        {
            var node = Node44(4L << 30);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            var dma = node.GetZone(ZoneType.DMA);
            long inactive = ZoneReclaim.LruSize(node, dma, 0, LruList.InactiveFile);
            // No swap: SCAN_FILE; nr[inactive file] = size >> priority of DMA's list alone.
            var c = ZoneReclaim.GetScanCount(node, ZoneType.DMA, 0, 6);
            Assert.Equal(ScanBalance.File, c.Balance);
            Assert.Equal(inactive >> 6, c.Nr[(int)LruList.InactiveFile]);
            Assert.Equal(0, c.Nr[(int)LruList.InactiveAnon]);
            var e = Assert.Throws<MemMgmtException>(() => ZoneReclaim.GetScanCount(Node414(), ZoneType.DMA, 0, 6));
            Assert.Equal("NotZoneBasedReclaim", e.ErrorId);
        }

        // ----- should_continue_reclaim (mm/vmscan.c, 4.4) -----

        [Theory]
        // order 4 (> PAGE_ALLOC_COSTLY_ORDER: reclaim/compaction mode at any priority)
        [InlineData(4, 12, false, 0, 5, false)]   // without __GFP_REPEAT a pass that reclaimed nothing stops
        [InlineData(4, 12, true, 0, 5, true)]     // __GFP_REPEAT goes on while something was scanned …
        [InlineData(4, 12, true, 0, 0, false)]    // … and stops when nothing was scanned either
        [InlineData(4, 12, false, 3, 5, true)]    // progress, fewer than 2^5 reclaimed, inactive lists larger: continue
        [InlineData(2, 12, true, 3, 5, false)]    // order 2 at DEF_PRIORITY is not reclaim/compaction mode
        [InlineData(2, 9, true, 3, 5, true)]      // … below DEF_PRIORITY − 2 it is
        [InlineData(0, 0, true, 3, 5, false)]     // order 0 never
        public void ShouldContinueReclaim_Vectors(int order, int priority, bool repeat, long reclaimed, long scanned, bool expected)
        {
            var node = Node44();
            ReclaimTestKit.Fill(node, PageOwner.FileCache, 20000);
            var dma = node.GetZone(ZoneType.DMA);
            var sc = new ScanControl
            {
                Order = order, Priority = priority, ReclaimIdx = dma.Idx,
                GfpMask = GfpFlags.GFP_KERNEL | (repeat ? GfpFlags.__GFP_RETRY_MAYFAIL : 0),
            };
            Assert.Equal(expected, ZoneReclaim.ShouldContinueReclaim(node, dma, reclaimed, scanned, sc));
        }

        [Fact]
        public void ShouldContinueReclaim_StopsOnceCompactionMayRun_EvenBelowTheGap()
        {
            // A fresh node: the zone's inactive lists are empty (not more than 2^(order+1)), and compaction_suitable says
            // PARTIAL at order 4 (the low watermark passes there): stop.
            var node = Node44();
            var dma = node.GetZone(ZoneType.DMA);
            var sc = new ScanControl { Order = 4, Priority = 12, ReclaimIdx = dma.Idx, GfpMask = GfpFlags.GFP_KERNEL };
            Assert.Equal(CompactResult.Success, CompactionEngine.CompactionSuitable(dma, 4, 0, 0));
            Assert.False(ZoneReclaim.ShouldContinueReclaim(node, dma, 1, 1, sc));
        }

        // ----- compaction_suitable (mm/compaction.c, 4.4) -----

        [Fact]
        public void CompactionSuitable_Partial_WhenTheLowWatermarkPassesAtTheOrder_PrintedPartial()
        {
            var node = Node44();
            var dma = node.GetZone(ZoneType.DMA);
            Assert.Equal(CompactResult.Success, CompactionCommands.Suitable(dma, 9));
            Assert.Equal("partial", CompactionNames.Status(CompactResult.Success, node.Kernel.CompactionSuitablePartial));
            Assert.Equal("success", CompactionNames.Status(CompactResult.Success, Node414().Kernel.CompactionSuitablePartial));
        }

        [Fact]
        public void CompactionSuitable_Skipped_BelowLowPlusGapAtOrder0()
        {
            var node = Node44();
            ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue); // down to the min watermark
            var dma = node.GetZone(ZoneType.DMA);
            Assert.True(dma.NrFreePages < dma.Watermark[1] + 8);
            Assert.Equal(CompactResult.Skipped, CompactionCommands.Suitable(dma, 2));
        }

        /// <summary>Free memory only in isolated order-1 blocks: at order 2 fragmentation_index is
        /// 1000 − (1000 + 2N·1000/4)/N = 500 for large N, inside [0, extfrag_threshold 500]. 4.4 checks the index at every
        /// order: NOT_SUITABLE_ZONE, reported SKIPPED; 4.14 checks it only for costly orders: CONTINUE.</summary>
        [Fact]
        public void CompactionSuitable_FragindexAtANonCostlyOrder_Skips44_Continues414()
        {
            foreach (var (node, expected) in new[] { (Node44(), CompactResult.Skipped), (Node414(), CompactResult.Continue) })
            {
                var handles = new List<long>();
                const GfpFlags gfp = GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_RECLAIM;
                while (true)
                {
                    var r = PageAllocator.Allocate(node, 1, gfp, 0, PageOwner.Anon);
                    if (!r.Success) break;
                    handles.Add(r.Handle);
                }
                for (long h; (h = PageAllocator.AllocateNoWatermarks(node, 1, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.Anon)) != 0;) handles.Add(h);
                // Free every order-1 block whose buddy stays allocated.
                foreach (var h in handles)
                {
                    PageAllocator.TryGetAllocation(node, h, out long pfn, out _);
                    if (((pfn >> 1) & 1) == 0) PageAllocator.Free(node, h);
                }
                BuddyAllocator.DrainAllPages(node);
                var dma = node.GetZone(ZoneType.DMA);
                Assert.Equal(0, dma.NrFree[2] + dma.NrFree[3] + dma.NrFree[9] + dma.NrFree[10]);
                Assert.Equal(500, Fragmentation.FragmentationIndex(dma.NrFree, 2));
                Assert.Equal(expected, CompactionCommands.Suitable(dma, 2));
            }
        }

        /// <summary>__compact_finished (mm/compaction.c, 4.4): when the scanners meet, `if (!current_is_kswapd())
        /// zone-&gt;compact_blockskip_flush = true;` — any compactor but kswapd flags the skip hints for flushing, including
        /// a compaction that is not direct (4.14 asks cc-&gt;direct_compaction instead). kswapd's own compact_pgdat does not.</summary>
        [Fact]
        public void CompactFinished_ScannersMet_FlagsSkipFlushUnlessKswapd_NotOnlyForDirectCompaction()
        {
            var node = Node44();
            var dma = node.GetZone(ZoneType.DMA);
            CompactControl Met(bool byKswapd) => new CompactControl
            {
                Zone = dma, Order = 3, Mode = MigrateMode.Async, GfpMask = GfpFlags.GFP_KERNEL, DirectCompaction = false,
                ByKswapd = byKswapd, MigratePfn = dma.ZoneStartPfn + 1024, FreePfn = dma.ZoneStartPfn + 1024,
            };
            dma.CompactBlockskipFlush = false;
            Assert.Equal(CompactResult.Complete, ZoneCompaction44.CompactFinished(dma, Met(byKswapd: true)));
            Assert.False(dma.CompactBlockskipFlush);
            Assert.Equal(CompactResult.Complete, ZoneCompaction44.CompactFinished(dma, Met(byKswapd: false)));
            Assert.True(dma.CompactBlockskipFlush);
            dma.CompactBlockskipFlush = false;
        }

        /// <summary>compact_node → compact_zone → __compact_finished (mm/compaction.c, 4.4): writing compact_memory runs in
        /// the writer's context, not kswapd's, so each zone whose scanners met is flagged for the skip-hint flush at kswapd's
        /// next sleep; 4.14 flags only direct compaction.</summary>
        [Fact]
        public void CompactMemory_FlagsTheSkipFlush_On44_NotOn414()
        {
            foreach (var (node, expected) in new[] { (Node44(), true), (Node414(), false) })
            {
                var reports = new List<ZoneCompactionReport>();
                CompactionEngine.CompactNode(node, 0, null, reports, null);
                var dma = node.GetZone(ZoneType.DMA);
                Assert.Equal(expected, dma.CompactBlockskipFlush);
            }
        }

        /// <summary>__compact_pgdat (mm/compaction.c, 4.4): for /proc/sys/vm/compact_memory (order −1) each populated zone
        /// first gets __reset_isolation_suitable — every skip bit cleared — before compact_zone; 4.14's compact_node only
        /// ignores the bits (ignore_skip_hint) and leaves them as they were.</summary>
        [Fact]
        public void CompactMemory_ClearsTheSkipBits_On44_KeepsThemOn414()
        {
            foreach (var (node, expectedSkip) in new[] { (Node44(), false), (Node414(), true) })
            {
                var dma = node.GetZone(ZoneType.DMA);
                int block = node.ToIndex(dma.ZoneStartPfn) + (8 << node.PbOrder);
                node.SetBlockSkip(block, true);
                CompactionEngine.CompactNode(node, 0, null, new List<ZoneCompactionReport>(), null);
                Assert.Equal(expectedSkip, node.BlockSkip(block));
            }
        }

        /// <summary>try_to_compact_pages (mm/compaction.c, 4.4): `int rc = COMPACT_DEFERRED;`, a deferred zone is passed
        /// over without touching rc, and `rc = max(status, rc)` with 4.4's values (include/linux/compaction.h, 4.4:
        /// DEFERRED 0, SKIPPED 1, CONTINUE 2, PARTIAL 3, COMPLETE 4). Normal deferred and DMA too full to compact
        /// (SKIPPED) answers SKIPPED — so a THP request is not "deferred" and goes on to reclaim; only when every zone is
        /// deferred is the answer DEFERRED.</summary>
        [Fact]
        public void TryToCompactPages_44_OneZoneDeferred_AnotherSkipped_IsSkipped_NotDeferred()
        {
            var node = Node44(4L << 30);
            while (PageAllocator.AllocateNoWatermarks(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.Anon) != 0) { }
            var normal = node.GetZone(ZoneType.Normal);
            var dma = node.GetZone(ZoneType.DMA);
            Assert.True(normal.IsPopulated && dma.IsPopulated);
            Assert.Equal(CompactResult.Skipped, CompactionEngine.CompactionSuitable(dma, 9, 0, 0));
            CompactionEngine.DeferCompaction(normal, 9);
            Assert.Equal(CompactResult.Skipped,
                CompactionEngine.TryToCompactPages(node, GfpFlags.GFP_KERNEL, 9, 0, CompactPriority.Async, 0, null, null));
            CompactionEngine.DeferCompaction(normal, 9);
            CompactionEngine.DeferCompaction(dma, 9);
            Assert.Equal(CompactResult.Deferred,
                CompactionEngine.TryToCompactPages(node, GfpFlags.GFP_KERNEL, 9, 0, CompactPriority.Async, 0, null, null));
        }

        /// <summary>try_to_compact_pages (mm/compaction.c, 4.4) refuses order 0 and a request without __GFP_FS as SKIPPED;
        /// 4.14 asks only for __GFP_IO, and on a fresh node answers SUCCESS (the page is there).</summary>
        [Fact]
        public void TryToCompactPages_44_SkipsWithoutFs_AndOrder0()
        {
            var nofs = GfpFlags.GFP_KERNEL & ~GfpFlags.__GFP_FS;
            var n44 = Node44();
            Assert.Equal(CompactResult.Skipped, CompactionEngine.TryToCompactPages(n44, nofs, 3, 0, CompactPriority.Async, 0, null, null));
            Assert.Equal(CompactResult.Skipped, CompactionEngine.TryToCompactPages(n44, GfpFlags.GFP_KERNEL, 0, 0, CompactPriority.Async, 0, null, null));
            Assert.Equal(CompactResult.Success, CompactionEngine.TryToCompactPages(n44, GfpFlags.GFP_KERNEL, 3, 0, CompactPriority.Async, 0, null, null));
            Assert.Equal(CompactResult.Success, CompactionEngine.TryToCompactPages(Node414(), nofs, 3, 0, CompactPriority.Async, 0, null, null));
        }

        // ----- the slow path (mm/page_alloc.c, 4.4) -----

        [Theory]
        [InlineData(3, 0u, 1L, 1L, true)]              // progress and order ≤ PAGE_ALLOC_COSTLY_ORDER
        [InlineData(0, 0u, 0L, 0L, false)]             // no progress
        [InlineData(4, 0u, 100L, 100L, false)]         // costly, no __GFP_REPEAT: progress does not matter
        [InlineData(4, 0x400u, 10L, 15L, true)]        // __GFP_REPEAT below 2^4 reclaimed in total
        [InlineData(4, 0x400u, 10L, 16L, false)]       // … and at 2^4
        [InlineData(4, 0x400u, 0L, 15L, true)]         // the total counts, not this pass
        [InlineData(1, 0x1000u, 5L, 5L, false)]        // __GFP_NORETRY
        [InlineData(9, 0x800u, 0L, 0L, false)]         // __GFP_NOFAIL is no retry reason of its own (3200-3207) …
        [InlineData(0, 0x800u, 0L, 0L, false)]         // … not even at order 0: it goes on to __alloc_pages_may_oom
        [InlineData(2, 0x800u, 1L, 1L, true)]          // with progress it retries like any order ≤ 3
        public void ShouldAllocRetry_Vectors(int order, uint extra, long progress, long total, bool expected)
        {
            Assert.Equal(0x400u, (uint)GfpFlags.__GFP_RETRY_MAYFAIL); // 4.4's __GFP_REPEAT bit
            Assert.Equal(0x1000u, (uint)GfpFlags.__GFP_NORETRY);
            Assert.Equal(0x800u, (uint)GfpFlags.__GFP_NOFAIL);
            Assert.Equal(expected, PageAllocator.ShouldAllocRetry(order, GfpFlags.GFP_KERNEL | (GfpFlags)extra, progress, total));
        }

        /// <summary>__alloc_pages_slowpath (mm/page_alloc.c, 4.4, lines 3200-3216): the retry test after direct reclaim is
        /// only `(did_some_progress &amp;&amp; order &lt;= PAGE_ALLOC_COSTLY_ORDER) || (__GFP_REPEAT &amp;&amp; pages_reclaimed &lt;
        /// 1 &lt;&lt; order)`; a __GFP_NOFAIL request whose reclaim freed nothing falls through to __alloc_pages_may_oom
        /// (lines 2869-2897), which skips the costly/lowmem/!__GFP_FS filters for __GFP_NOFAIL and calls out_of_memory. All
        /// memory is unswappable anon: the first pass must reach the OOM killer, which kills the big process.</summary>
        [Fact]
        public void SlowPath_Nofail_WithoutReclaimProgress_GoesToTheOomKiller_NotStraightBackToRetry()
        {
            var node = Node44(128L << 20);
            var big = Processes.Spawn(node, "big");
            const GfpFlags noReclaim = GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_RECLAIM;
            while (Processes.Allocate(node, big, 0, noReclaim).Success) { }
            var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_KERNEL | GfpFlags.__GFP_NOFAIL);
            var first = r.Steps.First(s => s.Step == "should_alloc_retry");
            Assert.StartsWith("no retry: did_some_progress 0", first.Detail);
            int firstIdx = r.Steps.ToList().IndexOf(first);
            Assert.Equal("__alloc_pages_may_oom", r.Steps[firstIdx + 1].Step);
            Assert.Contains("out_of_memory", r.Steps[firstIdx + 1].Detail);
            Assert.True(big.Killed);
            Assert.True(r.Success, r.FailureReason);
        }

        /// <summary>__alloc_pages_slowpath (mm/page_alloc.c, 4.4, lines 3151-3180): after the first (async) direct
        /// compaction a THP request (is_thp_gfp_mask) gives up when compaction was deferred, lock contended, or — outside a
        /// kthread — stopped at need_resched (COMPACT_CONTENDED_SCHED, set by try_to_compact_pages when a zone's async
        /// compaction ended contended); it does not go on to direct reclaim. One page in twenty pinned keeps async
        /// compaction migrating past the 8 ms slice, so it ends contended.</summary>
        [Fact]
        public void SlowPath_Thp_ContendedAsyncCompaction_GivesUp_BeforeDirectReclaim()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 1 * NodeConfig.GiB, CmaBytes = 0, Seed = 9, Kernel = KernelProfile.Linux44 });
            Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.EveryOther, PinnedFraction = 0.05, ExtraGfp = GfpFlags.__GFP_MEMALLOC, Seed = 9 });
            var thp = GfpFlags.GFP_TRANSHUGE & ~GfpFlags.__GFP_KSWAPD_RECLAIM;
            var r = PageAllocator.Allocate(node, 9, thp);
            Assert.False(r.Success, string.Join("\n", r.Steps));
            Assert.Contains(r.Compactions, z => z.Result == CompactResult.Contended);
            Assert.Equal("transparent hugepage request and compaction was contended (need_resched)", r.FailureReason);
            Assert.Empty(r.Reclaims);
        }

        [Fact]
        public void SlowPath_CostlyRepeat_RetriesUntil2PowOrderReclaimed_ThenStops_NoShouldReclaimRetry()
        {
            var node = Node44(256L << 20);
            FillInterleaved(node);
            var r = PageAllocator.Allocate(node, 6, GfpFlags.GFP_KERNEL | GfpFlags.__GFP_RETRY_MAYFAIL);
            Assert.False(r.Success);
            var decisions = r.Steps.Where(s => s.Step == "should_alloc_retry").ToList();
            Assert.NotEmpty(decisions);
            Assert.DoesNotContain(r.Steps, s => s.Step == "should_reclaim_retry" || s.Step == "should_compact_retry");
            long Total(SlowPathStep s) => long.Parse(s.Detail.Split("pages_reclaimed ")[1].Split(',')[0]);
            for (int i = 0; i < decisions.Count - 1; i++)
            {
                Assert.StartsWith("retry", decisions[i].Detail);
                Assert.True(Total(decisions[i]) < 64);
            }
            Assert.StartsWith("no retry", decisions[^1].Detail);
            Assert.True(Total(decisions[^1]) >= 64);
            // Order 6 is costly: no OOM kill, then the last compaction, then failure.
            Assert.Contains(r.Steps, s => s.Step == "__alloc_pages_may_oom" && s.Detail.Contains("PAGE_ALLOC_COSTLY_ORDER"));
            ReclaimTestKit.AssertClean(node);
        }

        [Fact]
        public void SlowPath_Costly_WithoutRepeat_DoesNotRetryAfterProgress()
        {
            var node = Node44(256L << 20);
            FillInterleaved(node);
            var r = PageAllocator.Allocate(node, 6, GfpFlags.GFP_KERNEL);
            Assert.False(r.Success, string.Join("\n", r.Steps) + " free " + node.FreePages + " " + string.Join(",", node.ZoneArr[0].NrFree));
            var d = Assert.Single(r.Steps, s => s.Step == "should_alloc_retry");
            Assert.StartsWith("no retry", d.Detail);
            Assert.Single(r.Reclaims);
        }

        [Fact]
        public void SlowPath_Order3_RetriesWhileReclaimProgresses()
        {
            var node = Node44(128L << 20);
            FillInterleaved(node);
            var r = PageAllocator.Allocate(node, 3, GfpFlags.GFP_KERNEL);
            // Reclaim frees only pages between pinned kernel pages: order 3 never forms, and every pass that freed
            // something goes back to retry.
            var decisions = r.Steps.Where(s => s.Step == "should_alloc_retry").ToList();
            Assert.True(decisions.Count > 1);
            for (int i = 0; i < r.Reclaims.Count && i < decisions.Count; i++)
                Assert.Equal(r.Reclaims[i].NrReclaimed > 0, decisions[i].Detail.StartsWith("retry"));
        }

        // ----- kswapd (mm/vmscan.c, 4.4) -----

        [Fact]
        public void Kswapd_HighOrderThatCannotBeBalanced_DropsToOrder0_AndReturnsIt()
        {
            var node = Node44(256L << 20);
            FillInterleaved(node);
            int normalOrTop = node.ZoneArr.Length - 1;
            Kswapd.Wakeup(node, 9, normalOrTop);
            Assert.Equal(9, Kswapd.GetOrder(node));
            var rep = Kswapd.Run(node);
            Assert.Equal(9, rep.AllocOrder);
            Assert.Equal(0, rep.ReclaimOrder); // balance_pgdat returned order 0: 2^10 pages were reclaimed in a pass
            Assert.Contains(rep.Steps, s => s.Contains("order drops to 0"));
            Assert.True(Kswapd44.PgdatBalanced(node, 0, normalOrTop));
            Assert.False(Kswapd44.PgdatBalanced(node, 9, normalOrTop));
            ReclaimTestKit.AssertClean(node);
        }

        [Fact]
        public void Kswapd_Wakeup_RaisesMaxOrder_LowersClasszone_44Semantics()
        {
            var node = Node44(4L << 30);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            var dma = node.GetZone(ZoneType.DMA);
            var normal = node.GetZone(ZoneType.Normal);
            Kswapd44.WakeupZone(node, normal, 2, normal.Idx);
            Assert.Equal(2, Kswapd.GetOrder(node));
            Assert.Equal(normal.Idx, Kswapd.GetClasszoneIdx(node));
            // A larger order takes the lower classzone (min), a smaller order changes neither.
            Kswapd44.WakeupZone(node, dma, 3, dma.Idx);
            Assert.Equal(3, Kswapd.GetOrder(node));
            Assert.Equal(dma.Idx, Kswapd.GetClasszoneIdx(node));
            Kswapd44.WakeupZone(node, normal, 1, normal.Idx);
            Assert.Equal(3, Kswapd.GetOrder(node));
            Assert.Equal(dma.Idx, Kswapd.GetClasszoneIdx(node));
            Assert.Equal(KswapdState.Runnable, Kswapd.GetState(node));
        }

        [Fact]
        public void PgdatBalanced_HighOrder_NeedsAQuarterOfManagedPagesBalanced()
        {
            // 4 GiB: DMA 3 GiB, Normal 1 GiB. DMA balanced alone is ≥ 1/4 of the managed pages: balanced at order > 0;
            // at order 0 every zone must be balanced. The fair zone allocation policy would spread a fill over both zones
            // (a quarter into Normal), so DMA is marked depleted before each page: page cache fills Normal to its low mark.
            var node = Node44(4L << 30);
            var normal = node.GetZone(ZoneType.Normal);
            var dma = node.GetZone(ZoneType.DMA);
            const GfpFlags gfp = GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_RECLAIM;
            while (normal.NrFreePages > normal.Watermark[(int)WatermarkLevel.Low])
            {
                dma.FairDepleted = true;
                Assert.True(PageAllocator.Allocate(node, 0, gfp, 0, PageOwner.FileCache).Success);
            }
            LruCache.DrainAll(node);
            Assert.False(Kswapd44.ZoneBalanced(normal, 0, 0, normal.Idx));
            Assert.True(Kswapd44.ZoneBalanced(node.GetZone(ZoneType.DMA), 2, 0, 0));
            Assert.True(Kswapd44.PgdatBalanced(node, 2, normal.Idx));
            Assert.False(Kswapd44.PgdatBalanced(node, 0, normal.Idx));
        }

        // ----- tracepoints of 4.4 (include/trace/events/vmscan.h, 4.4) -----

        [Fact]
        public void Trace_ZoneBasedReclaim_PrintsThe44Formats_AndNoShrinkActiveEvent()
        {
            var node = Node44(4L << 30);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            TraceControl.Clear(node);
            Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL);
            var events = node.Trace.Events(node);
            var inactive = events.Where(e => e.Event == TraceEventId.mm_vmscan_lru_shrink_inactive).ToList();
            Assert.NotEmpty(inactive);
            var normal = node.GetZone(ZoneType.Normal).Idx;
            // shrink_zones starts at the zonelist's first zone, Normal.
            Assert.Matches($"^nid=0 zid={normal} nr_scanned=\\d+ nr_reclaimed=\\d+ priority=12 flags=RECLAIM_WB_FILE\\|RECLAIM_WB_ASYNC$", inactive[0].Text);
            var isolate = events.First(e => e.Event == TraceEventId.mm_vmscan_lru_isolate);
            Assert.Matches("^isolate_mode=0 order=0 nr_requested=\\d+ nr_scanned=\\d+ nr_taken=\\d+ file=1$", isolate.Text);
            Assert.DoesNotContain(events, e => e.Event == TraceEventId.mm_vmscan_lru_shrink_active);
        }

        // ----- snapshot and clone -----

        [Fact]
        public void Snapshot_And_Clone_KeepThe44State()
        {
            var node = Node44(256L << 20);
            FillInterleaved(node);
            Kswapd.Wakeup(node, 3, node.ZoneArr.Length - 1);
            Kswapd.Run(node);
            Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL);
            var copy = node.Clone("c");
            Assert.Equal(node.LruvecSt.ZoneRecentScanned, copy.LruvecSt.ZoneRecentScanned);
            Assert.Equal(node.ZoneArr[0].PagesScanned, copy.ZoneArr[0].PagesScanned);
            Assert.Equal(node.KswapdSt.BalancedOrder, copy.KswapdSt.BalancedOrder);
            Assert.Same(KernelProfile.Linux44, copy.Kernel);
            string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"k44-{System.Guid.NewGuid():N}.memnode");
            MemNode loaded;
            try
            {
                NodeSnapshot.Export(node, path, includeTrace: false);
                loaded = NodeSnapshotFile.Open(path).ToNode("loaded");
            }
            finally { System.IO.File.Delete(path); }
            Assert.Same(KernelProfile.Linux44, loaded.Kernel);
            Assert.Equal(node.LruvecSt.ZoneRecentRotated, loaded.LruvecSt.ZoneRecentRotated);
            Assert.Equal(node.ZoneArr[0].PagesScanned, loaded.ZoneArr[0].PagesScanned);
            Assert.Equal(node.KswapdSt.BalancedClasszoneIdx, loaded.KswapdSt.BalancedClasszoneIdx);
        }
    }
}
