using MemMgmt.Core.Node;
using MemMgmt.Core.Watermarks;
using Xunit;

namespace MemMgmt.Core.Tests.Watermarks
{
    public class WatermarkTests
    {
        /// <summary>The arm64 QEMU capture: 2 GiB, managed 507360, THP on: min_free_kbytes 22528, min/low/high 5632/7040/8448.</summary>
        [Fact]
        public void DefaultNodeMatchesTheArm64Capture()
        {
            var node = new MemNode(new NodeConfig());
            var dma = node.GetZone(ZoneType.DMA);
            Assert.Equal(524288, dma.PresentPages);
            Assert.Equal(507360, dma.ManagedPages);
            Assert.Equal(16384, dma.CmaPages);
            Assert.Equal("22528", node.Sysctl.Read("vm.min_free_kbytes"));
            Assert.Equal(5632, dma.WatermarkMin);
            Assert.Equal(7040, dma.WatermarkLow);
            Assert.Equal(8448, dma.WatermarkHigh);
            Assert.Equal(262144, dma.ZoneStartPfn);
            Assert.False(node.GetZone(ZoneType.Normal).IsPopulated);
        }

        /// <summary>int_sqrt(lowmem_kbytes·16) clamped to [128, 65536]: 1 GiB → 4096, 4 GiB → 8192 (KERNEL.md §4).</summary>
        [Theory]
        [InlineData(1L << 20, 4096)]
        [InlineData(4L << 20, 8192)]
        [InlineData(16L << 20, 16384)]
        [InlineData(256, 128)]
        [InlineData(1L << 40, 65536)]
        [InlineData(507360L * 4, 5698)] // 5698² = 32467204 ≤ 32471040 < 5699² = 32478601
        public void MinFreeKbytesFollowsIntSqrt(long lowmemKbytes, long expected)
        {
            Assert.Equal(expected, WatermarkSetup.MinFreeKbytesFor(lowmemKbytes));
        }

        /// <summary>Without THP the boot rule alone applies: 2 GiB default node → int_sqrt(507360·4·16) = 5698 kB.</summary>
        [Fact]
        public void WithoutThpTheSqrtRuleStands()
        {
            var node = new MemNode(new NodeConfig { TransparentHugepage = false });
            Assert.Equal("5698", node.Sysctl.Read("min_free_kbytes"));
            var dma = node.GetZone(ZoneType.DMA);
            // pages_min = 5698 >> 2 = 1424; delta = max(1424/4 = 356, mult_frac(507360, 10, 10000) = 507) = 507.
            Assert.Equal(1424, dma.WatermarkMin);
            Assert.Equal(1931, dma.WatermarkLow);
            Assert.Equal(2438, dma.WatermarkHigh);
        }

        /// <summary>zone_batchsize: 2 GiB zone → batch 31, high 186 (KERNEL.md §3).</summary>
        [Theory]
        [InlineData(507360, 4096, 31)]
        [InlineData(524288, 4096, 31)]
        [InlineData(65536, 4096, 15)]   // 64/4=16 → 24 → 16 → 15
        [InlineData(4096, 4096, 0)]     // 4/4=1 → 1 → 1 → 0
        [InlineData(0, 4096, 0)]
        [InlineData(1 << 20, 16384, 7)] // cap 32 pages → 8 → 12 → 8 → 7
        public void ZoneBatchsizeVectors(long managed, int pageSize, int expected)
        {
            Assert.Equal(expected, WatermarkSetup.ZoneBatchsize(managed, pageSize));
        }

        [Fact]
        public void PagesetsOfTheDefaultNode()
        {
            var node = new MemNode(new NodeConfig());
            var p = node.GetZone(ZoneType.DMA).GetPageset(1);
            Assert.Equal(31, p.Batch);
            Assert.Equal(186, p.High);
            var empty = node.GetZone(ZoneType.Normal).GetPageset(0);
            Assert.Equal(1, empty.Batch);
            Assert.Equal(0, empty.High);
        }

        /// <summary>4 GiB at 1 GiB: DMA 3 GiB, Normal 1 GiB; lowmem_reserve[DMA][Normal] = managed(Normal)/256.</summary>
        [Fact]
        public void LowmemReserveAndScaleFactor()
        {
            var node = new MemNode(NodeConfig.FromProfile("qemu-virt-4g"));
            var dma = node.GetZone(ZoneType.DMA);
            var normal = node.GetZone(ZoneType.Normal);
            Assert.Equal(3L << 18, dma.SpannedPages);
            Assert.Equal(1L << 18, normal.ManagedPages);
            Assert.Equal((1L << 18) / 256, dma.GetLowmemReserve(1));
            Assert.Equal((1L << 18) / 256, dma.GetLowmemReserve(2));
            Assert.Equal(0, normal.GetLowmemReserve(2));
            // Writing the ratio recomputes; values below 1 act as 1 and are stored as 1.
            MemMgmt.Core.Sysctl.VmSysctl.Write(node, "vm.lowmem_reserve_ratio", "0 32");
            Assert.Equal(1L << 18, dma.GetLowmemReserve(1));
            Assert.Equal("1\t32", node.Sysctl.Read("lowmem_reserve_ratio"));
            long min = dma.WatermarkMin;
            MemMgmt.Core.Sysctl.VmSysctl.Write(node, "vm.watermark_scale_factor", "1000");
            Assert.Equal(min, dma.WatermarkMin);
            Assert.Equal(min + MmConstants.MultFrac(dma.ManagedPages, 1000, 10000), dma.WatermarkLow);
        }
    }
}
