using System;

namespace MemMgmt.Core.Node
{
    /// <summary>Kernel constants and helpers that several subsystems use, each defined here once.</summary>
    public static class MmConstants
    {
        /// <summary>PAGE_ALLOC_COSTLY_ORDER (include/linux/mmzone.h, 4.14): orders above it are "costly".</summary>
        public const int PageAllocCostlyOrder = 3;

        /// <summary>MAX_RECLAIM_RETRIES (mm/internal.h, 4.14): reclaim rounds without progress before the allocator
        /// gives up, and kswapd_failures at which a node is hopeless.</summary>
        public const int MaxReclaimRetries = 16;

        /// <summary>kernel: compact_gap (mm/internal.h, 4.14): free pages compaction needs for an order (twice the
        /// request, room for migration targets).</summary>
        public static long CompactGap(int order) => 2L << order;

        /// <summary>kernel: mult_frac (include/linux/kernel.h): x·n/d without overflowing.</summary>
        internal static long MultFrac(long x, long n, long d) => (x / d) * n + (x % d) * n / d;

        /// <summary>kernel: int_sqrt (lib/int_sqrt.c): floor of the square root.</summary>
        public static long IntSqrt(long x)
        {
            if (x <= 1) return x;
            long r = (long)Math.Sqrt(x);
            while (r * r > x) r--;
            while ((r + 1) * (r + 1) <= x) r++;
            return r;
        }
    }
}
