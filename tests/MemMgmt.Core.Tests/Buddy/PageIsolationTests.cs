using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Buddy
{
    public class PageIsolationTests
    {
        /// <summary>Fresh default node: the Movable block at pfn 0x44400 (index 17408) heads a free order-10 block. Isolating it
        /// moves that whole order-10 block to the Isolate list (move_freepages moves by buddy order), so 1024 pages leave
        /// NR_FREE_PAGES; undoing it takes the block off and frees it back to Movable.</summary>
        [Fact]
        public void IsolateAndUndoAMovableBlock()
        {
            var node = new MemNode(new NodeConfig());
            var zone = node.GetZone(ZoneType.DMA);
            long pfn = node.NodeStartPfn + 17408;
            long free = zone.FreePages;
            Assert.Equal(MigrateType.Movable, node.GetPageblockMigratetype(pfn));
            Assert.True(PageIsolation.SetMigratetypeIsolate(node, pfn));
            Assert.Equal(MigrateType.Isolate, node.GetPageblockMigratetype(pfn));
            Assert.Equal(free - 1024, zone.FreePages);
            Assert.Equal(1, zone.CountFreeList(10, MigrateType.Isolate));
            Assert.Empty(InvariantChecker.Check(node));
            // Already isolated: EBUSY.
            Assert.False(PageIsolation.SetMigratetypeIsolate(node, pfn));

            PageIsolation.UnsetMigratetypeIsolate(node, pfn, MigrateType.Movable);
            Assert.Equal(MigrateType.Movable, node.GetPageblockMigratetype(pfn));
            Assert.Equal(free, zone.FreePages);
            Assert.Equal(0, zone.CountFreeList(10, MigrateType.Isolate));
            Assert.Empty(InvariantChecker.Check(node));
        }

        /// <summary>Undoing the isolation frees the order-10 block again: 4.14 through __free_pages, which counts it as
        /// PGFREE (mm/page_isolation.c, 4.14: post_alloc_hook, __free_pages); 6.1 through __putback_isolated_page, which
        /// calls __free_one_page directly and counts nothing (mm/page_alloc.c, 6.1).</summary>
        [Theory]
        [InlineData("4.14", 1024)]
        [InlineData("6.1", 0)]
        public void UndoingAnIsolationCountsPgfreeOnlyOn414(string kernel, long pgfree)
        {
            var node = new MemNode(new NodeConfig { Kernel = kernel == "6.1" ? KernelProfile.Linux61 : KernelProfile.Linux414 });
            long pfn = node.NodeStartPfn + 17408;
            Assert.True(PageIsolation.SetMigratetypeIsolate(node, pfn));
            long before = node.Counters.Events[(int)VmEvent.PgFree];
            PageIsolation.UnsetMigratetypeIsolate(node, pfn, MigrateType.Movable);
            Assert.Equal(pgfree, node.Counters.Events[(int)VmEvent.PgFree] - before);
            Assert.Equal(MigrateType.Movable, node.GetPageblockMigratetype(pfn));
            Assert.Empty(InvariantChecker.Check(node));
        }

        /// <summary>has_unmovable_pages: an Unmovable block holding a kernel allocation cannot be isolated; nothing changes.</summary>
        [Fact]
        public void UnmovableBlockWithKernelPagesIsBusy()
        {
            var node = new MemNode(new NodeConfig());
            var r = PageAllocator.Allocate(node, 3, GfpFlags.GFP_KERNEL);
            Assert.True(r.Success);
            Assert.Equal(MigrateType.Unmovable, r.BlockMigrateType);
            long free = node.FreePages;
            Assert.False(PageIsolation.SetMigratetypeIsolate(node, r.Pfn));
            Assert.Equal(MigrateType.Unmovable, node.GetPageblockMigratetype(r.Pfn));
            Assert.Equal(free, node.FreePages);
        }

        /// <summary>While a block is isolated, order-0 frees into it skip the pcp lists (free_hot_cold_page) and stay off
        /// NR_FREE_PAGES; allocations cannot take them.</summary>
        [Fact]
        public void FreesIntoAnIsolatedBlockStayIsolated()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 64 * NodeConfig.MiB, CmaBytes = 0, ReservedPages = 0 });
            var a = PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE);
            Assert.True(PageIsolation.SetMigratetypeIsolate(node, a.Pfn));
            long free = node.FreePages;
            PageAllocator.Free(node, a.Handle);
            Assert.Equal(free, node.FreePages);
            Assert.Equal(0, node.GetZone(ZoneType.DMA).GetPageset(0).Count);
            Assert.Empty(InvariantChecker.Check(node));
            PageIsolation.UnsetMigratetypeIsolate(node, a.Pfn, MigrateType.Movable);
            Assert.Empty(InvariantChecker.Check(node));
        }
    }
}
