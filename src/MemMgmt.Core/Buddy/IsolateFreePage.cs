using MemMgmt.Core.Node;
using MemMgmt.Core.Watermarks;

namespace MemMgmt.Core.Buddy
{
    internal static partial class BuddyAllocator
    {
        /// <summary>kernel: __isolate_free_page (mm/page_alloc.c, 4.14): take a free block off its list if the zone stays
        /// above min + 2^order at order 0 (ALLOC_CMA, classzone 0); blocks of at least half a pageblock retype their
        /// pageblocks Movable (not Isolate, CMA or HighAtomic). Returns the pages taken, or 0.</summary>
        internal static int IsolateFreePage(Zone zone, int index, int order)
        {
            var node = zone.NodeRef;
            var pages = zone.Pages;
            int mt = node.BlockMigratetype(index);
            if (mt != (int)MigrateType.Isolate)
            {
                // _watermark[WMARK_MIN] (6.1): the boost does not count here.
                long watermark = zone.RawWatermark(0) + (1L << order);
                if (!ZoneWatermark.Ok(zone, 0, watermark, 0, AllocFlagBits.Cma, zone.NrFreePages)) return 0;
                ModFreepageState(zone, -(1L << order), mt);
            }
            pages.ListDel(index);
            zone.NrFree[order]--;
            pages.Flags[index] = 0;
            if (order >= node.PbOrder - 1)
            {
                int end = index + (1 << order) - 1;
                for (int p = index; p < end; p += 1 << node.PbOrder)
                {
                    int bmt = node.BlockMigratetype(p);
                    if (bmt != (int)MigrateType.Isolate && bmt != (int)MigrateType.Cma && bmt != (int)MigrateType.HighAtomic)
                        node.SetBlockMigratetype(p, (int)MigrateType.Movable);
                }
            }
            return 1 << order;
        }
    }
}
