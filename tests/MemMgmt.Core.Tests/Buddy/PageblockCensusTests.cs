using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using Xunit;

namespace MemMgmt.Core.Tests.Buddy
{
    public class PageblockCensusTests
    {
        private static MemNode Small() => new MemNode(new NodeConfig { SizeBytes = 256L << 20, CmaBytes = 0 });

        [Fact]
        public void EveryPageOfABootedNodeIsCountedOnce()
        {
            var node = Small();
            var blocks = PageblockCensus.TakeAll(node);
            Assert.Equal(128, blocks.Count);
            Assert.All(blocks, b => Assert.Equal(512, b.FreePages + b.PcpPages + b.ReservedPages + b.IsolatedPages + b.UsedPages));
            Assert.Equal(node.FreePages, blocks.Sum(b => b.FreePages));
            Assert.Equal(node.PresentPages - node.ManagedPages, blocks.Sum(b => b.ReservedPages));
            Assert.All(blocks, b => Assert.Equal(MigrateType.Movable, b.MigrateType));
        }

        [Fact]
        public void AnOrder10FreeBlockCountsInBothPageblocksItCovers()
        {
            var node = Small();
            // The last two pageblocks form one free order-10 block (pageblock order 9).
            long last = node.PageblockCount - 1;
            Assert.Equal(10, node.GetPageOrder(node.NodeStartPfn + ((last - 1) << 9)));
            var two = PageblockCensus.Take(node, last, last);
            Assert.Equal(512, two[0].FreePages);
            var pair = PageblockCensus.Take(node, last - 1, last);
            Assert.Equal(new long[] { 512, 512 }, pair.Select(b => b.FreePages).ToArray());
        }

        [Fact]
        public void AllocationsAreCountedByOwnerInTheirBlock()
        {
            var node = Small();
            var r = PageAllocator.Allocate(node, 3, GfpFlags.GFP_KERNEL, 0, PageOwner.SlabUnmovable);
            Assert.True(r.Success);
            var b = PageblockCensus.Take(node, PageblockCensus.BlockOf(node, r.Pfn), PageblockCensus.BlockOf(node, r.Pfn))[0];
            Assert.Equal(8, b.GetUsedPages(PageOwner.SlabUnmovable));
            Assert.Equal(8, b.UsedPages);
            Assert.Equal(504, b.FreePages);
            Assert.Equal(MigrateType.Unmovable, b.MigrateType);
        }

        [Fact]
        public void RejectsPfnsAndBlocksOutsideTheNode()
        {
            var node = Small();
            Assert.Equal("PfnOutOfRange", Assert.Throws<MemMgmtException>(() => PageblockCensus.BlockOf(node, node.NodeEndPfn)).ErrorId);
            Assert.Equal("PfnOutOfRange", Assert.Throws<MemMgmtException>(() => PageblockCensus.BlockOf(node, node.NodeStartPfn - 1)).ErrorId);
            Assert.Equal("PageblockOutOfRange", Assert.Throws<MemMgmtException>(() => PageblockCensus.Take(node, 0, node.PageblockCount)).ErrorId);
        }
    }
}
