using System.Collections.Generic;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using MemMgmt.Core.Watermarks;

namespace MemMgmt.Core.Stats
{
    /// <summary>Builds the /proc models from a node's live state, the way the kernel's show functions read it.</summary>
    public static class NodeViews
    {
        /// <summary>The text layout of the node's kernel.</summary>
        public static KernelTextFormat FormatOf(MemNode node) => KernelTextFormat.V4_14;

        /// <summary>The migrate types the kernel configuration prints (all six: arm64 4.14 has CMA and memory isolation).</summary>
        public static IReadOnlyList<MigrateType> PrintedMigrateTypes(MemNode node)
        {
            var list = new List<MigrateType> { MigrateType.Unmovable, MigrateType.Movable, MigrateType.Reclaimable, MigrateType.HighAtomic };
            if (node.Kernel.HasCma) list.Add(MigrateType.Cma);
            if (node.Kernel.HasMemoryIsolation) list.Add(MigrateType.Isolate);
            return list;
        }

        /// <summary>kernel: pagetypeinfo_showfree_print / pagetypeinfo_showblockcount_print (mm/vmstat.c, 4.14): populated zones only;
        /// free counts walk the lists; block counts read each pageblock's type.</summary>
        public static PageTypeInfo PageTypeInfo(MemNode node)
        {
            var types = PrintedMigrateTypes(node);
            var names = new List<string>();
            foreach (var t in types) names.Add(MigrateTypes.KernelName(t));
            var freeRows = new List<PageTypeFreeRow>();
            var blockRows = new List<PageTypeBlockRow>();
            foreach (var zone in node.Zones)
            {
                if (!zone.IsPopulated) continue;
                foreach (var t in types)
                {
                    var counts = new long[node.Geometry.MaxOrder];
                    for (int o = 0; o < counts.Length; o++) counts[o] = zone.CountFreeList(o, t);
                    freeRows.Add(new PageTypeFreeRow(node.NodeId, zone.Name, MigrateTypes.KernelName(t), counts));
                }
                var perType = new long[MigrateTypes.Count];
                int firstBlock = (int)((zone.ZoneStartPfn - node.NodeStartPfn) >> node.PbOrder);
                int nrBlocks = (int)(zone.SpannedPages >> node.PbOrder);
                for (int b = firstBlock; b < firstBlock + nrBlocks; b++) perType[node.PageblockBits[b] & 7]++;
                var blocks = new long[types.Count];
                for (int i = 0; i < types.Count; i++) blocks[i] = perType[(int)types[i]];
                blockRows.Add(new PageTypeBlockRow(node.NodeId, zone.Name, blocks));
            }
            return new PageTypeInfo(node.Geometry.PageblockOrder, node.Geometry.PageblockNrPages, node.Geometry.MaxOrder,
                names, freeRows, blockRows, Stats.PageTypeInfo.CapsFreeCounts(FormatOf(node)));
        }

        /// <summary>kernel: frag_show_print (mm/vmstat.c, 4.14): free_area[order].nr_free of each populated zone.</summary>
        public static BuddyInfo BuddyInfo(MemNode node)
        {
            var rows = new List<BuddyInfoRow>();
            foreach (var zone in node.Zones)
                if (zone.IsPopulated) rows.Add(new BuddyInfoRow(node.NodeId, zone.Name, NrFree(zone)));
            return new BuddyInfo(rows);
        }

        private static long[] NrFree(Zone zone)
        {
            var nr = new long[zone.NrFree.Length];
            for (int o = 0; o < nr.Length; o++) nr[o] = zone.NrFree[o];
            return nr;
        }

        /// <summary>kernel: extfrag_show_print / unusable_show_print (mm/vmstat.c, 4.14), from each populated zone's free_area.</summary>
        public static FragmentationIndexTable FragmentationIndex(MemNode node, FragmentationIndexKind kind) =>
            FragmentationIndexTable.FromBuddyInfo(BuddyInfo(node), kind);

