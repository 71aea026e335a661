using System;
using System.Runtime.CompilerServices;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Buddy
{
    /// <summary>6.1's per-cpu lists for orders above 0 (<see cref="KernelProfile.PcpHighOrder"/>): one list per migrate
    /// type for each order up to PAGE_ALLOC_COSTLY_ORDER, then the THP lists. Order-0 lists keep indexes 0..2 on every
    /// profile, so 4.14's lists and fast path are those of 6.1's order 0.</summary>
    internal static partial class BuddyAllocator
    {
        /// <summary>A pcp page keeps its migrate type (get_pcppage_migratetype) in the low bits of its Order byte and, on
        /// 6.1's higher-order lists, its order above them; an order-0 pcp page's byte is just the type.</summary>
        internal const int PcpOrderShift = 3;

        /// <summary>NR_PCP_THP (include/linux/mmzone.h, 6.1): order_to_pindex gives THP pages one list for movable and one
        /// for the other types.</summary>
        internal const int NrPcpThp = 2;

        /// <summary>NR_LOWORDER_PCP_LISTS (include/linux/mmzone.h, 6.1).</summary>
        internal const int NrLowOrderPcpLists = MigrateTypes.PcpTypes * (MmConstants.PageAllocCostlyOrder + 1);

        /// <summary>NR_PCP_LISTS: the list heads each pcp has (6.1 with CONFIG_TRANSPARENT_HUGEPAGE: 14; 4.14: 3).</summary>
        internal static int NrPcpLists(KernelProfile kernel, Geometry geometry) =>
            !kernel.PcpHighOrder ? MigrateTypes.PcpTypes : NrLowOrderPcpLists + (geometry.TransparentHugepage ? NrPcpThp : 0);

        /// <summary>kernel: pcp_allowed_order (mm/page_alloc.c, 6.1): orders up to PAGE_ALLOC_COSTLY_ORDER, and
        /// pageblock_order with THP.</summary>
        internal static bool PcpAllowedOrder(MemNode node, int order) =>
            order <= MmConstants.PageAllocCostlyOrder || (node.Geometry.TransparentHugepage && order == node.PbOrder);

        /// <summary>kernel: order_to_pindex (mm/page_alloc.c, 6.1).</summary>
        internal static int OrderToPindex(int migratetype, int order) =>
            order > MmConstants.PageAllocCostlyOrder
                ? NrLowOrderPcpLists + (migratetype == (int)MigrateType.Movable ? 1 : 0)
                : MigrateTypes.PcpTypes * order + migratetype;

        /// <summary>kernel: pindex_to_order (mm/page_alloc.c, 6.1).</summary>
        internal static int PindexToOrder(int pindex, int pbOrder) =>
            pindex >= NrLowOrderPcpLists ? pbOrder : pindex / MigrateTypes.PcpTypes;

        /// <summary>kernel: rmqueue_pcplist / __rmqueue_pcplist (mm/page_alloc.c, 6.1) for order &gt; 0: halve free_factor;
        /// an empty list is refilled with max(batch &gt;&gt; order, 2) blocks (batch itself when it is 1); take the first
        /// block. Returns the page index or -1 (rmqueue then tries rmqueue_buddy).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static int RmqueuePcplistOrder(Zone zone, int cpu, int order, int migratetype, int allocFlags)
        {
            var pcp = zone.Pcp[cpu];
            pcp.FreeFactor >>= 1;
            var pages = zone.Pages;
            int list = pcp.ListBase + OrderToPindex(migratetype, order);
            int page = pages.Next(list);
            if (page == list)
            {
                int batch = pcp.BatchField;
                if (batch > 1) batch = Math.Max(batch >> order, 2);
                pcp.CountField += RmqueueBulk(zone, order, batch, list, migratetype, allocFlags, false) << order;
                if (zone.BoostedWatermarkFlag) WakeKswapdForBoost(zone);
                page = pages.Next(list);
                if (page == list) return -1;
            }
            pages.ListDel(page);
            pages.Flags[page] = 0;
            pcp.CountField -= 1 << order;
            return page;
        }

        /// <summary>kernel: free_unref_page, free_unref_page_commit, nr_pcp_high (mm/page_alloc.c, 6.1) for order &gt; 0:
        /// isolated blocks go straight to the buddy lists, HighAtomic and CMA to the movable list; past the flush point
        /// nr_pcp_free pages go back starting with this list, and every page when free_factor is set for a non-THP order
        /// (free_high).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static void FreeUnrefPageOrder(Zone zone, int cpu, int index, int order)
        {
            var node = zone.NodeRef;
            var pages = zone.Pages;
            int migratetype = node.BlockMigratetype(index);
            int pcpMt = migratetype;
            if (migratetype >= MigrateTypes.PcpTypes)
            {
                if (migratetype == (int)MigrateType.Isolate)
                {
                    // free_one_page, which does not count PGFREE on 6.1.
                    pages.Flags[index] = 0;
                    FreeOnePage(zone, index, order, migratetype);
                    return;
                }
                pcpMt = (int)MigrateType.Movable;
            }
            node.Counters.Events[(int)VmEvent.PgFree] += 1L << order;
            var pcp = zone.Pcp[cpu];
            int pindex = OrderToPindex(pcpMt, order);
            pages.ListAdd(index, pcp.ListBase + pindex);
            pages.Flags[index] = PageMap.WithOrder((uint)PageFlags.Pcp, migratetype | (order << PcpOrderShift));
            pcp.CountField += 1 << order;
            bool freeHigh = pcp.FreeFactor != 0 && order <= MmConstants.PageAllocCostlyOrder;
            int high = freeHigh ? 0 : pcp.FreeHighField;
            if (pcp.CountField >= high)
                FreePcppagesBulkFrom(zone, freeHigh ? pcp.CountField : NrPcpFree(pcp, high, pcp.BatchField), pcp, pindex);
        }
    }
}
