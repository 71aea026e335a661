using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using MemMgmt.Core.Node;
using MemMgmt.Core.Sysctl;
using MemMgmt.Core.Watermarks;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>6.1's per-cpu pageset sizes (zone_batchsize with the 1 MiB cap, zone_highsize from the low watermark) and
    /// vm.percpu_pagelist_high_fraction, against the real 6.1 captures and 4.14's sizes.</summary>
    public class Kernel61PcpSizeTests
    {
        private static string RepoFile(params string[] parts)
        {
            string? root = typeof(Kernel61PcpSizeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
            return File.ReadAllText(Path.Combine(new[] { root! }.Concat(parts).ToArray()));
        }

        private static MemNode Node(KernelProfile kernel, long sizeMiB = 2048) =>
            new MemNode(new NodeConfig { SizeBytes = sizeMiB << 20, Kernel = kernel, Seed = 1 });

        private static Zone MainZone(MemNode node) => node.Zones.OrderByDescending(z => z.ManagedPages).First();

        [Theory]
        // 6.1, SZ_1M cap: the 2 GiB zone (507360 managed) → min(495, 256) = 256 → 64 → rounddown_pow_of_two(96) − 1 = 63.
        [InlineData(507360, 4096, 1 << 20, 63)]
        [InlineData(524288, 4096, 1 << 20, 63)]
        [InlineData(4L << 20, 4096, 1 << 20, 63)]       // 16 GiB: still capped at 256 pages
        [InlineData(131072, 4096, 1 << 20, 31)]         // 512 MiB: 128 → 32 → 48 → 32 → 31
        [InlineData(1 << 20, 16384, 1 << 20, 15)]       // 16K pages: cap 64 → 16 → 24 → 16 → 15
        // 4.14, 512 KiB cap, the same zones.
        [InlineData(507360, 4096, 512 * 1024, 31)]
        [InlineData(4L << 20, 4096, 512 * 1024, 31)]
        public void ZoneBatchsize_CapsAt1MiBOn61And512KiBOn414(long managed, int pageSize, int capBytes, int expected)
        {
            Assert.Equal(expected, WatermarkSetup.ZoneBatchsize(managed, pageSize, capBytes));
        }

        [Theory]
        // The captured 2 GiB node: low 7040 over 2 CPUs = 3520.
        [InlineData(7040, 507360, 0, 63, 2, 3520)]
        // One CPU takes the whole low watermark; four split it.
        [InlineData(7040, 507360, 0, 63, 1, 7040)]
        [InlineData(7040, 507360, 0, 63, 4, 1760)]
        // Never below 4·batch: a small zone's low 300 over 2 CPUs is 150, raised to 252.
        [InlineData(300, 60000, 0, 63, 2, 252)]
        // percpu_pagelist_high_fraction 8: managed/8 = 63420, over 2 CPUs 31710.
        [InlineData(7040, 507360, 8, 63, 2, 31710)]
        [InlineData(7040, 507360, 1000, 63, 2, 253)]    // 507 / 2 = 253 ≥ 252
        [InlineData(7040, 507360, 2000, 63, 2, 252)]    // 253 / 2 = 126 → 252
        public void ZoneHighsize_SplitsTheLowWatermarkOrTheFractionOverTheNodesCpus(long low, long managed, int fraction, int batch,
            int cpus, int expected)
        {
            Assert.Equal(expected, WatermarkSetup.ZoneHighsize(low, managed, fraction, batch, cpus));
        }

        [Fact]
        public void Kernel61_2GiBNode_HasTheCapturedPagesets_High3520_Batch63_AndWatermarks()
        {
            var zoneinfo = RepoFile("tests", "captures", "arm64-6.1-qemu", "odd", "boot", "zoneinfo.txt");
            var highs = Regex.Matches(zoneinfo, @"^\s+high:\s+(\d+)$", RegexOptions.Multiline).Select(m => int.Parse(m.Groups[1].Value)).ToArray();
            var batches = Regex.Matches(zoneinfo, @"^\s+batch:\s+(\d+)$", RegexOptions.Multiline).Select(m => int.Parse(m.Groups[1].Value)).ToArray();
            Assert.Equal(new[] { 3520, 3520 }, highs);
            Assert.Equal(new[] { 63, 63 }, batches);

            var node = Node(KernelProfile.Linux61);
            var zone = MainZone(node);
            Assert.Equal(7040, zone.WatermarkLow);
            for (int cpu = 0; cpu < zone.CpuCount; cpu++)
            {
                Assert.Equal(highs[cpu], zone.GetPageset(cpu).High);
                Assert.Equal(batches[cpu], zone.GetPageset(cpu).Batch);
            }
            // zoneinfo prints them as the kernel does.
            string text = MemMgmt.Core.Stats.NodeViews.ZoneInfo(node).ToKernelText();
            Assert.Contains("              high:  3520\n              batch: 63\n", text);
        }

        [Fact]
        public void Kernel414_2GiBNode_KeepsSixTimesBatch()
        {
            var zone = MainZone(Node(KernelProfile.Linux414));
            Assert.Equal(31, zone.GetPageset(0).Batch);
            Assert.Equal(186, zone.GetPageset(0).High);
        }

        [Fact]
        public void Kernel61_HighFollowsTheLowWatermark_WhenMinFreeKbytesChanges()
        {
            var node = Node(KernelProfile.Linux61);
            var zone = MainZone(node);
            VmSysctl.Write(node, "vm.min_free_kbytes", "45056");   // min 11264 pages
            Assert.Equal(zone.WatermarkLow / 2, zone.GetPageset(0).High);
            Assert.True(zone.GetPageset(0).High > 3520);
        }

        [Fact]
        public void Kernel61_PercpuPagelistHighFraction_ResizesHigh_RejectsOneToSeven_AndZeroRestores()
        {
            var node = Node(KernelProfile.Linux61);
            var zone = MainZone(node);
            Assert.Equal("0", node.Sysctl.Read("vm.percpu_pagelist_high_fraction"));
            VmSysctl.Write(node, "vm.percpu_pagelist_high_fraction", "8");
            Assert.Equal((int)(zone.ManagedPages / 8 / 2), zone.GetPageset(1).High);
            Assert.Equal(63, zone.GetPageset(1).Batch);

            var ex = Assert.Throws<MemMgmtException>(() => VmSysctl.Write(node, "vm.percpu_pagelist_high_fraction", "7"));
            Assert.Equal("SysctlValueOutOfRange", ex.ErrorId);
            Assert.Equal("8", node.Sysctl.Read("vm.percpu_pagelist_high_fraction"));
            Assert.Equal((int)(zone.ManagedPages / 8 / 2), zone.GetPageset(1).High);

            VmSysctl.Write(node, "vm.percpu_pagelist_high_fraction", "0");
            Assert.Equal(3520, zone.GetPageset(1).High);
        }

        [Fact]
        public void PagelistFractionSysctls_ExistOnlyInTheirKernels()
        {
            var n61 = Node(KernelProfile.Linux61, 512);
            var n414 = Node(KernelProfile.Linux414, 512);
            var e1 = Assert.Throws<MemMgmtException>(() => VmSysctl.Write(n61, "vm.percpu_pagelist_fraction", "8"));
            Assert.Equal("SysctlNotInKernel", e1.ErrorId);
            Assert.Contains("exists in kernel 4.14", e1.Message);
            var e2 = Assert.Throws<MemMgmtException>(() => VmSysctl.Write(n414, "vm.percpu_pagelist_high_fraction", "8"));
            Assert.Equal("SysctlNotInKernel", e2.ErrorId);
            Assert.Contains("exists in kernel 6.1", e2.Message);
            var e3 = Assert.Throws<MemMgmtException>(() => VmSysctl.Write(n414, "vm.watermark_boost_factor", "0"));
            Assert.Equal("SysctlNotInKernel", e3.ErrorId);
            Assert.Equal("15000", n61.Sysctl.Read("vm.watermark_boost_factor"));
            var e4 = Assert.Throws<MemMgmtException>(() => VmSysctl.Write(n61, "vm.watermark_boost_factor", "-1"));
            Assert.Equal("SysctlValueOutOfRange", e4.ErrorId);
            Assert.Equal("15000", n61.Sysctl.Read("vm.watermark_boost_factor"));
        }
    }
}

