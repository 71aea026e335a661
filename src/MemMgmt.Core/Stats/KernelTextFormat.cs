namespace MemMgmt.Core.Stats
{
    /// <summary>
    /// Which kernel's /proc text layout to produce where the layouts differ.
    /// </summary>
    public enum KernelTextFormat
    {
        /// <summary>Linux 4.14: zoneinfo without boost/cma/promo lines; pagetypeinfo counts uncapped.</summary>
        V4_14 = 0,

        /// <summary>Linux 6.1: zoneinfo adds boost and cma; pagetypeinfo caps free counts at &gt;100000.</summary>
        V6_1 = 1,

        /// <summary>Linux 6.18: zoneinfo also prints promo, and pagesets gain high_min/high_max with wider labels.</summary>
        V6_18 = 2,
    }
}
