using System.Runtime.CompilerServices;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Watermarks
{
    /// <summary>The watermark checks the allocator and compaction ask.</summary>
    public static class ZoneWatermark
    {
        /// <summary>kernel: __zone_watermark_ok (mm/page_alloc.c, 4.14).</summary>
        /// <param name="freePages">The free page count to judge (usually NR_FREE_PAGES).</param>
        public static bool Ok(Zone z, int order, long mark, int classzoneIdx, int allocFlags, long freePages)
        {
            long min = mark;
            bool allocHarder = (allocFlags & AllocFlagBits.Harder) != 0;
            freePages -= (1L << order) - 1;
            if ((allocFlags & AllocFlagBits.High) != 0) min -= min / 2;
            if (!allocHarder) freePages -= z.NrReservedHighatomic;
            else min -= min / 4;
            if ((allocFlags & AllocFlagBits.Cma) == 0) freePages -= z.NrFreeCma;
            if (freePages <= min + z.LowmemReserveArr[classzoneIdx]) return false;
            if (order == 0) return true;
            var pages = z.Pages;
            for (int o = order; o < z.NrFree.Length; o++)
            {
                if (z.NrFree[o] == 0) continue;
                for (int mt = 0; mt < MigrateTypes.PcpTypes; mt++)
                    if (!pages.ListEmpty(z.FreeListHead(o, mt))) return true;
                if ((allocFlags & AllocFlagBits.Cma) != 0 && !pages.ListEmpty(z.FreeListHead(o, (int)MigrateType.Cma))) return true;
                if (allocHarder && !pages.ListEmpty(z.FreeListHead(o, (int)MigrateType.HighAtomic))) return true;
            }
            return false;
        }

        /// <summary>kernel: zone_watermark_ok (mm/page_alloc.c, 4.14) with the zone's NR_FREE_PAGES.</summary>
        public static bool Ok(Zone z, int order, long mark, int classzoneIdx, AllocFlags allocFlags) =>
            Ok(z, order, mark, classzoneIdx, (int)allocFlags, z.NrFreePages);

        /// <summary>kernel: zone_watermark_fast (mm/page_alloc.c, 4.14): order 0 passes on free pages alone.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static bool Fast(Zone z, int order, long mark, int classzoneIdx, int allocFlags)
        {
            long freePages = z.NrFreePages;
            long cmaPages = (allocFlags & AllocFlagBits.Cma) == 0 ? z.NrFreeCma : 0;
            if (order == 0 && freePages - cmaPages > mark + z.LowmemReserveArr[classzoneIdx]) return true;
            return Ok(z, order, mark, classzoneIdx, allocFlags, freePages);
        }
    }
}
