using System;
using System.Linq;
using MemMgmt.Core.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Stats
{
    public class MalformedInputTests
    {
        private static string Arm(string file) => ProcCaptures.Read(ProcCaptures.Arm64, file);

        private static string ReplaceLine(string text, int lineNumber, string replacement)
        {
            string[] lines = text.Split('\n');
            lines[lineNumber - 1] = replacement;
            return string.Join("\n", lines);
        }

        private static string RemoveLine(string text, int lineNumber)
        {
            var lines = new System.Collections.Generic.List<string>(text.Split('\n'));
            lines.RemoveAt(lineNumber - 1);
            return string.Join("\n", lines);
        }

        [Fact]
        public void BuddyInfoRejectsANonNumericCount()
        {
            var ex = Assert.Throws<ProcTextFormatException>(() =>
                BuddyInfo.Parse("Node 0, zone      DMA      1      x \n"));
            Assert.Equal(1, ex.LineNumber);
            Assert.Equal("buddyinfo", ex.FileKind);
            Assert.Equal("Node 0, zone      DMA      1      x ", ex.LineText);
            Assert.Contains("unsigned free block count", ex.Expected);
            Assert.StartsWith("buddyinfo line 1: expected ", ex.Message);
        }

        [Fact]
        public void BuddyInfoRejectsMisalignedColumns()
        {
            var ex = Assert.Throws<ProcTextFormatException>(() =>
                BuddyInfo.Parse("Node 0, zone DMA 1 2 \n"));
            Assert.Equal(1, ex.LineNumber);
            Assert.Contains("Node 0, zone      DMA      1      2 ", ex.Expected);
        }

        [Fact]
        public void BuddyInfoRejectsRowsWithDifferentOrderCounts()
        {
            var ex = Assert.Throws<ProcTextFormatException>(() => BuddyInfo.Parse(
                "Node 0, zone      DMA      1      2 \nNode 0, zone   Normal      1 \n"));
            Assert.Equal(2, ex.LineNumber);
            Assert.Contains("2 free block counts", ex.Message);
        }

        [Fact]
        public void MissingFinalNewlineIsReportedOnTheLastLine()
        {
            string text = Arm("buddyinfo.txt").TrimEnd('\n');
            var ex = Assert.Throws<ProcTextFormatException>(() => BuddyInfo.Parse(text));
            Assert.Equal(1, ex.LineNumber);
            Assert.Contains("newline", ex.Expected);
        }

        [Fact]
        public void EmptyTextIsRejected()
        {
            var ex = Assert.Throws<ProcTextFormatException>(() => ZoneInfo.Parse(string.Empty));
            Assert.Equal(1, ex.LineNumber);
        }

        [Fact]
        public void PageTypeInfoRejectsOneSpaceAfterPagesPerBlock()
        {
            string bad = ReplaceLine(Arm("pagetypeinfo.txt"), 2, "Pages per block: 512");
            var ex = Assert.Throws<ProcTextFormatException>(() => PageTypeInfo.Parse(bad));
            Assert.Equal(2, ex.LineNumber);
            Assert.Equal("Pages per block: 512", ex.LineText);
            Assert.Contains("two spaces", ex.Expected);
        }

        [Fact]
        public void PageTypeInfoRejectsAShortFreeRow()
        {
            string bad = ReplaceLine(Arm("pagetypeinfo.txt"), 6, "Node    0, zone      DMA, type      Movable      0      0");
            var ex = Assert.Throws<ProcTextFormatException>(() => PageTypeInfo.Parse(bad));
            Assert.Equal(6, ex.LineNumber);
            Assert.Contains("11 counts", ex.Expected);
        }

        [Fact]
        public void PageTypeInfoRejectsMixedCappedAndExactLargeCounts()
        {
            string bad = ReplaceLine(Arm("pagetypeinfo.txt"), 5,
                "Node    0, zone      DMA, type    Unmovable >100000      1      0      0      0      0      1      0      0      0 123456 ");
            var ex = Assert.Throws<ProcTextFormatException>(() => PageTypeInfo.Parse(bad));
            Assert.Equal(5, ex.LineNumber);
            Assert.Contains("not both", ex.Expected);
        }

        [Fact]
        public void PageTypeInfoRejectsBlockHeaderTypesThatDifferFromTheFreeRows()
        {
            string bad = ReplaceLine(Arm("pagetypeinfo.txt"), 12,
                "Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic      Isolate ");
            var ex = Assert.Throws<ProcTextFormatException>(() => PageTypeInfo.Parse(bad));
            Assert.Equal(12, ex.LineNumber);
            Assert.Contains("migrate types of the free rows above", ex.Expected);
        }

        [Fact]
        public void PageTypeInfoRejectsAWrongBlockCountColumnCount()
        {
            string bad = ReplaceLine(Arm("pagetypeinfo.txt"), 13, "Node 0, zone      DMA           31          955 ");
            var ex = Assert.Throws<ProcTextFormatException>(() => PageTypeInfo.Parse(bad));
            Assert.Equal(13, ex.LineNumber);
            Assert.Contains("6 block counts", ex.Expected);
        }

        [Fact]
        public void ZoneInfoRejectsAMissingMinLine()
        {
            // Line 48 of the arm64 capture is "        min      5632".
            string text = Arm("zoneinfo.txt");
            Assert.Equal("        min      5632", text.Split('\n')[47]);
            var ex = Assert.Throws<ProcTextFormatException>(() => ZoneInfo.Parse(RemoveLine(text, 48)));
            Assert.Equal(48, ex.LineNumber);
            Assert.Equal("        low      7040", ex.LineText);
            Assert.Contains("(min)", ex.Expected);
            Assert.Contains("zoneinfo line 48", ex.Message);
        }

        [Fact]
        public void ZoneInfoRejectsMisalignedCounter()
        {
            string text = Arm("zoneinfo.txt");
            Assert.Equal("      nr_mapped    342", text.Split('\n')[20]);
            var ex = Assert.Throws<ProcTextFormatException>(() => ZoneInfo.Parse(ReplaceLine(text, 21, "      nr_mapped 342")));
            Assert.Equal(21, ex.LineNumber);
            Assert.Contains("\"      nr_mapped    342\"", ex.Expected);
        }

        [Fact]
        public void ZoneInfoRejectsMixedLayouts()
        {
            // Drop the boost line of the second (empty) zone: that zone then looks like 4.14 after a 6.1 zone.
            string text = Arm("zoneinfo.txt");
            string[] lines = text.Split('\n');
            int dma32 = Array.IndexOf(lines, "Node 0, zone    DMA32") + 1; // 1-based
            Assert.Equal("        boost    0", lines[dma32 + 1]);
            var ex = Assert.Throws<ProcTextFormatException>(() => ZoneInfo.Parse(RemoveLine(text, dma32 + 2)));
            Assert.Contains("6.1 layout", ex.Expected);
            Assert.Contains("(boost", ex.Expected);
            Assert.Equal(dma32 + 2, ex.LineNumber); // the min line, where boost was due
            Assert.Equal("        min      0", ex.LineText);
        }

        [Fact]
        public void ZoneInfoRejectsDetailAfterAnEmptyZone()
        {
            string text = Arm("zoneinfo.txt").Replace(
                "        protection: (0, 0, 0, 0)\nNode 0, zone   Normal",
                "        protection: (0, 0, 0, 0)\n      nr_free_pages 0\nNode 0, zone   Normal");
            var ex = Assert.Throws<ProcTextFormatException>(() => ZoneInfo.Parse(text));
            Assert.Equal("      nr_free_pages 0", ex.LineText);
            Assert.Contains("unpopulated zone", ex.Expected);
        }

        [Fact]
        public void ZoneInfoRejectsABadProtectionList()
        {
            string text = Arm("zoneinfo.txt");
            int line = Array.IndexOf(text.Split('\n'), "        protection: (0, 0, 0, 0)") + 1;
            var ex = Assert.Throws<ProcTextFormatException>(() => ZoneInfo.Parse(ReplaceLine(text, line, "        protection: (0, 0,, 0)")));
            Assert.Equal(line, ex.LineNumber);
            Assert.Contains("protection", ex.Expected);
        }

        [Fact]
        public void VmStatRejectsTwoSpaces()
        {
            var ex = Assert.Throws<ProcTextFormatException>(() => VmStat.Parse("nr_free_pages 1\nnr_mlock  0\n"));
            Assert.Equal(2, ex.LineNumber);
            Assert.Equal("nr_mlock  0", ex.LineText);
        }

        [Fact]
        public void VmStatRejectsDuplicates()
        {
            var ex = Assert.Throws<ProcTextFormatException>(() => VmStat.Parse("a 1\nb 2\na 3\n"));
            Assert.Equal(3, ex.LineNumber);
        }

        [Fact]
        public void MemInfoRejectsMisalignedValue()
        {
            var ex = Assert.Throws<ProcTextFormatException>(() => MemInfo.Parse("MemTotal:        2029440 kB\nMemFree: 1985844 kB\n"));
            Assert.Equal(2, ex.LineNumber);
            Assert.Contains("\"MemFree:         1985844 kB\"", ex.Expected);
        }

        [Fact]
        public void ExtfragRejectsAValueNotPrintedAsPercentDDotPercent03D()
        {
            var ex = Assert.Throws<ProcTextFormatException>(() => FragmentationIndexTable.Parse(
                "Node 0, zone      DMA -1.000 0.5 \n", FragmentationIndexKind.ExternalFragmentation));
            Assert.Equal(1, ex.LineNumber);
            Assert.Equal("extfrag_index", ex.FileKind);
            Assert.Contains("%d.%03d", ex.Expected);
        }

        [Fact]
        public void ZoneInfoRejectsAFirstPopulatedZoneWithoutPerNodeStats()
        {
            string text = Arm("zoneinfo.txt");
            string[] lines = text.Split('\n');
            int firstStat = Array.IndexOf(lines, "  pages free     496524");
            string without = string.Join("\n", lines.Take(1).Concat(lines.Skip(firstStat)));
            var ex = Assert.Throws<ProcTextFormatException>(() => ZoneInfo.Parse(without));
            Assert.Equal(1, ex.LineNumber);
            Assert.Equal("Node 0, zone      DMA", ex.LineText);
            Assert.Contains("per-node stats", ex.Expected);
        }

        [Fact]
        public void ZoneInfoRejectsPerNodeStatsOnAnUnpopulatedZone()
        {
            string text = Arm("zoneinfo.txt").Replace("Node 0, zone   Normal\n", "Node 0, zone   Normal\n  per-node stats\n      nr_mapped    1\n");
            int header = Array.IndexOf(text.Split('\n'), "Node 0, zone   Normal") + 1;
            var ex = Assert.Throws<ProcTextFormatException>(() => ZoneInfo.Parse(text));
            Assert.Equal(header + 1, ex.LineNumber);
            Assert.Equal("  per-node stats", ex.LineText);
            Assert.Contains("unpopulated", ex.Expected);
        }
    }
}
