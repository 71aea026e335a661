using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Swap;
using MemMgmt.Core.Tests.Reclaim;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>The 6.1 anon workingset protection (do_anonymous_page, folio_check_references) and refault detection with
    /// PG_workingset and nonresident_age (mm/workingset.c, 6.1), each against what 4.14 does.</summary>
    public class Kernel61WorkingsetTests
    {
        private static MemNode NewNode(KernelProfile kernel, bool swap = true)
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB, Kernel = kernel });
            if (swap) SwapDevice.Configure(node, 256 * NodeConfig.MiB);
            return node;
        }

        private static ScanControl Sc(MemNode node) => new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1 };

        /// <summary>do_anonymous_page: 4.14 lru_cache_add_active_or_unevictable, 6.1 lru_cache_add_inactive_or_unevictable.</summary>
        [Fact]
        public void NewAnonPagesStartInactiveOn61AndActiveOn414()
        {
            var n61 = NewNode(KernelProfile.Linux61);
            var n414 = NewNode(KernelProfile.Linux414);
            Assert.Equal(500, ReclaimTestKit.Fill(n61, PageOwner.Anon, 500).Count);
            Assert.Equal(500, ReclaimTestKit.Fill(n414, PageOwner.Anon, 500).Count);
            Assert.Equal(500, Lru.Size(n61, 0, LruList.InactiveAnon));
            Assert.Equal(0, Lru.Size(n61, 0, LruList.ActiveAnon));
            Assert.Equal(0, Lru.Size(n414, 0, LruList.InactiveAnon));
            Assert.Equal(500, Lru.Size(n414, 0, LruList.ActiveAnon));
            ReclaimTestKit.AssertClean(n61);
        }

        /// <summary>An inactive anon page whose PTE is young: 4.14's page_check_references activates a swap-backed page at
        /// once; 6.1's folio_check_references marks it referenced and keeps it, and only a second look (PG_referenced
        /// without a young PTE) lets it go to swap.</summary>
        [Fact]
        public void AReferencedAnonPageIsKeptOnceOn61ButActivatedAtOnceOn414()
        {
            var n414 = NewNode(KernelProfile.Linux414);
            var h414 = ReclaimTestKit.Fill(n414, PageOwner.Anon, 64);
            Vmscan.ShrinkActiveList(n414, 64, 0, Sc(n414), (int)LruList.ActiveAnon);
            Assert.Equal(64, Lru.Size(n414, 0, LruList.InactiveAnon));
            foreach (long h in h414) PageAccess.TouchMapped(n414, h);
            Assert.Equal(0, Vmscan.ShrinkInactiveList(n414, 64, 0, Sc(n414), (int)LruList.InactiveAnon));
            Assert.Equal(64, Lru.Size(n414, 0, LruList.ActiveAnon));
            Assert.Equal(0, n414.Swap.SwapOuts);

            var n61 = NewNode(KernelProfile.Linux61);
            var h61 = ReclaimTestKit.Fill(n61, PageOwner.Anon, 64);
            Assert.Equal(0, Vmscan.ShrinkInactiveList(n61, 64, 0, Sc(n61), (int)LruList.InactiveAnon));
            Assert.Equal(0, Lru.Size(n61, 0, LruList.ActiveAnon));
            Assert.Equal(64, Lru.Size(n61, 0, LruList.InactiveAnon));
            Assert.All(h61, h => Assert.True(n61.Pages.Has(PageAccess.Resolve(n61, h), PageFlags.Referenced)));
            Assert.Equal(0, n61.Swap.SwapOuts);
            Vmscan.ShrinkInactiveList(n61, 64, 0, Sc(n61), (int)LruList.InactiveAnon);
            Assert.Equal(64, n61.Swap.SwapOuts);
            ReclaimTestKit.AssertClean(n61);
            ReclaimTestKit.AssertClean(n414);
        }

        /// <summary>pack_shadow (6.1, 64-bit): ((((eviction &lt;&lt; 16 | memcg) &lt;&lt; 2 | nid) &lt;&lt; 1 | workingset) &lt;&lt; 1) | 1,
        /// the eviction counter masked to 64 − 20 bits.</summary>
        [Theory]
        [InlineData(3, 0, 5L, true, 5242931L)]
        [InlineData(3, 0, 5L, false, 5242929L)]
        [InlineData(0, 1, 0L, false, 5L)]
        [InlineData(1, 0, (1L << 44) + 2, true, (2L << 20) | (1L << 4) | 3)]
        public void PackShadow61MatchesTheKernelLayout(int memcg, int nid, long eviction, bool workingset, long expected)
        {
            long shadow = ShadowRefault.PackShadow61(memcg, nid, eviction, workingset);
            Assert.Equal(expected, shadow);
            Assert.True(ShadowRefault.IsShadow(shadow));
            ShadowRefault.UnpackShadow61(shadow, out int m, out int n, out long e, out bool w);
            Assert.Equal((memcg, nid, eviction & (long)ShadowRefault.EvictionMask61, workingset), (m, n, e, w));
        }

        /// <summary>workingset_eviction: 4.14 increments the page's own lruvec's inactive_age and stores the new value; 6.1
        /// records the reclaim target's lruvec (the root for global reclaim), stores the age before aging it, and ages the
        /// target and its ancestors.</summary>
        [Fact]
        public void EvictionRecordsTheReclaimTargetAndAgesItsAncestorsOn61()
        {
            foreach (var kernel in new[] { KernelProfile.Linux61, KernelProfile.Linux414 })
            {
                var node = NewNode(kernel);
                MemCgroups.Create(node, "a");
                MemCgroups.Create(node, "b", parent: "a");
                int a = MemCgroups.Get(node, "a").Id, b = MemCgroups.Get(node, "a/b").Id;
                var r = MemCgroups.Allocate(node, "a/b", 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.FileCache);
                Assert.True(r.Success);
                int page = PageAccess.Resolve(node, r.Handle);
                node.ShadowRefaultSt.InactiveAge[0] = 100;
                node.ShadowRefaultSt.InactiveAge[a] = 10;
                node.ShadowRefaultSt.InactiveAge[b] = 1;

                long global = ShadowRefault.Eviction(node, page, -1);
                long limit = ShadowRefault.Eviction(node, page, a);
                long[] age = node.ShadowRefaultSt.InactiveAge;
                if (kernel == KernelProfile.Linux61)
                {
                    ShadowRefault.UnpackShadow61(global, out int m1, out _, out long e1, out _);
                    ShadowRefault.UnpackShadow61(limit, out int m2, out _, out long e2, out _);
                    Assert.Equal((0, 100L), (m1, e1));
                    Assert.Equal((a, 10L), (m2, e2));
                    Assert.Equal((102L, 11L, 1L), (age[0], age[a], age[b]));
                }
                else
                {
                    ShadowRefault.UnpackShadow(global, out int m1, out _, out long e1);
                    ShadowRefault.UnpackShadow(limit, out int m2, out _, out long e2);
                    Assert.Equal((b, 2L), (m1, e1));
                    Assert.Equal((b, 3L), (m2, e2));
                    Assert.Equal((100L, 10L, 3L), (age[0], age[a], age[b]));
                }
            }
        }

        /// <summary>workingset_refault's workingset size: 4.14 compares the refault distance with active file pages; 6.1
        /// adds active and inactive anon while swap has free slots. A distance of 2000 with 1000 active file and 3000
        /// active anon pages activates on 6.1 with swap only.</summary>
        [Fact]
        public void ARefaultDistanceBeyondActiveFileActivatesOn61WhileSwapHasRoom()
        {
            foreach (var (kernel, swap, expected) in new[]
            {
                (KernelProfile.Linux61, true, true), (KernelProfile.Linux61, false, false), (KernelProfile.Linux414, true, false),
            })
            {
                var node = NewNode(kernel, swap);
                Assert.Equal(3000, ReclaimTestKit.FillActive(node, PageOwner.Anon, 3000).Count);
                Assert.Equal(1000, ReclaimTestKit.FillActive(node, PageOwner.FileCache, 1000).Count);
                Assert.Equal(1000, Lru.Size(node, 0, LruList.ActiveFile));
                node.ShadowRefaultSt.InactiveAge[0] += 5000;
                long age = ShadowRefault.InactiveAge(node);
                long shadow = kernel == KernelProfile.Linux61
                    ? ShadowRefault.PackShadow61(0, node.NodeId, age - 2000, false)
                    : ShadowRefault.PackShadow(0, node.NodeId, age - 2000);
                int page = PageAccess.Resolve(node, ReclaimTestKit.Fill(node, PageOwner.FileCache, 1)[0]);
                var r = ShadowRefault.AddToPageCache(node, page, shadow);
                Assert.True(r.Counted);
                Assert.Equal(2000, r.Distance);
                Assert.Equal(expected, r.Activate);
                Assert.Equal(expected, node.Pages.Has(page, PageFlags.Active));
                Assert.Equal(kernel == KernelProfile.Linux61 && swap ? 4000 : 1000, r.ActiveFile);
                ReclaimTestKit.AssertClean(node);
            }
        }

        /// <summary>PG_workingset (6.1): shrink_active_list marks the pages it deactivates; the shadow of such a page carries
        /// the bit, and its activated refault sets PG_workingset on the new page, counts workingset_restore_file and notes
        /// one page of file refault cost. 4.14 has no such flag.</summary>
        [Fact]
        public void ADeactivatedPageRefaultsAsAWorkingsetRestoreOn61()
        {
            foreach (var kernel in new[] { KernelProfile.Linux61, KernelProfile.Linux414 })
            {
                var node = NewNode(kernel);
                var files = ReclaimTestKit.FillActive(node, PageOwner.FileCache, 1000);
                Vmscan.ShrinkActiveList(node, 10, 0, Sc(node), (int)LruList.ActiveFile);
                int deactivated = files.Select(h => PageAccess.Resolve(node, h))
                    .Count(i => !node.Pages.Has(i, PageFlags.Active) && node.Pages.Has(i, PageFlags.Workingset));
                bool v61 = kernel == KernelProfile.Linux61;
                Assert.Equal(v61 ? 10 : 0, deactivated);

                int old = PageAccess.Resolve(node, files[0]);
                node.Pages.Set(old, PageFlags.Workingset); // as if deactivated (4.14 never sets it)
                long shadow = ShadowRefault.Eviction(node, old, -1);
                long fileCostBefore = node.LruvecSt.FileCost[0];
                int page = PageAccess.Resolve(node, ReclaimTestKit.Fill(node, PageOwner.FileCache, 1)[0]);
                var r = ShadowRefault.AddToPageCache(node, page, shadow);
                Assert.True(r.Activate);
                Assert.Equal(v61, r.Restore);
                Assert.Equal(v61, node.Pages.Has(page, PageFlags.Workingset));
                Assert.Equal(v61 ? 1 : 0, node.ShadowRefaultSt.RestoreFile);
                Assert.Equal(fileCostBefore + (v61 ? 1 : 0), node.LruvecSt.FileCost[0]);
                if (v61) Assert.Equal(1, NodeViews.VmStat(node)["workingset_restore_file"]);
                ReclaimTestKit.AssertClean(node);
            }
        }
    }
}
