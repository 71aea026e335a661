namespace MemMgmt.Core.Stats
{
    /// <summary>
    /// Which kernel's /proc text layout to produce where the layouts differ. The values follow the kernels' age, so a
    /// layout that a later kernel added is <c>format &gt;= V6_1</c> and so on.
    /// </summary>
    public enum KernelTextFormat
    {
        /// <summary>Linux 4.4: every counter per zone (zone_stat_item), zoneinfo prints populated zones only, with
        /// scanned, the counters before protection, all_unreclaimable and inactive_ratio; no per-node block.</summary>
        V4_4 = -1,

        /// <summary>Linux 4.14: zoneinfo without boost/cma/promo lines; pagetypeinfo counts uncapped.</summary>
        V4_14 = 0,

        /// <summary>Linux 6.1: zoneinfo adds boost and cma; pagetypeinfo caps free counts at &gt;100000.</summary>
        V6_1 = 1,

        /// <summary>Linux 6.18: zoneinfo also prints promo, and pagesets gain high_min/high_max with wider labels.</summary>
        V6_18 = 2,
    }
}
