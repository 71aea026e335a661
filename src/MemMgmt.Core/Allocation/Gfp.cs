using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Allocation
{
    /// <summary>What a GFP mask means to the allocator.</summary>
    public static class Gfp
    {
        /// <summary>kernel: gfpflags_to_migratetype (include/linux/gfp.h, 4.14).</summary>
        public static MigrateType ToMigratetype(GfpFlags gfp, bool mobilityDisabled = false)
        {
            if (mobilityDisabled) return MigrateType.Unmovable;
            if ((gfp & GfpFlags.__GFP_MOVABLE) != 0) return MigrateType.Movable;
            if ((gfp & GfpFlags.__GFP_RECLAIMABLE) != 0) return MigrateType.Reclaimable;
            return MigrateType.Unmovable;
        }

        /// <summary>kernel: gfp_zone (include/linux/gfp.h, 4.14) on arm64: DMA; DMA32 (Normal where the zone is not configured,
        /// as OPT_ZONE_DMA32); Movable for highmem+movable; else Normal (OPT_ZONE_HIGHMEM is Normal without highmem).</summary>
        public static ZoneType ToZone(GfpFlags gfp, KernelProfile kernel)
        {
            if ((gfp & GfpFlags.__GFP_DMA) != 0) return ZoneType.DMA;
            if ((gfp & GfpFlags.__GFP_DMA32) != 0) return kernel.ZoneIndex(ZoneType.DMA32) >= 0 ? ZoneType.DMA32 : ZoneType.Normal;
            if ((gfp & (GfpFlags.__GFP_HIGHMEM | GfpFlags.__GFP_MOVABLE)) == (GfpFlags.__GFP_HIGHMEM | GfpFlags.__GFP_MOVABLE))
                return ZoneType.Movable;
            return ZoneType.Normal;
        }

        /// <summary>kernel: gfp_to_alloc_flags (mm/page_alloc.c, 4.14): the slow path's flags.</summary>
        public static int ToAllocFlags(GfpFlags gfp)
        {
            int flags = AllocFlagBits.WmarkMin | AllocFlagBits.Cpuset;
            if ((gfp & GfpFlags.__GFP_HIGH) != 0) flags |= AllocFlagBits.High;
            if ((gfp & GfpFlags.__GFP_ATOMIC) != 0)
            {
                if ((gfp & GfpFlags.__GFP_NOMEMALLOC) == 0) flags |= AllocFlagBits.Harder;
                flags &= ~AllocFlagBits.Cpuset;
            }
            if (ToMigratetype(gfp) == MigrateType.Movable) flags |= AllocFlagBits.Cma;
            // ALLOC_KSWAPD mirrors __GFP_KSWAPD_RECLAIM (6.1); only the watermark boost reads it.
            flags |= (int)gfp & AllocFlagBits.Kswapd;
            return flags;
        }

        public static bool AllowsDirectReclaim(GfpFlags gfp) => (gfp & GfpFlags.__GFP_DIRECT_RECLAIM) != 0;
    }
}
