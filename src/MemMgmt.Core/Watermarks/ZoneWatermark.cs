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
        public static bool Ok(Zone z, int order, long mark, int classzoneIdx, int allocFlags, long freePages) =>
            OkInline(z, order, mark, classzoneIdx, allocFlags, freePages);

        /// <summary>The body of <see cref="Ok(Zone, int, long, int, int, long)"/>, inlined where the allocator checks higher orders.</summary>
        /// <remarks>The free_area walk reads the list heads of an order as consecutive entries of the links array
        /// (free_list[type] of one order are <see cref="MigrateTypes.Count"/> adjacent heads), stepping one head per type.</remarks>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool OkInline(Zone z, int order, long mark, int classzoneIdx, int allocFlags, long freePages)
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
            var links = z.Pages.Links;
            var nrFree = z.NrFree;
            int head = z.FreeListHead(order, 0);
            for (int o = order; o < nrFree.Length; o++, head += MigrateTypes.Count)
            {
                if (nrFree[o] == 0) continue;
                // list_empty(&area->free_list[mt]) for mt < MIGRATE_PCPTYPES
                for (int mt = 0; mt < MigrateTypes.PcpTypes; mt++)
                    if (links[head + mt].Next != head + mt) return true;
                int cma = head + (int)MigrateType.Cma;
                if ((allocFlags & AllocFlagBits.Cma) != 0 && links[cma].Next != cma) return true;
                int highAtomic = head + (int)MigrateType.HighAtomic;
                if (allocHarder && links[highAtomic].Next != highAtomic) return true;
            }
            return false;
        }

        /// <summary>kernel: zone_watermark_ok (mm/page_alloc.c, 4.14) with the zone's NR_FREE_PAGES.</summary>
        public static bool Ok(Zone z, int order, long mark, int classzoneIdx, AllocFlags allocFlags) =>
            Ok(z, order, mark, classzoneIdx, (int)allocFlags, z.NrFreePages);

        /// <summary>kernel: zone_watermark_fast (mm/page_alloc.c, 4.14; 6.1): order 0 passes on free pages alone; on 6.1 an
        /// order-0 __GFP_ATOMIC request at WMARK_MIN that fails while the zone's watermark is boosted is judged again
        /// against the unboosted min (a boost exists only on profiles with <see cref="KernelProfile.WatermarkBoost"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static bool Fast(Zone z, int order, long mark, int classzoneIdx, int allocFlags, Allocation.GfpFlags gfp)
        {
            long freePages = z.NrFreePages;
            if (order != 0)
            {
                // Past the order-0 shortcut the boost exception below applies to order 0 only: this is __zone_watermark_ok.
                return OkInline(z, order, mark, classzoneIdx, allocFlags, freePages);
            }
            long cmaPages = (allocFlags & AllocFlagBits.Cma) == 0 ? z.NrFreeCma : 0;
            if (freePages - cmaPages > mark + z.LowmemReserveArr[classzoneIdx]) return true;
            return FastSlow(z, order, mark, classzoneIdx, allocFlags, gfp, freePages);
        }

        /// <summary>zone_watermark_fast past its order-0 shortcut, out of line: __zone_watermark_ok, then the boost
        /// exception (6.1): the min watermark is where boosting stops counting, so an atomic order-0 request checked at
        /// WMARK_MIN is held to _watermark[WMARK_MIN] without the boost.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static bool FastSlow(Zone z, int order, long mark, int classzoneIdx, int allocFlags, Allocation.GfpFlags gfp, long freePages)
        {
            if (Ok(z, order, mark, classzoneIdx, allocFlags, freePages)) return true;
            if (order != 0 || z.WatermarkBoost == 0) return false;
            if ((gfp & Allocation.GfpFlags.__GFP_ATOMIC) == 0) return false;
            if ((allocFlags & AllocFlagBits.WmarkMask) != AllocFlagBits.WmarkMin) return false;
            return Ok(z, 0, z.RawWatermark(AllocFlagBits.WmarkMin), classzoneIdx, allocFlags, freePages);
        }
    }
}
