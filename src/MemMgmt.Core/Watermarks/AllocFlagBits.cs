using System;

namespace MemMgmt.Core.Watermarks
{
    /// <summary>ALLOC_* flags of mm/internal.h (4.14), as a [Flags] enum for reports and as int constants for the hot path.</summary>
    [Flags]
    public enum AllocFlags
    {
        ALLOC_WMARK_MIN = 0x00,
        ALLOC_WMARK_LOW = 0x01,
        ALLOC_WMARK_HIGH = 0x02,
        ALLOC_NO_WATERMARKS = 0x04,
        ALLOC_HARDER = 0x10,
        ALLOC_HIGH = 0x20,
        ALLOC_CPUSET = 0x40,
        ALLOC_CMA = 0x80,
        /// <summary>Avoid fragmenting pageblocks: __rmqueue_fallback takes only whole pageblocks (6.1, CONFIG_ZONE_DMA32).</summary>
        ALLOC_NOFRAGMENT = 0x100,
        /// <summary>The fair zone allocation policy's first pass (4.4, where its value is 0x100; a bit of its own here).</summary>
        ALLOC_FAIR = 0x200,
        /// <summary>The request may wake kswapd (6.1 reads it when a steal boosts the watermarks). As in the kernel it is the
        /// __GFP_KSWAPD_RECLAIM bit itself, so the fast path copies it without a branch (the kernel's value is 0x800, which
        /// is its GFP bit).</summary>
        ALLOC_KSWAPD = 0x1000000,
    }
}

namespace MemMgmt.Core.Buddy
{
    internal static class AllocFlagBits
    {
        public const int WmarkMin = 0x00;
        public const int WmarkLow = 0x01;
        public const int WmarkHigh = 0x02;
        public const int NoWatermarks = 0x04;
        public const int WmarkMask = NoWatermarks - 1;
        public const int Harder = 0x10;
        public const int High = 0x20;
        public const int Cpuset = 0x40;
        public const int Cma = 0x80;
        public const int NoFragment = 0x100;
        public const int Fair = 0x200;
        public const int Kswapd = (int)Allocation.GfpFlags.__GFP_KSWAPD_RECLAIM;
    }
}
