using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using MemMgmt.Core.Sysctl;
using Xunit;

namespace MemMgmt.Core.Tests.Buddy
{
    /// <summary>Helpers that build exact buddy states: empty a zone, then free chosen blocks with chosen pageblock types.</summary>
    internal static class BuddyState
    {
        /// <summary>16 MiB, 4K pages, no CMA, nothing reserved: one DMA zone of 4096 pages, pageblock order 9,
        /// MAX_ORDER 11, so order-10 blocks start at 0, 1024, 2048, 3072.</summary>
        public static MemNode Small(bool mobilityDisabled = false) =>
            new MemNode(new NodeConfig { SizeBytes = 16 * NodeConfig.MiB, CmaBytes = 0, ReservedPages = 0, DisableMobilityGrouping = mobilityDisabled });

        /// <summary>Takes every free block off the zone's lists and marks every page an allocated order-0 page.</summary>
        public static void TakeAll(MemNode node, Zone zone)
        {
            var pages = node.Pages;
            for (int o = 0; o < node.Geometry.MaxOrder; o++)
                for (int mt = 0; mt < MigrateTypes.Count; mt++)
                {
                    int head = zone.FreeListHead(o, mt);
                    while (pages.Next(head) != head)
                    {
                        int p = pages.Next(head);
                        pages.ListDel(p);
                        zone.NrFree[o]--;
                        zone.NrFreePages -= 1L << o;
                        if (mt == (int)MigrateType.Cma) zone.NrFreeCma -= 1L << o;
                        for (int i = p; i < p + (1 << o); i++) { pages.Flags[i] = (uint)PageFlags.Allocated; }
                    }
                }
            Assert.Equal(0, zone.NrFreePages);
        }

        /// <summary>Frees [index, index + 2^order) as one block of the given pageblock type (__free_one_page).</summary>
        public static void PutFree(MemNode node, Zone zone, int index, int order, MigrateType type)
        {
            node.SetBlockMigratetype(index, (int)type);
            for (int i = index; i < index + (1 << order); i++) { node.Pages.Flags[i] = 0; }
            BuddyAllocator.FreeOnePage(zone, index, order, (int)type);
        }

        /// <summary>The list from head to tail, as page indexes.</summary>
        public static List<int> List(MemNode node, int head)
        {
            var l = new List<int>();
            for (int p = node.Pages.Next(head); p != head; p = node.Pages.Next(p)) l.Add(p);
            return l;
        }

        public static List<int> FreeList(MemNode node, Zone zone, int order, MigrateType type) => List(node, zone.FreeListHead(order, (int)type));

        public static List<int> PcpList(MemNode node, Zone zone, int cpu, MigrateType type) => List(node, zone.Pcp[cpu].ListBase + (int)type);

        public static int FreePagesOfType(MemNode node, Zone zone, MigrateType type)
        {
            int n = 0;
            for (int o = 0; o < node.Geometry.MaxOrder; o++) n += FreeList(node, zone, o, type).Count << o;
            return n;
        }
    }

    /// <summary>Buddy decisions checked against values worked out by hand from mm/page_alloc.c (4.14).</summary>
    public class BuddyDecisionTests
    {
        // ---- can_steal_fallback -------------------------------------------------------------------------------
        // kernel 4.14:  if (order >= pageblock_order) return true;
        //               if (order >= pageblock_order / 2 || start_mt == MIGRATE_RECLAIMABLE ||
        //                   start_mt == MIGRATE_UNMOVABLE || page_group_by_mobility_disabled) return true;
        //               return false;

        [Fact]
        public void CanStealFallback_PageblockOrder9()
        {
            var node = BuddyState.Small();
            Assert.Equal(9, node.PbOrder);
            // pageblock_order / 2 = 4: a movable request may steal from order 4 up; unmovable and reclaimable always.
            bool[] movable = { false, false, false, false, true, true, true, true, true, true, true };
            for (int order = 0; order <= 10; order++)
            {
                Assert.Equal(movable[order], BuddyAllocator.CanStealFallback(node, order, (int)MigrateType.Movable));
                Assert.True(BuddyAllocator.CanStealFallback(node, order, (int)MigrateType.Unmovable));
                Assert.True(BuddyAllocator.CanStealFallback(node, order, (int)MigrateType.Reclaimable));
            }
        }

