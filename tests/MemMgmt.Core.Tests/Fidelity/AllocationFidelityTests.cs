using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Tests.Reclaim;
using Xunit;

namespace MemMgmt.Core.Tests.Fidelity
{
    /// <summary>The allocator's slow path against mm/page_alloc.c and mm/oom_kill.c of 4.14.177.</summary>
    public class AllocationFidelityTests
    {
        private static Zone MainZone(MemNode node) => node.PopulatedZones[node.PopulatedZones.Count - 1];

        /// <summary>A node without a CMA area, so that every free page can serve an unmovable request.</summary>
        private static MemNode NoCmaNode() => new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB, CmaBytes = 0 });

        /// <summary>Fills the node with unreclaimable kernel pages until free memory sits halfway down to the min
        /// watermark: nothing to reclaim, no process to kill.</summary>
        private static MemNode ExhaustedNode()
        {
            var node = NoCmaNode();
            foreach (var zone in node.PopulatedZones)
            {
                long target = zone.Watermark[0] / 2;
                while (zone.NrFreePages > target)
                    if (PageAllocator.AllocateNoWatermarks(node, 0, GfpFlags.GFP_KERNEL, PageOwner.SlabUnmovable) == 0) break;
            }
            PageAllocator.DrainAllPages(node);
            return node;
        }

        /// <summary>should_reclaim_retry (mm/page_alloc.c, 4.14): `available = reclaimable = zone_reclaimable_pages(zone);
        /// available += NR_FREE_PAGES;` then __zone_watermark_ok(min). The 4.11 back-off that subtracted
        /// no_progress_loops/MAX_RECLAIM_RETRIES of the reclaimable pages is gone, so 15 rounds without progress still
        /// retry when free + reclaimable meets min; the 17th round converges to OOM.</summary>
        [Fact]
        public void ShouldReclaimRetryCountsAllReclaimablePagesWithoutBackOff()
        {
            var node = NoCmaNode();
            var zone = MainZone(node);
            // 8000 pages of page cache and free memory at a quarter of min: free alone fails min, free + reclaimable
            // passes, free + reclaimable/16 fails.
            long target = zone.Watermark[0] / 4;
            while (zone.NrFreePages > target + 8000)
                if (PageAllocator.AllocateNoWatermarks(node, 0, GfpFlags.GFP_KERNEL, PageOwner.SlabUnmovable) == 0) break;
            while (zone.NrFreePages > target)
                if (PageAllocator.AllocateNoWatermarks(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.FileCache) == 0) break;
            LruCache.DrainAll(node);
            PageAllocator.DrainAllPages(node);
            long reclaimable = Vmscan.ZoneReclaimablePages(node, zone);
            Assert.True(zone.NrFreePages + reclaimable / 16 < zone.Watermark[0], $"free {zone.NrFreePages} reclaimable {reclaimable} min {zone.Watermark[0]} zones {node.PopulatedZones.Count}");
            int flags = Gfp.ToAllocFlags(GfpFlags.GFP_KERNEL);
            int loops = 14;
            long t0 = node.Clock.NowNs;
            Assert.True(PageAllocator.ShouldReclaimRetry(node, 0, GfpFlags.GFP_KERNEL, flags, false, ref loops));
            Assert.Equal(15, loops);
            Assert.Equal(t0, node.Clock.NowNs); // clean page cache: nothing write-pending, no congestion_wait
            loops = 16;
            Assert.False(PageAllocator.ShouldReclaimRetry(node, 0, GfpFlags.GFP_KERNEL, flags, false, ref loops));
        }

        /// <summary>should_reclaim_retry (4.14): a zone that would pass, after a round without progress, with
        /// `2 * write_pending > reclaimable` → congestion_wait(BLK_RW_ASYNC, HZ/10) and retry; with progress no sleep.</summary>
        [Fact]
        public void ShouldReclaimRetryWaitsHz10WhenMostReclaimablePagesAreWritePending()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            var zone = MainZone(node);
            long target = zone.Watermark[0] / 4;
            var handles = new System.Collections.Generic.List<long>();
            while (zone.NrFreePages > target)
            {
                long h = PageAllocator.AllocateNoWatermarks(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.FileCache);
                if (h == 0) break;
                handles.Add(h);
            }
            LruCache.DrainAll(node);
            foreach (var h in handles) PageAccess.SetDirty(node, h);
            Assert.True(2 * Writeback.WritebackIo.ZoneWritePending(zone) > Vmscan.ZoneReclaimablePages(node, zone));
            int flags = Gfp.ToAllocFlags(GfpFlags.GFP_KERNEL);
            int loops = 0;
            long t0 = node.Clock.NowNs;
            Assert.True(PageAllocator.ShouldReclaimRetry(node, 0, GfpFlags.GFP_KERNEL, flags, true, ref loops));
            Assert.Equal(t0, node.Clock.NowNs);
            Assert.True(PageAllocator.ShouldReclaimRetry(node, 0, GfpFlags.GFP_KERNEL, flags, false, ref loops));
            Assert.Equal(Writeback.WritebackIo.HzDiv10Ns, node.Clock.NowNs - t0);
        }

        /// <summary>__alloc_pages_may_oom (4.14): `if (out_of_memory(&amp;oc) || WARN_ON_ONCE(gfp_mask &amp; __GFP_NOFAIL))`
        /// counts progress and gives __GFP_NOFAIL __alloc_pages_cpuset_fallback(..., ALLOC_NO_WATERMARKS); with nothing to
        /// reclaim or kill a plain GFP_KERNEL request fails and a __GFP_NOFAIL one is served from the reserves.</summary>
        [Fact]
        public void NofailNeverFailsWhereAPlainRequestDoes()
        {
            var node = ExhaustedNode();
            var plain = PageAllocator.Allocate(node, 0, GfpFlags.GFP_KERNEL, 0, PageOwner.SlabUnmovable);
            Assert.False(plain.Success);
            Assert.Equal("nopage", plain.Steps.Last().Step);
            var nofail = PageAllocator.Allocate(node, 0, GfpFlags.GFP_KERNEL | GfpFlags.__GFP_NOFAIL, 0, PageOwner.SlabUnmovable);
            Assert.True(nofail.Success, string.Join("\n", nofail.Steps.Take(40)));
            Assert.Contains(nofail.Steps, s => s.Step == "__alloc_pages_cpuset_fallback");
            Assert.Equal(0, node.Counters[VmEvent.OomKill]);
        }

        /// <summary>The nopage label (4.14): a __GFP_NOFAIL request that reached it — here a costly order without
        /// __GFP_RETRY_MAYFAIL, which skips the OOM killer — tries __alloc_pages_cpuset_fallback(..., ALLOC_HARDER) and goes
        /// back to retry instead of failing; without __GFP_DIRECT_RECLAIM it fails (WARN_ON_ONCE(!can_direct_reclaim)).</summary>
        [Fact]
        public void NofailAtNopageRetriesWithAllocHarder()
        {
            var node = NoCmaNode();
            var zone = MainZone(node);
            // Leave free memory just under the min watermark, in large blocks: ALLOC_HARDER (min - min/4) lets an order-4
            // request through where the min watermark does not.
            long target = zone.Watermark[0] - 16;
            while (zone.NrFreePages > target)
                if (PageAllocator.AllocateNoWatermarks(node, 0, GfpFlags.GFP_KERNEL, PageOwner.SlabUnmovable) == 0) break;
            PageAllocator.DrainAllPages(node);
            var costly = PageAllocator.Allocate(node, 4, GfpFlags.GFP_KERNEL | GfpFlags.__GFP_NOFAIL, 0, PageOwner.SlabUnmovable);
            Assert.True(costly.Success, costly.FailureReason);
            Assert.Contains(costly.Steps, s => s.Step == "nopage" && s.Detail.Contains("ALLOC_HARDER fallback succeeded"));
            var atomic = PageAllocator.Allocate(node, 4, (GfpFlags.GFP_KERNEL & ~GfpFlags.__GFP_DIRECT_RECLAIM) | GfpFlags.__GFP_NOFAIL, 0, PageOwner.SlabUnmovable);
            Assert.False(atomic.Success);
        }

        /// <summary>out_of_memory (mm/oom_kill.c, 4.14): `if (oc->gfp_mask &amp;&amp; !(oc->gfp_mask &amp; __GFP_FS)) return true;` —
        /// __GFP_NOFAIL no longer forces a kill for IO-less contexts (4.10 dropped it from that test).</summary>
        [Fact]
        public void OutOfMemoryWithoutGfpFsKillsNobodyEvenForNofail()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            var p = Processes.Spawn(node, "hog");
            for (int i = 0; i < 64; i++) Assert.True(Processes.Allocate(node, p).Success);
            Assert.Null(OomKiller.OutOfMemory(node, GfpFlags.GFP_NOFS | GfpFlags.__GFP_NOFAIL, 0).Victim);
            Assert.Null(OomKiller.OutOfMemory(node, GfpFlags.GFP_NOFS, 0).Victim);
            Assert.Equal(0, node.Counters[VmEvent.OomKill]);
            Assert.Same(p, OomKiller.OutOfMemory(node, GfpFlags.GFP_KERNEL, 0).Victim);
        }
    }
}
