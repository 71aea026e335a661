using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Compaction
{
    public class SlowPathOrderTests
    {
        /// <summary>
        /// 4.14 __alloc_pages_slowpath for GFP_KERNEL order 3 on a node whose free memory is all order-0 holes (every other
        /// page of Movable blocks): the min-watermark retry fails; async compaction only scans Unmovable blocks for an
        /// unmovable request (suitable_migration_source) and finds none; direct reclaim frees scattered page cache, which
        /// merges into order-1 holes only; sync-light compaction then migrates Movable blocks and the request succeeds.
        /// </summary>
        [Fact]
        public void GfpKernelOrder3GoesAsyncCompactionThenReclaimThenSyncLightCompaction()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB, CmaBytes = 0 });
            Pressure.Run(node, new PressureOptions
            {
                Percent = 100, Pattern = PressurePattern.EveryOther, FileFraction = 0.1, Seed = 11,
                // Without waking kswapd, which would otherwise reclaim page cache alongside the fill and leave larger holes.
                Gfp = (GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_KSWAPD_RECLAIM) | GfpFlags.__GFP_MEMALLOC,
            });
            for (int o = 3; o < node.Geometry.MaxOrder; o++) Assert.Equal(0, node.GetZone(ZoneType.DMA).GetNrFree(o));

            var r = PageAllocator.Allocate(node, 3, GfpFlags.GFP_KERNEL);
            Assert.True(r.Success, r.FailureReason);
            var names = new List<string>();
            foreach (var s in r.Steps) names.Add(s.Step + (s.Priority is CompactPriority p ? ":" + p : ""));
            int asyncAt = names.IndexOf("__alloc_pages_direct_compact:Async");
            int reclaimAt = names.IndexOf("__alloc_pages_direct_reclaim");
            int syncAt = names.IndexOf("__alloc_pages_direct_compact:SyncLight");
            Assert.True(asyncAt > 0 && reclaimAt > asyncAt && syncAt > reclaimAt, string.Join(" → ", names));
            Assert.Equal("wake_all_kswapds", names[0]);
            Assert.Equal("get_page_from_freelist", names[1]);
            Assert.Equal(syncAt, names.Count - 1);
            // do_try_to_free_pages counts ALLOCSTALL at sc->reclaim_idx, gfp_zone(GFP_KERNEL) = Normal, even though it is empty.
            Assert.Equal(1, node.Counters.Get(ZoneEvent.AllocStall, node.GetZone(ZoneType.Normal).ZoneIndex));
            Assert.Equal(1, node.Counters[VmEvent.CompactSuccess]);
            Assert.Empty(InvariantChecker.Check(node));
        }
    }
}