        [Fact]
        public void CanStealFallback_PageblockOrder10WithoutHugetlb()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 32 * NodeConfig.MiB, HugeTlb = false, CmaBytes = 0, ReservedPages = 0 });
            Assert.Equal(10, node.PbOrder); // MAX_ORDER − 1 without hugetlb
            // pageblock_order / 2 = 5.
            bool[] movable = { false, false, false, false, false, true, true, true, true, true, true };
            for (int order = 0; order <= 10; order++)
            {
                Assert.Equal(movable[order], BuddyAllocator.CanStealFallback(node, order, (int)MigrateType.Movable));
                Assert.True(BuddyAllocator.CanStealFallback(node, order, (int)MigrateType.Unmovable));
                Assert.True(BuddyAllocator.CanStealFallback(node, order, (int)MigrateType.Reclaimable));
            }
        }

        [Fact]
        public void CanStealFallback_16KPages()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 64 * NodeConfig.MiB, PageSize = 16384, CmaBytes = 0, ReservedPages = 0 });
            // PMD_SHIFT 25 − PAGE_SHIFT 14 = pageblock order 11; MAX_ORDER 12 with THP; 11 / 2 = 5.
            Assert.Equal(11, node.PbOrder);
            for (int order = 0; order <= 11; order++)
                Assert.Equal(order >= 5, BuddyAllocator.CanStealFallback(node, order, (int)MigrateType.Movable));
        }

        [Fact]
        public void CanStealFallback_MobilityGroupingDisabledAlwaysSteals()
        {
            var node = BuddyState.Small(mobilityDisabled: true);
            for (int order = 0; order <= 10; order++)
                foreach (var mt in new[] { MigrateType.Unmovable, MigrateType.Movable, MigrateType.Reclaimable })
                    Assert.True(BuddyAllocator.CanStealFallback(node, order, (int)mt));
        }

        // ---- steal_suitable_fallback ---------------------------------------------------------------------------
        // kernel 4.14: free_pages = move_freepages_block(..., &movable_pages);
        //   alike = movable_pages                                   if start_type == MOVABLE
        //         = pageblock_nr_pages − (free_pages + movable)      else if old block MOVABLE
        //         = 0                                               otherwise
        //   if (free_pages + alike >= 1 << (pageblock_order − 1)) set_pageblock_migratetype(page, start_type);
        // With pageblock order 9 the threshold is 256 pages.

        private const int Block = 4;          // pageblock 4: pages 2048..2559
        private const int BlockStart = Block * 512;

        /// <summary>Empties the zone, types pageblock 4, gives it <paramref name="lru"/> LRU pages at its start, then
        /// <paramref name="free"/> free pages, the rest allocated non-LRU; steals its first free block.</summary>
        private static (MemNode Node, Zone Zone) StealScenario(MigrateType oldType, MigrateType startType, int free, int lru,
            bool wholeBlock = true, bool mobilityDisabled = false)
        {
            var node = BuddyState.Small(mobilityDisabled);
            var zone = node.Zonelist[0];
            BuddyState.TakeAll(node, zone);
            node.SetBlockMigratetype(BlockStart, (int)oldType);
            for (int i = 0; i < lru; i++) node.Pages.Flags[BlockStart + i] = (uint)(PageFlags.Allocated | PageFlags.Lru);
            for (int i = lru; i < lru + free; i++) BuddyState.PutFree(node, zone, BlockStart + i, 0, oldType);
            int first = -1;
            for (int i = BlockStart; i < BlockStart + 512 && first < 0; i++)
                if ((node.Pages.Flags[i] & (uint)PageFlags.Buddy) != 0) first = i;
            Assert.True(first >= 0);
            BuddyAllocator.StealSuitableFallback(zone, first, (int)startType, wholeBlock, 0);
            return (node, zone);
        }

        [Theory]
        // Unmovable from a Movable block: free + (512 − free − lru) = 512 − lru; claimed at lru 256 (= 256), not at 257 (= 255).
        [InlineData(MigrateType.Movable, MigrateType.Unmovable, 10, 256, true)]
        [InlineData(MigrateType.Movable, MigrateType.Unmovable, 10, 257, false)]
        // Reclaimable from a Movable block: the same rule.
        [InlineData(MigrateType.Movable, MigrateType.Reclaimable, 1, 256, true)]
        [InlineData(MigrateType.Movable, MigrateType.Reclaimable, 1, 257, false)]
        // Movable from an Unmovable block: alike = LRU pages; 100 + 156 = 256 claims, 100 + 155 = 255 does not.
        [InlineData(MigrateType.Unmovable, MigrateType.Movable, 100, 156, true)]
        [InlineData(MigrateType.Unmovable, MigrateType.Movable, 100, 155, false)]
        // Reclaimable from an Unmovable block: alike = 0, only free pages count: 256 claims, 255 does not.
        [InlineData(MigrateType.Unmovable, MigrateType.Reclaimable, 256, 0, true)]
        [InlineData(MigrateType.Unmovable, MigrateType.Reclaimable, 255, 0, false)]
        [InlineData(MigrateType.Reclaimable, MigrateType.Unmovable, 255, 200, false)]
        public void StealSuitableFallback_ClaimsTheBlockAtHalf(MigrateType oldType, MigrateType startType, int free, int lru, bool claimed)
        {
            var (node, zone) = StealScenario(oldType, startType, free, lru);
            Assert.Equal(claimed ? (int)startType : (int)oldType, node.BlockMigratetype(BlockStart));
            // move_freepages_block runs before the threshold test: every free page of the block is on start_type's lists either way.
            Assert.Equal(free, BuddyState.FreePagesOfType(node, zone, startType));
            Assert.Equal(0, BuddyState.FreePagesOfType(node, zone, oldType));
        }

        [Fact]
        public void StealSuitableFallback_WithoutWholeBlockMovesOnlyThePage()
        {
            // Free pages 300..309 of the block merge into blocks 300(o2), 304(o2), 308(o1); only the first moves.
            var (node, zone) = StealScenario(MigrateType.Movable, MigrateType.Unmovable, 10, 300, wholeBlock: false);
            Assert.Equal((int)MigrateType.Movable, node.BlockMigratetype(BlockStart));
            Assert.Equal(new[] { BlockStart + 300 }, BuddyState.FreeList(node, zone, 2, MigrateType.Unmovable));
            Assert.Equal(new[] { BlockStart + 304 }, BuddyState.FreeList(node, zone, 2, MigrateType.Movable));
            Assert.Equal(new[] { BlockStart + 308 }, BuddyState.FreeList(node, zone, 1, MigrateType.Movable));
        }

        [Fact]
        public void StealSuitableFallback_MobilityDisabledClaimsWithOneFreePage()
        {
            var (node, _) = StealScenario(MigrateType.Movable, MigrateType.Unmovable, 1, 500, mobilityDisabled: true);
            Assert.Equal((int)MigrateType.Unmovable, node.BlockMigratetype(BlockStart));
        }

        [Fact]
        public void StealSuitableFallback_HighAtomicBlockGivesOnlyThePage()
        {
            var (node, zone) = StealScenario(MigrateType.HighAtomic, MigrateType.Unmovable, 400, 0);
            Assert.Equal((int)MigrateType.HighAtomic, node.BlockMigratetype(BlockStart));
            // 400 free pages from BlockStart: blocks of order 8 (256) and 7 (128) and 4 (16); only the first (order 8) moved.
            Assert.Equal(new[] { BlockStart }, BuddyState.FreeList(node, zone, 8, MigrateType.Unmovable));
            Assert.Equal(144, BuddyState.FreePagesOfType(node, zone, MigrateType.HighAtomic));
        }

        // __free_one_page above pageblock order: 4.14 keeps only isolated and non-isolated blocks apart (and only while
        // the zone has isolated pageblocks); 6.1 (5.18+) merges different types only when both are mergeable
        // (migratetype_is_mergeable: Unmovable, Movable, Reclaimable).

        [Theory]
        [InlineData(false, MigrateType.HighAtomic, true)]
        [InlineData(true, MigrateType.HighAtomic, false)]
        [InlineData(true, MigrateType.Unmovable, true)]
        public void FreeOnePage_AbovePageblockOrder_MergesADifferentTypeOnlyWhenBothAreMergeableOn61(bool linux61, MigrateType buddyType, bool merges)
        {
            var node = new MemNode(new NodeConfig
            {
                SizeBytes = 16 * NodeConfig.MiB, CmaBytes = 0, ReservedPages = 0,
                Kernel = linux61 ? KernelProfile.Linux61 : KernelProfile.Linux414,
            });
            var zone = node.Zonelist[0];
            BuddyState.TakeAll(node, zone);
            BuddyState.PutFree(node, zone, 0, 9, buddyType);
            BuddyState.PutFree(node, zone, 512, 9, MigrateType.Movable);
            if (merges)
            {
                Assert.Equal(new[] { 0 }, BuddyState.FreeList(node, zone, 10, MigrateType.Movable));
                Assert.Empty(BuddyState.FreeList(node, zone, 9, buddyType));
            }
            else
            {
                Assert.Empty(BuddyState.FreeList(node, zone, 10, MigrateType.Movable));
                Assert.Equal(new[] { 0 }, BuddyState.FreeList(node, zone, 9, buddyType));
                Assert.Equal(new[] { 512 }, BuddyState.FreeList(node, zone, 9, MigrateType.Movable));
            }
            Assert.Empty(InvariantChecker.Check(node));
        }

        // move_to_free_list: 4.14's move_freepages and steal_suitable_fallback use list_move (head); from 5.10
        // (293ffa5ebb9c) 6.1's move_to_free_list uses list_move_tail, for every move_freepages_block user too.

        [Theory]
        [InlineData(false, false)]
        [InlineData(false, true)]
        [InlineData(true, false)]
        [InlineData(true, true)]
        public void StealSuitableFallback_MovedBlocksGoToTheHeadOn414AndTheTailOn61(bool linux61, bool wholeBlock)
        {
            var node = new MemNode(new NodeConfig
            {
                SizeBytes = 16 * NodeConfig.MiB, CmaBytes = 0, ReservedPages = 0,
                Kernel = linux61 ? KernelProfile.Linux61 : KernelProfile.Linux414,
            });
            var zone = node.Zonelist[0];
            BuddyState.TakeAll(node, zone);
            // An Unmovable page already on the order-0 list, then two Movable order-0 pages in pageblock 4 (buddies in use).
            int existing = 2 * 512 + 1;
            BuddyState.PutFree(node, zone, existing, 0, MigrateType.Unmovable);
            BuddyState.PutFree(node, zone, BlockStart + 1, 0, MigrateType.Movable);
            BuddyState.PutFree(node, zone, BlockStart + 5, 0, MigrateType.Movable);
            BuddyAllocator.StealSuitableFallback(zone, BlockStart + 1, (int)MigrateType.Unmovable, wholeBlock, 0);
            var list = BuddyState.FreeList(node, zone, 0, MigrateType.Unmovable);
            int[] expected;
            if (wholeBlock)
                // move_freepages_block walks the block upward: each page in turn to the head (4.14) or the tail (6.1).
                expected = linux61 ? new[] { existing, BlockStart + 1, BlockStart + 5 } : new[] { BlockStart + 5, BlockStart + 1, existing };
            else
                expected = linux61 ? new[] { existing, BlockStart + 1 } : new[] { BlockStart + 1, existing };
            Assert.Equal(expected, list);
        }

        // ---- __rmqueue_fallback --------------------------------------------------------------------------------
        // kernel 4.14: for (current_order = MAX_ORDER − 1; current_order >= order; --current_order) {
        //     fallback_mt = find_suitable_fallback(area, current_order, start_migratetype, false, &can_steal);
        //     if (fallback_mt == -1) continue;
        //     if (!can_steal && start_migratetype == MIGRATE_MOVABLE && current_order > order) goto find_smallest;
        //     goto do_steal; }
        //   find_smallest: for (current_order = order; current_order < MAX_ORDER; current_order++) { ... if (fallback_mt != -1) break; }

        [Fact]
        public void RmqueueFallback_UnmovableTakesTheLargestBlockAndClaimsIt()
        {
            var node = BuddyState.Small();
            var zone = node.Zonelist[0];
            BuddyState.TakeAll(node, zone);
            BuddyState.PutFree(node, zone, 512, 1, MigrateType.Movable);   // pageblock 1
            BuddyState.PutFree(node, zone, 1536, 3, MigrateType.Movable);  // pageblock 3
            Assert.True(BuddyAllocator.RmqueueFallback(zone, 0, (int)MigrateType.Unmovable, 0));
            // The order-3 block (largest) was stolen; free 8 + alike (512 − 8 − 0) ≥ 256 claims pageblock 3.
            Assert.Equal(new[] { 1536 }, BuddyState.FreeList(node, zone, 3, MigrateType.Unmovable));
            Assert.Equal((int)MigrateType.Unmovable, node.BlockMigratetype(1536));
            Assert.Equal(new[] { 512 }, BuddyState.FreeList(node, zone, 1, MigrateType.Movable));
            Assert.Equal((int)MigrateType.Movable, node.BlockMigratetype(512));
        }

        [Fact]
        public void RmqueueFallback_MovableThatCannotStealTakesTheSmallestBlock()
        {
            var node = BuddyState.Small();
            var zone = node.Zonelist[0];
            BuddyState.TakeAll(node, zone);
            BuddyState.PutFree(node, zone, 512, 1, MigrateType.Unmovable);
            BuddyState.PutFree(node, zone, 1536, 3, MigrateType.Unmovable);
            Assert.True(BuddyAllocator.RmqueueFallback(zone, 0, (int)MigrateType.Movable, 0));
            // Order 3 < pageblock_order/2 = 4: no steal, so find_smallest picks order 1 and moves just that block.
            Assert.Equal(new[] { 512 }, BuddyState.FreeList(node, zone, 1, MigrateType.Movable));
            Assert.Equal((int)MigrateType.Unmovable, node.BlockMigratetype(512));
            Assert.Equal(new[] { 1536 }, BuddyState.FreeList(node, zone, 3, MigrateType.Unmovable));
        }

        [Fact]
        public void Rmqueue_MovableFallbackThenSplitsTheSmallestBlock()
        {
            var node = BuddyState.Small();
            var zone = node.Zonelist[0];
            BuddyState.TakeAll(node, zone);
            BuddyState.PutFree(node, zone, 512, 1, MigrateType.Unmovable);
            BuddyState.PutFree(node, zone, 1536, 3, MigrateType.Unmovable);
            var source = AllocSource.None;
            int page = BuddyAllocator.Rmqueue(zone, 0, (int)MigrateType.Movable, 0, ref source);
            Assert.Equal(512, page);
            Assert.Equal(AllocSource.Fallback, source);
            Assert.Equal(new[] { 513 }, BuddyState.FreeList(node, zone, 0, MigrateType.Movable)); // expand's upper half
            Assert.Equal(new[] { 1536 }, BuddyState.FreeList(node, zone, 3, MigrateType.Unmovable));
        }

        [Fact]
        public void RmqueueFallback_MovableThatCanStealTakesTheLargestBlock()
        {
            var node = BuddyState.Small();
            var zone = node.Zonelist[0];
            BuddyState.TakeAll(node, zone);
            BuddyState.PutFree(node, zone, 512, 4, MigrateType.Unmovable);
            BuddyState.PutFree(node, zone, 1536, 6, MigrateType.Unmovable);
            Assert.True(BuddyAllocator.RmqueueFallback(zone, 0, (int)MigrateType.Movable, 0));
            // Order 6 ≥ 4 may steal: largest first. free 64 + movable 0 < 256: the block keeps its type.
            Assert.Equal(new[] { 1536 }, BuddyState.FreeList(node, zone, 6, MigrateType.Movable));
            Assert.Equal((int)MigrateType.Unmovable, node.BlockMigratetype(1536));
            Assert.Equal(new[] { 512 }, BuddyState.FreeList(node, zone, 4, MigrateType.Unmovable));
        }

        // ---- __free_one_page placement -------------------------------------------------------------------------
        // kernel 4.14: if ((order < MAX_ORDER − 2) && pfn_valid_within(buddy_pfn)) {
        //     higher_page = page + (combined_pfn − pfn); higher_buddy = buddy of higher_page at order + 1;
        //     if (page_is_buddy(higher_page, higher_buddy, order + 1)) { list_add_tail(...); goto out; } }
        //   list_add(...);

        [Fact]
        public void FreeOnePage_TailWhenTheNextLargerBuddyIsFreeElseHead()
        {
            var node = BuddyState.Small();
            var zone = node.Zonelist[0];
            BuddyState.TakeAll(node, zone);
            const int b = 1024;
            BuddyState.PutFree(node, zone, b + 2, 1, MigrateType.Movable); // buddy b (order 1) stays allocated
            BuddyState.PutFree(node, zone, 3000, 0, MigrateType.Movable);  // 3001 allocated, 3002 (o1) not free: head
            Assert.Equal(new[] { 3000 }, BuddyState.FreeList(node, zone, 0, MigrateType.Movable));
            // b: buddy b+1 allocated, no merge; higher block b, its order-1 buddy b+2 is free → tail.
            BuddyState.PutFree(node, zone, b, 0, MigrateType.Movable);
            Assert.Equal(new[] { 3000, b }, BuddyState.FreeList(node, zone, 0, MigrateType.Movable));
            // b+8: buddy b+9 allocated; higher buddy b+10 at order 1 is not free → head.
            BuddyState.PutFree(node, zone, b + 8, 0, MigrateType.Movable);
            Assert.Equal(new[] { b + 8, 3000, b }, BuddyState.FreeList(node, zone, 0, MigrateType.Movable));
            Assert.Empty(InvariantChecker.Check(node));
        }

        [Fact]
        public void FreeOnePage_NoTailPlacementFromMaxOrderMinusTwo()
        {
            // Order 8 < MAX_ORDER − 2 = 9: tail when the order-9 buddy of its parent is free.
            var node = BuddyState.Small();
            var zone = node.Zonelist[0];
            BuddyState.TakeAll(node, zone);
            BuddyState.PutFree(node, zone, 2560, 8, MigrateType.Movable);  // 2816 allocated: head
            BuddyState.PutFree(node, zone, 512, 9, MigrateType.Movable);   // buddy 0 allocated
            BuddyState.PutFree(node, zone, 0, 8, MigrateType.Movable);     // 256 allocated; parent 0's buddy 512 (o9) free → tail
            Assert.Equal(new[] { 2560, 0 }, BuddyState.FreeList(node, zone, 8, MigrateType.Movable));

            // Order 9 = MAX_ORDER − 2: always head, even with the order-10 buddy of its parent free.
            node = BuddyState.Small();
            zone = node.Zonelist[0];
            BuddyState.TakeAll(node, zone);
            BuddyState.PutFree(node, zone, 1024, 10, MigrateType.Movable);
            BuddyState.PutFree(node, zone, 3584, 9, MigrateType.Movable);  // buddy 3072 allocated
            BuddyState.PutFree(node, zone, 0, 9, MigrateType.Movable);     // buddy 512 allocated; 1024 (o10) free, yet head
            Assert.Equal(new[] { 0, 3584 }, BuddyState.FreeList(node, zone, 9, MigrateType.Movable));
        }

        [Fact]
        public void FreeOnePage_MergesUpToMaxOrderAcrossPageblocks()
        {
            var node = BuddyState.Small();
            var zone = node.Zonelist[0];
            BuddyState.TakeAll(node, zone);
            for (int i = 2048; i < 3072; i++) BuddyState.PutFree(node, zone, i, 0, MigrateType.Movable);
            Assert.Equal(new[] { 2048 }, BuddyState.FreeList(node, zone, 10, MigrateType.Movable));
            for (int o = 0; o < 10; o++) Assert.Equal(0, zone.GetNrFree(o));
            Assert.Empty(InvariantChecker.Check(node));
        }

        // ---- expand ------------------------------------------------------------------------------------------------
        // kernel 4.14: while (high > low) { area--; high--; size >>= 1; list_add(&page[size].lru, &area->free_list[migratetype]); ... }

        [Fact]
        public void Expand_PutsEachUpperHalfAtTheHead()
        {
            var node = BuddyState.Small();
            var zone = node.Zonelist[0];
            BuddyState.TakeAll(node, zone);
            BuddyState.PutFree(node, zone, 3000, 1, MigrateType.Movable);
            BuddyState.PutFree(node, zone, 3500, 0, MigrateType.Movable);
            BuddyAllocator.Expand(zone, 1024, 0, 3, (int)MigrateType.Movable);
            Assert.Equal(new[] { 1028 }, BuddyState.FreeList(node, zone, 2, MigrateType.Movable));
            Assert.Equal(new[] { 1026, 3000 }, BuddyState.FreeList(node, zone, 1, MigrateType.Movable));
            Assert.Equal(new[] { 1025, 3500 }, BuddyState.FreeList(node, zone, 0, MigrateType.Movable));
            Assert.Equal(2, zone.GetNrFree(0));
            Assert.Equal(2, zone.GetNrFree(1));
            Assert.Equal(1, zone.GetNrFree(2));
        }

        [Fact]
        public void RmqueueSmallest_TakesTheFirstEntryOfTheSmallestList()
        {
            var node = BuddyState.Small();
            var zone = node.Zonelist[0];
            BuddyState.TakeAll(node, zone);
            BuddyState.PutFree(node, zone, 1024, 3, MigrateType.Movable);
            BuddyState.PutFree(node, zone, 2048, 3, MigrateType.Movable);  // head of the order-3 list now
            BuddyState.PutFree(node, zone, 3072, 2, MigrateType.Unmovable);
            Assert.Equal(2048, BuddyAllocator.RmqueueSmallest(zone, 1, (int)MigrateType.Movable));
            Assert.Equal(new[] { 2052 }, BuddyState.FreeList(node, zone, 2, MigrateType.Movable));
            Assert.Equal(new[] { 2050 }, BuddyState.FreeList(node, zone, 1, MigrateType.Movable));
            Assert.Equal(2050, BuddyAllocator.RmqueueSmallest(zone, 1, (int)MigrateType.Movable));
            Assert.Equal(2052, BuddyAllocator.RmqueueSmallest(zone, 2, (int)MigrateType.Movable));
            Assert.Equal(1024, BuddyAllocator.RmqueueSmallest(zone, 2, (int)MigrateType.Movable));
            Assert.Equal(-1, BuddyAllocator.RmqueueSmallest(zone, 3, (int)MigrateType.Movable));
        }

        // ---- per-cpu pagesets ----------------------------------------------------------------------------------

        [Fact]
        public void Pcp_RefillTakesBatchPagesInOrderAndFreeAtHighReturnsBatch()
        {
            // Default node: 2 GiB at 1 GiB, all DMA; reserved = 524288·64/4096 + 8736 = 16928 pages, managed 507360.
            // zone_batchsize: 507360/1024 = 495 pages > 512 KiB → 128; /4 = 32; rounddown_pow_of_two(48) − 1 = 31; high = 186.
            var node = new MemNode(new NodeConfig());
            var zone = node.Zonelist[0];
            var pcp = zone.Pcp[0];
            Assert.Equal(507360, zone.ManagedPages);
            Assert.Equal(31, pcp.Batch);
            Assert.Equal(186, pcp.High);
            // Boot freed [16928, …) in the largest aligned blocks: the smallest movable block is order 5 at 16928.
            Assert.Equal(new[] { 16928 }, BuddyState.FreeList(node, zone, 5, MigrateType.Movable));
            for (int o = 0; o < 5; o++) Assert.Empty(BuddyState.FreeList(node, zone, o, MigrateType.Movable));

            int first = PageAllocator.AllocPagesIndex(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0);
            // rmqueue_bulk took 31 pages 16928..16958 in that order, each added after the previous; the first goes out.
            Assert.Equal(16928, first);
            Assert.Equal(30, pcp.Count);
            var expected = new List<int>();
            for (int i = 16929; i <= 16958; i++) expected.Add(i);
            Assert.Equal(expected, BuddyState.PcpList(node, zone, 0, MigrateType.Movable));
            Assert.Equal(new[] { 16959 }, BuddyState.FreeList(node, zone, 0, MigrateType.Movable));

            // Take 186 pages, drain, then free them one by one: count climbs to 185, and the 186th free sends a batch back.
            var taken = new List<int> { first };
            while (taken.Count < 186) taken.Add(PageAllocator.AllocPagesIndex(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0));
            BuddyAllocator.DrainPagesZone(zone, 0);
            Assert.Equal(0, pcp.Count);
            for (int k = 0; k < 186; k++)
            {
                PageAllocator.FreePagesIndex(node, taken[k], 0, 0);
                Assert.Equal(k + 1 < 186 ? k + 1 : 186 - 31, pcp.Count);
            }
            // free_pcppages_bulk takes from the tail: the 31 pages freed first went back to the buddy lists.
            var left = BuddyState.PcpList(node, zone, 0, MigrateType.Movable);
            Assert.Equal(155, left.Count);
            for (int k = 0; k < 31; k++) Assert.DoesNotContain(taken[k], left);
            Assert.Equal(taken[185], left[0]);
            Assert.Equal(taken[31], left[left.Count - 1]);
            Assert.Empty(InvariantChecker.Check(node));
        }

        [Fact]
        public void Pcp_ColdRefillAddsBeforeThePreviousPageAndColdAllocTakesTheTail()
        {
            // 4.14 rmqueue_bulk with cold: list_add_tail(page, list); list = page — each page goes before the previous one, so the
            // list reads 16958 … 16929, 16928 and __rmqueue_pcplist's cold branch takes the last entry: 16928, the first taken.
            var node = new MemNode(new NodeConfig());
            var zone = node.Zonelist[0];
            int first = PageAllocator.AllocPagesIndex(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE | GfpFlags.__GFP_COLD, 0);
            Assert.Equal(16928, first);
            var expected = new List<int>();
            for (int i = 16958; i >= 16929; i--) expected.Add(i);
            Assert.Equal(expected, BuddyState.PcpList(node, zone, 0, MigrateType.Movable));
            // A hot request on the same list takes the head: the page taken last from the buddy lists.
            Assert.Equal(16958, PageAllocator.AllocPagesIndex(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0));
            Assert.Equal(16929, PageAllocator.AllocPagesIndex(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE | GfpFlags.__GFP_COLD, 0));
            Assert.Empty(InvariantChecker.Check(node));
        }

        [Fact]
        public void FreePcppagesBulk_RoundRobinFromTheTails()
        {
            var node = BuddyState.Small();
            var zone = node.Zonelist[0];
            BuddyState.TakeAll(node, zone);
            VmSysctl.Write(node, "vm.percpu_pagelist_fraction", "8"); // high = 4096/8 = 512: no drain while filling
            node.SetBlockMigratetype(512, (int)MigrateType.Unmovable);
            node.SetBlockMigratetype(1024, (int)MigrateType.Movable);
            node.SetBlockMigratetype(1536, (int)MigrateType.Reclaimable);
            // Lists head→tail: U = u1 u2 u3, M = m1..m5, R = r1 r2 (free_hot_cold_page adds at the head).
            int[] u = { 512 + 10, 512 + 20, 512 + 30 };
            int[] m = { 1024 + 10, 1024 + 20, 1024 + 30, 1024 + 40, 1024 + 50 };
            int[] r = { 1536 + 10, 1536 + 20 };
            for (int i = u.Length - 1; i >= 0; i--) BuddyAllocator.FreeHotPage(zone, 0, u[i]);
            for (int i = m.Length - 1; i >= 0; i--) BuddyAllocator.FreeHotPage(zone, 0, m[i]);
            for (int i = r.Length - 1; i >= 0; i--) BuddyAllocator.FreeHotPage(zone, 0, r[i]);
            var pcp = zone.Pcp[0];
            Assert.Equal(10, pcp.Count);

            // count 6, migratetype starts at 0 and is pre-incremented: M, R, U, M, R, U, one page each
            // → frees m5, r2, u3, m4, r1, u2.
            BuddyAllocator.FreePcppagesBulk(zone, 6, pcp);
            pcp.CountField -= 6;
            Assert.Equal(new[] { u[0] }, BuddyState.PcpList(node, zone, 0, MigrateType.Unmovable));
            Assert.Equal(new[] { m[0], m[1], m[2] }, BuddyState.PcpList(node, zone, 0, MigrateType.Movable));
            Assert.Empty(BuddyState.PcpList(node, zone, 0, MigrateType.Reclaimable));

            // count 3: M (m3); R empty so batch_free becomes 2 at U (u1, then U is empty); M again with batch_free 2 (m2).
            BuddyAllocator.FreePcppagesBulk(zone, 3, pcp);
            pcp.CountField -= 3;
            Assert.Empty(BuddyState.PcpList(node, zone, 0, MigrateType.Unmovable));
            Assert.Equal(new[] { m[0] }, BuddyState.PcpList(node, zone, 0, MigrateType.Movable));

            // Freed pages are on the buddy lists of their pageblock's type.
            Assert.Equal(2, BuddyState.FreePagesOfType(node, zone, MigrateType.Reclaimable));
            Assert.Equal(3, BuddyState.FreePagesOfType(node, zone, MigrateType.Unmovable));
            Assert.Equal(4, BuddyState.FreePagesOfType(node, zone, MigrateType.Movable));
            Assert.Empty(InvariantChecker.Check(node));
        }

        [Fact]
        public void FreePcppagesBulk_OnlyNonEmptyListIsFreedInOneRun()
        {
            var node = BuddyState.Small();
            var zone = node.Zonelist[0];
            BuddyState.TakeAll(node, zone);
            VmSysctl.Write(node, "vm.percpu_pagelist_fraction", "8");
            for (int i = 4; i >= 0; i--) BuddyAllocator.FreeHotPage(zone, 0, 1024 + 10 * i); // M = 1024, 1034, … 1064
            var pcp = zone.Pcp[0];
            // First pass frees the tail (1064); second pass finds R and U empty, batch_free reaches 3 = PCPTYPES and
            // becomes count, so the remaining three come off M in one run: 1054, 1044, 1034.
            BuddyAllocator.FreePcppagesBulk(zone, 4, pcp);
            pcp.CountField -= 4;
            Assert.Equal(new[] { 1024 }, BuddyState.PcpList(node, zone, 0, MigrateType.Movable));
        }

        // ---- highatomic reserve --------------------------------------------------------------------------------
        // kernel 4.14 reserve_highatomic_pageblock: max_managed = managed_pages / 100 + pageblock_nr_pages;
        //   if (nr_reserved_highatomic >= max_managed) return; … nr_reserved_highatomic += pageblock_nr_pages.

        [Fact]
        public void ReserveHighatomic_LimitOnASmallZone()
        {
            // managed 4096: 4096/100 + 512 = 552 → reserves at 0 and 512, then 1024 ≥ 552 stops.
            var node = BuddyState.Small();
            var zone = node.Zonelist[0];
            for (int b = 0; b < 8; b++) BuddyAllocator.ReserveHighatomicPageblock(zone, b * 512);
            Assert.Equal(1024, zone.ReservedHighatomic);
            Assert.Equal((int)MigrateType.HighAtomic, node.BlockMigratetype(0));
            Assert.Equal((int)MigrateType.HighAtomic, node.BlockMigratetype(512));
            Assert.Equal((int)MigrateType.Movable, node.BlockMigratetype(1024));
            // move_freepages_block moved the free order-10 block at 0 (covering both blocks) to the HighAtomic list.
            Assert.Equal(new[] { 0 }, BuddyState.FreeList(node, zone, 10, MigrateType.HighAtomic));
            Assert.Empty(InvariantChecker.Check(node));
        }

        [Fact]
        public void ReserveHighatomic_LimitOnTheDefaultZoneSkipsCma()
        {
            // managed 507360: 5073 + 512 = 5585 → 11 blocks (5632 pages); the 11th is taken at 5120 < 5585.
            var node = new MemNode(new NodeConfig());
            var zone = node.Zonelist[0];
            int cmaBlock = (int)(zone.SpannedPages - 1) & ~511; // CMA sits at the top of DMA
            Assert.Equal((int)MigrateType.Cma, node.BlockMigratetype(cmaBlock));
            BuddyAllocator.ReserveHighatomicPageblock(zone, cmaBlock);
            Assert.Equal(0, zone.ReservedHighatomic);
            int reservedBlocks = 0;
            for (int b = 64; b < 64 + 40; b++)
            {
                BuddyAllocator.ReserveHighatomicPageblock(zone, b * 512);
                if (node.BlockMigratetype(b * 512) == (int)MigrateType.HighAtomic) reservedBlocks++;
            }
            Assert.Equal(11, reservedBlocks);
            Assert.Equal(5632, zone.ReservedHighatomic);
            // An already reserved block is not counted twice.
            BuddyAllocator.ReserveHighatomicPageblock(zone, 64 * 512);
            Assert.Equal(5632, zone.ReservedHighatomic);
        }
    }
}

