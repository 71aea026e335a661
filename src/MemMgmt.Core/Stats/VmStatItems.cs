using System;
using System.Collections.Generic;
using System.Linq;

namespace MemMgmt.Core.Stats
{
    /// <summary>
    /// The counter names the kernel prints, in vmstat_text[] order, for the simulated arm64 configuration
    /// (ZONE_DMA only, NUMA, ZSMALLOC, NUMA_BALANCING, MIGRATION, COMPACTION, HUGETLB, THP, memory balloon with
    /// compaction, SWAP; 6.1 adds CMA and KSM/ZSWAP counters as in the arm64 6.1 capture). Use these lists to fill
    /// <see cref="VmStat"/> and the zoneinfo blocks in the kernel's order.
    /// 4.4 (arm64 of v4.4): arch/arm64/Kconfig of 4.4 offers no NUMA (it came in 4.7), hence no numa_* counters, no
    /// zone_reclaim_failed and no NUMA_BALANCING events; ZONE_DMA only (no DMA32, no HIGHMEM), SMP, MIGRATION,
    /// COMPACTION, HUGETLB_PAGE, TRANSPARENT_HUGEPAGE, CMA, MEMORY_BALLOON with BALLOON_COMPACTION, neither
    /// DEBUG_TLBFLUSH nor DEBUG_VM_VMACACHE. Every zone_stat_item is a zone counter, so 4.4 has no node list; the
    /// 4.4.y stable kernels that took the KAISER backport print one more item, nr_overhead, which v4.4 does not.
    /// </summary>
    /// kernel: vmstat_text (mm/vmstat.c, 4.4; 4.14-era stored copy; 6.1 order from the arm64 6.1 capture)
    public static class VmStatItems
    {
        /// <summary>enum zone_stat_item names: zoneinfo's per-zone counters and the first /proc/vmstat lines.</summary>
        public static IReadOnlyList<string> ZoneItems(KernelTextFormat format) => Pick(format, Zone44, Zone414, Zone61);

        /// <summary>enum numa_stat_item names: printed after the zone counters in zoneinfo and vmstat.</summary>
        public static IReadOnlyList<string> NumaItems(KernelTextFormat format) => Pick(format, Array.Empty<string>(), Numa414, Numa61);

        /// <summary>enum node_stat_item names: zoneinfo's "per-node stats" block and the next vmstat lines.</summary>
        public static IReadOnlyList<string> NodeItems(KernelTextFormat format) => Pick(format, Array.Empty<string>(), Node414, Node61);

        /// <summary>Global dirty thresholds (vmstat only).</summary>
        public static IReadOnlyList<string> WritebackItems(KernelTextFormat format) => Pick(format, Writeback414, Writeback414, Writeback61);

        /// <summary>enum vm_event_item names (vmstat only).</summary>
        public static IReadOnlyList<string> EventItems(KernelTextFormat format) => Pick(format, Event44, Event414, Event61);

        /// <summary>Deprecated lines 6.x appends after the events with value 0 ("nr_unstable"); none in 4.14.</summary>
        public static IReadOnlyList<string> DeprecatedTrailer(KernelTextFormat format) =>
            Pick(format, Array.Empty<string>(), Array.Empty<string>(), new[] { "nr_unstable" });

        /// <summary>Every /proc/vmstat name in print order.</summary>
        public static IReadOnlyList<string> AllVmStatNames(KernelTextFormat format) =>
            ZoneItems(format).Concat(NumaItems(format)).Concat(NodeItems(format)).Concat(WritebackItems(format))
                .Concat(EventItems(format)).Concat(DeprecatedTrailer(format)).ToList().AsReadOnly();

        /// <summary>Entries for <paramref name="names"/> in order, asking <paramref name="valueOf"/> for each value.</summary>
        public static IReadOnlyList<ProcStatEntry> Entries(IEnumerable<string> names, Func<string, long> valueOf)
        {
            if (names is null) throw new ArgumentNullException(nameof(names));
            if (valueOf is null) throw new ArgumentNullException(nameof(valueOf));
            return names.Select(n => new ProcStatEntry(n, valueOf(n))).ToList().AsReadOnly();
        }

