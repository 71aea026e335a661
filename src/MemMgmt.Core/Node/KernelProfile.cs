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
            GfpHighZoneIdx = new int[GfpZoneBits + 1];
            for (int bits = 0; bits <= GfpZoneBits; bits++)
                GfpHighZoneIdx[bits] = ZoneIndex(Allocation.Gfp.ToZone((Allocation.GfpFlags)bits, this));
        }

        /// <summary>The four zone modifier bits of a GFP mask (__GFP_DMA, __GFP_HIGHMEM, __GFP_DMA32, __GFP_MOVABLE).</summary>
        internal const int GfpZoneBits = (int)(Allocation.GfpFlags.__GFP_DMA | Allocation.GfpFlags.__GFP_HIGHMEM |
            Allocation.GfpFlags.__GFP_DMA32 | Allocation.GfpFlags.__GFP_MOVABLE);

        /// <summary>gfp_zone's answer as a zone index for each combination of the zone modifier bits, built from
        /// <see cref="Allocation.Gfp.ToZone"/> itself, so the allocation fast path does one look-up (as GFP_ZONE_TABLE).</summary>
        internal readonly int[] GfpHighZoneIdx;

        /// <summary>Linux 4.14 on arm64: zones DMA, Normal, Movable; CMA and memory isolation configured.</summary>
        public static KernelProfile Linux414 { get; } = new KernelProfile("4.14",
            "Linux 4.14 (the default): zones DMA, Normal, Movable; the linear free scanner",
            new[] { ZoneType.DMA, ZoneType.Normal, ZoneType.Movable },
            // kernel: sysctl_lowmem_reserve_ratio[MAX_NR_ZONES-1] (mm/page_alloc.c, 4.14): DMA 256, Normal 32.
            new[] { 256, 32 })
        {
            Sysctls = new[] { "percpu_pagelist_fraction", "watermark_scale_factor" },
        };

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
            FreeListMovesToTail = true,
            DeferredCompactionStalls = true,
            CompactionCapture = true,
            OnlyMergeableTypesMerge = true,
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
            FastFindMigrateblock = true,
            MigrateSkipHintsPerBlock = true,
            WatermarkBoost = true,
            AllocNoFragment = true,
            PcpHighOrder = true,
            PcpBatchCapBytes = 1 << 20,
            PcpHighFromLowWatermark = true,
            PcpFreeScaling = true,
            CostBasedScanBalance = true,
            CacheTrimMode = true,
            ProportionalReclaimStopsAtOnce = true,
            HierarchicalAnonAging = true,
            MemcgLowRetryOnlyWhenSkipped = true,
            FullMemcgWalk = true,
            WakeupKswapdWakesKcompactd = true,
            AnonWorkingsetProtection = true,
            PageWorkingsetRefaults = true,
            Sysctls = new[] { "compaction_proactiveness", "watermark_boost_factor", "percpu_pagelist_high_fraction", "watermark_scale_factor" },
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
            WatermarksFromMinOnly = true,
            FairZoneAllocation = true,
            AllocRetryByReclaimProgress = true,
            // kernel: vm_table percpu_pagelist_fraction (kernel/sysctl.c, 4.4).
            Sysctls = new[] { "percpu_pagelist_fraction" },
            CompactionSuitablePartial = true,
            CompactMemoryResetsSkipHints = true,
            Ftrace = FtraceFormat.Linux44,
            ProcText = KernelTextFormat.V4_4,
            VmallocTotalBytes = (1L << 47) - (1L << 42) - (1L << 30) - (1L << 16),
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

        /// <summary>Free blocks that change lists without being freed (move_freepages_block for a steal, highatomic reserve
        /// or page isolation, and steal_suitable_fallback's single block) go to the tail of their new list, and an isolated
        /// block given back by unset_migratetype_isolate is freed to the tail (FPI_TO_TAIL), so the next allocation of that
        /// type does not take them first. kernel: move_to_free_list, __putback_isolated_page (mm/page_alloc.c, 5.10 to 6.1:
        /// 293ffa5ebb9c, 47b6a24a2382); 4.14 moves them to the head with list_move and frees the given-back block with
        /// __free_pages.</summary>
        public bool FreeListMovesToTail { get; private set; }

        /// <summary>A direct compaction that every zone deferred still counts: only COMPACT_SKIPPED returns without
        /// compact_stall, so a deferred attempt counts compact_stall, tries the free lists and counts compact_fail (or
        /// compact_success). kernel: __alloc_pages_direct_compact (mm/page_alloc.c, 5.12 to 6.1: "mm: page_alloc: update
        /// the COMPACT[STALL|FAIL] events properly"); 4.14 returns early for anything up to COMPACT_INACTIVE (DEFERRED).</summary>
        public bool DeferredCompactionStalls { get; private set; }

        /// <summary>A direct compaction captures the block it frees: while compact_zone_order runs, a free by the compacting
        /// task that merges to the requested order (for Movable only from pageblock order up, never CMA or Isolate) is
        /// handed to the request instead of going on a free list, compact_zone stops with COMPACT_SUCCESS without
        /// __compact_finished's checks, and the allocation takes that page. kernel: compaction_capture, task_capc
        /// (mm/page_alloc.c), compact_zone, compact_zone_order (mm/compaction.c), __alloc_pages_direct_compact (5.1 to 6.1);
        /// 4.14 puts every freed block on the free lists and the allocation takes it from there.</summary>
        public bool CompactionCapture { get; private set; }

        /// <summary>Above pageblock order a freed block merges with a free buddy of another pageblock type only when both
        /// types are mergeable (Unmovable, Movable, Reclaimable), whether or not the zone has isolated pageblocks: a
        /// HighAtomic or CMA block stays apart from a differently typed buddy. kernel: __free_one_page,
        /// migratetype_is_mergeable (mm/page_alloc.c, include/linux/mmzone.h, 5.18 to 6.1: "mm: page_alloc: avoid merging
        /// non-fallbackable pageblocks with others"); 4.14 only keeps isolated and non-isolated blocks apart, and only while
        /// the zone has isolated pageblocks.</summary>
        public bool OnlyMergeableTypesMerge { get; private set; }

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
        /// SecPageTables, file THP and Hugetlb lines, pagetypeinfo caps free counts at 100000. 4.4 keeps every counter per zone
        /// (nr_alloc_batch, nr_pages_scanned, per-zone pgrefill/pgsteal/pgscan, one allocstall, no per-node block), its
        /// zoneinfo lists populated zones only with scanned, all_unreclaimable and inactive_ratio, and meminfo has no shmem
        /// THP lines; buddyinfo, pagetypeinfo and the extfrag files print as in 4.14. kernel: zoneinfo_show_print,
        /// vmstat_text, pagetypeinfo_showfree_print (mm/vmstat.c), meminfo_proc_show (fs/proc/meminfo.c) (4.4; 4.14; 6.1).</summary>
        public KernelTextFormat ProcText { get; private set; } = KernelTextFormat.V4_14;

        /// <summary>VMALLOC_END − VMALLOC_START in bytes, meminfo's VmallocTotal (arm64, VA_BITS 48, 4 KiB pages, no KASAN).
        /// 4.14: (PAGE_OFFSET − PUD_SIZE − VMEMMAP_SIZE − 64K) − (VA_START + 128M); 6.1: (VMEMMAP_START − 256M) − MODULES_END;
        /// 4.4: (PAGE_OFFSET − PUD_SIZE − VMEMMAP_SIZE − 64K) − VA_START, its vmemmap covering the whole VA space (2^42).
        /// kernel: VMALLOC_START, VMALLOC_END (arch/arm64/include/asm/memory.h, pgtable.h, 4.4; 4.14; 6.1).</summary>
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

        /// <summary>For a costly movable request, at the start of a pageblock, the migration scanner first looks through the
        /// Movable free lists from order − 1 down to PAGE_ALLOC_COSTLY_ORDER for a free page low in the scan space and starts
        /// in that page's block, which gets its skip hint, so the block scan gives up at the block's first page and the
        /// search only moves the scanner on (the 6.1 stable series reverted 7efc3b726103, which had stopped the hint being
        /// set, for the stalls it caused; it came back with fixes in 6.4); after a search that finds nothing the linear scan
        /// restarts once at the lowest block found before. kernel: fast_find_migrateblock, isolate_migratepages (mm/compaction.c, 5.1 to 6.1 stable); 4.14 scans
        /// linearly from the cached pfn.</summary>
        public bool FastFindMigrateblock { get; private set; }

        /// <summary>The migration scanner keeps the skip hint per block: a scan starting at a block's first page gives up at
        /// once if the hint is set, taking the block's first LRU page at its first pfn claims the block (test_and_set_skip), a
        /// block rescanned right after migrating from it isolates past COMPACT_CLUSTER_MAX, a block ended without isolating
        /// (or rescanned) gets the hint and moves the cached migrate pfns to its end, as does a block that is no suitable
        /// source, and a block a hugetlb page fills is never a source. kernel: isolate_migratepages_block, isolate_migratepages,
        /// suitable_migration_source, update_cached_migrate, compact_zone (mm/compaction.c, 5.1 to 6.1); 4.14 marks a block
        /// only when a whole scan of it isolated nothing.</summary>
        public bool MigrateSkipHintsPerBlock { get; private set; }

        /// <summary>LRU lists, their sizes and reclaim_stat belong to each zone's lruvec: reclaim walks the zonelist and
        /// shrinks one zone at a time (shrink_zones → shrink_zone → shrink_lruvec → get_scan_count per zone), inactive anon
        /// is low by the zone lruvec's own lists (mem_cgroup_inactive_anon_is_low, memcg being enabled; the zone's
        /// inactive_ratio only without memcg), inactive file is low when active &gt; inactive, a zone is unreclaimable once pages_scanned reaches six times its reclaimable pages, and
        /// should_continue_reclaim looks at the zone and its compaction_suitable(zone, order, 0, 0).
        /// kernel: shrink_zone, shrink_lruvec, get_scan_count, should_continue_reclaim, zone_reclaimable (mm/vmscan.c, 4.4);
        /// calculate_zone_inactive_ratio (mm/page_alloc.c, 4.4); 4.8+ (and 4.14) reclaim per node.</summary>
        public bool ZoneBasedReclaim { get; private set; }

        /// <summary>The low and high watermarks are min + min/4 and min + min/2, with no vm.watermark_scale_factor (which 4.6
        /// added to scale them with memory). kernel: __setup_per_zone_wmarks (mm/page_alloc.c, 4.4).</summary>
        public bool WatermarksFromMinOnly { get; private set; }

        /// <summary>The fair zone allocation policy: the fast path (ALLOC_FAIR) passes over a local zone whose allocation batch
        /// (NR_ALLOC_BATCH, high − low watermark) is spent, until every local zone's is; then all batches are refilled and the
        /// zonelist is walked again without the policy. Every allocation charges its zone's batch. Removed in 4.8 with
        /// node-based reclaim. kernel: get_page_from_freelist, buffered_rmqueue, reset_alloc_batches (mm/page_alloc.c, 4.4).</summary>
        public bool FairZoneAllocation { get; private set; }

        /// <summary>ALLOC_FAIR with <see cref="FairZoneAllocation"/>, else 0: what the allocation fast path ORs into its flags.</summary>
        internal int FairAllocFlag => FairZoneAllocation ? Buddy.AllocFlagBits.Fair : 0;

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

        /// <summary>A fallback steal below pageblock order raises the zone's watermarks by a pageblock (up to
        /// vm.watermark_boost_factor/10000 of the high watermark) and, for ALLOC_KSWAPD requests, flags the zone so rmqueue
        /// wakes kswapd; wmark_pages adds zone->watermark_boost; balance_pgdat reclaims the boost without writeback or swap,
        /// clears it and wakes kcompactd at pageblock_order; zone_watermark_fast holds an order-0 __GFP_ATOMIC request at
        /// WMARK_MIN to the unboosted min. kernel: boost_watermark, steal_suitable_fallback, rmqueue, zone_watermark_fast
        /// (mm/page_alloc.c, 6.1), balance_pgdat, wakeup_kswapd (mm/vmscan.c, 6.1); 4.14 has no boost.</summary>
        public bool WatermarkBoost { get; private set; }

        /// <summary>The fast path (__alloc_pages) sets ALLOC_NOFRAGMENT when the preferred zone is ZONE_NORMAL (CONFIG_ZONE_DMA32,
        /// which Debian's arm64 6.1 has): __rmqueue_fallback then steals only whole pageblocks (min_order = pageblock_order), so
        /// the walk goes on to lower zones' own free lists and free pageblocks before splitting another type's pageblock, and
        /// get_page_from_freelist walks the zonelist once more without the flag when nothing was found. It applies only to a
        /// node with a Normal zone (memory above 4 GiB physical); the captured 2 GiB QEMU node has all of its memory in DMA
        /// (its zoneinfo shows DMA32 and Normal with spanned 0), so there the preferred zone is DMA and the flag is never set.
        /// The slow path's flags never carry it. kernel: alloc_flags_nofragment, __alloc_pages, get_page_from_freelist,
        /// __rmqueue_fallback (mm/page_alloc.c, 6.1); 4.14 has no ALLOC_NOFRAGMENT.</summary>
        public bool AllocNoFragment { get; private set; }

        /// <summary>The per-cpu lists hold orders up to PAGE_ALLOC_COSTLY_ORDER (one list per migrate type and order) and, with
        /// CONFIG_TRANSPARENT_HUGEPAGE (Debian's 6.1 has it), pageblock-order THP blocks (one list for movable, one for the
        /// rest): rmqueue takes those orders from the pcp first, refilling an empty list with max(batch &gt;&gt; order, 2)
        /// blocks, and __free_pages puts them back there; pcp->count counts pages, so zoneinfo's pagesets count includes
        /// them, and like order-0 pcp pages they are neither in NR_FREE_PAGES nor in buddyinfo. A free past the flush point
        /// with free_factor set empties the whole pcp for a cheap order (free_high). kernel: pcp_allowed_order,
        /// order_to_pindex, pindex_to_order, rmqueue, rmqueue_pcplist, __rmqueue_pcplist, rmqueue_bulk, free_the_page,
        /// free_unref_page, free_unref_page_commit, free_pcppages_bulk (mm/page_alloc.c, 6.1); 4.14 keeps only order 0 on
        /// the pcp lists.</summary>
        public bool PcpHighOrder { get; private set; }

        /// <summary>zone_batchsize's cap on the pcp batch before it is quartered: 1 MiB of pages in 6.1
        /// (min(managed >> 10, SZ_1M / PAGE_SIZE)), 512 KiB in 4.14. kernel: zone_batchsize (mm/page_alloc.c, 4.14; 6.1).</summary>
        public int PcpBatchCapBytes { get; private set; } = 512 * 1024;

        /// <summary>pcp->high comes from zone_highsize: the zone's low watermark (or managed / vm.percpu_pagelist_high_fraction)
        /// split over the node's CPUs, at least 4·batch, and is recomputed whenever the watermarks are (setup_per_zone_wmarks
        /// calls zone_pcp_update). kernel: zone_highsize, zone_set_pageset_high_and_batch, setup_per_zone_wmarks
        /// (mm/page_alloc.c, 5.14 to 6.1); 4.14 uses 6·batch, or managed / vm.percpu_pagelist_fraction.</summary>
        public bool PcpHighFromLowWatermark { get; private set; }

        /// <summary>A free that reaches pcp->high flushes nr_pcp_free pages: batch doubled for each flush since the last
        /// allocation (free_factor, up to 2^CONFIG_PCP_BATCH_SCALE_MAX), kept between batch and high − batch; the flush
        /// empties the list just freed to first, then the others round robin, oldest pages first; while kswapd reclaims the
        /// zone (ZONE_RECLAIM_ACTIVE) the flush point drops to min(4·batch, high); each allocation halves free_factor; a
        /// drain goes in chunks of batch·2^5. kernel: free_unref_page_commit, nr_pcp_high, nr_pcp_free, free_pcppages_bulk,
        /// rmqueue_pcplist, drain_pages_zone (mm/page_alloc.c, 6.1); 4.14 frees batch pages round robin over the lists.</summary>
        public bool PcpFreeScaling { get; private set; }

        /// <summary>Page reclaim of the classic two-list LRU: Debian's 6.1 builds CONFIG_LRU_GEN but leaves MGLRU off by default
        /// (CONFIG_LRU_GEN_ENABLED unset), so lru_gen_enabled() is false and the profile models that path, not MGLRU.
        /// SCAN_FRACT weighs the lists by lruvec->anon_cost/file_cost (each doubled by the total, ap = swappiness·(total+1)/(anon+1),
        /// fp = (200−swappiness)·(total+1)/(file+1), denominator ap+fp) instead of recent_scanned/recent_rotated; shrink_inactive_list
        /// notes the pages it wrote out as cost on the lruvec and its ancestors, halving both costs once they exceed a quarter of that
        /// lruvec's LRU pages. kernel: get_scan_count, shrink_inactive_list (mm/vmscan.c, 6.1), lru_note_cost (mm/swap.c, 6.1);
        /// 4.14 balances by recent_scanned/recent_rotated.</summary>
        public bool CostBasedScanBalance { get; private set; }

        /// <summary>shrink_node first runs prepare_scan_count on the reclaim target's lruvec: may_deactivate (anon, file) is set
        /// where the list's WORKINGSET_ACTIVATE moved since snapshot_refaults or inactive_is_low holds (force_deactivate sets both),
        /// cache_trim_mode when inactive file &gt;&gt; priority is non-zero and file may not be deactivated, and for global reclaim
        /// file_is_tiny (file + free ≤ Σ high watermarks, anon may not be deactivated, inactive anon &gt;&gt; priority non-zero).
        /// get_scan_count then checks file_is_tiny (SCAN_ANON) before cache_trim_mode (SCAN_FILE); shrink_list ages an active
        /// list only where may_deactivate allows and otherwise flags skipped_deactivate, and do_try_to_free_pages that reclaimed
        /// nothing retries once with force_deactivate. kernel: prepare_scan_count, get_scan_count, shrink_list, snapshot_refaults,
        /// do_try_to_free_pages (mm/vmscan.c, 6.1); 4.14 asks inactive_list_is_low per lruvec and per call.</summary>
        public bool CacheTrimMode { get; private set; }

        /// <summary>shrink_lruvec, once nr_to_reclaim is met (not for direct global reclaim at DEF_PRIORITY), cuts the smaller of
        /// anon/file and scales the other on every later pass, so the pass after the cut ends the loop (the stopped side is zero).
        /// kernel: shrink_lruvec (mm/vmscan.c, 6.0 to 6.1, "fix extreme overreclaim and swap floods"); 4.14's shrink_node_memcg
        /// adjusts once (scan_adjusted) and then scans the other side to its scaled target.</summary>
        public bool ProportionalReclaimStopsAtOnce { get; private set; }

        /// <summary>Active anon is aged by inactive_is_low on hierarchical lruvec counts over all zones while swap exists:
        /// shrink_lruvec's final aging asks it of the lruvec being shrunk, and kswapd_age_node asks the root lruvec once and
        /// then ages every memcg's active anon. kernel: shrink_lruvec, kswapd_age_node, can_age_anon_pages (mm/vmscan.c, 6.1);
        /// 4.14's age_active_anon and shrink_node_memcg ask inactive_list_is_low of each memcg's own lists up to reclaim_idx.</summary>
        public bool HierarchicalAnonAging { get; private set; }

        /// <summary>do_try_to_free_pages that reclaimed nothing retries with memory.low overridden (memcg_low_reclaim) only
        /// when a group was skipped for its protection (memcg_low_skipped). kernel: do_try_to_free_pages, shrink_node_memcgs
        /// (mm/vmscan.c, 6.1); 4.14 always retries once with may_thrash.</summary>
        public bool MemcgLowRetryOnlyWhenSkipped { get; private set; }

        /// <summary>shrink_node_memcgs walks every group under the reclaim target in pre-order on each pass, with no shared
        /// iterator position and no early exit once limit reclaim has its pages. kernel: shrink_node_memcgs (mm/vmscan.c,
        /// 5.5 to 6.1); 4.14's shrink_node resumes the per-priority reclaim cookie and stops limit reclaim at nr_to_reclaim.</summary>
        public bool FullMemcgWalk { get; private set; }

        /// <summary>Compaction through /proc/sys/vm/compact_memory (order −1) first clears every skip bit of each zone and
        /// its cached scanner positions, then compacts it. kernel: __compact_pgdat (mm/compaction.c, 4.4); 4.14's
        /// compact_node only ignores the skip hints (ignore_skip_hint, whole_zone) and leaves them set.</summary>
        public bool CompactMemoryResetsSkipHints { get; private set; }

        /// <summary>When wakeup_kswapd leaves kswapd asleep because the node is hopeless or already balanced (and not boosted),
        /// a request that may not direct-reclaim (atomic, or a THP fault without __GFP_DIRECT_RECLAIM) wakes kcompactd for its
        /// order instead, so free memory too fragmented for it gets compacted. kernel: wakeup_kswapd (mm/vmscan.c, 4.20 to
        /// 6.1); 4.14 simply returns.</summary>
        public bool WakeupKswapdWakesKcompactd { get; private set; }

        /// <summary>Anon pages have to prove themselves on the inactive list, as file pages do: do_anonymous_page adds a new
        /// page inactive (lru_cache_add_inactive_or_unevictable), and page_check_references no longer activates a swap-backed
        /// page on its first referenced look (it is marked referenced and kept; a second reference activates it) and
        /// activates on VM_EXEC only file pages. kernel: do_anonymous_page (mm/memory.c, 6.1), folio_check_references
        /// (mm/vmscan.c, 6.1), since 5.9's "protect the workingset on anonymous LRU"; 4.14 adds anon pages active and
        /// activates any referenced swap-backed page.</summary>
        public bool AnonWorkingsetProtection { get; private set; }

        /// <summary>Refault detection with PG_workingset and the non-resident age of 6.1 (classic LRU): shrink_active_list
        /// marks every page it deactivates PG_workingset and the shadow keeps that bit; workingset_eviction reads
        /// nonresident_age before aging it, and every aging (eviction, activation, activated refault) adds the pages to the
        /// lruvec and each ancestor; a refault counts in the new page's lruvec, and its distance is compared with the evicting
        /// lruvec's active file pages plus, while swap has free slots, both anon lists; an activated refault of a workingset
        /// page sets PG_workingset again, counts workingset_restore and notes its pages as refault cost (lru_note_cost_refault).
        /// kernel: workingset_eviction, workingset_refault, workingset_test_recent, workingset_age_nonresident
        /// (mm/workingset.c, 6.1), shrink_active_list (mm/vmscan.c, 6.1), lru_note_cost_refault (mm/swap.c, 6.1); 4.14 ages
        /// inactive_age of one lruvec (incrementing before it reads) and compares the distance with active file pages only.</summary>
        public bool PageWorkingsetRefaults { get; private set; }

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
