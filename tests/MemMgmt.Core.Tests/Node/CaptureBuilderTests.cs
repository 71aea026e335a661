using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Tests.Stats;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Node
{
    /// <summary>New-MemNode -FromCapture's builder against the real arm64 6.1 captures, and the captures it must refuse.</summary>
    public class CaptureBuilderTests
    {
        private static string SharedBoot => Path.Combine(ProcCaptures.Root, ProcCaptures.Arm64);

        public static IEnumerable<object[]> ProjectPhases()
        {
            foreach (var scenario in new[] { "odd", "even", "rand" })
                foreach (var phase in new[] { "boot", "frag", "hugepages1", "released", "compacted", "hugepages2" })
                    yield return new object[] { scenario, phase };
        }

        private static MemNode Build(string dir, List<string> warnings, KernelProfile? kernel = null) =>
            CaptureBuilder.Build(dir, new CaptureOptions { Name = "cap", Kernel = kernel }, warnings);

        private static void AssertReproduces(string dir, MemNode node)
        {
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "buddyinfo.txt")), NodeViews.BuddyInfo(node).ToKernelText());
            var captured = PageTypeInfo.Parse(File.ReadAllText(Path.Combine(dir, "pagetypeinfo.txt")), true);
            var built = NodeViews.PageTypeInfo(node);
            Assert.Equal(captured.BlockRows.Single().Blocks, built.BlockRows.Single().Blocks);
            Assert.Empty(InvariantChecker.Check(node));
        }

        [Fact]
        public void SharedBootCapture_ReproducesBuddyinfoAndBlockCounts_WithTheCapturedZoneAndWatermarks()
        {
            var warnings = new List<string>();
            var node = Build(SharedBoot, warnings);
            AssertReproduces(SharedBoot, node);
            Assert.Equal("6.1", node.Kernel.Version);
            Assert.Equal(4096, node.Geometry.PageSize);
            Assert.Equal(9, node.Geometry.PageblockOrder);
            Assert.Equal(2, node.NrCpus);
            var dma = node.GetZone(ZoneType.DMA);
            Assert.Equal(0x40000, dma.ZoneStartPfn);
            Assert.Equal(524288, dma.SpannedPages);
            Assert.Equal(524288, dma.PresentPages);
            Assert.Equal(507360, dma.ManagedPages);
            Assert.Equal(16384, dma.CmaPages);
            Assert.Equal((5632L, 7040L, 8448L), (dma.WatermarkMin, dma.WatermarkLow, dma.WatermarkHigh));
            Assert.Equal(496461, dma.FreePages);
            Assert.Equal(22528, node.Sysctl.MinFreeKbytes);
            Assert.False(node.GetZone(ZoneType.Normal).IsPopulated);
        }

        [Fact]
        public void SharedBootCapture_ReconcilesOrdersZeroAndSix_AndWarnsOncePerOrderAndForNrFreePages()
        {
            var warnings = new List<string>();
            var node = Build(SharedBoot, warnings);
            Assert.Equal(new[]
            {
                "zoneinfo line 46 gives zone DMA 496524 free pages, buddyinfo line 1 496461; buddyinfo is used.",
                "buddyinfo line 1 has 1 free order-0 blocks in zone DMA, pagetypeinfo's types add up to 0: added 1 Movable (pagetypeinfo line 6).",
                "buddyinfo line 1 has 2 free order-6 blocks in zone DMA, pagetypeinfo's types add up to 3: removed 1 Movable (pagetypeinfo line 6).",
            }, warnings);
            var dma = node.GetZone(ZoneType.DMA);
            Assert.Equal(1, dma.CountFreeList(0, MigrateType.Movable));
            Assert.Equal(0, dma.CountFreeList(6, MigrateType.Movable));
            Assert.Equal(1, dma.CountFreeList(6, MigrateType.Unmovable));
            Assert.Equal(1, dma.CountFreeList(6, MigrateType.Cma));
        }

        [Fact]
        public void WithoutPbmap_UsedPagesOwnersFollowTheirBlockType()
        {
            using var capture = new TempCapture(ProcCaptures.Harness("odd", "frag"));
            var node = Build(capture.Dir, new List<string>());
            var counts = new Dictionary<(MigrateType, PageOwner), int>();
            for (long pfn = node.NodeStartPfn; pfn < node.NodeEndPfn; pfn++)
            {
                var f = node.GetPageFlags(pfn);
                if ((f & PageFlags.Allocated) == 0) continue;
                var key = (node.GetPageblockMigratetype(pfn), node.GetPageOwner(pfn));
                counts[key] = counts.TryGetValue(key, out int n) ? n + 1 : 1;
            }
            foreach (var k in counts.Keys)
            {
                switch (k.Item1)
                {
                    case MigrateType.Movable:
                    case MigrateType.Cma:
                        Assert.Contains(k.Item2, new[] { PageOwner.Anon, PageOwner.Shmem, PageOwner.FileCache });
                        break;
                    case MigrateType.Unmovable:
                        Assert.Contains(k.Item2, new[] { PageOwner.SlabUnmovable, PageOwner.PageTable, PageOwner.Kernel });
                        break;
                    case MigrateType.Reclaimable:
                        Assert.Equal(PageOwner.SlabReclaimable, k.Item2);
                        break;
                    default:
                        Assert.Fail($"used page in a {k.Item1} block");
                        break;
                }
            }
            Assert.True(counts.ContainsKey((MigrateType.Movable, PageOwner.Anon)));
            Assert.True(counts.ContainsKey((MigrateType.Movable, PageOwner.Shmem)));
            // managed − free pages are in use; the rest of the span is memblock-reserved.
            Assert.Equal(node.ManagedPages - node.FreePages, counts.Values.Sum());
        }

        /// <summary>A simulated node's own /proc files, written out and read back: zones, formats and page sizes the real
        /// captures do not cover (two populated zones, the 4.14 layout, 16K and 64K pages).</summary>
        [Theory]
        [InlineData("qemu-virt-4g", "4.14", 4096, 40.0)]
        [InlineData("qemu-virt-4g", "6.1", 4096, 60.0)]
        [InlineData("a53-16k-8g", "4.14", 16384, 50.0)]
        [InlineData("qemu-virt-2g", "4.14", 65536, 50.0)]
        public void SimulatedNodeFiles_RoundTrip(string profile, string kernel, int pageSize, double percent)
        {
            var config = NodeConfig.FromProfile(profile);
            config.Kernel = KernelProfile.Find(kernel);
            config.PageSize = pageSize;
            if (pageSize == 65536) config.CmaBytes = 0;
            var source = new MemNode(config);
            Pressure.Run(source, new PressureOptions { Percent = percent, UnmovableFraction = 0.1, ReclaimableFraction = 0.1, FileFraction = 0.3 });
            string dir = Path.Combine(Path.GetTempPath(), "memmgmt-roundtrip-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                File.WriteAllText(Path.Combine(dir, "zoneinfo.txt"), NodeViews.ZoneInfo(source).ToKernelText());
                File.WriteAllText(Path.Combine(dir, "buddyinfo.txt"), NodeViews.BuddyInfo(source).ToKernelText());
                File.WriteAllText(Path.Combine(dir, "pagetypeinfo.txt"), NodeViews.PageTypeInfo(source).ToKernelText());
                var warnings = new List<string>();
                var node = Build(dir, warnings);
                AssertReproducesAllZones(dir, node);
                Assert.Empty(warnings);
                Assert.Equal(kernel, node.Kernel.Version);
                Assert.Equal(pageSize, node.Geometry.PageSize);
                Assert.Equal(source.NrCpus, node.NrCpus);
                Assert.Equal(source.NodeStartPfn, node.NodeStartPfn);
                foreach (var z in source.Zones)
                {
                    var b = node.Zones[z.ZoneIndex];
                    Assert.Equal((z.ZoneStartPfn, z.SpannedPages, z.PresentPages, z.ManagedPages), (b.ZoneStartPfn, b.SpannedPages, b.PresentPages, b.ManagedPages));
                    Assert.Equal((z.WatermarkMin, z.WatermarkLow, z.WatermarkHigh), (b.WatermarkMin, b.WatermarkLow, b.WatermarkHigh));
                    Assert.Equal(z.LowmemReserve, b.LowmemReserve);
                    for (int o = 0; o < source.Geometry.MaxOrder; o++)
                        for (int t = 0; t < MigrateTypes.Count; t++)
                            Assert.Equal(z.CountFreeList(o, (MigrateType)t), b.CountFreeList(o, (MigrateType)t));
                }
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }

        private static void AssertReproducesAllZones(string dir, MemNode node)
        {
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "buddyinfo.txt")), NodeViews.BuddyInfo(node).ToKernelText());
            var captured = PageTypeInfo.Parse(File.ReadAllText(Path.Combine(dir, "pagetypeinfo.txt")));
            var built = NodeViews.PageTypeInfo(node);
            Assert.Equal(captured.BlockRows.Select(r => (r.ZoneName, string.Join(" ", r.Blocks))), built.BlockRows.Select(r => (r.ZoneName, string.Join(" ", r.Blocks))));
            Assert.Empty(InvariantChecker.Check(node));
        }

        [Theory]
        [MemberData(nameof(ProjectPhases))]
        public void ProjectCaptures_EveryPhase_Reproduced(string scenario, string phase)
        {
            string dir = ProcCaptures.Harness(scenario, phase);
            var node = Build(dir, new List<string>());
            AssertReproduces(dir, node);
        }

        [Fact]
        public void OddFrag_CappedMovableOrderZero_TakesWhatTheOtherTypesLeave_WithoutWarning()
        {
            string dir = ProcCaptures.Harness("odd", "frag");
            var warnings = new List<string>();
            var node = Build(dir, warnings);
            var dma = node.GetZone(ZoneType.DMA);
            Assert.Equal(191417 - 1, dma.CountFreeList(0, MigrateType.Movable));
            Assert.DoesNotContain(warnings, w => w.Contains("order-0"));
        }

        [Fact]
        public void EndPhase_HasNoProcFiles_CaptureFileMissing()
        {
            string dir = ProcCaptures.Harness("odd", "end");
            var e = Assert.Throws<MemMgmtException>(() => Build(dir, new List<string>()));
            Assert.Equal("CaptureFileMissing", e.ErrorId);
            Assert.Contains("zoneinfo.txt", e.Message);
        }

        private sealed class TempCapture : IDisposable
        {
            /// <summary>A copy of the capture's zoneinfo, buddyinfo and pagetypeinfo (the shared boot capture by default).</summary>
            public TempCapture(string? from = null)
            {
                Dir = Path.Combine(Path.GetTempPath(), "memmgmt-capture-" + Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(Dir);
                foreach (var f in new[] { "zoneinfo.txt", "buddyinfo.txt", "pagetypeinfo.txt" })
                    File.Copy(Path.Combine(from ?? SharedBoot, f), Path.Combine(Dir, f));
            }

            public string Dir { get; }

            public void Edit(string file, Func<string, string> change)
            {
                string path = Path.Combine(Dir, file);
                File.WriteAllText(path, change(File.ReadAllText(path)));
            }

            public MemMgmtException Refused() => Assert.Throws<MemMgmtException>(() => Build(Dir, new List<string>()));

            public void Dispose() => Directory.Delete(Dir, true);
        }

        [Fact]
        public void FreeAboveManaged_CaptureFreeExceedsManaged_NamingBuddyinfoLine()
        {
            using var c = new TempCapture();
            c.Edit("buddyinfo.txt", t => t.Replace("   483 ", "   500 "));
            var e = c.Refused();
            Assert.Equal("CaptureFreeExceedsManaged", e.ErrorId);
            Assert.Contains("buddyinfo.txt line 1:", e.Message);
            Assert.Contains("513869 free pages, more than its 507360 managed pages", e.Message);
        }

        [Fact]
        public void BlockCountsNotTheSpan_CaptureBlockCountMismatch_NamingPagetypeinfoLine()
        {
            using var c = new TempCapture();
            c.Edit("pagetypeinfo.txt", t => t.Replace("          955 ", "          954 "));
            var e = c.Refused();
            Assert.Equal("CaptureBlockCountMismatch", e.ErrorId);
            Assert.Contains("pagetypeinfo.txt line 13:", e.Message);
            Assert.Contains("1023 pageblocks by type", e.Message);
        }

        [Fact]
        public void OrdersBeyondMaxOrder_CaptureOrderBeyondMaxOrder()
        {
            using var c = new TempCapture();
            c.Edit("buddyinfo.txt", t => t.Replace("   483 ", "   483      0 "));
            var e = c.Refused();
            Assert.Equal("CaptureOrderBeyondMaxOrder", e.ErrorId);
            Assert.Contains("buddyinfo.txt line 1: 12 orders", e.Message);
        }

        [Fact]
        public void PageblockOrderOfNoArm64PageSize_CapturePageSizeUnsupported()
        {
            using var c = new TempCapture();
            c.Edit("pagetypeinfo.txt", t => t.Replace("Page block order: 9", "Page block order: 8").Replace("Pages per block:  512", "Pages per block:  256"));
            var e = c.Refused();
            Assert.Equal("CapturePageSizeUnsupported", e.ErrorId);
            Assert.Contains("pagetypeinfo.txt line 1: page block order 8", e.Message);
        }

        [Fact]
        public void ManagedAbovePresent_CaptureCountsInconsistent_NamingZoneinfoLine()
        {
            using var c = new TempCapture();
            c.Edit("zoneinfo.txt", t => t.Replace("        present  524288", "        present  500000"));
            var e = c.Refused();
            Assert.Equal("CaptureCountsInconsistent", e.ErrorId);
            Assert.Contains("zoneinfo.txt line 53: zone DMA has spanned 524288, present 500000, managed 507360", e.Message);
        }

        [Fact]
        public void MissingFile_CaptureFileMissing()
        {
            using var c = new TempCapture();
            File.Delete(Path.Combine(c.Dir, "pagetypeinfo.txt"));
            var e = c.Refused();
            Assert.Equal("CaptureFileMissing", e.ErrorId);
            Assert.Contains("pagetypeinfo.txt", e.Message);
        }

        [Fact]
        public void MalformedLine_CaptureFormatInvalid_NamingFileAndLine()
        {
            using var c = new TempCapture();
            c.Edit("buddyinfo.txt", t => t.Replace("   483 ", "   4x3 "));
            var e = c.Refused();
            Assert.Equal("CaptureFormatInvalid", e.ErrorId);
            Assert.Contains("buddyinfo.txt line 1:", e.Message);
        }

        [Fact]
        public void KernelGiven_414_BuildsA414NodeFromThe61Capture()
        {
            var node = Build(SharedBoot, new List<string>(), KernelProfile.Linux414);
            Assert.Equal("4.14", node.Kernel.Version);
            AssertReproduces(SharedBoot, node);
        }

        [Fact]
        public void MissingDirectory_CaptureNotFound()
        {
            var e = Assert.Throws<MemMgmtException>(() => Build(Path.Combine(Path.GetTempPath(), "no-such-capture-" + Guid.NewGuid().ToString("N")), new List<string>()));
            Assert.Equal("CaptureNotFound", e.ErrorId);
        }
    }
}
