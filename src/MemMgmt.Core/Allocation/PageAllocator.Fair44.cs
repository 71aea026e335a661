using System.Runtime.CompilerServices;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Allocation
{
    /// <summary>4.4's fair zone allocation policy (<see cref="KernelProfile.FairZoneAllocation"/>): its get_page_from_freelist is
    /// the shared zonelist walk compiled apart with the policy's steps, so the other profiles' walks carry none of them.</summary>
    public static partial class PageAllocator
    {
        /// <summary>kernel: get_page_from_freelist (mm/page_alloc.c, 4.4): the zonelist walk up to the GFP's highest zone;
        /// under ALLOC_FAIR (the fast path's flags) a zone whose batch is spent is passed over (zone_local always holds: one
        /// node), and a pass that found nothing after passing one over refills the batches (reset_alloc_batches) and walks
        /// again without the policy. Every page taken charges its zone's batch (buffered_rmqueue).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int GetPageFromFreelist44(MemNode node, int order, int highZoneIdx, int mt, int cpu, int allocFlags,
            GfpFlags gfp, out Zone? zone, out AllocSource source) =>
            GetPageFromFreelistWalk(node, order, highZoneIdx, mt, cpu, allocFlags, gfp, true, out zone, out source);

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
                zone.AllocBatch = zone.FullAllocBatch;
                zone.FairDepleted = false;
            }
        }
    }
}