        /// <summary>
        /// Builds /proc/vmstat for a kernel version: every name in order, value from <paramref name="valueOf"/>
        /// (the deprecated 6.x trailer is always 0).
        /// </summary>
        public static VmStat BuildVmStat(KernelTextFormat format, Func<string, long> valueOf)
        {
            if (valueOf is null) throw new ArgumentNullException(nameof(valueOf));
            IReadOnlyList<string> trailer = DeprecatedTrailer(format);
            return new VmStat(AllVmStatNames(format).Select(n => new ProcStatEntry(n, trailer.Contains(n) ? 0 : valueOf(n))));
        }

        private static IReadOnlyList<string> Pick(KernelTextFormat format, string[] v44, string[] v414, string[] v61)
        {
            switch (format)
            {
                case KernelTextFormat.V4_4:
                    return Array.AsReadOnly(v44);
                case KernelTextFormat.V4_14:
                    return Array.AsReadOnly(v414);
                case KernelTextFormat.V6_1:
                    return Array.AsReadOnly(v61);
                default:
                    throw new NotSupportedException("The arm64 counter list of " + format + " is not modelled; use V4_4, V4_14 or V6_1.");
            }
        }

        /// <summary>enum zone_stat_item of 4.4 (include/linux/mmzone.h): LRU sizes, page-cache and slab gauges, reclaim
        /// and writeback counters and workingset events all kept per zone.</summary>
        private static readonly string[] Zone44 =
        {
            "nr_free_pages", "nr_alloc_batch", "nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file",
            "nr_unevictable", "nr_mlock", "nr_anon_pages", "nr_mapped", "nr_file_pages", "nr_dirty", "nr_writeback",
            "nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_page_table_pages", "nr_kernel_stack", "nr_unstable",
            "nr_bounce", "nr_vmscan_write", "nr_vmscan_immediate_reclaim", "nr_writeback_temp", "nr_isolated_anon",
            "nr_isolated_file", "nr_shmem", "nr_dirtied", "nr_written", "nr_pages_scanned", "workingset_refault",
            "workingset_activate", "workingset_nodereclaim", "nr_anon_transparent_hugepages", "nr_free_cma",
        };

        /// <summary>enum vm_event_item of 4.4 (include/linux/vm_event_item.h): reclaim events per zone (FOR_ALL_ZONES),
        /// a single allocstall after pageoutrun, no pglazyfree or pgskip, thp_split instead of 4.5's split counters.</summary>
        private static readonly string[] Event44 =
        {
            "pgpgin", "pgpgout", "pswpin", "pswpout", "pgalloc_dma", "pgalloc_normal", "pgalloc_movable", "pgfree",
            "pgactivate", "pgdeactivate", "pgfault", "pgmajfault", "pgrefill_dma", "pgrefill_normal", "pgrefill_movable",
            "pgsteal_kswapd_dma", "pgsteal_kswapd_normal", "pgsteal_kswapd_movable", "pgsteal_direct_dma",
            "pgsteal_direct_normal", "pgsteal_direct_movable", "pgscan_kswapd_dma", "pgscan_kswapd_normal",
            "pgscan_kswapd_movable", "pgscan_direct_dma", "pgscan_direct_normal", "pgscan_direct_movable",
            "pgscan_direct_throttle", "pginodesteal", "slabs_scanned", "kswapd_inodesteal", "kswapd_low_wmark_hit_quickly",
            "kswapd_high_wmark_hit_quickly", "pageoutrun", "allocstall", "pgrotated", "drop_pagecache", "drop_slab",
            "pgmigrate_success", "pgmigrate_fail", "compact_migrate_scanned", "compact_free_scanned", "compact_isolated",
            "compact_stall", "compact_fail", "compact_success", "htlb_buddy_alloc_success", "htlb_buddy_alloc_fail",
            "unevictable_pgs_culled", "unevictable_pgs_scanned", "unevictable_pgs_rescued", "unevictable_pgs_mlocked",
            "unevictable_pgs_munlocked", "unevictable_pgs_cleared", "unevictable_pgs_stranded", "thp_fault_alloc",
            "thp_fault_fallback", "thp_collapse_alloc", "thp_collapse_alloc_failed", "thp_split", "thp_zero_page_alloc",
            "thp_zero_page_alloc_failed", "balloon_inflate", "balloon_deflate", "balloon_migrate",
        };

