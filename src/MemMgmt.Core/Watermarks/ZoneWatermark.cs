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

        /// <summary>kernel: zone_watermark_fast (mm/page_alloc.c, 4.14; 6.1): order 0 passes on free pages alone; on 6.1 an
        /// order-0 __GFP_ATOMIC request at WMARK_MIN that fails while the zone's watermark is boosted is judged again
        /// against the unboosted min (a boost exists only on profiles with <see cref="KernelProfile.WatermarkBoost"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static bool Fast(Zone z, int order, long mark, int classzoneIdx, int allocFlags, Allocation.GfpFlags gfp)
        {
            long freePages = z.NrFreePages;
            long cmaPages = (allocFlags & AllocFlagBits.Cma) == 0 ? z.NrFreeCma : 0;
            if (order == 0 && freePages - cmaPages > mark + z.LowmemReserveArr[classzoneIdx]) return true;
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
