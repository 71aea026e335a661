using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Views
{
    public class PageblockMapTests
    {
        private const string Esc = "\u001b[";

        /// <summary>256 MiB without CMA: 128 Movable pageblocks, the first 9760 pages (19 blocks and 32 pages) reserved.</summary>
        private static MemNode SmallNode() => new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB, CmaBytes = 0 });

        [Fact]
        public void TerminalCellsAreColouredByTypeShadedByFreeAndMarkedWhenSkipped()
        {
            var node = SmallNode();
            node.SetBlockSkip(20 << node.PbOrder, true);
            var lines = PageblockMap.RenderAnsi(node, 8);
            // Legend, then 16 lines of 8 blocks: lines[3] holds blocks 16..23.
            Assert.Equal(17, lines.Count);
            string line = lines[3];
            Assert.StartsWith("DMA     0x42000 ", line);
            string full = Esc + "32m\u2588\u001b[0m", free = Esc + "32m\u2591\u001b[0m", skipped = Esc + "32;47m\u2591\u001b[0m";
            // Blocks 16..18 are wholly reserved, 19 has 480 free pages of 512, 20 is free and skipped, 21..23 free.
            Assert.Equal("DMA     0x42000 " + full + full + full + free + skipped + free + free + free, line);
        }

        [Fact]
        public void TerminalWidthLeavesRoomForTheZoneAndPfn()
        {
            var node = SmallNode();
            // "DMA     0x" + 5 hex digits + a space: 16 columns before the cells.
            Assert.Equal(16, PageblockMap.PrefixLength(node));
            Assert.Equal(64, PageblockMap.CellsForColumns(node, 80));
            Assert.Equal(1, PageblockMap.CellsForColumns(node, 10));
        }

        [Fact]
        public void RawLettersFollowTheTypeAndHalfFreeRule()
        {
            var node = SmallNode();
            node.SetBlockMigratetype(40 << node.PbOrder, (int)MemMgmt.Core.Buddy.MigrateType.Unmovable);
            var lines = PageblockMap.RenderRaw(node, 64);
            Assert.Equal(3, lines.Count);
            Assert.Equal("DMA     0x40000 " + new string('M', 19) + new string('m', 21) + "u" + new string('m', 23), lines[1]);
            Assert.Equal("DMA     0x48000 " + new string('m', 64), lines[2]);
        }
    }
}