        private static readonly string[] Zone414 =
        {
            "nr_free_pages", "nr_zone_inactive_anon", "nr_zone_active_anon", "nr_zone_inactive_file",
            "nr_zone_active_file", "nr_zone_unevictable", "nr_zone_write_pending", "nr_mlock", "nr_page_table_pages",
            "nr_kernel_stack", "nr_bounce", "nr_zspages", "nr_free_cma",
        };

        private static readonly string[] Numa414 =
        {
            "numa_hit", "numa_miss", "numa_foreign", "numa_interleave", "numa_local", "numa_other",
        };

        private static readonly string[] Node414 =
        {
            "nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file", "nr_unevictable",
            "nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_isolated_anon", "nr_isolated_file",
            "workingset_refault", "workingset_activate", "workingset_nodereclaim", "nr_anon_pages", "nr_mapped",
            "nr_file_pages", "nr_dirty", "nr_writeback", "nr_writeback_temp", "nr_shmem", "nr_shmem_hugepages",
            "nr_shmem_pmdmapped", "nr_anon_transparent_hugepages", "nr_unstable", "nr_vmscan_write",
            "nr_vmscan_immediate_reclaim", "nr_dirtied", "nr_written",
        };

        private static readonly string[] Writeback414 =
        {
            "nr_dirty_threshold", "nr_dirty_background_threshold",
        };

        private static readonly string[] Event414 =
        {
            "pgpgin", "pgpgout", "pswpin", "pswpout", "pgalloc_dma", "pgalloc_normal", "pgalloc_movable",
            "allocstall_dma", "allocstall_normal", "allocstall_movable", "pgskip_dma", "pgskip_normal",
            "pgskip_movable", "pgfree", "pgactivate", "pgdeactivate", "pglazyfree", "pgfault", "pgmajfault",
            "pglazyfreed", "pgrefill", "pgsteal_kswapd", "pgsteal_direct", "pgscan_kswapd", "pgscan_direct",
            "pgscan_direct_throttle", "zone_reclaim_failed", "pginodesteal", "slabs_scanned", "kswapd_inodesteal",
            "kswapd_low_wmark_hit_quickly", "kswapd_high_wmark_hit_quickly", "pageoutrun", "pgrotated",
            "drop_pagecache", "drop_slab", "oom_kill", "numa_pte_updates", "numa_huge_pte_updates", "numa_hint_faults",
            "numa_hint_faults_local", "numa_pages_migrated", "pgmigrate_success", "pgmigrate_fail",
            "compact_migrate_scanned", "compact_free_scanned", "compact_isolated", "compact_stall", "compact_fail",
            "compact_success", "compact_daemon_wake", "compact_daemon_migrate_scanned", "compact_daemon_free_scanned",
            "htlb_buddy_alloc_success", "htlb_buddy_alloc_fail", "unevictable_pgs_culled", "unevictable_pgs_scanned",
            "unevictable_pgs_rescued", "unevictable_pgs_mlocked", "unevictable_pgs_munlocked",
            "unevictable_pgs_cleared", "unevictable_pgs_stranded", "thp_fault_alloc", "thp_fault_fallback",
            "thp_collapse_alloc", "thp_collapse_alloc_failed", "thp_file_alloc", "thp_file_mapped", "thp_split_page",
            "thp_split_page_failed", "thp_deferred_split_page", "thp_split_pmd", "thp_zero_page_alloc",
            "thp_zero_page_alloc_failed", "thp_swpout", "thp_swpout_fallback", "balloon_inflate", "balloon_deflate",
            "balloon_migrate", "swap_ra", "swap_ra_hit",
        };

        private static readonly string[] Zone61 =
        {
            "nr_free_pages", "nr_zone_inactive_anon", "nr_zone_active_anon", "nr_zone_inactive_file",
            "nr_zone_active_file", "nr_zone_unevictable", "nr_zone_write_pending", "nr_mlock", "nr_bounce",
            "nr_zspages", "nr_free_cma",
        };

        private static readonly string[] Numa61 =
        {
            "numa_hit", "numa_miss", "numa_foreign", "numa_interleave", "numa_local", "numa_other",
        };

