using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Sysctl;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>6.1's watermark boosting (boost_watermark, steal_suitable_fallback, rmqueue, balance_pgdat) against 4.14,
    /// which has none.</summary>
    public class Kernel61WatermarkBoostTests
    {
        private static MemNode Node(KernelProfile kernel, long sizeMiB = 512) =>
            new MemNode(new NodeConfig { SizeBytes = sizeMiB << 20, CmaBytes = 0, Kernel = kernel, Seed = 1 });

        private static Zone MainZone(MemNode node) => node.Zones.OrderByDescending(z => z.ManagedPages).First();

        /// <summary>A zone of <paramref name="node"/> with its high watermark set to <paramref name="high"/> and no boost.</summary>
        private static Zone WithHigh(MemNode node, long high)
        {
            var zone = MainZone(node);
            zone.Watermark[(int)WatermarkLevel.High] = high;
            zone.WatermarkBoost = 0;
            return zone;
        }

        [Theory]
        // high 8448 (the captured 2 GiB node), factor 15000: max_boost = mult_frac(8448, 15000, 10000) = 12672, so 24
        // steals reach 12288 and the 25th stops at 12672.
        [InlineData(8448, 15000, 1, 512)]
        [InlineData(8448, 15000, 24, 12288)]
        [InlineData(8448, 15000, 25, 12672)]
        [InlineData(8448, 15000, 40, 12672)]
        // A small factor gives a max below a pageblock: max_boost is raised to pageblock_nr_pages (512).
        [InlineData(8448, 100, 1, 512)]
        [InlineData(8448, 100, 3, 512)]
        // high 1000, factor 15000: max 1500; 512, 1024, then 1500.
        [InlineData(1000, 15000, 2, 1024)]
        [InlineData(1000, 15000, 3, 1500)]
        // 30000 (3x): high 1000 → max 3000.
        [InlineData(1000, 30000, 6, 3000)]
        public void BoostWatermark_AddsAPageblockUpToTheFactorOfHigh(long high, int factor, int steals, long expectedBoost)
        {
            var node = Node(KernelProfile.Linux61);
            VmSysctl.Write(node, "vm.watermark_boost_factor", factor.ToString());
            var zone = WithHigh(node, high);
            long min = zone.WatermarkMin, low = zone.WatermarkLow;
            for (int i = 0; i < steals; i++) Assert.True(BuddyAllocator.BoostWatermark(zone));
            Assert.Equal(expectedBoost, zone.WatermarkBoostPages);
            Assert.Equal(high + expectedBoost, zone.WatermarkHigh);
            Assert.Equal(low + expectedBoost, zone.WatermarkLow);
            Assert.Equal(min + expectedBoost, zone.WatermarkMin);
        }

        [Fact]
        public void BoostWatermark_RefusesWithFactorZero_HighZero_OrAZoneUnderFourPageblocks()
        {
            var node = Node(KernelProfile.Linux61);
            var zone = WithHigh(node, 8448);
            VmSysctl.Write(node, "vm.watermark_boost_factor", "0");
            Assert.False(BuddyAllocator.BoostWatermark(zone));
            VmSysctl.Write(node, "vm.watermark_boost_factor", "15000");
            zone.Watermark[(int)WatermarkLevel.High] = 0;
            Assert.False(BuddyAllocator.BoostWatermark(zone));
            Assert.Equal(0, zone.WatermarkBoostPages);

            // A zone under four pageblocks (2048 pages) is never boosted, whatever its high watermark: here an empty one
            // (the 512 MiB node lies wholly in DMA).
            var empty = node.Zones.First(z => z.ManagedPages < 4 * 512);
            empty.Watermark[(int)WatermarkLevel.High] = 8448;
            Assert.False(BuddyAllocator.BoostWatermark(empty));
            Assert.Equal(0, empty.WatermarkBoostPages);
        }

        [Fact]
        public void SetupPerZoneWmarks_ClearsTheBoost()
        {
            var node = Node(KernelProfile.Linux61);
            var zone = MainZone(node);
            Assert.True(BuddyAllocator.BoostWatermark(zone));
            Assert.Equal(512, zone.WatermarkBoostPages);
            VmSysctl.Write(node, "vm.watermark_scale_factor", "10");
            Assert.Equal(0, zone.WatermarkBoostPages);
            Assert.Equal(0, zone.RawWatermark((int)WatermarkLevel.High) - zone.WatermarkHigh);
        }

        /// <summary>A node whose free memory is all order-0 movable pages (every other page of page cache freed), with
        /// kswapd settled after the fill (the fill's own fallbacks may have boosted and woken it), and the unmovable
        /// pageblock count.</summary>
        private static MemNode FragmentedPageCacheNode(KernelProfile kernel, out int unmovableBlocks)
        {
            var node = Node(kernel);
            Pressure.Run(node, new PressureOptions { Pattern = PressurePattern.EveryOther, Percent = 100, FileFraction = 1.0 });
            Kswapd.RunUntilSleep(node);
            foreach (var z in node.Zones) Assert.Equal(0, z.WatermarkBoostPages);
            Assert.Equal(KswapdState.Sleeping, Kswapd.GetState(node));
            unmovableBlocks = CountBlocks(node, MigrateType.Unmovable);
            return node;
        }

        private static int CountBlocks(MemNode node, MigrateType type)
        {
            int n = 0;
            for (int b = 0; b < node.PageblockBits.Length; b++) if ((node.PageblockBits[b] & 7) == (int)type) n++;
            return n;
        }

        /// <summary>GFP_KERNEL order-0 allocations until the zone's boost appears (or <paramref name="max"/> of them).</summary>
        private static int AllocateUnmovableUntilBoosted(MemNode node, Zone zone, int max)
        {
            for (int i = 1; i <= max; i++)
            {
                Assert.True(PageAllocator.Allocate(node, 0, GfpFlags.GFP_KERNEL).Success);
                if (zone.WatermarkBoostPages != 0) return i;
            }
            return -1;
        }

        [Fact]
        public void Kernel61_FallbackSteal_BoostsTheWatermark_WakesKswapd_WhichReclaimsTheBoost_ClearsIt_AndWakesKcompactd()
        {
            var node = FragmentedPageCacheNode(KernelProfile.Linux61, out int unmovable0);
            var zone = MainZone(node);
            long fileBefore = node.Counters[NodeStatItem.NrInactiveFile] + node.Counters[NodeStatItem.NrActiveFile];

            int n = AllocateUnmovableUntilBoosted(node, zone, 20000);
            Assert.True(n > 0, "no unmovable allocation fell back to a movable block");
            // One steal below pageblock order: one pageblock of boost; rmqueue consumed ZONE_BOOSTED_WATERMARK and woke kswapd.
            Assert.Equal(512, zone.WatermarkBoostPages);
            Assert.False(zone.BoostedWatermarkFlag);
            Assert.Equal(KswapdState.Runnable, Kswapd.GetState(node));
            Assert.Equal(0, Kswapd.GetOrder(node));
            Assert.True(CountBlocks(node, MigrateType.Unmovable) > unmovable0, "the steal claimed a movable block");
            // The node is balanced at the plain high watermark and still with the boost: only the boost wakes kswapd.
            Assert.True(zone.FreePages > zone.WatermarkHigh);

            var rep = Kswapd.Run(node);

            Assert.Contains(rep.Steps, s => s == "balance_pgdat boosted: nr_boost_reclaim 512");
            Assert.DoesNotContain(rep.Steps, s => s.Contains("boost reclaim dropped"));
            Assert.True(rep.NrReclaimed >= 512, $"reclaimed {rep.NrReclaimed}");
            long fileAfter = node.Counters[NodeStatItem.NrInactiveFile] + node.Counters[NodeStatItem.NrActiveFile];
            Assert.True(fileBefore - fileAfter >= 512, $"page cache {fileBefore} → {fileAfter}");
            // Boosted reclaim neither writes nor swaps, and never goes below priority DEF_PRIORITY − 2.
            Assert.True(rep.PriorityReached >= Vmscan.DefPriority - 2, $"priority {rep.PriorityReached}");
            Assert.Equal(0, zone.WatermarkBoostPages);
            Assert.Contains(((int)node.PbOrder, zone.ZoneIndex), rep.KcompactdWakeups);
            // wakeup_kcompactd raised kcompactd_max_order to pageblock_order (whether it then wakes depends on
            // kcompactd_node_suitable).
            Assert.Equal(node.PbOrder, node.Compaction.KcompactdMaxOrder);
            Assert.Equal(0, Kswapd.GetFailures(node));
            Assert.False(zone.ReclaimActive);
        }

        [Fact]
        public void Kernel61_BoostFactorZero_StealsWithoutBoostOrKswapd()
        {
            var node = FragmentedPageCacheNode(KernelProfile.Linux61, out int unmovable0);
            VmSysctl.Write(node, "vm.watermark_boost_factor", "0");
            var zone = MainZone(node);
            Assert.Equal(-1, AllocateUnmovableUntilBoosted(node, zone, 3000));
            Assert.True(CountBlocks(node, MigrateType.Unmovable) > unmovable0);
            Assert.Equal(KswapdState.Sleeping, Kswapd.GetState(node));
        }

        [Fact]
        public void Kernel414_SameSteals_NoBoost_KswapdKeepsSleeping()
        {
            var node = FragmentedPageCacheNode(KernelProfile.Linux414, out int unmovable0);
            var zone = MainZone(node);
            long high = zone.WatermarkHigh;
            Assert.Equal(-1, AllocateUnmovableUntilBoosted(node, zone, 3000));
            Assert.True(CountBlocks(node, MigrateType.Unmovable) > unmovable0, "4.14 stole movable blocks too");
            Assert.Equal(high, zone.WatermarkHigh);
            Assert.False(zone.BoostedWatermarkFlag);
            Assert.Equal(KswapdState.Sleeping, Kswapd.GetState(node));
            Assert.DoesNotContain(Kswapd.Run(node).Steps, s => s.Contains("boost"));
        }
    }
}
