using MemMgmt.Core.Node;

namespace MemMgmt.Core.Swap
{
    /// <summary>One swap area per node, modelled as a slot counter: total_swap_pages and nr_swap_pages
    /// (get_nr_swap_pages). A swapped-out page keeps its slot; the page itself is freed.</summary>
    public sealed class SwapDevice
    {
        /// <summary>The largest swap area in pages: read_swap_header caps maxpages at UINT_MAX slots.</summary>
        public const long MaxPages = uint.MaxValue;

        internal SwapDevice(long totalPages) { TotalPages = totalPages; }

        internal SwapDevice Clone() => (SwapDevice)MemberwiseClone();

        internal void Write(SnapshotWriter w) { w.Long(TotalPages); w.Long(UsedPages); w.Long(SwapOuts); }

        internal static SwapDevice Read(SnapshotReader r) => new SwapDevice(r.Long()) { UsedPages = r.Long(), SwapOuts = r.Long() };

        /// <summary>total_swap_pages.</summary>
        public long TotalPages { get; private set; }
        /// <summary>Slots in use (swap entries of swapped-out or swap-cached pages).</summary>
        public long UsedPages { get; internal set; }
        /// <summary>get_nr_swap_pages(): free slots.</summary>
        public long FreePages => TotalPages - UsedPages;
        /// <summary>Pages written to swap (pswpout).</summary>
        public long SwapOuts { get; internal set; }

        /// <summary>vm_swap_full (include/linux/swap.h, 4.14): more than half of swap in use.</summary>
        internal bool Full => UsedPages * 2 > TotalPages;

        internal bool TryGetSlot()
        {
            if (UsedPages >= TotalPages) return false;
            UsedPages++;
            return true;
        }

        internal void FreeSlot() { if (UsedPages > 0) UsedPages--; }

        /// <summary>swapon/swapoff of the node's swap area: sets its size in bytes (0: no swap). Rejects a negative size,
        /// one that is not a whole number of pages, one above <see cref="MaxPages"/> pages, or one smaller than the slots in use.</summary>
        public static void Configure(MemNode node, long sizeBytes)
        {
            long pageSize = node.Geometry.PageSize;
            if (sizeBytes < 0 || sizeBytes % pageSize != 0)
                throw new MemMgmtException("SwapSizeInvalid", ErrorKind.InvalidArgument,
                    $"Swap size {sizeBytes} bytes is not allowed; use 0 or a positive multiple of the page size ({pageSize} bytes).", sizeBytes);
            long pages = sizeBytes / pageSize;
            if (pages > MaxPages)
                throw new MemMgmtException("SwapSizeTooLarge", ErrorKind.OutOfRange,
                    $"Swap size {sizeBytes} bytes ({pages} pages) exceeds the largest swap area, {MaxPages} pages.", sizeBytes);
            var swap = node.Swap;
            if (pages < swap.UsedPages)
                throw new MemMgmtException("SwapSizeBelowUsage", ErrorKind.InvalidOperation,
                    $"Swap size {pages} pages is below the {swap.UsedPages} slots in use on node '{node.Name}'.", sizeBytes);
            swap.TotalPages = pages;
        }
    }
}