        /// <summary>A zone's zone_stat_item and numa_stat_item values by their vmstat_text names.</summary>
        private static Dictionary<string, long> ZoneValues(Zone zone)
        {
            long S(ZoneStatItem i) => zone.Stat[(int)i];
            return new Dictionary<string, long>
            {
                ["nr_free_pages"] = zone.NrFreePages,
                ["nr_zone_inactive_anon"] = S(ZoneStatItem.NrZoneInactiveAnon),
                ["nr_zone_active_anon"] = S(ZoneStatItem.NrZoneActiveAnon),
                ["nr_zone_inactive_file"] = S(ZoneStatItem.NrZoneInactiveFile),
                ["nr_zone_active_file"] = S(ZoneStatItem.NrZoneActiveFile),
                ["nr_zone_unevictable"] = S(ZoneStatItem.NrZoneUnevictable),
                ["nr_zone_write_pending"] = S(ZoneStatItem.NrZoneWritePending),
                ["nr_mlock"] = S(ZoneStatItem.NrMlock),
                ["nr_page_table_pages"] = S(ZoneStatItem.NrPageTablePages),
                ["nr_kernel_stack"] = S(ZoneStatItem.NrKernelStackKb),
                ["nr_bounce"] = S(ZoneStatItem.NrBounce),
                ["nr_zspages"] = S(ZoneStatItem.NrZspages),
                ["nr_free_cma"] = zone.NrFreeCma,
                ["numa_hit"] = S(ZoneStatItem.NumaHit),
                ["numa_miss"] = S(ZoneStatItem.NumaMiss),
                ["numa_foreign"] = S(ZoneStatItem.NumaForeign),
                ["numa_interleave"] = S(ZoneStatItem.NumaInterleave),
                ["numa_local"] = S(ZoneStatItem.NumaLocal),
                ["numa_other"] = S(ZoneStatItem.NumaOther),
            };
        }

        /// <summary>The node's node_stat_item values by their 4.14 vmstat_text names (NodeStatItem follows that order).</summary>
        private static Dictionary<string, long> NodeValues(MemNode node)
        {
            var names = VmStatItems.NodeItems(KernelTextFormat.V4_14);
            var values = new Dictionary<string, long>(names.Count);
            for (int i = 0; i < names.Count; i++) values[names[i]] = node.Counters.NodeStat[i];
            return values;
        }

        private static long Lookup(Dictionary<string, long> values, string name) => values.TryGetValue(name, out long v) ? v : 0;

        /// <summary>A zone's counters as zoneinfo prints them: zone items, then NUMA items, in vmstat_text order.</summary>
        public static List<ProcStatEntry> ZoneStats(Zone zone)
        {
            var format = FormatOf(zone.Node);
            var values = ZoneValues(zone);
            var list = new List<ProcStatEntry>();
            list.AddRange(VmStatItems.Entries(VmStatItems.ZoneItems(format), n => Lookup(values, n)));
            list.AddRange(VmStatItems.Entries(VmStatItems.NumaItems(format), n => Lookup(values, n)));
            return list;
        }

        /// <summary>The node's per-node counters in vmstat_text order.</summary>
        public static List<ProcStatEntry> NodeStats(MemNode node)
        {
            var values = NodeValues(node);
            return new List<ProcStatEntry>(VmStatItems.Entries(VmStatItems.NodeItems(FormatOf(node)), n => Lookup(values, n)));
        }

        /// <summary>kernel: zoneinfo_show_print (mm/vmstat.c, 4.14): every zone of the node; node stats in the first populated one.</summary>
        public static ZoneInfo ZoneInfo(MemNode node)
        {
            var zones = new List<ZoneInfoZone>();
            bool first = true;
            foreach (var zone in node.Zones)
            {
                List<ProcStatEntry>? nodeStats = null;
                ZoneInfoDetail? detail = null;
                if (zone.IsPopulated)
                {
                    if (first) nodeStats = NodeStats(node);
                    first = false;
                    var sets = new List<ZonePageset>();
                    for (int cpu = 0; cpu < zone.CpuCount; cpu++)
                    {
                        var p = zone.GetPageset(cpu);
                        sets.Add(new ZonePageset(cpu, p.Count, p.High, p.Batch, StatThreshold(node, zone)));
                    }
                    detail = new ZoneInfoDetail(ZoneStats(zone), sets, node.KswapdFailures >= 16, zone.ZoneStartPfn);
                }
                zones.Add(new ZoneInfoZone(node.NodeId, zone.Name, zone.NrFreePages, zone.WatermarkMin, zone.WatermarkLow,
                    zone.WatermarkHigh, zone.SpannedPages, zone.PresentPages, zone.ManagedPages, zone.LowmemReserveArr,
                    nodeStats, detail, boost: zone.WatermarkBoost, cma: zone.CmaPages));
            }
            return new ZoneInfo(FormatOf(node), zones);
        }

        /// <summary>kernel: calculate_normal_threshold (mm/vmstat.c, 4.14): 2·fls(cpus)·(1 + fls(MiB/128)), at most 125.</summary>
        public static int StatThreshold(MemNode node, Zone zone)
        {
            long mem = zone.ManagedPages >> (27 - node.Geometry.PageShift);
            int threshold = 2 * Fls(node.NrCpus) * (1 + Fls(mem));
            return threshold > 125 ? 125 : threshold;
        }

