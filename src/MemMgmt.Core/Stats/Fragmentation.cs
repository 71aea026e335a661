using System;
using System.Collections.Generic;

namespace MemMgmt.Core.Stats
{
    /// <summary>
    /// Free-memory summary of one zone as seen by a request of one order.
    /// </summary>
    /// kernel: struct contig_page_info (mm/vmstat.c, 4.14)
    public sealed class ContigPageInfo
    {
        /// <summary>Creates the summary.</summary>
        public ContigPageInfo(long freePages, long freeBlocksTotal, long freeBlocksSuitable, int orderCount)
        {
            if (freePages < 0) throw new ArgumentOutOfRangeException(nameof(freePages));
            if (freeBlocksTotal < 0) throw new ArgumentOutOfRangeException(nameof(freeBlocksTotal));
            if (freeBlocksSuitable < 0) throw new ArgumentOutOfRangeException(nameof(freeBlocksSuitable));
            if (orderCount < 1) throw new ArgumentOutOfRangeException(nameof(orderCount));
            FreePages = freePages;
            FreeBlocksTotal = freeBlocksTotal;
            FreeBlocksSuitable = freeBlocksSuitable;
            OrderCount = orderCount;
        }

        /// <summary>Free base pages: the sum of nr_free[o] * 2^o.</summary>
        public long FreePages { get; }

        /// <summary>Free blocks of any order: the sum of nr_free[o].</summary>
        public long FreeBlocksTotal { get; }

        /// <summary>Blocks of the requested size that the free blocks at or above that order could supply.</summary>
        public long FreeBlocksSuitable { get; }

        /// <summary>Number of buddy orders (MAX_ORDER in 4.14, NR_PAGE_ORDERS in 6.x).</summary>
        public int OrderCount { get; }
    }

    /// <summary>
    /// The kernel's fragmentation arithmetic behind extfrag_index, unusable_index and compaction_suitable.
    /// Indices are integers in thousandths, as the kernel keeps them.
    /// </summary>
    public static class Fragmentation
    {
        /// <summary>
        /// Summarises a zone's free lists (nr_free per order, in blocks) for a request of <paramref name="suitableOrder"/>.
        /// </summary>
        /// kernel: fill_contig_page_info (mm/vmstat.c, 4.14)
        public static ContigPageInfo FillContigPageInfo(IReadOnlyList<long> nrFreePerOrder, int suitableOrder)
        {
            if (nrFreePerOrder is null) throw new ArgumentNullException(nameof(nrFreePerOrder));
            if (nrFreePerOrder.Count == 0) throw new ArgumentException("At least one order is needed.", nameof(nrFreePerOrder));
            if (suitableOrder < 0) throw new ArgumentOutOfRangeException(nameof(suitableOrder));

            long freePages = 0, total = 0, suitable = 0;
            for (int order = 0; order < nrFreePerOrder.Count; order++)
            {
                long blocks = nrFreePerOrder[order];
                if (blocks < 0) throw new ArgumentOutOfRangeException(nameof(nrFreePerOrder), blocks, "Free block counts cannot be negative.");
                total += blocks;
                freePages += blocks << order;
                if (order >= suitableOrder)
                    suitable += blocks << (order - suitableOrder);
            }

            return new ContigPageInfo(freePages, total, suitable, nrFreePerOrder.Count);
        }

        /// <summary>
        /// Fragmentation index in thousandths: 0 when there are no free blocks (or the order is out of range),
        /// -1000 when a suitable block exists, else 1000 - (1000 + free_pages*1000/2^order) / blocks_total.
        /// Near 0: the request fails for lack of memory; near 1000: because of fragmentation.
        /// </summary>
        /// kernel: __fragmentation_index (mm/vmstat.c, 4.14)
        public static int FragmentationIndex(int order, ContigPageInfo info)
        {
            if (info is null) throw new ArgumentNullException(nameof(info));
            if (order < 0 || order >= info.OrderCount)
                return 0;
            if (info.FreeBlocksTotal == 0)
                return 0;
            if (info.FreeBlocksSuitable != 0)
                return -1000;

            long requested = 1L << order;
            long scaled = info.FreePages * 1000L / requested;
            return (int)(1000L - (1000L + scaled) / info.FreeBlocksTotal);
        }

        /// <summary>Fragmentation index of a zone for one order, from its nr_free per order.</summary>
        /// kernel: fragmentation_index (mm/vmstat.c, 4.14)
        public static int FragmentationIndex(IReadOnlyList<long> nrFreePerOrder, int order) =>
            FragmentationIndex(order, FillContigPageInfo(nrFreePerOrder, order));

        /// <summary>
        /// External fragmentation at an order in percent: the share of free pages that are not in blocks of at least
        /// 2^order, (free_pages - suitable*2^order) * 100 / free_pages, rounded down; 0 with no free pages.
        /// </summary>
        /// kernel: extfrag_for_order (mm/vmstat.c, 5.9 to 6.1)
        public static int ExtfragForOrder(IReadOnlyList<long> nrFreePerOrder, int order)
        {
            if (nrFreePerOrder is null) throw new ArgumentNullException(nameof(nrFreePerOrder));
            if (order < 0) throw new ArgumentOutOfRangeException(nameof(order));
            long freePages = 0, suitable = 0;
            for (int o = 0; o < nrFreePerOrder.Count; o++)
            {
                long blocks = nrFreePerOrder[o];
                freePages += blocks << o;
                if (o >= order) suitable += blocks << (o - order);
            }
            if (freePages == 0) return 0;
            return (int)((freePages - (suitable << order)) * 100 / freePages);
        }

        /// <summary>
        /// Unusable free space index in thousandths: 1000 with no free pages, else
        /// (free_pages - suitable*2^order) * 1000 / free_pages.
        /// </summary>
        /// kernel: unusable_free_index (mm/vmstat.c, 4.14)
        public static int UnusableFreeIndex(int order, ContigPageInfo info)
        {
            if (info is null) throw new ArgumentNullException(nameof(info));
            if (order < 0) throw new ArgumentOutOfRangeException(nameof(order));
            if (info.FreePages == 0)
                return 1000;
            return (int)((info.FreePages - (info.FreeBlocksSuitable << order)) * 1000L / info.FreePages);
        }

        /// <summary>Unusable free space index of a zone for one order, from its nr_free per order.</summary>
        public static int UnusableFreeIndex(IReadOnlyList<long> nrFreePerOrder, int order) =>
            UnusableFreeIndex(order, FillContigPageInfo(nrFreePerOrder, order));

        /// <summary>
        /// Formats thousandths as the kernel's <c>"%d.%03d"</c> of (index / 1000, index % 1000):
        /// 3 → "0.003", 1000 → "1.000", -1000 → "-1.000".
        /// </summary>
        /// kernel: extfrag_show_print (mm/vmstat.c, 4.14)
        public static string FormatIndex(int thousandths) => CFormat.Thousandths(thousandths);
    }
}
