using System;

namespace MemMgmt.Core.Node
{
    /// <summary>Page size and the orders derived from it, as arm64 Kconfig derives them.</summary>
    public sealed class Geometry
    {
        public Geometry(int pageSize, bool hugeTlb, bool transparentHugepage)
        {
            PageShift = pageSize switch
            {
                4096 => 12,
                16384 => 14,
                65536 => 16,
                _ => throw new MemMgmtException("PageSizeNotSupported", ErrorKind.InvalidArgument,
                    $"Page size {pageSize} is not supported; arm64 allows 4KB, 16KB or 64KB."),
            };
            PageSize = pageSize;
            // kernel: FORCE_MAX_ZONEORDER (arch/arm64/Kconfig, 4.14): 11 for 4K, 12 for 16K and 14 for 64K with THP.
            MaxOrder = PageShift switch
            {
                12 => 11,
                14 => transparentHugepage ? 12 : 11,
                _ => transparentHugepage ? 14 : 11,
            };
            // kernel: pageblock_order = HUGETLB_PAGE_ORDER (PMD_SHIFT - PAGE_SHIFT) with hugetlb, else MAX_ORDER - 1.
            int pmdShift = PageShift + (PageShift - 3);
            PageblockOrder = hugeTlb ? pmdShift - PageShift : MaxOrder - 1;
            if (PageblockOrder > MaxOrder - 1) PageblockOrder = MaxOrder - 1;
            HugeTlb = hugeTlb;
            TransparentHugepage = transparentHugepage;
        }

        public int PageSize { get; }
        public int PageShift { get; }
        /// <summary>MAX_ORDER: orders run 0..MaxOrder-1.</summary>
        public int MaxOrder { get; }
        public int PageblockOrder { get; }
        public int PageblockNrPages => 1 << PageblockOrder;
        public bool HugeTlb { get; }
        public bool TransparentHugepage { get; }

        /// <summary>Pages that make up the given number of bytes.</summary>
        public long BytesToPages(long bytes) => bytes >> PageShift;

        public long PagesToKb(long pages) => pages << (PageShift - 10);

        public override string ToString() => $"{PageSize / 1024}K pages, MAX_ORDER {MaxOrder}, pageblock order {PageblockOrder}";

        internal static int Log2(long v)
        {
            int r = -1;
            while (v > 0) { v >>= 1; r++; }
            return r;
        }

        internal static long RoundDownPowerOfTwo(long v) => v <= 0 ? 0 : 1L << Log2(v);
    }
}