        private static readonly string[] Node61 =
        {
            "nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file", "nr_unevictable",
            "nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_isolated_anon", "nr_isolated_file", "workingset_nodes",
            "workingset_refault_anon", "workingset_refault_file", "workingset_activate_anon",
            "workingset_activate_file", "workingset_restore_anon", "workingset_restore_file", "workingset_nodereclaim",
            "nr_anon_pages", "nr_mapped", "nr_file_pages", "nr_dirty", "nr_writeback", "nr_writeback_temp", "nr_shmem",
            "nr_shmem_hugepages", "nr_shmem_pmdmapped", "nr_file_hugepages", "nr_file_pmdmapped",
            "nr_anon_transparent_hugepages", "nr_vmscan_write", "nr_vmscan_immediate_reclaim", "nr_dirtied",
            "nr_written", "nr_throttled_written", "nr_kernel_misc_reclaimable", "nr_foll_pin_acquired",
            "nr_foll_pin_released", "nr_kernel_stack", "nr_page_table_pages", "nr_sec_page_table_pages",
            "nr_swapcached", "pgpromote_success", "pgpromote_candidate",
        };

        private static readonly string[] Writeback61 =
        {
            "nr_dirty_threshold", "nr_dirty_background_threshold",
        };

        private static readonly string[] Event61 =
        {
            "pgpgin", "pgpgout", "pswpin", "pswpout", "pgalloc_dma", "pgalloc_dma32", "pgalloc_normal",
            "pgalloc_movable", "allocstall_dma", "allocstall_dma32", "allocstall_normal", "allocstall_movable",
            "pgskip_dma", "pgskip_dma32", "pgskip_normal", "pgskip_movable", "pgfree", "pgactivate", "pgdeactivate",
            "pglazyfree", "pgfault", "pgmajfault", "pglazyfreed", "pgrefill", "pgreuse", "pgsteal_kswapd",
            "pgsteal_direct", "pgdemote_kswapd", "pgdemote_direct", "pgscan_kswapd", "pgscan_direct",
            "pgscan_direct_throttle", "pgscan_anon", "pgscan_file", "pgsteal_anon", "pgsteal_file",
            "zone_reclaim_failed", "pginodesteal", "slabs_scanned", "kswapd_inodesteal", "kswapd_low_wmark_hit_quickly",
            "kswapd_high_wmark_hit_quickly", "pageoutrun", "pgrotated", "drop_pagecache", "drop_slab", "oom_kill",
            "numa_pte_updates", "numa_huge_pte_updates", "numa_hint_faults", "numa_hint_faults_local",
            "numa_pages_migrated", "pgmigrate_success", "pgmigrate_fail", "thp_migration_success", "thp_migration_fail",
            "thp_migration_split", "compact_migrate_scanned", "compact_free_scanned", "compact_isolated",
            "compact_stall", "compact_fail", "compact_success", "compact_daemon_wake", "compact_daemon_migrate_scanned",
            "compact_daemon_free_scanned", "htlb_buddy_alloc_success", "htlb_buddy_alloc_fail", "cma_alloc_success",
            "cma_alloc_fail", "unevictable_pgs_culled", "unevictable_pgs_scanned", "unevictable_pgs_rescued",
            "unevictable_pgs_mlocked", "unevictable_pgs_munlocked", "unevictable_pgs_cleared",
            "unevictable_pgs_stranded", "thp_fault_alloc", "thp_fault_fallback", "thp_fault_fallback_charge",
            "thp_collapse_alloc", "thp_collapse_alloc_failed", "thp_file_alloc", "thp_file_fallback",
            "thp_file_fallback_charge", "thp_file_mapped", "thp_split_page", "thp_split_page_failed",
            "thp_deferred_split_page", "thp_split_pmd", "thp_scan_exceed_none_pte", "thp_scan_exceed_swap_pte",
            "thp_scan_exceed_share_pte", "thp_zero_page_alloc", "thp_zero_page_alloc_failed", "thp_swpout",
            "thp_swpout_fallback", "balloon_inflate", "balloon_deflate", "balloon_migrate", "swap_ra", "swap_ra_hit",
            "ksm_swpin_copy", "cow_ksm", "zswpin", "zswpout",
        };
    }
}
