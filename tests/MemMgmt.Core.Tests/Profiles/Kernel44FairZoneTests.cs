using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Sysctl;
using MemMgmt.Core.Watermarks;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>4.4's watermarks (__setup_per_zone_wmarks, mm/page_alloc.c, 4.4: low = min + min/4, high = min + min/2, no
    /// watermark_scale_factor) and its fair zone allocation policy (get_page_from_freelist, buffered_rmqueue and
    /// reset_alloc_batches, mm/page_alloc.c, 4.4).</summary>
    public class Kernel44FairZoneTests
    {
        /// <summary>4 GiB: DMA 3 GiB (below 4 GiB physical), Normal 1 GiB.</summary>
        private static MemNode Node(KernelProfile kernel) =>
            new MemNode(new NodeConfig { SizeBytes = 4L << 30, CmaBytes = 0, Kernel = kernel, Seed = 4 });

        private const GfpFlags Movable = GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_RECLAIM;

        private static long Batch(Zone z) => z.Watermark[(int)WatermarkLevel.High] - z.Watermark[(int)WatermarkLevel.Low];

        private static long PgAlloc(MemNode node, Zone zone) => NodeViews.VmStat(node)["pgalloc_" + zone.Name.ToLowerInvariant()]!.Value;

        [Fact]
        public void Watermarks44_AreMinPlusAQuarterAndAHalf_WhereThe414ScaleFactorWouldRaiseThem()
        {
            var n44 = Node(KernelProfile.Linux44);
            var n414 = Node(KernelProfile.Linux414);
            foreach (var n in new[] { n44, n414 }) VmSysctl.Write(n, "min_free_kbytes", "1024");
            foreach (var z in n44.PopulatedZones)
            {
                long min = z.Watermark[(int)WatermarkLevel.Min];
                Assert.Equal(min + (min >> 2), z.Watermark[(int)WatermarkLevel.Low]);
                Assert.Equal(min + (min >> 1), z.Watermark[(int)WatermarkLevel.High]);
                // 4.14 adds managed/1000 instead once that is more than min/4, as it is with 1 MiB of min_free_kbytes.
                var z414 = n414.GetZone(z.Type);
                Assert.Equal(min, z414.Watermark[(int)WatermarkLevel.Min]);
                Assert.True(z414.Watermark[(int)WatermarkLevel.Low] > z.Watermark[(int)WatermarkLevel.Low]);
            }
        }

        [Fact]
        public void WatermarkScaleFactor_IsNotA44Sysctl()
        {
            var ex = Assert.Throws<MemMgmtException>(() => VmSysctl.Write(Node(KernelProfile.Linux44), "watermark_scale_factor", "20"));
            Assert.Equal("SysctlNotInKernel", ex.ErrorId);
            VmSysctl.Write(Node(KernelProfile.Linux414), "watermark_scale_factor", "20");
        }

        [Fact]
        public void Zoneinfo44_PrintsEachZonesBatch_HighMinusLow_AtBoot()
        {
            var node = Node(KernelProfile.Linux44);
            var info = NodeViews.ZoneInfo(node);
            foreach (var z in node.PopulatedZones)
            {
                Assert.True(Batch(z) > 0);
                Assert.Equal(Batch(z), z.AllocBatch);
                Assert.False(z.FairDepleted);
            }
            string text = System.Text.RegularExpressions.Regex.Replace(info.ToKernelText(), " +", " ");
            foreach (var z in node.PopulatedZones) Assert.Contains($"nr_alloc_batch {Batch(z)}\n", text);
        }

        [Fact]
        public void FastPath44_SpreadsAllocationsOverTheZonesInProportionToTheirBatches_414FillsNormalFirst()
        {
            var node = Node(KernelProfile.Linux44);
            var normal = node.GetZone(ZoneType.Normal);
            var dma = node.GetZone(ZoneType.DMA);
            long bn = Batch(normal), bd = Batch(dma);
            long n0 = PgAlloc(node, normal), d0 = PgAlloc(node, dma);
            // Each round: Normal's batch (first in the zonelist), then DMA's, then a pass that finds both spent refills them.
            for (long i = 0; i < 3 * (bn + bd); i++) Assert.True(PageAllocator.Allocate(node, 0, Movable, 0, PageOwner.Anon).Success);
            Assert.Equal(3 * bn, PgAlloc(node, normal) - n0);
            Assert.Equal(3 * bd, PgAlloc(node, dma) - d0);
            Assert.True(normal.FairDepleted && dma.FairDepleted);
            // The next request skips both, refills both batches and takes Normal's first page of the new round.
            Assert.True(PageAllocator.Allocate(node, 0, Movable, 0, PageOwner.Anon).Success);
            Assert.Equal(bn - 1, normal.AllocBatch);
            Assert.Equal(bd, dma.AllocBatch);
            Assert.False(normal.FairDepleted || dma.FairDepleted);

            var n414 = Node(KernelProfile.Linux414);
            var d414 = n414.GetZone(ZoneType.DMA);
            long d414Before = PgAlloc(n414, d414);
            for (long i = 0; i < 3 * (bn + bd); i++) Assert.True(PageAllocator.Allocate(n414, 0, Movable, 0, PageOwner.Anon).Success);
            Assert.Equal(d414Before, PgAlloc(n414, d414));
        }

        [Fact]
        public void SlowPathAndHighOrderAllocations_ChargeTheBatchToo()
        {
            var node = Node(KernelProfile.Linux44);
            var normal = node.GetZone(ZoneType.Normal);
            long before = normal.AllocBatch;
            Assert.True(PageAllocator.Allocate(node, 3, Movable | GfpFlags.__GFP_COMP, 0, PageOwner.Anon).Success);
            Assert.Equal(before - 8, normal.AllocBatch);
        }

        [Fact]
        public void ResetAllocBatches_RefillsOnlyTheZonesUpToThePreferredOne()
        {
            var node = Node(KernelProfile.Linux44);
            var normal = node.GetZone(ZoneType.Normal);
            var dma = node.GetZone(ZoneType.DMA);
            // Spend part of Normal's batch, then all of DMA's through DMA-only requests.
            for (int i = 0; i < 10; i++) PageAllocator.Allocate(node, 0, Movable, 0, PageOwner.Anon);
            long normalBatch = normal.AllocBatch;
            const GfpFlags dmaOnly = GfpFlags.GFP_KERNEL & ~GfpFlags.__GFP_RECLAIM | GfpFlags.__GFP_DMA;
            long bd = Batch(dma);
            for (long i = 0; i < bd; i++) Assert.True(PageAllocator.Allocate(node, 0, dmaOnly, 0, PageOwner.SlabUnmovable).Success);
            Assert.True(dma.FairDepleted);
            // DMA is the preferred zone of a DMA request: its refill leaves Normal's batch as it was.
            Assert.True(PageAllocator.Allocate(node, 0, dmaOnly, 0, PageOwner.SlabUnmovable).Success);
            Assert.Equal(bd - 1, dma.AllocBatch);
            Assert.Equal(normalBatch, normal.AllocBatch);
        }

        [Fact]
        public void CloneAndSnapshot_KeepTheBatches()
        {
            var node = Node(KernelProfile.Linux44);
            for (int i = 0; i < 1000; i++) PageAllocator.Allocate(node, 0, Movable, 0, PageOwner.Anon);
            var copy = node.Clone("fair-copy");
            foreach (var z in node.PopulatedZones)
            {
                Assert.Equal(z.AllocBatch, copy.GetZone(z.Type).AllocBatch);
                Assert.Equal(z.FairDepleted, copy.GetZone(z.Type).FairDepleted);
            }
        }
    }
}