        private static int Fls(long x)
        {
            int r = 0;
            while (x != 0) { x >>= 1; r++; }
            return r;
        }

        /// <summary>kernel: calculate_totalreserve_pages (mm/page_alloc.c, 4.14): per zone the largest lowmem_reserve plus the
        /// high watermark, capped at managed.</summary>
        public static long TotalReservePages(MemNode node)
        {
            long total = 0;
            foreach (var zone in node.Zones)
            {
                long max = 0;
                foreach (long r in zone.LowmemReserveArr) if (r > max) max = r;
                max += zone.WatermarkHigh;
                if (max > zone.ManagedPages) max = zone.ManagedPages;
                total += max;
            }
            return total;
        }

        /// <summary>kernel: si_mem_available (mm/page_alloc.c, 4.14): free minus reserves, plus the page cache and reclaimable
        /// slab that could go without pushing below the low watermarks.</summary>
        public static long MemAvailablePages(MemNode node)
        {
            long wmarkLow = 0;
            foreach (var zone in node.Zones) wmarkLow += zone.WatermarkLow;
            long available = node.FreePages - TotalReservePages(node);
            long pagecache = node.Counters[NodeStatItem.NrActiveFile] + node.Counters[NodeStatItem.NrInactiveFile];
            pagecache -= System.Math.Min(pagecache / 2, wmarkLow);
            available += pagecache;
            long slab = node.Counters[NodeStatItem.NrSlabReclaimable];
            available += slab - System.Math.Min(slab / 2, wmarkLow);
            return available < 0 ? 0 : available;
        }

