using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Swap;
using MemMgmt.Core.Tests.Reclaim;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>Page reclaim of the 6.1 profile (the classic two-list LRU; MGLRU is built but off on Debian's 6.1), against
    /// 4.14: get_scan_count's cost-based SCAN_FRACT, lru_note_cost's decay, prepare_scan_count's may_deactivate and
    /// cache_trim_mode. Vectors are worked by hand from get_scan_count, prepare_scan_count (mm/vmscan.c, 6.1) and
    /// lru_note_cost (mm/swap.c, 6.1).</summary>
    public class Kernel61VmscanTests
    {
        /// <summary>2 GiB node with 1 GiB swap: 100000 active anon, 60000 file of which <paramref name="activeFile"/> were used
        /// twice (active). Below 1 GiB per type, so inactive_ratio is 1.</summary>
        private static MemNode Node(KernelProfile kernel, int activeFile)
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 2 * NodeConfig.GiB, Kernel = kernel });
            SwapDevice.Configure(node, 1 * NodeConfig.GiB);
            Assert.Equal(100000, ReclaimTestKit.FillActive(node, PageOwner.Anon, 100000).Count);
            var files = ReclaimTestKit.Fill(node, PageOwner.FileCache, 60000);
            for (int i = 0; i < activeFile; i++) { PageAccess.MarkAccessed(node, files[i]); PageAccess.MarkAccessed(node, files[i]); }
            LruCache.DrainAll(node);
            Assert.Equal(100000, Lru.Size(node, 0, LruList.ActiveAnon));
            Assert.Equal(60000 - activeFile, Lru.Size(node, 0, LruList.InactiveFile));
            Assert.Equal(activeFile, Lru.Size(node, 0, LruList.ActiveFile));
            ReclaimTestKit.AssertClean(node);
            return node;
        }

        private static void SetCost(MemNode node, long anonCost, long fileCost)
        {
            node.LruvecSt.AnonCost[0] = anonCost;
            node.LruvecSt.FileCost[0] = fileCost;
        }

        /// <summary>get_scan_count (6.1) SCAN_FRACT: total = anon_cost + file_cost; anon' = total + anon_cost, file' = total +
        /// file_cost, total' = anon' + file'; ap = swappiness·(total'+1)/(anon'+1), fp = (200−swappiness)·(total'+1)/(file'+1),
        /// denominator ap + fp; nr = (size &gt;&gt; priority)·fraction/denominator. Lists: active anon 100000, inactive file
        /// 20000, active file 40000 (both inactive lists low, so may_deactivate has both types: no cache_trim_mode, no
        /// file_is_tiny). E.g. costs 1000/3000 at priority 12: anon' 5000, file' 7000, total' 12000; ap = 60·12001/5001 = 143,
        /// fp = 140·12001/7001 = 239; nr = 0, 24·143/382 = 8, 4·239/382 = 2, 9·239/382 = 5.</summary>
        [Theory]
        [InlineData(60, 1000, 3000, 12, 143, 239, 382, 0, 8, 2, 5)]
        [InlineData(60, 0, 0, 12, 60, 140, 200, 0, 7, 2, 6)]
        [InlineData(100, 0, 10000, 12, 299, 149, 448, 0, 16, 1, 2)]
        [InlineData(60, 5000, 0, 12, 89, 419, 508, 0, 4, 3, 7)]
        [InlineData(60, 1000, 3000, 8, 143, 239, 382, 0, 145, 48, 97)]
        public void FractWeighsTheListsByTheirCost(int swappiness, long anonCost, long fileCost, int priority,
            long ap, long fp, long denominator, long nrIa, long nrAa, long nrIf, long nrAf)
        {
            var node = Node(KernelProfile.Linux61, 40000);
            MemMgmt.Core.Sysctl.VmSysctl.Write(node, "vm.swappiness", swappiness.ToString(System.Globalization.CultureInfo.InvariantCulture));
            SetCost(node, anonCost, fileCost);
            // recent_scanned/rotated must not matter on 6.1.
            node.LruvecSt.RecentScanned[0] = 1000; node.LruvecSt.RecentRotated[0] = 900;
            var c = Vmscan.GetScanCount(node, 0, priority);
            Assert.Equal(ScanBalance.Fract, c.Balance);
            Assert.Equal(anonCost, c.AnonCost);
            Assert.Equal(fileCost, c.FileCost);
            Assert.Equal(ap, c.Ap);
            Assert.Equal(fp, c.Fp);
            Assert.Equal(denominator, c.Denominator);
            Assert.Equal(new[] { nrIa, nrAa, nrIf, nrAf }, c.Nr);
        }

        /// <summary>The same lists and history on 4.14 keep recent_scanned/recent_rotated and the +1 denominator:
        /// ap = 60·1001/901 = 66, fp = 140·1001/1000 = 140, denominator 207 (the costs are not read).</summary>
        [Fact]
        public void On414TheFractionStillComesFromRecentScannedAndRotated()
        {
            var node = Node(KernelProfile.Linux414, 40000);
            SetCost(node, 1000, 3000);
            node.LruvecSt.RecentScanned[0] = 1000; node.LruvecSt.RecentRotated[0] = 900;
            node.LruvecSt.RecentScanned[1] = 1000; node.LruvecSt.RecentRotated[1] = 999;
            var c = Vmscan.GetScanCount(node, 0, 12);
            Assert.Equal(ScanBalance.Fract, c.Balance);
            Assert.Equal(66, c.Ap);
            Assert.Equal(140, c.Fp);
            Assert.Equal(207, c.Denominator);
            Assert.Equal(0, c.AnonCost);
        }

        /// <summary>lru_note_cost (mm/swap.c, 6.1): the cost is added, then both costs are halved when their sum exceeds a
        /// quarter of the lruvec's LRU pages (160000 / 4 = 40000). 30000 + 9000 + 2000 = 41000 &gt; 40000 → 16000 and 4500;
        /// 30000 + 9000 + 1000 = 40000 is not above it → kept. A zero cost still applies the check.</summary>
        [Theory]
        [InlineData(30000, 9000, false, 2000, 16000, 4500)]
        [InlineData(30000, 9000, true, 1000, 30000, 10000)]
        [InlineData(30001, 10000, false, 0, 15000, 5000)]
        [InlineData(0, 0, true, 32, 0, 32)]
        public void NotedCostDecaysPastAQuarterOfTheLruPages(long anon, long file, bool isFile, long nr, long anonAfter, long fileAfter)
        {
            var node = Node(KernelProfile.Linux61, 40000);
            SetCost(node, anon, file);
            Vmscan.LruNoteCost(node, 0, isFile, nr);
            Assert.Equal(anonAfter, node.LruvecSt.AnonCost[0]);
            Assert.Equal(fileAfter, node.LruvecSt.FileCost[0]);
        }

        /// <summary>shrink_inactive_list (6.1) notes stat.nr_pageout: after a reclaim that swapped anon pages out and wrote no
        /// file page, anon_cost is the pages swapped out (no decay: far below a quarter of the lists) and file_cost 0; 4.14
        /// keeps no cost. The two kernels then scan differently (/proc/vmstat pgscan_anon, pgscan_file).</summary>
        [Fact]
        public void ReclaimNotesSwapOutsAsAnonCostOn61Only()
        {
            var n61 = Node(KernelProfile.Linux61, 40000);
            var n414 = Node(KernelProfile.Linux414, 40000);
            Vmscan.ReclaimPages(n61, 3000);
            Vmscan.ReclaimPages(n414, 3000);
            long swapped = n61.Counters[VmEvent.PswpOut];
            Assert.True(swapped > 0);
            Assert.Equal(0, n61.Counters[NodeStatItem.NrVmscanWrite] - swapped); // no file page was written
            Assert.Equal(swapped, n61.LruvecSt.AnonCost[0]);
            Assert.Equal(0, n61.LruvecSt.FileCost[0]);
            Assert.Equal(swapped, LruVecStat.GetAll(n61)[0].AnonCost);
            Assert.Equal(0, n414.LruvecSt.AnonCost[0]);
            Assert.NotEqual(n414.Counters[VmEvent.PgScanAnon], n61.Counters[VmEvent.PgScanAnon]);
            ReclaimTestKit.AssertClean(n61);
        }

        /// <summary>prepare_scan_count (6.1): with plenty of inactive file (50000 inactive, 10000 active: not low) and no refault
        /// since snapshot_refaults, cache_trim_mode makes get_scan_count SCAN_FILE on both kernels. A refault that activates a
        /// page moves WORKINGSET_ACTIVATE_FILE past lruvec->refaults[WORKINGSET_FILE]: 6.1 sets DEACTIVATE_FILE, so
        /// cache_trim_mode is off and anon gets its SCAN_FRACT share (no costs: ap 60, fp 140; nr = 24·60/200 = 7,
        /// 12·140/200 = 8, 2·140/200 = 1), while 4.14's get_scan_count ignores refaults (its inactive_list_is_low looks at
        /// them only in actual reclaim) and stays SCAN_FILE. The reclaim's snapshot_refaults restores cache_trim_mode.</summary>
        [Fact]
        public void AFileRefaultEndsCacheTrimModeOn61ButNotOn414()
        {
            var n61 = Node(KernelProfile.Linux61, 10000);
            var n414 = Node(KernelProfile.Linux414, 10000);
            Assert.Equal(ScanBalance.File, Vmscan.GetScanCount(n61, 0, 12).Balance);
            Assert.Equal(ScanBalance.File, Vmscan.GetScanCount(n414, 0, 12).Balance);
            foreach (var node in new[] { n61, n414 })
                Assert.True(ShadowRefault.Refault(node, ShadowRefault.PackShadow(0, node.NodeId, ShadowRefault.InactiveAge(node) - 999), 0).Activate);

            var c414 = Vmscan.GetScanCount(n414, 0, 12);
            Assert.Equal(ScanBalance.File, c414.Balance);
            Assert.Equal(new long[] { 0, 0, 12, 2 }, c414.Nr);
            var c61 = Vmscan.GetScanCount(n61, 0, 12);
            Assert.Equal(ScanBalance.Fract, c61.Balance);
            Assert.Equal(60, c61.Ap);
            Assert.Equal(140, c61.Fp);
            Assert.Equal(200, c61.Denominator);
            Assert.Equal(new long[] { 0, 7, 8, 1 }, c61.Nr);

            // Actual reclaim: 4.14 ages active anon only by shrink_node_memcg's final 32 per priority (12 and 11);
            // 6.1 also scans it at SCAN_FRACT (7 + 14 + 29 over priorities 12 to 10) besides its 3 × 32 final aging.
            var r414 = Vmscan.ReclaimPages(n414, 32);
            var r61 = Vmscan.ReclaimPages(n61, 32);
            Assert.Equal(64, r414.ScannedActiveAnon);
            Assert.Equal(11, r414.PriorityReached);
            Assert.Equal(146, r61.ScannedActiveAnon);
            Assert.Equal(10, r61.PriorityReached);
            Assert.Equal(1, n61.LruvecSt.Refaults[1]);
            Assert.Equal(ScanBalance.File, Vmscan.GetScanCount(n61, 0, 12).Balance);
            ReclaimTestKit.AssertClean(n61);
        }

        /// <summary>shrink_lruvec (6.1) for kswapd (no proportional_reclaim) at priority 2 over 3000 active anon, 20000
        /// inactive and 40000 active file: SCAN_FRACT without costs gives nr = 0, 750·60/200 = 225, 5000·140/200 = 3500,
        /// 10000·140/200 = 7000. The first pass scans 32 of each non-empty list and reclaims 32 clean file pages, meeting
        /// nr_to_reclaim: anon has the smaller rest (193), so it stops, and file is scaled to 100 − 193·100/226 = 15% of its
        /// targets (525 and 1050, less the 32 scanned). 4.14 then scans file on to those targets; 6.1 re-checks after the
        /// next pass, finds anon at zero and ends: 64 pages of each file list. Anon: 32 in the pass plus the final aging's 32
        /// (inactive anon 32 is low against 2968 active).</summary>
        [Fact]
        public void ShrinkLruvecEndsThePassAfterTheProportionalCutOn61()
        {
            var counts = new System.Collections.Generic.Dictionary<string, long[]>();
            foreach (var kernel in new[] { KernelProfile.Linux61, KernelProfile.Linux414 })
            {
                var node = new MemNode(new NodeConfig { SizeBytes = 2 * NodeConfig.GiB, Kernel = kernel });
                SwapDevice.Configure(node, 1 * NodeConfig.GiB);
                Assert.Equal(3000, ReclaimTestKit.FillActive(node, PageOwner.Anon, 3000).Count);
                var files = ReclaimTestKit.Fill(node, PageOwner.FileCache, 60000);
                for (int i = 0; i < 40000; i++) { PageAccess.MarkAccessed(node, files[i]); PageAccess.MarkAccessed(node, files[i]); }
                LruCache.DrainAll(node);
                var sc = new ScanControl
                {
                    Priority = 2, NrToReclaim = 32, ReclaimIdx = node.ZoneArr.Length - 1, IsKswapd = true, HasReclaimState = true,
                };
                Vmscan.PrepareScanCount(node, sc);
                if (kernel == KernelProfile.Linux61)
                    Assert.Equal(new long[] { 0, 225, 3500, 7000 }, Vmscan.GetScanCount(node, 0, sc).Nr);
                Vmscan.ShrinkNodeMemcg(node, 0, sc, out _);
                counts[kernel.Version] = new[] { sc.ListScanned[0], sc.ListScanned[1], sc.ListScanned[2], sc.ListScanned[3] };
                ReclaimTestKit.AssertClean(node);
            }
            Assert.Equal(new long[] { 0, 64, 64, 64 }, counts["6.1"]);
            Assert.True(counts["4.14"][(int)LruList.InactiveFile] > 4 * 64, string.Join(",", counts["4.14"]));
        }

        /// <summary>do_try_to_free_pages (6.1) retries with memory.low overridden only when shrink_node_memcgs skipped a
        /// protected group; 4.14 always retries once with may_thrash. With nothing reclaimable (anon, no swap) and no group,
        /// 4.14 walks the priorities twice, 6.1 once. With the only pages in a group under memory.low, both retry and
        /// reclaim them.</summary>
        [Fact]
        public void MemoryLowRetryOn61OnlyWhenAGroupWasSkipped()
        {
            int Walks(ReclaimReport r) { int n = 0; foreach (var s in r.Steps) if (s.StartsWith("priority 12:", System.StringComparison.Ordinal)) n++; return n; }
            foreach (var kernel in new[] { KernelProfile.Linux61, KernelProfile.Linux414 })
            {
                var node = new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB, Kernel = kernel });
                ReclaimTestKit.Fill(node, PageOwner.Anon, 20000);
                var r = Vmscan.ReclaimPages(node, 32);
                Assert.Equal(0, r.NrReclaimed);
                Assert.Equal(kernel == KernelProfile.Linux61 ? 1 : 2, Walks(r));
                Assert.Equal(kernel != KernelProfile.Linux61, System.Linq.Enumerable.Any(r.Steps, s => s.Contains("may_thrash")));

                var a = MemMgmt.Core.Memcg.MemCgroups.Create(node, "a", low: 100000);
                for (int i = 0; i < 3000; i++)
                    Assert.True(MemMgmt.Core.Memcg.MemCgroups.Allocate(node, "a", 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.FileCache).Success);
                LruCache.DrainAll(node);
                var p = Vmscan.ReclaimPages(node, 100);
                Assert.Contains(p.Steps, s => s.Contains("may_thrash"));
                Assert.True(p.NrReclaimed >= 100);
                Assert.True(a.LowEvents > 0);
                ReclaimTestKit.AssertClean(node);
            }
        }

        /// <summary>shrink_list (6.1) leaves an active list alone unless may_deactivate allows it and flags skipped_deactivate;
        /// do_try_to_free_pages that reclaimed nothing then retries with force_deactivate. 1000 active file pages beside
        /// 2000 pinned inactive ones (not low, no refaults: cache_trim_mode, file not deactivated): every pass frees nothing,
        /// the retry deactivates the active pages and reclaims them. 4.14 asks inactive_list_is_low per call (not low)
        /// and reclaims nothing, even after its may_thrash retry.</summary>
        [Fact]
        public void SkippedDeactivationRetriesWithForceDeactivateOn61()
        {
            foreach (var kernel in new[] { KernelProfile.Linux61, KernelProfile.Linux414 })
            {
                var node = new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB, Kernel = kernel });
                var active = ReclaimTestKit.Fill(node, PageOwner.FileCache, 1000);
                foreach (var h in active) { PageAccess.MarkAccessed(node, h); PageAccess.MarkAccessed(node, h); }
                for (int i = 0; i < 2000; i++)
                {
                    var a = PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_RECLAIM, 0, PageOwner.FileCache);
                    Assert.True(a.Success);
                    node.Pages.ExtraRefs[node.ToIndex(a.Pfn)] = 1;
                }
                LruCache.DrainAll(node);
                Assert.Equal(1000, Lru.Size(node, 0, LruList.ActiveFile));
                Assert.Equal(2000, Lru.Size(node, 0, LruList.InactiveFile));
                var r = Vmscan.ReclaimPages(node, 32);
                bool retried = System.Linq.Enumerable.Any(r.Steps, s => s.Contains("force_deactivate"));
                if (kernel == KernelProfile.Linux61)
                {
                    Assert.True(retried);
                    Assert.True(r.NrReclaimed >= 32, string.Join("\n", r.Steps));
                    Assert.True(r.Deactivated > 0);
                }
                else
                {
                    Assert.False(retried);
                    Assert.Equal(0, r.NrReclaimed);
                    Assert.Equal(0, r.Deactivated);
                }
            }
        }

        /// <summary>prepare_scan_count (6.1) file_is_tiny: no page cache and free pages at the min watermark (file + free ≤ Σ
        /// high), inactive anon not low (half the anon deactivated) → SCAN_ANON: nr = inactive anon &gt;&gt; 12, active anon
        /// &gt;&gt; 12, 0, 0.</summary>
        [Fact]
        public void TinyFileScansAnonOnly()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB, Kernel = KernelProfile.Linux61 });
            SwapDevice.Configure(node, 256 * NodeConfig.MiB);
            ReclaimTestKit.Fill(node, PageOwner.Anon, 70000);
            long anon = Lru.Size(node, 0, LruList.ActiveAnon);
            var sc = new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1 };
            Vmscan.ShrinkActiveList(node, (anon + 1) / 2, 0, sc, (int)LruList.ActiveAnon);
            long ia = Lru.Size(node, 0, LruList.InactiveAnon), aa = Lru.Size(node, 0, LruList.ActiveAnon);
            Assert.True(ia >= aa, $"{anon} {ia} {aa}");
            var c = Vmscan.GetScanCount(node, 0, 12);
            Assert.Equal(ScanBalance.Anon, c.Balance);
            Assert.Equal(new[] { ia >> 12, aa >> 12, 0L, 0L }, c.Nr);
        }

        /// <summary>shrink_lruvec's final anon aging (6.1) asks inactive_is_low of the lruvec's hierarchical counts: the root
        /// lruvec with 1000 active and 1000 inactive anon of its own and a group holding 3000 more active is low as a tree
        /// (1000 &lt; 4000), so 32 of the root's active anon are aged; 4.14 looks at the root's own lists (1000 = 1000, not
        /// low) and ages none. Lists below 4096 pages get no scan at priority 12, so only the aging scans.</summary>
        [Fact]
        public void FinalAnonAgingLooksAtTheWholeTreeOn61()
        {
            foreach (var kernel in new[] { KernelProfile.Linux61, KernelProfile.Linux414 })
            {
                var node = new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB, Kernel = kernel });
                SwapDevice.Configure(node, 256 * NodeConfig.MiB);
                Assert.Equal(2000, ReclaimTestKit.FillActive(node, PageOwner.Anon, 2000).Count);
                Vmscan.ShrinkActiveList(node, 1000, 0, new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1 }, (int)LruList.ActiveAnon);
                MemMgmt.Core.Memcg.MemCgroups.Create(node, "a");
                for (int i = 0; i < 3000; i++)
                {
                    var r = MemMgmt.Core.Memcg.MemCgroups.Allocate(node, "a", 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.Anon);
                    Assert.True(r.Success);
                    PageAccess.MarkAccessed(node, r.Handle); // 6.1 faults anon in inactive: two accesses activate it
                    PageAccess.MarkAccessed(node, r.Handle);
                }
                LruCache.DrainAll(node);
                Assert.Equal(1000, Lru.Size(node, 0, LruList.InactiveAnon));
                Assert.Equal(1000, Lru.Size(node, 0, LruList.ActiveAnon));
                var sc = new ScanControl { Priority = 12, NrToReclaim = 32, ReclaimIdx = node.ZoneArr.Length - 1, IsKswapd = true };
                Vmscan.PrepareScanCount(node, sc);
                Vmscan.ShrinkNodeMemcg(node, 0, sc, out _);
                Assert.Equal(kernel == KernelProfile.Linux61 ? 32 : 0, sc.ListScanned[(int)LruList.ActiveAnon]);
                Assert.Equal(0, sc.ListScanned[(int)LruList.InactiveAnon] + sc.ListScanned[(int)LruList.InactiveFile]);
                ReclaimTestKit.AssertClean(node);
            }
        }

        /// <summary>Limit reclaim of a parent whose pages sit in two children, 10000 and 3000 clean page-cache pages (SCAN_FILE
        /// on both kernels: nr = size &gt;&gt; priority), asking for 32. Priorities 12 to 10 take 2 + 4 + 9 from the first child
        /// and 0 + 1 + 2 from the second (18). At priority 9 the first child gives 19 (37 ≥ 32): 4.14 stops the walk there,
        /// 6.1's shrink_node_memcgs goes on to the second child (5 more): 34 and 3 against 34 and 8.</summary>
        [Fact]
        public void LimitReclaimWalksEveryChildOn61()
        {
            foreach (var kernel in new[] { KernelProfile.Linux61, KernelProfile.Linux414 })
            {
                var node = new MemNode(new NodeConfig { SizeBytes = 512 * NodeConfig.MiB, Kernel = kernel });
                var p = MemMgmt.Core.Memcg.MemCgroups.Create(node, "p");
                var c1 = MemMgmt.Core.Memcg.MemCgroups.Create(node, "p/c1");
                var c2 = MemMgmt.Core.Memcg.MemCgroups.Create(node, "p/c2");
                for (int i = 0; i < 10000; i++)
                    Assert.True(MemMgmt.Core.Memcg.MemCgroups.Allocate(node, "p/c1", 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.FileCache).Success);
                for (int i = 0; i < 3000; i++)
                    Assert.True(MemMgmt.Core.Memcg.MemCgroups.Allocate(node, "p/c2", 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.FileCache).Success);
                LruCache.DrainAll(node);
                var r = Vmscan.TryToFreeMemCgroupPages(node, p.Id, 32, GfpFlags.GFP_KERNEL, true);
                bool v61 = kernel == KernelProfile.Linux61;
                Assert.Equal(34, 10000 - c1.Usage);
                Assert.Equal(v61 ? 8 : 3, 3000 - c2.Usage);
                Assert.Equal(v61 ? 42 : 37, r.NrReclaimed);
                ReclaimTestKit.AssertClean(node);
            }
        }
    }
}
