using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Watermarks;

namespace MemMgmt.Core.Compaction
{
    /// <summary>The compaction decisions where Linux 4.4 differs (<see cref="KernelProfile.CompactionSuitablePartial"/>):
    /// COMPACT_PARTIAL (the page is there, played by <see cref="CompactResult.Success"/>), the low watermark in both
    /// compaction_suitable and __compact_finished, and no whole_zone (scanners that meet always end COMPLETE).</summary>
    internal static class ZoneCompaction44
    {
        /// <summary>kernel: __compaction_suitable (mm/compaction.c, 4.4): order −1 continues; the low watermark passing at the
        /// order is PARTIAL; order 0 failing at low + 2^(order+1) is SKIPPED; a fragmentation index in [0,
        /// extfrag_threshold] at any order is NOT_SUITABLE_ZONE; else CONTINUE. alloc_flags and classzone_idx pass through
        /// to the watermark checks.</summary>
        internal static CompactResult CompactionSuitableInner(Zone zone, int order, int allocFlags, int classzoneIdx)
        {
            if (order == -1) return CompactResult.Continue;
            long watermark = zone.Watermark[(int)WatermarkLevel.Low];
            if (ZoneWatermark.Ok(zone, order, watermark, classzoneIdx, allocFlags, zone.NrFreePages)) return CompactResult.Success;
            watermark += MmConstants.CompactGap(order);
            if (!ZoneWatermark.Ok(zone, 0, watermark, classzoneIdx, allocFlags, zone.NrFreePages)) return CompactResult.Skipped;
            int fragindex = Fragmentation.FragmentationIndex(zone.NrFree, order);
            if (fragindex >= 0 && fragindex <= zone.NodeRef.Sysctl.ExtfragThreshold) return CompactResult.NotSuitableZone;
            return CompactResult.Continue;
        }

        /// <summary>kernel: __compact_finished (mm/compaction.c, 4.4), in its order: contention or a fatal signal; scanners
        /// met (cached positions reset, skip hints flagged for flushing unless kswapd compacts) → COMPLETE; order −1
        /// continues; below the low watermark at the order continues; a free page of the type, CMA for movable, or a
        /// stealable fallback → PARTIAL; else NO_SUITABLE_PAGE.</summary>
        internal static CompactResult CompactFinished(Zone zone, CompactControl cc)
        {
            var node = zone.NodeRef;
            int migratetype = cc.Migratetype;
            if (cc.Contended || CompactionEngine.FatalSignalPendingOf(cc)) return CompactResult.Contended;
            if ((cc.FreePfn >> node.PbOrder) <= (cc.MigratePfn >> node.PbOrder))
            {
                CompactionEngine.ResetCachedPositions(zone);
                // 4.4 asks current_is_kswapd(), not whether this is direct compaction: /proc/sys/vm/compact_memory flags too.
                if (!cc.ByKswapd) zone.CompactBlockskipFlush = true;
                return CompactResult.Complete;
            }
            if (cc.Order == -1) return CompactResult.Continue;
            if (!ZoneWatermark.Ok(zone, cc.Order, zone.Watermark[(int)WatermarkLevel.Low], cc.ClasszoneIdx, cc.AllocFlags, zone.NrFreePages))
                return CompactResult.Continue;
            var pages = node.Pages;
            for (int order = cc.Order; order < node.MaxOrderValue; order++)
            {
                if (!pages.ListEmpty(zone.FreeListHead(order, migratetype))) return CompactResult.Success;
                if (migratetype == (int)MigrateType.Movable && !pages.ListEmpty(zone.FreeListHead(order, (int)MigrateType.Cma)))
                    return CompactResult.Success;
                if (BuddyAllocator.FindSuitableFallback(zone, order, migratetype, true, out _) != -1) return CompactResult.Success;
            }
            return CompactResult.NoSuitablePage;
        }
    }
}