        /// <summary>kernel: meminfo_proc_show (fs/proc/meminfo.c, 4.14), arm64 configuration (CMA, THP, hugetlb).</summary>
        public static MemInfo MemInfo(MemNode node)
        {
            var g = node.Geometry;
            long Kb(long pages) => g.PagesToKb(pages);
            var c = node.Counters;
            // The kernel's Cached is NR_FILE_PAGES minus the swap cache; here swap-cache pages never enter NR_FILE_PAGES.
            long cached = c[NodeStatItem.NrFilePages];
            long swapCached = node.SwapCachePages;
            long cmaTotal = 0, cmaFree = 0;
            foreach (var z in node.Zones) { cmaTotal += z.CmaPages; cmaFree += z.NrFreeCma; }
            long pageTables = 0, kernelStackKb = 0;
            foreach (var z in node.Zones) { pageTables += z.Stat[(int)ZoneStatItem.NrPageTablePages]; kernelStackKb += z.Stat[(int)ZoneStatItem.NrKernelStackKb]; }
            long totalRam = node.ManagedPages;
            long commitLimit = node.SwapTotalPages + totalRam * 50 / 100;
            var e = new List<MemInfoEntry>
            {
                new MemInfoEntry("MemTotal", Kb(totalRam)),
                new MemInfoEntry("MemFree", Kb(node.FreePages)),
                new MemInfoEntry("MemAvailable", Kb(MemAvailablePages(node))),
                new MemInfoEntry("Buffers", 0),
                new MemInfoEntry("Cached", Kb(cached)),
                new MemInfoEntry("SwapCached", Kb(swapCached)),
                new MemInfoEntry("Active", Kb(c[NodeStatItem.NrActiveAnon] + c[NodeStatItem.NrActiveFile])),
                new MemInfoEntry("Inactive", Kb(c[NodeStatItem.NrInactiveAnon] + c[NodeStatItem.NrInactiveFile])),
                new MemInfoEntry("Active(anon)", Kb(c[NodeStatItem.NrActiveAnon])),
                new MemInfoEntry("Inactive(anon)", Kb(c[NodeStatItem.NrInactiveAnon])),
                new MemInfoEntry("Active(file)", Kb(c[NodeStatItem.NrActiveFile])),
                new MemInfoEntry("Inactive(file)", Kb(c[NodeStatItem.NrInactiveFile])),
                new MemInfoEntry("Unevictable", Kb(c[NodeStatItem.NrUnevictable])),
                new MemInfoEntry("Mlocked", Kb(SumZone(node, ZoneStatItem.NrMlock))),
                new MemInfoEntry("SwapTotal", Kb(node.SwapTotalPages)),
                new MemInfoEntry("SwapFree", Kb(node.SwapFreePages)),
                new MemInfoEntry("Dirty", Kb(c[NodeStatItem.NrFileDirty])),
                new MemInfoEntry("Writeback", Kb(c[NodeStatItem.NrWriteback])),
                new MemInfoEntry("AnonPages", Kb(c[NodeStatItem.NrAnonMapped])),
                new MemInfoEntry("Mapped", Kb(c[NodeStatItem.NrFileMapped])),
                new MemInfoEntry("Shmem", Kb(c[NodeStatItem.NrShmem])),
                new MemInfoEntry("Slab", Kb(c[NodeStatItem.NrSlabReclaimable] + c[NodeStatItem.NrSlabUnreclaimable])),
                new MemInfoEntry("SReclaimable", Kb(c[NodeStatItem.NrSlabReclaimable])),
                new MemInfoEntry("SUnreclaim", Kb(c[NodeStatItem.NrSlabUnreclaimable])),
                new MemInfoEntry("KernelStack", kernelStackKb),
                new MemInfoEntry("PageTables", Kb(pageTables)),
                new MemInfoEntry("NFS_Unstable", Kb(c[NodeStatItem.NrUnstableNfs])),
                new MemInfoEntry("Bounce", Kb(SumZone(node, ZoneStatItem.NrBounce))),
                new MemInfoEntry("WritebackTmp", Kb(c[NodeStatItem.NrWritebackTemp])),
                new MemInfoEntry("CommitLimit", Kb(commitLimit)),
                // vm_committed_as counts private writable mappings; without VMAs the committed anon and shmem pages stand in.
                new MemInfoEntry("Committed_AS", Kb(c[NodeStatItem.NrAnonMapped] + c[NodeStatItem.NrShmem])),
                // VMALLOC_END − VMALLOC_START of arm64 4.14 (asm/memory.h, pgtable.h) with VA_BITS 48, 4K pages, no KASAN:
                // (PAGE_OFFSET − PUD_SIZE − VMEMMAP_SIZE − 64K) − (VA_START + 128M) = 2^47 − 2^30 − 2^41 − 2^16 − 2^27 bytes.
                new MemInfoEntry("VmallocTotal", ((1L << 47) - (1L << 30) - (1L << 41) - (1L << 16) - (1L << 27)) >> 10),
                new MemInfoEntry("VmallocUsed", 0),
                new MemInfoEntry("VmallocChunk", 0),
                new MemInfoEntry("AnonHugePages", Kb(c[NodeStatItem.NrAnonThps] << g.PageblockOrder)),
                new MemInfoEntry("ShmemHugePages", Kb(c[NodeStatItem.NrShmemThps] << g.PageblockOrder)),
                new MemInfoEntry("ShmemPmdMapped", Kb(c[NodeStatItem.NrShmemPmdmapped] << g.PageblockOrder)),
                new MemInfoEntry("CmaTotal", Kb(cmaTotal)),
                new MemInfoEntry("CmaFree", Kb(cmaFree)),
                new MemInfoEntry("HugePages_Total", node.Hugetlb.NrHugePages),
                new MemInfoEntry("HugePages_Free", node.Hugetlb.FreeHugePages),
                new MemInfoEntry("HugePages_Rsvd", node.Hugetlb.ResvHugePages),
                new MemInfoEntry("HugePages_Surp", node.Hugetlb.SurplusHugePages),
                new MemInfoEntry("Hugepagesize", g.HugeTlb ? (long)g.PageSize << g.PageblockOrder >> 10 : 0),
            };
            return new MemInfo(e);
        }

        private static long SumZone(MemNode node, ZoneStatItem item)
        {
            long s = 0;
            foreach (var z in node.Zones) s += z.Stat[(int)item];
            return s;
        }

        /// <summary>kernel: vmstat_start (mm/vmstat.c, 4.14): zone items summed over zones, NUMA items, node items, the dirty
        /// thresholds, then the events (per-zone ones for each zone type); counters the simulator does not model read 0.</summary>
        public static VmStat VmStat(MemNode node)
        {
            var values = NodeValues(node);
            foreach (var zone in node.Zones)
                foreach (var kv in ZoneValues(zone))
                    values[kv.Key] = Lookup(values, kv.Key) + kv.Value;
            DirtyThresholds(node, out long background, out long dirty);
            values["nr_dirty_threshold"] = dirty;
            values["nr_dirty_background_threshold"] = background;
            var c = node.Counters;
            for (int e = 0; e < (int)VmEvent.Count; e++)
            {
                string name = EventName((VmEvent)e);
                if (name.Length > 0) values[name] = c.Events[e];
            }
            foreach (var zone in node.Zones)
            {
                string suffix = "_" + zone.Name.ToLowerInvariant();
                values["pgalloc" + suffix] = c.Get(ZoneEvent.PgAlloc, zone.Idx);
                values["allocstall" + suffix] = c.Get(ZoneEvent.AllocStall, zone.Idx);
                values["pgskip" + suffix] = c.Get(ZoneEvent.PgSkip, zone.Idx);
            }
            return VmStatItems.BuildVmStat(FormatOf(node), n => Lookup(values, n));
        }