namespace MemMgmt.Core.Tests.Profiles
{
    using MemMgmt.Core.Allocation;
    using MemMgmt.Core.Buddy;

    /// <summary>6.1's pcp flush (free_unref_page_commit, nr_pcp_free, nr_pcp_high, free_pcppages_bulk) against 4.14's.</summary>
    public class Kernel61PcpFreeTests
    {
        [Theory]
        // The captured pagesets (high 3520, batch 63): 63, 126, … doubling while below high − batch = 3457, free_factor
        // stopping at CONFIG_PCP_BATCH_SCALE_MAX (5): 63 << 5 = 2016.
        [InlineData(3520, 63, 0, 63, 1)]
        [InlineData(3520, 63, 1, 126, 2)]
        [InlineData(3520, 63, 4, 1008, 5)]
        [InlineData(3520, 63, 5, 2016, 5)]
        // high 200: at most 137 (high − batch); free_factor stops growing once batch << free_factor reaches it.
        [InlineData(200, 63, 1, 126, 2)]
        [InlineData(200, 63, 2, 137, 2)]
        // Under reclaim (nr_pcp_high = min(4·batch, high) = 252): at most 189.
        [InlineData(252, 63, 2, 189, 2)]
        // high below batch (a disabled or boot pageset): one page.
        [InlineData(0, 63, 3, 1, 3)]
        public void NrPcpFree_DoublesPerFlushWithinBatchAndHighMinusBatch(int high, int batch, int freeFactor, int expected, int factorAfter)
        {
            var pcp = new PerCpuPages(0) { FreeFactor = freeFactor };
            Assert.Equal(expected, BuddyAllocator.NrPcpFree(pcp, high, batch));
            Assert.Equal(factorAfter, pcp.FreeFactor);
        }

