using MemMgmt.Core.Buddy;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Tests.Compaction;
using Xunit;

namespace MemMgmt.Core.Tests.Fidelity
{
    /// <summary>Compaction decisions checked line by line against mm/compaction.c of 4.14.177.</summary>
    public class CompactionFidelityTests
    {
        /// <summary>suitable_migration_target (mm/compaction.c, 4.14): the PageBuddy/page_order_unsafe ≥ pageblock_order
        /// test comes first and returns false; only then does cc->ignore_block_suitable return true; otherwise
        /// is_migrate_movable(get_pageblock_migratetype(page)).</summary>
        [Fact]
        public void SuitableMigrationTargetRefusesPageblockSizedBuddyEvenWhenIgnoringBlockSuitability()
        {
            var node = Scenario.Node(64);
            var zone = Scenario.MainZone(node);
            // A fresh node is free in blocks of at least pageblock order: find the first block head that is a buddy.
            int page = -1;
            for (long pfn = zone.ZoneStartPfn; pfn < zone.ZoneEndPfn; pfn += 1L << node.PbOrder)
            {
                int i = node.ToIndex(pfn);
                if ((node.Pages.Flags[i] & (uint)PageFlags.Buddy) != 0 && node.Pages.Order[i] >= node.PbOrder) { page = i; break; }
            }
            Assert.True(page >= 0);
            var ignoring = new CompactControl { Zone = zone, IgnoreBlockSuitable = true };
            var normal = new CompactControl { Zone = zone };
            Assert.False(CompactionEngine.SuitableMigrationTarget(ignoring, page));
            Assert.False(CompactionEngine.SuitableMigrationTarget(normal, page));
            // An unmovable block whose first page is allocated: ignore_block_suitable now decides alone.
            int taken = MemMgmt.Core.Allocation.PageAllocator.AllocPagesIndex(node, 0, MemMgmt.Core.Allocation.GfpFlags.GFP_KERNEL, 0);
            int head = taken & ~((1 << node.PbOrder) - 1);
            Assert.Equal((int)MigrateType.Unmovable, node.BlockMigratetype(head));
            Assert.True(CompactionEngine.SuitableMigrationTarget(ignoring, head));
            Assert.False(CompactionEngine.SuitableMigrationTarget(normal, head));
        }
    }
}
