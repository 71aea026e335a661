using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Tests.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Node
{
    /// <summary>New-MemNode -FromCapture with the harness's pbmap.txt: each pageblock gets the free pages, their pfn parity and
    /// the kinds of pages in use that pbmap saw in it, the hugetlb blocks become the pool, and the CMA area sits where the
    /// captured free CMA pages are; bad pbmap lines are refused with the file and line.</summary>
    public class CaptureCompositionTests
    {
        private static string Dir(string scenario, string phase) => ProcCaptures.Harness(scenario, phase);

        private static MemNode Build(string dir) => CaptureBuilder.Build(dir, new CaptureOptions { Name = "cap" }, new List<string>());

        /// <summary>pbmap's rows: pfn free anon shmem file slab pgtable huge reserved other free_odd.</summary>
        private static List<long[]> Pbmap(string dir) =>
            File.ReadAllLines(Path.Combine(dir, "pbmap.txt")).Skip(1).Where(l => l.Length > 0 && l[0] != '#')
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray()).ToList();

        private static bool IsFree(PageFlags f) => (f & (PageFlags.Allocated | PageFlags.Reserved)) == 0;

        [Theory]
        [InlineData("odd", "frag")]
        [InlineData("rand", "frag")]
        [InlineData("odd", "boot")]
        [InlineData("even", "compacted")]
        public void EachPageblock_HoldsTheFreePagesPbmapSawThere_WithinTwoPercentOverall(string scenario, string phase)
        {
            string dir = Path.Combine(Dir(scenario, phase));
            var node = Build(dir);
            long misplaced = 0, seen = 0;
            foreach (var row in Pbmap(dir))
            {
                long free = 0;
                for (long pfn = row[0]; pfn < row[0] + 512; pfn++) if (IsFree(node.GetPageFlags(pfn))) free++;
                misplaced += Math.Abs(free - row[1]);
                seen += row[1];
            }
            // pbmap reads kpageflags a moment after buddyinfo and guesses free block extents; the rest is the placement's.
            Assert.True(misplaced * 50 <= seen, $"{misplaced} of {seen} free pages are not where pbmap saw them");
        }

        [Theory]
        [InlineData("odd", 0.89)]
        [InlineData("even", 0.11)]
        public void FreePages_SitAtThePfnParityPbmapSaw(string scenario, double capturedOddShare)
        {
            string dir = Dir(scenario, "frag");
            var rows = Pbmap(dir);
            Assert.Equal(capturedOddShare, (double)rows.Sum(r => r[10]) / rows.Sum(r => r[1]), 2);
            var node = Build(dir);
            long free = 0, odd = 0;
            for (long pfn = node.NodeStartPfn; pfn < node.NodeEndPfn; pfn++)
                if (IsFree(node.GetPageFlags(pfn))) { free++; odd += pfn & 1; }
            Assert.InRange((double)odd / free, capturedOddShare - 0.02, capturedOddShare + 0.02);
        }

        [Fact]
        public void PagesInUse_HaveTheOwnersPbmapSaw_AndTheReservedPagesAreExactlySpannedMinusManaged()
        {
            string dir = Dir("odd", "frag");
            var node = Build(dir);
            var owners = new long[16];
            long reserved = 0;
            for (long pfn = node.NodeStartPfn; pfn < node.NodeEndPfn; pfn++)
            {
                var f = node.GetPageFlags(pfn);
                if ((f & PageFlags.Reserved) != 0) reserved++;
                else if ((f & PageFlags.Allocated) != 0) owners[(int)node.GetPageOwner(pfn)]++;
            }
            long[] real = new long[11];
            foreach (var r in Pbmap(dir)) for (int k = 1; k < 11; k++) real[k] += r[k];
            Assert.Equal(real[8], reserved);                                      // 16,928
            Assert.Equal(node.SpannedPages - node.ManagedPages, reserved);
            Assert.InRange(owners[(int)PageOwner.Anon], real[2] * 0.99, real[2] * 1.01);        // 194,373 anon
            Assert.InRange(owners[(int)PageOwner.Shmem], real[3] * 0.99, real[3] * 1.01);       // 37,270 shmem (tmpfs)
            Assert.Equal(0, owners[(int)PageOwner.FileCache]);                                   // pbmap saw no file pages
            Assert.InRange(owners[(int)PageOwner.SlabReclaimable] + owners[(int)PageOwner.SlabUnmovable], real[5] * 0.95, real[5] * 1.05);
            Assert.InRange(owners[(int)PageOwner.PageTable], real[6] * 0.98, real[6] * 1.02);
            Assert.InRange(owners[(int)PageOwner.Kernel], real[9] * 0.98, real[9] * 1.02);       // pipe buffers and other kernel pages
            Assert.Empty(InvariantChecker.Check(node));
        }

        [Fact]
        public void BlocksWhollyOfHugetlbPages_BecomeThePool_AsTheCapturedGrant()
        {
            string dir = Dir("odd", "hugepages1");
            long granted = long.Parse(File.ReadAllLines(Path.Combine(dir, "hugepages.txt")).First(l => l.StartsWith("granted=")).Substring(8));
            var node = Build(dir);
            Assert.Equal(101, granted);
            Assert.Equal(granted, node.Hugetlb.NrHugePages);
            Assert.Equal(granted, NodeViews.MemInfo(node)["HugePages_Total"]!.Value);
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "buddyinfo.txt")), NodeViews.BuddyInfo(node).ToKernelText());
            Assert.Empty(InvariantChecker.Check(node));
        }

        [Fact]
        public void CmaArea_IsTheHighestRunWhereTheCapturedFreeCmaPagesFit_0xb9a00OnTheBootCapture()
        {
            // The booted arm64 6.1 kernel's CMA area is 64 MiB at pfn 0xb9a00 (dmesg: "cma: Reserved 64 MiB at 0x00000000b9a00000").
            var node = Build(Dir("odd", "boot"));
            var cma = Enumerable.Range(0, (int)(node.SpannedPages / 512)).Select(b => node.NodeStartPfn + b * 512L)
                .Where(pfn => node.GetPageblockMigratetype(pfn) == MigrateType.Cma).ToList();
            Assert.Equal(32, cma.Count);
            Assert.Equal(0xb9a00, cma[0]);
            Assert.Equal(0xb9a00 + 31 * 512, cma[31]);
        }

        [Theory]
        [InlineData(1, "pfn free anon", "CaptureFormatInvalid", "expected the pbmap header")]
        [InlineData(2, "262144 1 2 3", "CaptureFormatInvalid", "non-negative integers")]
        [InlineData(3, "262656 500 13 0 0 0 0 0 0 0 0", "CaptureCountsInconsistent", "counts 513 pages")]
        [InlineData(4, "262145 0 0 0 0 0 0 0 512 0 0", "CaptureCountsInconsistent", "not the start of a 512-page block")]
        [InlineData(5, "262656 0 0 0 0 0 0 0 512 0 0", "CaptureCountsInconsistent", "listed twice")]
        [InlineData(6, "264192 10 0 0 0 0 0 0 0 502 11", "CaptureCountsInconsistent", "11 free pages at odd pfns but 10")]
        [InlineData(7, "1048576 0 0 0 0 0 0 0 512 0 0", "CaptureCountsInconsistent", "not the start of a 512-page block of the node")]
        public void BadPbmapLine_IsRefused_NamingTheFileAndLine(int line, string text, string errorId, string message)
        {
            string dir = Path.Combine(Path.GetTempPath(), "memmgmt-pbmap-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                foreach (var f in new[] { "zoneinfo.txt", "buddyinfo.txt", "pagetypeinfo.txt" })
                    File.Copy(Path.Combine(Dir("odd", "frag"), f), Path.Combine(dir, f));
                // Good rows (reserved blocks from the node's first pfn) up to the bad line.
                var lines = new List<string>();
                if (line > 1) lines.Add("pfn free anon shmem file slab pgtable huge reserved other free_odd");
                for (int k = 2; k < line; k++) lines.Add($"{262144 + 512 * (k - 2)} 0 0 0 0 0 0 0 512 0 0");
                lines.Add(text);
                File.WriteAllText(Path.Combine(dir, "pbmap.txt"), string.Join("\n", lines) + "\n");
                var e = Assert.Throws<MemMgmtException>(() => Build(dir));
                Assert.Equal(errorId, e.ErrorId);
                Assert.Contains($"pbmap.txt line {line}:", e.Message);
                Assert.Contains(message, e.Message);
            }
            finally { Directory.Delete(dir, true); }
        }
    }
}