        [Fact]
        public void NrPcpHigh_DropsToFourBatchesWhileReclaimIsActive_On61Only()
        {
            var pcp = new PerCpuPages(0) { HighField = 3520, BatchField = 63 };
            pcp.UpdateFreeHigh(reclaimActive: true, lowersUnderReclaim: true);
            Assert.Equal(252, pcp.FreeHighField);
            pcp.UpdateFreeHigh(reclaimActive: false, lowersUnderReclaim: true);
            Assert.Equal(3520, pcp.FreeHighField);
            pcp.UpdateFreeHigh(reclaimActive: true, lowersUnderReclaim: false);
            Assert.Equal(3520, pcp.FreeHighField);
        }

        /// <summary>Allocates <paramref name="n"/> order-0 movable pages on CPU 0, drains the pcp lists, and returns them.</summary>
        private static int[] AllocateDrained(MemNode node, int n)
        {
            var pages = new int[n];
            for (int i = 0; i < n; i++)
            {
                pages[i] = PageAllocator.AllocPagesIndex(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0);
                Assert.True(pages[i] >= 0);
            }
            PageAllocator.DrainAllPages(node);
            return pages;
        }

        [Fact]
        public void Kernel61_FreesPastHigh_FlushBatchThenTwice_AndAnAllocationHalvesTheFactor()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 2048L << 20, Kernel = KernelProfile.Linux61, Seed = 1 });
            var zone = node.Zones.OrderByDescending(z => z.ManagedPages).First();
            var pcp = zone.GetPageset(0);
            var pages = AllocateDrained(node, 3600);
            long free0 = zone.FreePages;
            for (int i = 0; i < 3519; i++) PageAllocator.FreePagesIndex(node, pages[i], 0, 0);
            Assert.Equal(3519, pcp.Count);
            PageAllocator.FreePagesIndex(node, pages[3519], 0, 0);          // count reaches high 3520: flush 63
            Assert.Equal(3520 - 63, pcp.Count);
            Assert.Equal(1, pcp.FreeFactorValue);
            Assert.Equal(free0 + 63, zone.FreePages);
            for (int i = 3520; i < 3583; i++) PageAllocator.FreePagesIndex(node, pages[i], 0, 0);
            Assert.Equal(3520 - 126, pcp.Count);                              // the second flush without an allocation: 126
            Assert.Equal(2, pcp.FreeFactorValue);
            Assert.True(PageAllocator.AllocPagesIndex(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0) >= 0);
            Assert.Equal(1, pcp.FreeFactorValue);
        }

        [Fact]
        public void Kernel414_FreesPastHigh_FlushBatchEveryTime_WithoutAFactor()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 2048L << 20, Kernel = KernelProfile.Linux414, Seed = 1 });
            var zone = node.Zones.OrderByDescending(z => z.ManagedPages).First();
            var pcp = zone.GetPageset(0);
            var pages = AllocateDrained(node, 300);
            for (int i = 0; i < 186; i++) PageAllocator.FreePagesIndex(node, pages[i], 0, 0);
            Assert.Equal(186 - 31, pcp.Count);
            for (int i = 186; i < 217; i++) PageAllocator.FreePagesIndex(node, pages[i], 0, 0);
            Assert.Equal(186 - 31, pcp.Count);
            Assert.Equal(0, pcp.FreeFactorValue);
        }
    }
}
