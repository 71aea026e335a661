using System;
using System.IO;
using System.Linq;
using MemMgmt.Core.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Stats
{
    public class CaptureRoundTripTests
    {
        [Fact]
        public void CaptureFolderHoldsBothMachinesAndEveryExpectedFile()
        {
            string root = ProcCaptures.Root; // throws (fails) if the folder is missing
            foreach (string f in new[] { "buddyinfo.txt", "extfrag_index.txt", "meminfo.txt", "pagetypeinfo.txt", "unusable_index.txt", "vmstat.txt", "zoneinfo.txt" })
                Assert.True(File.Exists(Path.Combine(root, ProcCaptures.Arm64, f)), ProcCaptures.Arm64 + "/" + f);
            foreach (string f in new[] { "buddyinfo.txt", "meminfo.txt", "pagetypeinfo.txt", "vmstat.txt", "zoneinfo.txt" })
                Assert.True(File.Exists(Path.Combine(root, ProcCaptures.X86, f)), ProcCaptures.X86 + "/" + f);
            Assert.True(ProcCaptures.ParsableCaptures().Count() >= 12);
        }

        [Theory]
        [MemberData(nameof(ProcCaptures.ParsableCaptures), MemberType = typeof(ProcCaptures))]
        public void CaptureParsesAndRendersBackByteForByte(string machine, string file)
        {
            string text = ProcCaptures.Read(machine, file);
            string rendered = file switch
            {
                "buddyinfo.txt" => BuddyInfo.Parse(text).ToKernelText(),
                "pagetypeinfo.txt" => PageTypeInfo.Parse(text).ToKernelText(),
                "zoneinfo.txt" => ZoneInfo.Parse(text).ToKernelText(),
                "vmstat.txt" => VmStat.Parse(text).ToKernelText(),
                "meminfo.txt" => MemInfo.Parse(text).ToKernelText(),
                "extfrag_index.txt" => FragmentationIndexTable.Parse(text, FragmentationIndexKind.ExternalFragmentation).ToKernelText(),
                "unusable_index.txt" => FragmentationIndexTable.Parse(text, FragmentationIndexKind.UnusableFreeSpace).ToKernelText(),
                _ => throw new InvalidOperationException("no parser for " + file),
            };
            Assert.Equal(text, rendered);
        }

        [Fact]
        public void Arm64ZoneInfoIsThe61LayoutWithNodeStatsInDma()
        {
            ZoneInfo zi = ZoneInfo.Parse(ProcCaptures.Read(ProcCaptures.Arm64, "zoneinfo.txt"));
            Assert.Equal(KernelTextFormat.V6_1, zi.Format);
            Assert.Equal(new[] { "DMA", "DMA32", "Normal", "Movable" }, zi.Zones.Select(z => z.ZoneName));
            ZoneInfoZone dma = zi.Zones[0];
            Assert.NotNull(dma.NodeStats);
            Assert.Equal(43, dma.NodeStats!.Count);
            Assert.Equal(496524, dma.Free);
            Assert.Equal(5632, dma.Min);
            Assert.Equal(7040, dma.Low);
            Assert.Equal(8448, dma.High);
            Assert.Equal(507360, dma.Managed);
            Assert.Equal(16384, dma.Cma);
            Assert.Equal(new long[] { 0, 0, 0, 0 }, dma.Protection);
            Assert.NotNull(dma.Detail);
            Assert.Equal(2, dma.Detail!.Pagesets.Count);
            Assert.Equal(865, dma.Detail.Pagesets[0].Count);
            Assert.Equal(3520, dma.Detail.Pagesets[1].High);
            Assert.Equal(63, dma.Detail.Pagesets[1].Batch);
            Assert.Equal(20, dma.Detail.Pagesets[1].StatThreshold);
            Assert.Equal(262144, dma.Detail.StartPfn);
            Assert.False(dma.Detail.NodeUnreclaimable);
            Assert.Equal("numa_other", dma.Detail.ZoneStats.Last().Name);
            Assert.All(zi.Zones.Skip(1), z => { Assert.Null(z.Detail); Assert.Null(z.NodeStats); });
        }

        [Fact]
        public void X86ZoneInfoIsThe618LayoutWithPromoAndHighMinMax()
        {
            ZoneInfo zi = ZoneInfo.Parse(ProcCaptures.Read(ProcCaptures.X86, "zoneinfo.txt"));
            Assert.Equal(KernelTextFormat.V6_18, zi.Format);
            Assert.Equal(5, zi.Zones.Count);
            ZoneInfoZone normal = zi.Zones[2];
            Assert.Equal("Normal", normal.ZoneName);
            Assert.Equal(16011, normal.Promo);
            Assert.Equal(5718, normal.Detail!.Pagesets[0].HighMin);
            Assert.Equal(57344, normal.Detail.Pagesets[0].HighMax);
            Assert.Equal(new long[] { 0, 3018, 6602, 6602, 6602 }, zi.Zones[0].Protection);
            ZoneInfoZone movable = zi.Zones[3];
            Assert.False(movable.IsPopulated);
            Assert.Equal(32, movable.Min);
            Assert.Null(movable.Detail);
        }

        [Fact]
        public void PageTypeInfoCapturesCarryTheConfiguredMigrateTypes()
        {
            PageTypeInfo arm = PageTypeInfo.Parse(ProcCaptures.Read(ProcCaptures.Arm64, "pagetypeinfo.txt"));
            Assert.Equal(9, arm.PageBlockOrder);
            Assert.Equal(512, arm.PagesPerBlock);
            Assert.Equal(11, arm.OrderCount);
            Assert.Equal(new[] { "Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate" }, arm.MigrateTypeNames);
            Assert.Equal(6, arm.FreeRows.Count);
            Assert.Equal(468, arm.FreeRows[1].FreeBlocks[10]);
            Assert.Equal(new long[] { 31, 955, 6, 0, 32, 0 }, arm.BlockRows.Single().Blocks);

            PageTypeInfo x86 = PageTypeInfo.Parse(ProcCaptures.Read(ProcCaptures.X86, "pagetypeinfo.txt"));
            Assert.Equal(new[] { "Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate" }, x86.MigrateTypeNames);
            Assert.Equal(15, x86.FreeRows.Count);
            Assert.Equal(3, x86.BlockRows.Count);
        }

        [Fact]
        public void MemInfoAndVmStatCapturesExposeValues()
        {
            MemInfo mi = MemInfo.Parse(ProcCaptures.Read(ProcCaptures.Arm64, "meminfo.txt"));
            Assert.Equal(2029440, mi["MemTotal"]);
            Assert.Equal(133143592960, mi["VmallocTotal"]);
            MemInfoEntry huge = mi.Entries.Single(e => e.Name == "HugePages_Total");
            Assert.False(huge.HasKbUnit);
            Assert.Equal("HugePages_Total:       0", huge.ToKernelLine());
            Assert.Equal("HardwareCorrupted:     0 kB", mi.Entries.Single(e => e.Name == "HardwareCorrupted").ToKernelLine());

            VmStat vs = VmStat.Parse(ProcCaptures.Read(ProcCaptures.Arm64, "vmstat.txt"));
            Assert.Equal(496461, vs["nr_free_pages"]);
            Assert.Equal(704, vs["compact_isolated"]);
            Assert.Null(vs["no_such_counter"]);
        }

        [Fact]
        public void X86PageTypeInfoSummedOverTypesIsTheCapturedBuddyInfo()
        {
            // The x86 captures were taken together: nr_free per order is the sum of every migrate type's list.
            PageTypeInfo pti = PageTypeInfo.Parse(ProcCaptures.Read(ProcCaptures.X86, "pagetypeinfo.txt"));
            Assert.Equal(ProcCaptures.Read(ProcCaptures.X86, "buddyinfo.txt"), BuddyInfo.FromPageTypeInfo(pti).ToKernelText());
        }
    }
}
