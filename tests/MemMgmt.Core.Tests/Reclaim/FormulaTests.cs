using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using Xunit;
using MemMgmt.Core.Swap;

namespace MemMgmt.Core.Tests.Reclaim
{
    public class InactiveRatioTests
    {
        /// <summary>inactive_ratio = int_sqrt(10·gb), 1 below 1 GiB: the table in the comment above inactive_list_is_low.</summary>
        [Theory]
        [InlineData(131072, 1)]          // 512 MiB: gb 0
        [InlineData(262143, 1)]          // just under 1 GiB
        [InlineData(262144, 3)]          // 1 GiB: int_sqrt(10) = 3
        [InlineData(3 * 262144, 5)]      // 3 GiB: int_sqrt(30) = 5
        [InlineData(10 * 262144, 10)]    // 10 GiB: int_sqrt(100) = 10
        [InlineData(100L * 262144, 31)]  // 100 GiB: int_sqrt(1000) = 31
        [InlineData(1024L * 262144, 101)] // 1 TiB: int_sqrt(10240) = 101
        public void RatioFollowsIntSqrt(long pages, long expected)
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            Assert.Equal(expected, Vmscan.InactiveRatio(node, pages));
        }

        [Theory]
        [InlineData(0, 0)]
        [InlineData(1, 1)]
        [InlineData(15, 3)]
        [InlineData(16, 4)]
        [InlineData(99, 9)]
        [InlineData(10240, 101)]
        public void IntSqrtIsTheFloor(long x, long r) => Assert.Equal(r, MmConstants.IntSqrt(x));

