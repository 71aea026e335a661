using System;
using System.Collections.Generic;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Time;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Reclaim
{
    /// <summary>Refault detection (mm/workingset.c, 4.14): shadow entries, refault distance, activation,
    /// the inactive_list_is_low refault rule and the workingset_* counters.</summary>
    public class RefaultTests
    {
        private const long Ms10 = 10_000_000;

        // ----------------------------------------------------------------- vectors

        /// <summary>pack_shadow with the arm64 4.14 shifts: ((((eviction &lt;&lt; 16) | memcg) &lt;&lt; 2 | nid) &lt;&lt; 2) | 2.</summary>
        [Theory]
        [InlineData(5, 1, 1000L, 1048576086L)]
        [InlineData(0, 0, 1L, 1L << 20 | 2)]
        [InlineData(63, 3, 0L, (63L << 4) | (3L << 2) | 2)]
        public void PackShadowMatchesTheKernelLayout(int memcg, int nid, long eviction, long expected)
        {
            long shadow = ShadowRefault.PackShadow(memcg, nid, eviction);
            Assert.Equal(expected, shadow);
            Assert.True(ShadowRefault.IsShadow(shadow));
            ShadowRefault.UnpackShadow(shadow, out int m, out int n, out long e);
            Assert.Equal((memcg, nid, eviction), (m, n, e));
        }

        /// <summary>refault_distance = (inactive_age − eviction) &amp; EVICTION_MASK (44 bits on arm64): exact while the counter
        /// is below 2^44, and still right across the wrap because the shadow keeps only the low 44 bits.</summary>
        [Theory]
        [InlineData(1000L, 990L, 10L)]
        [InlineData(990L, 990L, 0L)]
        [InlineData(0L, 5L, (1L << 44) - 5)]                    // an eviction "in the future" is a huge distance
        [InlineData((1L << 44) + 3, (1L << 44) - 5, 8L)]          // inactive_age went past 2^44 since the eviction
        public void RefaultDistanceVectors(long inactiveAge, long eviction, long expected)
        {
            Assert.Equal(44, 64 - ShadowRefault.EvictionShift);
            Assert.Equal(expected, ShadowRefault.RefaultDistance(inactiveAge, eviction));
        }

        [Fact]
        public void ShadowTruncatesTheEvictionCounterToTheTimestampBits()
        {
            long shadow = ShadowRefault.PackShadow(2, 0, (1L << 44) + 7);
            ShadowRefault.UnpackShadow(shadow, out int memcg, out _, out long eviction);
            Assert.Equal(2, memcg);
            Assert.Equal(7, eviction);
            Assert.Equal(3, ShadowRefault.RefaultDistance((1L << 44) + 10, eviction));
        }

        /// <summary>workingset_init: bucket_order = fls_long(totalram − 1) − 44 only when memory exceeds 2^44 pages, so every
        /// node the simulator builds keeps exact eviction timestamps.</summary>
        [Theory]
        [InlineData(16L << 20, 0)]                // 64 GiB of 4 KiB pages
        [InlineData(1L << 44, 0)]                 // fls(2^44 − 1) = 44
        [InlineData((1L << 44) + 1, 1)]           // fls(2^44) = 45
        [InlineData(1L << 46, 2)]
        public void BucketOrderVectors(long totalram, int expected) => Assert.Equal(expected, ShadowRefault.BucketOrderFor(totalram));

        /// <summary>The bucket order of the eviction counter a dead allocation slot keeps: its 23 bits cover twice the node's
        /// pages, so nodes up to 2^22 pages (16 GiB of 4 KiB pages) keep exact timestamps.</summary>
        [Theory]
        [InlineData(65536L, 0)]               // 256 MiB
        [InlineData(1L << 22, 0)]             // 16 GiB: fls(2^22 − 1) = 22
        [InlineData((1L << 22) + 1, 1)]
        [InlineData(16L << 20, 2)]            // 64 GiB
        [InlineData(1L << 28, 6)]             // 1 TiB
        public void SlotBucketOrderVectors(long totalram, int expected) => Assert.Equal(expected, ShadowRefault.SlotBucketOrderFor(totalram));

        /// <summary>A shadow kept in a dead slot reads back as the shadow workingset_eviction packed, for both layouts, while
        /// fewer than 2^23 evictions and activations passed since; an older one reads back with its distance wrapped at
        /// 2^23, as a kernel shadow wraps at EVICTION_MASK.</summary>
        [Theory]
        [InlineData(false, 0, 0L)]
        [InlineData(false, 5, 1L)]
        [InlineData(false, 63, 12345L)]
        [InlineData(false, 1, (1L << 23) - 1)]
        [InlineData(true, 0, 0L)]
        [InlineData(true, 7, 777L)]
        [InlineData(true, 63, (1L << 23) - 1)]
        public void A_slot_shadow_restores_the_packed_shadow_within_its_window(bool v61, int memcg, long distance)
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB, Kernel = v61 ? KernelProfile.Linux61 : KernelProfile.Linux414 });
            var st = node.ShadowRefaultSt;
            Assert.Equal(0, st.SlotBucketOrder);
            foreach (long age in new[] { distance + 3, (1L << 23) + distance, 5L << 40 })
                foreach (bool workingset in new[] { false, true })
                {
                    if (!v61 && workingset) continue;
                    long eviction = age - distance;
                    long shadow = v61 ? ShadowRefault.PackShadow61(memcg, node.NodeId, eviction, workingset)
                                      : ShadowRefault.PackShadow(memcg, node.NodeId, eviction);
                    int note = ShadowRefault.ToSlotShadow(node, shadow);
                    Assert.True(note > 0);
                    st.InactiveAge[memcg] = age;
                    Assert.Equal(shadow, ShadowRefault.FromSlotShadow(node, note));
                    // Read 2^23 + 4 later than the window allows: the distance wraps to 4 more than it was.
                    st.InactiveAge[memcg] = age + (1L << 23) + 4;
                    long late = ShadowRefault.FromSlotShadow(node, note);
                    long e2;
                    if (v61) ShadowRefault.UnpackShadow61(late, out _, out _, out e2, out _);
                    else ShadowRefault.UnpackShadow(late, out _, out _, out e2);
                    Assert.Equal((distance + 4) & ((1L << 23) - 1), st.InactiveAge[memcg] - e2);
                }
        }

        // ----------------------------------------------------------------- inactive_age

        /// <summary>inactive_age advances once per evicted page-cache page (workingset_eviction) and once per page
        /// mark_page_accessed activates (workingset_activation); anon activations do not move it.</summary>
        [Fact]
        public void InactiveAgeCountsEvictionsAndFileActivations()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            var file = ReclaimTestKit.Fill(node, PageOwner.FileCache, 2000);
            Assert.Equal(0, ShadowRefault.InactiveAge(node));
            for (int i = 0; i < 10; i++) { PageAccess.MarkAccessed(node, file[i]); PageAccess.MarkAccessed(node, file[i]); }
            PageAccess.MarkAccessed(node, file[10]); // only PG_referenced
            Assert.Equal(10, ShadowRefault.InactiveAge(node));

            long steal0 = node.Counters[VmEvent.PgStealDirect];
            var report = Vmscan.ReclaimPages(node, 300);
            long stolen = node.Counters[VmEvent.PgStealDirect] - steal0;
            Assert.True(stolen >= 300, $"reclaimed {stolen}");
            Assert.Equal(10 + stolen, ShadowRefault.InactiveAge(node));
            Assert.Equal(0, node.Counters[NodeStatItem.WorkingsetRefault]);
            Assert.Equal(0, node.Counters[NodeStatItem.WorkingsetNodereclaim]);
            ReclaimTestKit.AssertClean(node);
        }

        // ----------------------------------------------------------------- workingset_refault

        /// <summary>A shadow of a memcg that no longer exists is neither counted nor activated (4.14 returns before
        /// counting); one of a live group counts workingset_refault on the node and the group, and activates when the
        /// distance fits in that group's active file list (0 &lt;= 0 does).</summary>
        [Fact]
        public void RefaultOfAVanishedMemcgIsIgnoredAndALiveOneCounts()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            var r = ShadowRefault.Refault(node, ShadowRefault.PackShadow(9, node.NodeId, 0), 0);
            Assert.False(r.Counted);
            Assert.False(r.Activate);
            Assert.Equal(0, node.Counters[NodeStatItem.WorkingsetRefault]);

            var g = MemCgroups.Create(node, "grp");
            r = ShadowRefault.Refault(node, ShadowRefault.PackShadow(g.Id, node.NodeId, ShadowRefault.InactiveAge(node, g.Id)), 0);
            Assert.True(r.Counted);
            Assert.True(r.Activate);
            Assert.Equal(0, r.Distance);
            Assert.Equal(1, node.Counters[NodeStatItem.WorkingsetRefault]);
            Assert.Equal(1, node.Counters[NodeStatItem.WorkingsetActivate]);
            Assert.Equal(1, ShadowRefault.MemcgRefaults(node, g.Id));
            Assert.Equal(1, ShadowRefault.MemcgActivations(node, g.Id));
            Assert.Equal(0, ShadowRefault.MemcgActivations(node, 0));

            // An eviction stamp ahead of inactive_age wraps to a distance of 2^44 − 5: counted, not activated.
            r = ShadowRefault.Refault(node, ShadowRefault.PackShadow(g.Id, node.NodeId, 5), 0);
            Assert.True(r.Counted);
            Assert.False(r.Activate);
            Assert.Equal((1L << 44) - 5, r.Distance);
            Assert.Equal(2, node.Counters[NodeStatItem.WorkingsetRefault]);
            Assert.Equal(1, node.Counters[NodeStatItem.WorkingsetActivate]);
        }

        /// <summary>inactive_list_is_low (4.14): while WORKINGSET_ACTIVATE differs from the lruvec's refaults snapshot, actual
        /// reclaim sees inactive_ratio 0 for the file lists (the active list is deactivated); get_scan_count's look
        /// (actual_reclaim false) keeps the normal ratio; snapshot_refaults at the end of reclaim clears it.</summary>
        [Fact]
        public void RefaultActivationsDropActiveFileProtectionUntilTheNextSnapshot()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            var file = ReclaimTestKit.Fill(node, PageOwner.FileCache, 3000);
            for (int i = 0; i < 1000; i++) { PageAccess.MarkAccessed(node, file[i]); PageAccess.MarkAccessed(node, file[i]); }
            LruCache.DrainAll(node);
            Assert.Equal(1000, Lru.Size(node, 0, LruList.ActiveFile));
            var sc = new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1 };
            Assert.False(Vmscan.InactiveListIsLow(node, 0, true, sc, true));

            var r = ShadowRefault.Refault(node, ShadowRefault.PackShadow(0, node.NodeId, ShadowRefault.InactiveAge(node) - 999), 0);
            Assert.True(r.Activate);
            Assert.Equal(999, r.Distance);
            Assert.Equal(1000, r.ActiveFile);
            Assert.True(Vmscan.InactiveListIsLow(node, 0, true, sc, true));
            Assert.False(Vmscan.InactiveListIsLow(node, 0, true, sc, false));
            Assert.False(Vmscan.IsInactiveListLow(node, 0, true));

            Vmscan.ReclaimPages(node, 32); // do_try_to_free_pages ends with snapshot_refaults
            Assert.Equal(1, ShadowRefault.RefaultsSnapshot(node));
            Assert.Equal(1, LruVecStat.GetAll(node)[0].Refaults);
            Assert.False(Vmscan.InactiveListIsLow(node, 0, true, sc, true));
        }

        // ----------------------------------------------------------------- the motivating case

        /// <summary>A 40% file set used twice (so it is active) and then abandoned, and a 65% file set read in a loop: the
        /// new set is larger than the inactive list the stale active pages leave it, yet smaller than memory.</summary>
        private static (MemNode Node, WorkingSet Stale, WorkingSet Set) TransitionScenario(bool detection)
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 128 * NodeConfig.MiB, CmaBytes = 0, Seed = 3 });
            ShadowRefault.SetEnabled(node, detection);
            var stale = WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.FileCache, Percent = 40 });
            while (stale.Rounds < 2) Daemons.Step(node, Ms10);
            Assert.True(WorkingSets.Remove(node, stale));
            LruCache.DrainAll(node);
            Assert.Equal(stale.TargetPages, Lru.Size(node, 0, LruList.ActiveFile));
            var set = WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.FileCache, Percent = 65 });
            long high = node.ZoneArr[0].WatermarkHigh;
            Assert.True(set.TargetPages > node.ManagedPages - high - stale.TargetPages, "the set must not fit beside the stale active pages");
            Assert.True(set.TargetPages < node.ManagedPages - 2 * high, "the set must fit in memory");
            return (node, stale, set);
        }

        /// <summary>Steps the node until the set has run at least one more round, <paramref name="windows"/> times; returns
        /// each window's refaults and accesses (a round that outlasts its interval is followed at once by the next).</summary>
        private static (long Refaults, long Accesses)[] RefaultsPerRound(MemNode node, WorkingSet set, int windows)
        {
            var perWindow = new (long, long)[windows];
            for (int k = 0; k < windows; k++)
            {
                long before = set.Refaults, accesses = set.Accesses, round = set.Rounds;
                while (set.Rounds == round) Daemons.Step(node, Ms10 / 10);
                Assert.Equal((set.Rounds - round) * set.TargetPages, set.Accesses - accesses);
                perWindow[k] = (set.Refaults - before, set.Accesses - accesses);
            }
            return perWindow;
        }

        /// <summary>Without refault detection the cycle thrashes: every access of every round misses, and the stale active
        /// list is never touched because the inactive list is not low.</summary>
        [Fact]
        public void WithoutRefaultDetectionTheLargerSetThrashesForever()
        {
            var (node, stale, set) = TransitionScenario(false);
            var perRound = RefaultsPerRound(node, set, 5);
            for (int k = 1; k < perRound.Length; k++) Assert.Equal(perRound[k].Accesses, perRound[k].Refaults);
            Assert.Equal(stale.TargetPages, stale.ResidentPages);
            Assert.True(set.ResidentPages < set.TargetPages * 9 / 10, $"resident {set.ResidentPages}");
            Assert.Equal(0, set.RefaultsActivated);
            Assert.Equal(0, node.Counters[NodeStatItem.WorkingsetRefault]);
            Assert.Equal(0, node.Counters[NodeStatItem.WorkingsetActivate]);
            Assert.Equal(0, ShadowRefault.InactiveAge(node));
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>With it, refault distances (about set − inactive list) fit in the active list, so refaulting pages come
        /// back active, the inactive list runs low, the stale pages are deactivated and evicted, and within a few rounds
        /// the whole set is resident: refaults fall to zero and every access hits.</summary>
        [Fact]
        public void WithRefaultDetectionTheSetDisplacesTheStaleActivePagesAndStaysResident()
        {
            var (node, stale, set) = TransitionScenario(true);
            var perRound = RefaultsPerRound(node, set, 6);
            var missRatio = Array.ConvertAll(perRound, w => (double)w.Refaults / w.Accesses);
            Assert.True(missRatio[0] > 0.5, string.Join(",", missRatio));
            for (int k = 1; k < missRatio.Length; k++) Assert.True(missRatio[k] <= missRatio[k - 1], string.Join(",", missRatio));
            Assert.Equal(0, perRound[perRound.Length - 1].Refaults);
            Assert.Equal(0, perRound[perRound.Length - 2].Refaults);
            Assert.Equal(set.TargetPages, set.ResidentPages);
            Assert.True(stale.ResidentPages < stale.TargetPages, $"stale resident {stale.ResidentPages}");

            // Every re-read found a shadow left by reclaim: each was a counted refault, and the activated ones match.
            Assert.Equal(set.Refaults, node.Counters[NodeStatItem.WorkingsetRefault]);
            Assert.Equal(set.RefaultsActivated, node.Counters[NodeStatItem.WorkingsetActivate]);
            Assert.True(set.RefaultsActivated > set.TargetPages / 2, $"activated {set.RefaultsActivated}");
            Assert.Equal(set.Refaults, ShadowRefault.MemcgRefaults(node));
            Assert.Equal(0, node.Counters[NodeStatItem.WorkingsetNodereclaim]);
            // kswapd and direct reclaim both end with snapshot_refaults.
            Assert.Equal(ShadowRefault.MemcgActivations(node), ShadowRefault.RefaultsSnapshot(node));
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>A reclaimed page of the set leaves its shadow in its own slot: memcg 0, this node, and the eviction
        /// counter inactive_age reached at that eviction; the copy of a node carries the shadows.</summary>
        [Fact]
        public void EvictionPlantsTheShadowInThePagesSlot()
        {
            var (node, _, set) = TransitionScenario(true);
            int evicted = -1;
            for (int i = 0; i < set.Handles.Count && evicted < 0; i++)
                if (!Allocation.PageAllocator.TryGetAllocation(node, set.Handles[i], out _, out _)) evicted = i;
            Assert.True(evicted >= 0);
            long shadow = set.ShadowOf(evicted);
            Assert.True(ShadowRefault.IsShadow(shadow));
            ShadowRefault.UnpackShadow(shadow, out int memcg, out int nid, out long eviction);
            Assert.Equal(0, memcg);
            Assert.Equal(node.NodeId & 3, nid);
            Assert.InRange(eviction, 1, ShadowRefault.InactiveAge(node));
            var copy = node.Clone();
            Assert.Equal(shadow, WorkingSets.Get(copy)[0].ShadowOf(evicted));
            Assert.Equal(ShadowRefault.InactiveAge(node), ShadowRefault.InactiveAge(copy));
        }

        // ----------------------------------------------------------------- /proc/vmstat

        /// <summary>The three 4.14 counters sit between nr_isolated_file and nr_anon_pages in /proc/vmstat and carry the
        /// node's values.</summary>
        [Fact]
        public void VmStatPrintsTheWorkingsetCountersIn414Order()
        {
            var (node, _, set) = TransitionScenario(true);
            RefaultsPerRound(node, set, 2);
            string text = NodeViews.VmStat(node).ToKernelText();
            string expected = "nr_isolated_file 0\n" +
                $"workingset_refault {node.Counters[NodeStatItem.WorkingsetRefault]}\n" +
                $"workingset_activate {node.Counters[NodeStatItem.WorkingsetActivate]}\n" +
                "workingset_nodereclaim 0\nnr_anon_pages ";
            Assert.Contains(expected, text, StringComparison.Ordinal);
            Assert.True(node.Counters[NodeStatItem.WorkingsetRefault] > 0);
        }
    }
}
