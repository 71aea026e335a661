using System;
using System.Collections.Generic;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Node
{
    /// <summary>Which kernel's behaviour and formats the simulation follows; code asks it instead of hard-coding a version.
    /// Each property that differs between profiles names one behaviour and cites the kernel lines it follows.</summary>
    public sealed class KernelProfile
    {
        private KernelProfile(string version, string description, ZoneType[] zoneTypes, int[] lowmemReserveRatio)
        {
            Version = version;
            Description = description;
            ZoneTypes = zoneTypes;
            DefaultLowmemReserveRatio = lowmemReserveRatio;
        }

        /// <summary>Linux 4.14 on arm64: zones DMA, Normal, Movable; CMA and memory isolation configured.</summary>
        public static KernelProfile Linux414 { get; } = new KernelProfile("4.14",
            "Linux 4.14 (the default): zones DMA, Normal, Movable; the linear free scanner",
            new[] { ZoneType.DMA, ZoneType.Normal, ZoneType.Movable },
            // kernel: sysctl_lowmem_reserve_ratio[MAX_NR_ZONES-1] (mm/page_alloc.c, 4.14): DMA 256, Normal 32.
            new[] { 256, 32 });

        /// <summary>Linux 6.1 on arm64 (Debian bookworm's kernel, checked under QEMU): zones DMA, DMA32, Normal, Movable.</summary>
        public static KernelProfile Linux61 { get; } = new KernelProfile("6.1",
            "Linux 6.1 (Debian bookworm arm64): the free scanner's stride and fast free-list search, proactive compaction",
            new[] { ZoneType.DMA, ZoneType.DMA32, ZoneType.Normal, ZoneType.Movable },
            // kernel: sysctl_lowmem_reserve_ratio (mm/page_alloc.c, 6.1): DMA 256, DMA32 256, Normal 32.
            new[] { 256, 256, 32 })
        {
            FreeScannerStride = true,
            FastIsolateFreepages = true,
            BootFreesToTail = true,
            Ftrace = FtraceFormat.Linux61,
            ProcText = KernelTextFormat.V6_1,
            VmallocTotalBytes = (1L << 47) - (1L << 42) - (1L << 28) - (1L << 27),
            DeferredStructPageInit = true,
            CmaPageblockAligned = true,
            KfencePoolBytes = 2L << 20,
            ProactiveCompaction = true,
            CompactFinishedAtPageblockEnd = true,
            CompactZoneResetsScanCounts = true,
            KcompactdUsesSkipHints = true,
            SampledSkipHintReset = true,
            WithdrawnCompactionRaisesPriority = true,
            Sysctls = new[] { "compaction_proactiveness" },
        };

        /// <summary>Linux 4.4 on arm64: zones DMA, Normal, Movable; LRU lists per zone, the zone-based reclaim and kswapd of
        /// the older seed articles, and the slow path that retries while reclaim makes progress.</summary>
        public static KernelProfile Linux44 { get; } = new KernelProfile("4.4",
            "Linux 4.4: per-zone LRU lists and zone-based reclaim (shrink_zone), kswapd_max_order, COMPACT_PARTIAL, should_alloc_retry",
            new[] { ZoneType.DMA, ZoneType.Normal, ZoneType.Movable },
            // kernel: sysctl_lowmem_reserve_ratio[MAX_NR_ZONES-1] (mm/page_alloc.c, 4.4): DMA 256, Normal 32.
            new[] { 256, 32 })
        {
            ZoneBasedReclaim = true,
            KswapdBalancedOrder = true,
            AllocRetryByReclaimProgress = true,
            CompactionSuitablePartial = true,
            CompactMemoryResetsSkipHints = true,
            Ftrace = FtraceFormat.Linux44,
        };

        public static IReadOnlyList<KernelProfile> All { get; } = new[] { Linux414, Linux61, Linux44 };

        public string Version { get; }
        public string Description { get; }
        /// <summary>The zones pg_data_t has, in index order (ZONE_DMA = 0 …), populated or not.</summary>
        public IReadOnlyList<ZoneType> ZoneTypes { get; }
        public int NrZones => ZoneTypes.Count;
        public IReadOnlyList<int> DefaultLowmemReserveRatio { get; }
        public bool HasCma => true;
        public bool HasMemoryIsolation => true;
        /// <summary>ALLOC_HARDER subtracts a quarter of min (4.15+ adds ALLOC_OOM, which halves it).</summary>
        public bool HasAllocOom => false;

        /// <summary>The free scanner samples each pageblock with a stride: isolate_freepages starts at COMPACT_CLUSTER_MAX for
        /// async compaction (else 1), doubles it up to COMPACT_CLUSTER_MAX after a block that yields nothing and resets it
        /// to 1 after one that yields pages; isolate_freepages_block advances by it.
        /// kernel: isolate_freepages, isolate_freepages_block (mm/compaction.c, 5.1 to 6.1); 4.14 scans every pfn.</summary>
        public bool FreeScannerStride { get; private set; }

        /// <summary>Before the linear scan, the free scanner searches the Movable free lists below the request's order for a
        /// page in the top quarter of the scan space and isolates around it.
        /// kernel: fast_isolate_freepages, fast_isolate_around (mm/compaction.c, 5.1 to 6.1); 4.14 has no such search.</summary>
        public bool FastIsolateFreepages { get; private set; }

        /// <summary>Boot hands memory to the buddy allocator at the tails of the free lists (FPI_TO_TAIL), so the lists hold
        /// ascending pfns and allocations start at the bottom of the zone.
        /// kernel: __free_pages_core (mm/page_alloc.c, 5.10 to 6.1); 4.14's __free_one_page puts such blocks at the head.</summary>
        public bool BootFreesToTail { get; private set; }

        /// <summary>How the trace buffer prints: 6.1 widens the pid to 7 columns and adds the migrate-disable latency
        /// column (five flags), prints mm_compaction_try_to_compact_pages's mask with show_gfp_flags and
        /// mm_page_alloc_extfrag's pfn in hex; its vmscan events drop zid from kswapd_wake, add the gfp_flags to
        /// wakeup_kswapd, drop may_writepage and classzone_idx from direct_reclaim_begin, split shrink_inactive's
        /// nr_activate by type, and mm_vmscan_inactive_list_is_low does not exist. kernel: trace_print_context and
        /// print_func_help_header_irq (kernel/trace/trace_output.c, trace.c), include/trace/events/compaction.h, kmem.h
        /// and vmscan.h (4.14; 6.1).</summary>
        public FtraceFormat Ftrace { get; private set; } = FtraceFormat.Linux414;

        /// <summary>How the /proc files print: 6.1's zoneinfo adds boost and cma, its counter lists follow 6.1's enums (kernel stack
        /// and page tables are node items, refaults split anon/file, new events), meminfo adds Zswap, KReclaimable, Percpu,
        /// SecPageTables, file THP and Hugetlb lines, pagetypeinfo caps free counts at 100000. kernel: zoneinfo_show_print,
        /// vmstat_text, pagetypeinfo_showfree_print (mm/vmstat.c), meminfo_proc_show (fs/proc/meminfo.c) (4.14; 6.1).</summary>
        public KernelTextFormat ProcText { get; private set; } = KernelTextFormat.V4_14;

        /// <summary>VMALLOC_END − VMALLOC_START in bytes, meminfo's VmallocTotal (arm64, VA_BITS 48, 4 KiB pages, no KASAN).
        /// 4.14: (PAGE_OFFSET − PUD_SIZE − VMEMMAP_SIZE − 64K) − (VA_START + 128M); 6.1: (VMEMMAP_START − 256M) − MODULES_END.
        /// kernel: VMALLOC_START, VMALLOC_END (arch/arm64/include/asm/memory.h, pgtable.h, 4.14; 6.1).</summary>
        public long VmallocTotalBytes { get; private set; } = (1L << 47) - (1L << 30) - (1L << 41) - (1L << 16) - (1L << 27);

        /// <summary>Struct pages beyond the first memory section of the highest zone are initialised after boot, for the free
        /// ranges only: a pageblock whose first page is still reserved then keeps the zeroed pageblock bits, MIGRATE_UNMOVABLE.
        /// kernel: defer_init, deferred_free_range (mm/page_alloc.c, 6.1; Debian arm64 sets DEFERRED_STRUCT_PAGE_INIT);
        /// 4.14's memmap_init_zone marks every pageblock Movable.</summary>
        public bool DeferredStructPageInit { get; private set; }

        /// <summary>The CMA area is placed on a pageblock boundary (CMA_MIN_ALIGNMENT_PAGES, 5.19+); 4.14 aligns it to the
        /// larger of MAX_ORDER and pageblock. kernel: cma_declare_contiguous_nid (mm/cma.c, 6.1).</summary>
        public bool CmaPageblockAligned { get; private set; }

        /// <summary>Bytes of the KFENCE pool memblock reserves at boot and never frees (255 objects and guard pages of 4 KiB,
        /// 2 MiB; Debian sets CONFIG_KFENCE); 0 where the kernel has no KFENCE. kernel: kfence_alloc_pool (mm/kfence/core.c, 6.1).</summary>
        public long KfencePoolBytes { get; private set; }

        /// <summary>kcompactd also wakes every HPAGE_FRAG_CHECK_INTERVAL_MSEC (500 ms) of virtual time and, while the node's
        /// fragmentation score (external fragmentation at COMPACTION_HPAGE_ORDER) is above the high wmark that
        /// vm.compaction_proactiveness sets, compacts every zone at order −1 until each zone's score is below the low wmark;
        /// a run that does not lower the score sleeps 2^COMPACT_MAX_DEFER_SHIFT intervals. No compact_daemon_* counting.
        /// kernel: kcompactd, should_proactive_compact_node, proactive_compact_node, fragmentation_score_wmark (mm/compaction.c, 5.15 to 6.2); 4.14 has none.</summary>
        public bool ProactiveCompaction { get; private set; }

        /// <summary>__compact_finished checks contention last, lets proactive runs stop at their score, and for a request of
        /// an order keeps scanning to the end of the current pageblock before it looks at the free lists, so a usable
        /// fallback always ends the run with success (4.14 finishes the block only for non-movable steals).
        /// kernel: __compact_finished (mm/compaction.c, 5.9 to 6.1); 4.14 checks contention first and keeps finishing_block.</summary>
        public bool CompactFinishedAtPageblockEnd { get; private set; }

        /// <summary>compact_zone zeroes the compact_control's scanned totals before each zone, so callers that share one
        /// control over several zones (compact_node, kcompactd) count each zone's scanning once.
        /// kernel: compact_zone (mm/compaction.c, 4.19 to 6.1); 4.14 carries the totals over and counts earlier zones again.</summary>
        public bool CompactZoneResetsScanCounts { get; private set; }

        /// <summary>kcompactd_do_work honours the pageblock skip hints, and after a zone ends COMPLETE or PARTIAL_SKIPPED it
        /// drains every CPU's per-cpu lists of that zone (drain_all_pages) before deferring it.
        /// kernel: kcompactd_do_work (mm/compaction.c, 5.1 to 6.1); 4.14 ignores the skip hints and drains nothing.</summary>
        public bool KcompactdUsesSkipHints { get; private set; }

        /// <summary>__reset_isolation_suitable runs only when a direct compaction whose scanners met flagged the zone, and walks
        /// the pageblocks from both ends towards the middle, sampling every eighth page from each block's start: the lowest
        /// block with an LRU page restarts the migrate scanner and the highest Movable block whose sample hits a free block's
        /// first page restarts the free scanner (compact_init_*; only those blocks' skip bits are cleared). When no such pair
        /// is found the scanners restart where the walk met, so the next run ends at once. compact_zone then takes a run
        /// from at or below compact_init_migrate_pfn as whole-zone, and fast_isolate_freepages scans deeper from above
        /// compact_init_free_pfn. kernel: __reset_isolation_suitable, __reset_isolation_pfn, compact_zone
        /// (mm/compaction.c, 5.1 to 6.1); 4.14 clears every skip bit and restarts at the zone's ends.</summary>
        public bool SampledSkipHintReset { get; private set; }

        /// <summary>should_compact_retry treats a withdrawn compaction (deferred, contended, or scanners that met after a partial
        /// scan) like a complete one: it retries only by raising the priority, so a costly request that withdrew at
        /// SYNC_LIGHT gives up; only COMPACT_SKIPPED still retries while compaction_zonelist_suitable says reclaim can help.
        /// kernel: should_compact_retry (mm/page_alloc.c, 5.4 to 6.1); 4.14 retries every withdrawn result while the
        /// zonelist is suitable.</summary>
        public bool WithdrawnCompactionRaisesPriority { get; private set; }

        /// <summary>LRU lists, their sizes and reclaim_stat belong to each zone's lruvec: reclaim walks the zonelist and
        /// shrinks one zone at a time (shrink_zones → shrink_zone → shrink_lruvec → get_scan_count per zone), inactive anon
        /// is low by the zone lruvec's own lists (mem_cgroup_inactive_anon_is_low, memcg being enabled; the zone's
        /// inactive_ratio only without memcg), inactive file is low when active &gt; inactive, a zone is unreclaimable once pages_scanned reaches six times its reclaimable pages, and
        /// should_continue_reclaim looks at the zone and its compaction_suitable(zone, order, 0, 0).
        /// kernel: shrink_zone, shrink_lruvec, get_scan_count, should_continue_reclaim, zone_reclaimable (mm/vmscan.c, 4.4);
        /// calculate_zone_inactive_ratio (mm/page_alloc.c, 4.4); 4.8+ (and 4.14) reclaim per node.</summary>
        public bool ZoneBasedReclaim { get; private set; }

        /// <summary>kswapd works from kswapd_max_order and classzone_idx (the lowest classzone asked for), balance_pgdat
        /// picks end_zone as the highest unbalanced zone, shrinks zones DMA upward with a balance gap, compacts the node
        /// itself (compact_pgdat) and returns the order and classzone it balanced, dropping to order 0 once 2^(order+1)
        /// pages were reclaimed; pgdat_balanced for order &gt; 0 needs balanced zones holding a quarter of the managed pages.
        /// There is no kcompactd and no kswapd_failures. kernel: kswapd, balance_pgdat, kswapd_shrink_zone, pgdat_balanced,
        /// kswapd_try_to_sleep, wakeup_kswapd (mm/vmscan.c, 4.4); 4.6 added kcompactd, 4.8 the node-based loop.</summary>
        public bool KswapdBalancedOrder { get; private set; }

        /// <summary>The slow path retries while direct reclaim makes progress: after direct compaction (async first) and
        /// direct reclaim it goes back to retry when reclaim freed something for order ≤ PAGE_ALLOC_COSTLY_ORDER, or with
        /// __GFP_REPEAT until 2^order pages were reclaimed in total; otherwise the OOM killer, whose progress also retries;
        /// a final sync-light compaction before failing. No should_reclaim_retry, no should_compact_retry.
        /// kernel: __alloc_pages_slowpath, __alloc_pages_may_oom (mm/page_alloc.c, 4.4); 4.7 added the retry heuristics.</summary>
        public bool AllocRetryByReclaimProgress { get; private set; }

        /// <summary>compaction_suitable checks the low watermark whatever the caller's alloc_flags ask, answers
        /// COMPACT_PARTIAL (played by <c>Success</c>, printed "partial") when it already passes at the order, SKIPPED when
        /// order 0 fails at low + 2^(order+1), and NOT_SUITABLE_ZONE (reported SKIPPED) for any order whose fragmentation
        /// index is in [0, extfrag_threshold]; __compact_finished continues until the low watermark passes at the order;
        /// try_to_compact_pages skips order 0 and requests without __GFP_FS or __GFP_IO and stops at the first zone whose
        /// low watermark passes at the order after compacting.
        /// kernel: __compaction_suitable, __compact_finished, try_to_compact_pages (mm/compaction.c, 4.4); 4.14 uses
        /// alloc_flags' watermark, checks the index only for costly orders and stops on COMPACT_SUCCESS.</summary>
        public bool CompactionSuitablePartial { get; private set; }

        /// <summary>Compaction through /proc/sys/vm/compact_memory (order −1) first clears every skip bit of each zone and
        /// its cached scanner positions, then compacts it. kernel: __compact_pgdat (mm/compaction.c, 4.4); 4.14's
        /// compact_node only ignores the skip hints (ignore_skip_hint, whole_zone) and leaves them set.</summary>
        public bool CompactMemoryResetsSkipHints { get; private set; }

        /// <summary>vm sysctls this profile has beyond the ones every profile has (kernel/sysctl.c of that version).</summary>
        public IReadOnlyList<string> Sysctls { get; private set; } = new string[0];

        public bool HasSysctl(string name)
        {
            foreach (var s in Sysctls) if (s == name) return true;
            return false;
        }

        public int ZoneIndex(ZoneType type)
        {
            for (int i = 0; i < ZoneTypes.Count; i++) if (ZoneTypes[i] == type) return i;
            return -1;
        }

        public override string ToString() => Version;

        public static IEnumerable<string> Versions
        {
            get { foreach (var k in All) yield return k.Version; }
        }

        public static KernelProfile Find(string version)
        {
            foreach (var k in All) if (string.Equals(k.Version, version?.Trim(), StringComparison.Ordinal)) return k;
            throw new MemMgmtException("UnknownKernelVersion", ErrorKind.InvalidArgument,
                $"Kernel '{version}' is not simulated; the profiles are: {string.Join(", ", Versions)}.", version);
        }
    }

    /// <summary>The layouts of /sys/kernel/debug/tracing/trace the profiles print (see <see cref="KernelProfile.Ftrace"/>).</summary>
    public enum FtraceFormat
    {
        Linux414,
        Linux61,
        Linux44,
    }
}
