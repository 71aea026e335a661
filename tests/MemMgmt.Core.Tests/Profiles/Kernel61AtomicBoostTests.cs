using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using MemMgmt.Core.Watermarks;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>zone_watermark_fast's exception (6.1): an order-0 __GFP_ATOMIC request at WMARK_MIN is held to the min
    /// watermark without the boost.</summary>
    public class Kernel61AtomicBoostTests
    {
        private static MemNode Node(KernelProfile kernel) =>
            new MemNode(new NodeConfig { SizeBytes = 512L << 20, CmaBytes = 0, Kernel = kernel, Seed = 1 });

        /// <summary>The main zone with its raw min 100 pages below its free pages and raw low/high above them, then boosted
        /// by <paramref name="boost"/> pages.</summary>
        private static Zone Boosted(MemNode node, long boost)
        {
            var zone = node.Zones.OrderByDescending(z => z.ManagedPages).First();
            zone.SetWatermarkBoost(0);
            long free = zone.NrFreePages;
            zone.Watermark[(int)WatermarkLevel.Min] = free - 100;
            zone.Watermark[(int)WatermarkLevel.Low] = free + 10;
            zone.Watermark[(int)WatermarkLevel.High] = free + 20;
            zone.SetWatermarkBoost(boost);
            return zone;
        }

        [Theory]
        // boosted min is free − 100 + 512 > free: the plain check fails; only GFP_ATOMIC order 0 at WMARK_MIN gets the raw min.
        [InlineData(GfpFlags.GFP_ATOMIC, 0, AllocFlagBits.WmarkMin, 512, true)]
        [InlineData(GfpFlags.GFP_KERNEL, 0, AllocFlagBits.WmarkMin, 512, false)]
        [InlineData(GfpFlags.GFP_NOWAIT, 0, AllocFlagBits.WmarkMin, 512, false)]
        [InlineData(GfpFlags.GFP_ATOMIC, 0, AllocFlagBits.WmarkLow, 512, false)]
        [InlineData(GfpFlags.GFP_ATOMIC, 1, AllocFlagBits.WmarkMin, 512, false)]
        // A boost of 50 leaves the boosted min (free − 50) below free: everyone passes.
        [InlineData(GfpFlags.GFP_KERNEL, 0, AllocFlagBits.WmarkMin, 50, true)]
        public void ZoneWatermarkFast_AtomicOrder0AtMin_IgnoresTheBoost(GfpFlags gfp, int order, int allocFlags, long boost, bool ok)
        {
            var node = Node(KernelProfile.Linux61);
            var zone = Boosted(node, boost);
            Assert.Equal(ok, ZoneWatermark.Fast(zone, order, zone.WmarkPages(allocFlags & AllocFlagBits.WmarkMask), zone.Idx, allocFlags, gfp));
        }

        [Fact]
        public void GetPageFromFreelist_AtomicAtMin_AllocatesFromABoostedZone_KernelDoesNot()
        {
            var node = Node(KernelProfile.Linux61);
            var zone = Boosted(node, 512);
            Assert.True(PageAllocator.GetPageFromFreelist(node, 0, GfpFlags.GFP_KERNEL, 0, AllocFlagBits.WmarkMin, out _, out _) < 0);
            int page = PageAllocator.GetPageFromFreelist(node, 0, GfpFlags.GFP_ATOMIC, 0, AllocFlagBits.WmarkMin, out var z, out _);
            Assert.True(page >= 0);
            Assert.Same(zone, z);
        }

        [Fact]
        public void Kernel414_NeverBoosted_AtomicGetsNoException()
        {
            // Without a boost the raw min is the min: an atomic request below it fails as any other.
            var node = Node(KernelProfile.Linux414);
            var zone = node.Zones.OrderByDescending(z => z.ManagedPages).First();
            zone.Watermark[(int)WatermarkLevel.Min] = zone.NrFreePages + 10;
            Assert.Equal(0, zone.WatermarkBoostPages);
            Assert.False(ZoneWatermark.Fast(zone, 0, zone.WmarkPages(0), zone.Idx, AllocFlagBits.WmarkMin, GfpFlags.GFP_ATOMIC));
        }
    }
}
