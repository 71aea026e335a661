using MemMgmt.Core.Node;

namespace MemMgmt.Core.Buddy
{
    /// <summary>Pageblock isolation (mm/page_isolation.c): what alloc_contig_range and memory offlining do first, so no
    /// allocation takes the block's free pages while its used pages are migrated away.</summary>
    public static class PageIsolation
    {
        private static int BlockStart(MemNode node, long pfn)
        {
            if (!node.ContainsPfn(pfn))
                throw new MemMgmtException("PfnOutOfRange", ErrorKind.OutOfRange,
                    $"Pfn 0x{pfn:x} is outside node '{node.Name}' (0x{node.NodeStartPfn:x} to 0x{node.NodeEndPfn - 1:x}).", pfn);
            int index = node.ToIndex(pfn) & ~((1 << node.PbOrder) - 1);
            if (!node.ZoneOfIndex(index).IsPopulated)
                throw new MemMgmtException("PfnOutOfRange", ErrorKind.OutOfRange, $"Pfn 0x{pfn:x} is not in a populated zone.", pfn);
            return index;
        }

        /// <summary>kernel: has_unmovable_pages (mm/page_alloc.c, 4.14): never for ZONE_MOVABLE or a Movable/CMA block;
        /// otherwise a referenced page that is neither on the LRU nor __PageMovable makes the block unmovable.</summary>
        internal static bool HasUnmovablePages(MemNode node, Zone zone, int blockStart)
        {
            if (zone.Type == ZoneType.Movable) return false;
            int mt = node.BlockMigratetype(blockStart);
            if (mt == (int)MigrateType.Movable || mt == (int)MigrateType.Cma) return false;
            var pages = node.Pages;
            int end = blockStart + (1 << node.PbOrder);
            for (int i = blockStart; i < end; i++)
            {
                uint f = pages.Flags[i];
                if ((f & (uint)PageFlags.Buddy) != 0) { i += (1 << pages.OrderOf(i)) - 1; continue; }
                bool referenced = (f & (uint)(PageFlags.Allocated | PageFlags.Reserved | PageFlags.Isolated)) != 0;
                if (!referenced) continue; // free inside a block, on a pcp list, or the tail of a non-compound allocation
                if ((f & (uint)PageFlags.NonLruMovable) != 0) continue;
                if ((f & (uint)PageFlags.Lru) == 0) return true;
            }
            return false;
        }

        /// <summary>kernel: set_migratetype_isolate (mm/page_isolation.c, 4.14): refuse (EBUSY, false) an isolated block or one
        /// with unmovable pages; else retype it Isolate, move its free pages to the Isolate lists (they leave NR_FREE_PAGES),
        /// then drain the pcp lists so their pages come back through the isolated block.</summary>
        public static bool SetMigratetypeIsolate(MemNode node, long pfn)
        {
            int index = BlockStart(node, pfn);
            var zone = node.ZoneOfIndex(index);
            int mt = node.BlockMigratetype(index);
            if (mt == (int)MigrateType.Isolate) return false;
            if (HasUnmovablePages(node, zone, index)) return false;
            node.SetBlockMigratetype(index, (int)MigrateType.Isolate);
            zone.NrIsolatePageblock++;
            int moved = BuddyAllocator.MoveFreepagesBlock(zone, index, (int)MigrateType.Isolate, out _);
            zone.NrFreePages -= moved;
            if (mt == (int)MigrateType.Cma) zone.NrFreeCma -= moved;
            BuddyAllocator.DrainAllPages(node);
            return true;
        }

        /// <summary>kernel: unset_migratetype_isolate (mm/page_isolation.c, 4.14; 6.1): give the block back to
        /// <paramref name="migratetype"/>; a free block of pageblock order or more whose buddy is not isolated is taken and
        /// freed again so it can merge, otherwise the free pages move back and count as free again.</summary>
        public static void UnsetMigratetypeIsolate(MemNode node, long pfn, MigrateType migratetype)
        {
            if (migratetype == MigrateType.Isolate)
                throw new MemMgmtException("MigrateTypeInvalid", ErrorKind.InvalidArgument,
                    "An isolated pageblock goes back to Unmovable, Movable, Reclaimable, HighAtomic or CMA, not Isolate.", migratetype);
            int index = BlockStart(node, pfn);
            var zone = node.ZoneOfIndex(index);
            if (node.BlockMigratetype(index) != (int)MigrateType.Isolate) return;
            var pages = node.Pages;
            int order = -1;
            if (pages.Has(index, PageFlags.Buddy) && pages.OrderOf(index) >= node.PbOrder)
            {
                int buddy = index ^ (1 << pages.OrderOf(index));
                if ((uint)buddy < (uint)pages.NrPages && node.BlockMigratetype(buddy) != (int)MigrateType.Isolate)
                {
                    order = pages.OrderOf(index);
                    BuddyAllocator.IsolateFreePage(zone, index, order);
                }
            }
            if (order < 0)
            {
                int moved = BuddyAllocator.MoveFreepagesBlock(zone, index, (int)migratetype, out _);
                zone.NrFreePages += moved;
                if (migratetype == MigrateType.Cma) zone.NrFreeCma += moved;
            }
            node.SetBlockMigratetype(index, (int)migratetype);
            zone.NrIsolatePageblock--;
            if (order >= 0)
            {
                // The block merges with its buddy as any freed block would: 4.14 frees it with __free_pages after
                // post_alloc_hook (PGFREE counts it); 6.1's __putback_isolated_page calls __free_one_page itself, at the
                // list tail and without counting PGFREE.
                if (node.Kernel.FreeListMovesToTail) BuddyAllocator.FreeOnePage(zone, index, order, (int)migratetype, toTail: true);
                else BuddyAllocator.FreePagesOk(zone, index, order);
            }
        }
    }
}
