using System.Runtime.CompilerServices;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using MemMgmt.Core.Watermarks;

namespace MemMgmt.Core.Allocation
{
    /// <summary>4.4's get_page_from_freelist with the fair zone allocation policy (<see cref="KernelProfile.FairZoneAllocation"/>),
    /// kept apart from the walk of the other profiles so their fast path carries none of its checks.</summary>
    public static partial class PageAllocator
    {
        /// <summary>kernel: get_page_from_freelist (mm/page_alloc.c, 4.4): the zonelist walk up to the GFP's highest zone;
        /// under ALLOC_FAIR (the fast path's flags) a zone whose batch is spent is passed over (zone_local always holds: one
        /// node), and a pass that found nothing after passing one over refills the batches (reset_alloc_batches) and walks
        /// again without the policy. Every page taken charges its zone's batch (buffered_rmqueue).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int GetPageFromFreelist44(MemNode node, int order, int highZoneIdx, int mt, int cpu, int allocFlags,
            GfpFlags gfp, out Zone? zone, out AllocSource source)
        {
            bool cold = (gfp & GfpFlags.__GFP_COLD) != 0;
            var zonelist = node.Zonelist;
            int classzoneIdx = -1;
            int markIdx = allocFlags & AllocFlagBits.WmarkMask;
            int nrFairSkipped = 0;
            source = AllocSource.None;
        zonelistScan:
            for (int i = 0; i < zonelist.Length; i++)
            {
                var z = zonelist[i];
                if (z.Idx > highZoneIdx) continue;
                if (classzoneIdx < 0)
                {
                    classzoneIdx = z.Idx;
                    allocFlags &= z.NoFragmentMask; // 4.4 has no ALLOC_NOFRAGMENT
                }
                if ((allocFlags & AllocFlagBits.Fair) != 0 && z.FairDepleted)
                {
                    nrFairSkipped++;
                    continue;
                }
                if (!ZoneWatermark.Fast(z, order, z.WmarkPages(markIdx), classzoneIdx, allocFlags, gfp)
                    && (allocFlags & AllocFlagBits.NoWatermarks) == 0) continue; // zone_reclaim_mode is 0
                int page = BuddyAllocator.RmqueueZone(z, cpu, order, mt, allocFlags, out source, cold);
                if (page < 0) continue;
                ChargeAllocBatch(z, order);
                if (order > 0 && (allocFlags & AllocFlagBits.Harder) != 0) BuddyAllocator.ReserveHighatomicPageblock(z, page);
                zone = z;
                return page;
            }
            if ((allocFlags & AllocFlagBits.Fair) != 0)
            {
                allocFlags &= ~AllocFlagBits.Fair;
                if (nrFairSkipped != 0)
                {
                    ResetAllocBatches(node, classzoneIdx);
                    goto zonelistScan;
                }
            }
            zone = null;
            return -1;
        }

        /// <summary>kernel: buffered_rmqueue (mm/page_alloc.c, 4.4), after a page was taken: NR_ALLOC_BATCH drops by the pages,
        /// and a batch at or below zero marks the zone ZONE_FAIR_DEPLETED.</summary>
        private static void ChargeAllocBatch(Zone zone, int order)
        {
            zone.AllocBatch -= 1L << order;
            if (zone.AllocBatch <= 0) zone.FairDepleted = true;
        }

        /// <summary>kernel: reset_alloc_batches (mm/page_alloc.c, 4.4): the node's zones from the first up to the preferred
        /// one get a full batch (high − low watermark) again and lose ZONE_FAIR_DEPLETED.</summary>
        internal static void ResetAllocBatches(MemNode node, int preferredZoneIdx)
        {
            for (int i = 0; i <= preferredZoneIdx && i < node.ZoneArr.Length; i++)
            {
                var zone = node.ZoneArr[i];
                zone.AllocBatch = zone.Watermark[(int)WatermarkLevel.High] - zone.Watermark[(int)WatermarkLevel.Low];
                zone.FairDepleted = false;
            }
        }
    }
}