        [Fact]
        public void AnonIsNeverLowWithoutSwapButIsWithIt()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            ReclaimTestKit.Fill(node, PageOwner.Anon, 2000); // anon faults in active: inactive 0 < active 2000
            Assert.False(Vmscan.IsInactiveListLow(node, 0, false));
            SwapDevice.Configure(node, 64 * NodeConfig.MiB);
            Assert.True(Vmscan.IsInactiveListLow(node, 0, false));
        }

        [Fact]
        public void FileListIsLowWhenActiveOutweighsInactiveTimesRatio()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var files = ReclaimTestKit.Fill(node, PageOwner.FileCache, 3000);
            Assert.False(Vmscan.IsInactiveListLow(node, 0, true)); // 3000 inactive, 0 active
            // Two accesses activate a page (mark_page_accessed); activate 1501 of them: 1499·1 < 1501.
            for (int i = 0; i < 1501; i++) { PageAccess.MarkAccessed(node, files[i]); PageAccess.MarkAccessed(node, files[i]); }
            LruCache.DrainAll(node);
            Assert.Equal(1501, Lru.Size(node, 0, LruList.ActiveFile));
            Assert.True(Vmscan.IsInactiveListLow(node, 0, true));
            ReclaimTestKit.AssertClean(node);
        }
    }

    public class VmPressureTests
    {
        /// <summary>vmpressure_calc_level: scale = scanned + reclaimed; pressure = (scale − reclaimed·scale/scanned)·100/scale.</summary>
        [Theory]
        [InlineData(512, 0, 100, VmPressureLevel.Critical)]
        [InlineData(512, 256, 50, VmPressureLevel.Low)]      // scale 768: 768 − 384 = 384 → 50
        [InlineData(512, 200, 60, VmPressureLevel.Medium)]   // scale 712: 200·712/512 = 278; 434·100/712 = 60
        [InlineData(512, 25, 95, VmPressureLevel.Critical)]  // scale 537: 26; 511·100/537 = 95
        [InlineData(512, 26, 94, VmPressureLevel.Medium)]    // scale 538: 27; 511·100/538 = 94
        [InlineData(100, 100, 0, VmPressureLevel.Low)]
        [InlineData(100, 150, 0, VmPressureLevel.Low)]
        public void LevelsFollowTheKernelArithmetic(long scanned, long reclaimed, int pressure, VmPressureLevel level)
        {
            Assert.Equal(pressure, VmPressure.CalcPressure(scanned, reclaimed));
            Assert.Equal(level, VmPressure.CalcLevel(scanned, reclaimed));
        }

        [Fact]
        public void WindowAccumulatesAndPriorityThreeForcesCritical()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            VmPressure.Record(node, GfpFlags.GFP_KERNEL, -1, true, 300, 300, null);
            Assert.Null(VmPressure.Last(node)); // 300 < 512: no event yet
            VmPressure.Record(node, GfpFlags.GFP_KERNEL, -1, true, 300, 0, null);
            var e = VmPressure.Last(node)!;
            Assert.Equal(600, e.Scanned);
            Assert.Equal(300, e.Reclaimed);
            Assert.Equal(VmPressure.CalcPressure(600, 300), e.Pressure); // 900 − 450 = 450 → 50
            Assert.Equal(50, e.Pressure);
            Assert.Equal(VmPressureLevel.Low, e.Level);
            VmPressure.Prio(node, GfpFlags.GFP_KERNEL, -1, 4, null);
            Assert.Same(e, VmPressure.Last(node));
            VmPressure.Prio(node, GfpFlags.GFP_KERNEL, -1, 3, null);
            Assert.Equal(VmPressureLevel.Critical, VmPressure.Last(node)!.Level);
            // GFP masks without HIGHMEM/MOVABLE/IO/FS are ignored.
            VmPressure.Prio(node, GfpFlags.GFP_NOIO & ~GfpFlags.__GFP_RECLAIM, -1, 0, null);
            Assert.Equal(2, VmPressure.Events(node).Count);
        }
    }

    public class ShrinkSlabTests
    {
        /// <summary>4.14 do_shrink_slab: delta = (4·nr_scanned/seeks)·freeable/(nr_eligible+1); cap freeable/2 when delta &lt;
        /// freeable/4; batches of 128 while total ≥ 128 or ≥ freeable; the rest is deferred.</summary>
        [Fact]
        public void DeltaCapAndDeferralForACustomShrinker()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            Shrinkers.Register(node, "test", 10000, 2);
            var r = Shrinkers.DoShrink(node, "test", GfpFlags.GFP_KERNEL, 32, 1000);
            // delta = 64·10000/1001 = 639; < 2500 so total = min(639, 5000) = 639; 4 batches = 512; defer 127.
            Assert.Equal(639, r.Delta);
            Assert.Equal(639, r.TotalScan);
            Assert.Equal(512, r.Scanned);
            Assert.Equal(512, r.Freed);
            Assert.Equal(127, r.NextDeferred);
            Assert.Equal(512, node.Counters[VmEvent.SlabsScanned]);
            var r2 = Shrinkers.DoShrink(node, "test", GfpFlags.GFP_KERNEL, 32, 1000);
            // freeable 9488: delta = 64·9488/1001 = 606; total = 127 + 606 = 733 (< 4744); 5 batches = 640; defer 93.
            Assert.Equal(127, r2.NrDeferredBefore);
            Assert.Equal(606, r2.Delta);
            Assert.Equal(733, r2.TotalScan);
            Assert.Equal(640, r2.Scanned);
            Assert.Equal(93, r2.NextDeferred);
        }

        [Fact]
        public void LargeDeltaIsCappedAtTwiceFreeable()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            Shrinkers.Register(node, "big", 1000, 2);
            var r = Shrinkers.DoShrink(node, "big", GfpFlags.GFP_KERNEL, 1000, 1000);
            // delta = 2000·1000/1001 = 1998 ≥ 250: no half cap; ≤ 2000. 15 batches = 1920 scanned, 1000 freed, defer 78.
            Assert.Equal(1998, r.Delta);
            Assert.Equal(1998, r.TotalScan);
            Assert.Equal(1920, r.Scanned);
            Assert.Equal(1000, r.Freed);
            Assert.Equal(78, r.NextDeferred);
            var r2 = Shrinkers.DoShrink(node, "big", GfpFlags.GFP_KERNEL, 1000, 1000);
            Assert.Equal(0, r2.Freeable); // nothing left to count: returns before touching the deferred work
            Assert.Equal(78, Shrinkers.Get(node)[1].NrDeferred);
        }

        [Fact]
        public void SeeksDivideTheDelta()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            Shrinkers.Register(node, "seek4", 10000, 4);
            var r = Shrinkers.DoShrink(node, "seek4", GfpFlags.GFP_KERNEL, 32, 1000);
            Assert.Equal(319, r.Delta); // (128/4 = 32)·10000/1001
            Assert.Equal(256, r.Scanned);
            Assert.Equal(63, r.NextDeferred);
        }

        [Fact]
        public void SuperBlockCountScalesByVfsCachePressureAndNeedsFs()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            Assert.Equal(2100, Shrinkers.GrowCache(node, "dentry", 2100));
            Assert.Equal(400, Shrinkers.GrowCache(node, "inode", 400));
            var sb = Shrinkers.Get(node)[0];
            Assert.Equal(100, sb.DentrySlabPages); // 2100 / 21
            Assert.Equal(100, sb.InodeSlabPages);  // 400 / 4
            Assert.Equal(200, node.Counters[NodeStatItem.NrSlabReclaimable]);
            Assert.Equal(2500, Shrinkers.CountObjects(node, sb));
            MemMgmt.Core.Sysctl.VmSysctl.Write(node, "vm.vfs_cache_pressure", "200");
            Assert.Equal(5000, Shrinkers.CountObjects(node, sb));
            // Without __GFP_FS super_cache_scan stops: nothing freed, the work is deferred.
            var r = Shrinkers.DoShrink(node, "super_block", GfpFlags.GFP_NOFS, 32, 1000);
            Assert.Equal(0, r.Freed);
            Assert.Equal(2500, sb.Dentries + sb.Inodes);
            // With it: delta = 64·5000/1001 = 319; 2 batches; each splits by mult_frac(128, n, total+1) + 1.
            var r2 = Shrinkers.DoShrink(node, "super_block", GfpFlags.GFP_KERNEL, 32, 1000);
            Assert.True(r2.Freed > 0);
            Assert.Equal(2500 - r2.Freed, sb.Dentries + sb.Inodes);
            ReclaimTestKit.AssertClean(node);
        }

        [Fact]
        public void BadShrinkerInputIsRejected()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var e = Assert.Throws<MemMgmtException>(() => Shrinkers.Register(node, "x", 10, 0));
            Assert.Equal("ShrinkerSeeksOutOfRange", e.ErrorId);
            Assert.Single(Shrinkers.Get(node));
            Assert.Equal("SlabCacheUnknown", Assert.Throws<MemMgmtException>(() => Shrinkers.GrowCache(node, "kmalloc-64", 1)).ErrorId);
        }
    }
}