        /// <summary>The vmstat_text name of an event counter.</summary>
        public static string EventName(VmEvent e) => e switch
        {
            VmEvent.PgpgIn => "pgpgin", VmEvent.PgpgOut => "pgpgout", VmEvent.PswpIn => "pswpin", VmEvent.PswpOut => "pswpout",
            VmEvent.PgFree => "pgfree", VmEvent.PgActivate => "pgactivate", VmEvent.PgDeactivate => "pgdeactivate",
            VmEvent.PgLazyFree => "pglazyfree", VmEvent.PgFault => "pgfault", VmEvent.PgMajFault => "pgmajfault",
            VmEvent.PgLazyFreed => "pglazyfreed", VmEvent.PgRefill => "pgrefill",
            VmEvent.PgStealKswapd => "pgsteal_kswapd", VmEvent.PgStealDirect => "pgsteal_direct",
            VmEvent.PgScanKswapd => "pgscan_kswapd", VmEvent.PgScanDirect => "pgscan_direct",
            VmEvent.PgScanDirectThrottle => "pgscan_direct_throttle", VmEvent.PgInodeSteal => "pginodesteal",
            VmEvent.SlabsScanned => "slabs_scanned", VmEvent.KswapdInodeSteal => "kswapd_inodesteal",
            VmEvent.KswapdLowWmarkHitQuickly => "kswapd_low_wmark_hit_quickly",
            VmEvent.KswapdHighWmarkHitQuickly => "kswapd_high_wmark_hit_quickly",
            VmEvent.PageOutRun => "pageoutrun", VmEvent.PgRotated => "pgrotated", VmEvent.DropPagecache => "drop_pagecache",
            VmEvent.DropSlab => "drop_slab", VmEvent.OomKill => "oom_kill",
            VmEvent.PgMigrateSuccess => "pgmigrate_success", VmEvent.PgMigrateFail => "pgmigrate_fail",
            VmEvent.CompactMigrateScanned => "compact_migrate_scanned", VmEvent.CompactFreeScanned => "compact_free_scanned",
            VmEvent.CompactIsolated => "compact_isolated", VmEvent.CompactStall => "compact_stall",
            VmEvent.CompactFail => "compact_fail", VmEvent.CompactSuccess => "compact_success",
            VmEvent.CompactDaemonWake => "compact_daemon_wake",
            VmEvent.CompactDaemonMigrateScanned => "compact_daemon_migrate_scanned",
            VmEvent.CompactDaemonFreeScanned => "compact_daemon_free_scanned",
            VmEvent.HtlbBuddyAllocSuccess => "htlb_buddy_alloc_success", VmEvent.HtlbBuddyAllocFail => "htlb_buddy_alloc_fail",
            VmEvent.UnevictablePgsCulled => "unevictable_pgs_culled", VmEvent.UnevictablePgsScanned => "unevictable_pgs_scanned",
            VmEvent.UnevictablePgsRescued => "unevictable_pgs_rescued", VmEvent.UnevictablePgsMlocked => "unevictable_pgs_mlocked",
            VmEvent.UnevictablePgsMunlocked => "unevictable_pgs_munlocked", VmEvent.UnevictablePgsCleared => "unevictable_pgs_cleared",
            VmEvent.UnevictablePgsStranded => "unevictable_pgs_stranded",
            VmEvent.ThpFaultAlloc => "thp_fault_alloc", VmEvent.ThpFaultFallback => "thp_fault_fallback",
            VmEvent.ThpCollapseAlloc => "thp_collapse_alloc", VmEvent.ThpCollapseAllocFailed => "thp_collapse_alloc_failed",
            _ => "",
        };

        /// <summary>kernel: global_dirty_limits (mm/page-writeback.c, 4.14): see <see cref="Writeback.PageWriteback.GlobalDirtyLimits"/>.</summary>
        public static void DirtyThresholds(MemNode node, out long background, out long dirty) =>
            Writeback.PageWriteback.GlobalDirtyLimits(node, out background, out dirty);
    }
}