namespace MemMgmt.Core.Tests.Buddy
{
    public class LargeNodeTests
    {
        [Fact]
        public void EightGiBNodeWithHugePageHintedArraysBootsConsistentAndFullyMerged()
        {
            // 2 Mi pages: Next/Prev/Flags are 8 MiB arrays, so PageMap asks Linux for huge pages on them before boot.
            var node = new MemNode(new NodeConfig { SizeBytes = 8 * NodeConfig.GiB, CmaBytes = 0, ReservedPages = 0, ZoneLayout = null });
            Assert.Empty(InvariantChecker.Check(node));
            Assert.Equal(node.ManagedPages, node.FreePages);
            long blocks = 0;
            foreach (var z in node.PopulatedZones) blocks += z.GetNrFree(10);
            Assert.Equal(node.SpannedPages / 1024, blocks); // nothing reserved, every order-10 block free and whole
            for (int i = 0; i < 1000; i++)
            {
                int p = PageAllocator.AllocPagesIndex(node, i % 11, GfpFlags.GFP_KERNEL, i & 1);
                Assert.True(p >= 0);
                PageAllocator.FreePagesIndex(node, p, i % 11, i & 1);
            }
            PageAllocator.DrainAllPages(node);
            Assert.Empty(InvariantChecker.Check(node));
            Assert.Equal(node.ManagedPages, node.FreePages);
        }
    }
}
