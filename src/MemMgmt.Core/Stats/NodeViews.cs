using System.Collections.Generic;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using MemMgmt.Core.Watermarks;

namespace MemMgmt.Core.Stats
{
    /// <summary>Builds the /proc models from a node's live state, the way the kernel's show functions read it.</summary>
    public static class NodeViews
    {
        /// <summary>The text layout of the node's kernel (<see cref="KernelProfile.ProcText"/>).</summary>
        public static KernelTextFormat FormatOf(MemNode node) => node.Kernel.ProcText;

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

        /// <summary>A zone's zone_stat_item and numa_stat_item values by their vmstat_text names (the 4.4 layout's too).</summary>
        private static Dictionary<string, long> ZoneValues(Zone zone)
        {
            long S(ZoneStatItem i) => zone.Stat[(int)i];
            var values = new Dictionary<string, long>
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
            if (FormatOf(zone.Node) == KernelTextFormat.V4_4) AddZoneValues44(zone, values);
            return values;
        }

        /// <summary>THREAD_SIZE of arm64 4.4 (arch/arm64/include/asm/thread_info.h): 4.4's NR_KERNEL_STACK counts stacks of
        /// this size, where later kernels count KiB.</summary>
        private const int ThreadSize44 = 16384;

        /// <summary>The 4.4 zone_stat_items the model keeps per node, as each zone's share: the LRU sizes of the zone's
        /// lruvecs, the node items split by the zone of their pages (<see cref="VmCounters.Get(NodeStatItem, int)"/>),
        /// NR_PAGES_SCANNED, and the kernel stacks counted in stacks.
        /// nr_alloc_batch is the fair allocation batch (<see cref="KernelProfile.FairZoneAllocation"/>), read as zone_page_state
        /// reads it (a negative count prints 0). Counters the simulator has no notion of print 0, as in every layout:
        /// nr_mapped, nr_unstable, nr_writeback_temp,
        /// workingset_nodereclaim, nr_anon_transparent_hugepages, nr_bounce and nr_kernel_stack, which nothing here counts.
        /// kernel: enum zone_stat_item (include/linux/mmzone.h, 4.4), zoneinfo_show_print (mm/vmstat.c, 4.4).</summary>
        private static void AddZoneValues44(Zone zone, Dictionary<string, long> values)
        {
            var c = zone.Node.Counters;
            var names = VmStatItems.NodeItems(KernelTextFormat.V4_14);
            for (int i = 0; i < names.Count; i++) values[names[i]] = c.ZoneNodeStat[i, zone.Idx];
            values["nr_inactive_anon"] = zone.Stat[(int)ZoneStatItem.NrZoneInactiveAnon];
            values["nr_active_anon"] = zone.Stat[(int)ZoneStatItem.NrZoneActiveAnon];
            values["nr_inactive_file"] = zone.Stat[(int)ZoneStatItem.NrZoneInactiveFile];
            values["nr_active_file"] = zone.Stat[(int)ZoneStatItem.NrZoneActiveFile];
            values["nr_unevictable"] = zone.Stat[(int)ZoneStatItem.NrZoneUnevictable];
            values["nr_kernel_stack"] = zone.Stat[(int)ZoneStatItem.NrKernelStackKb] * 1024 / ThreadSize44;
            values["nr_pages_scanned"] = Reclaim.ZoneReclaimState.Of(zone.Node, zone)!.Scanned;
            values["nr_alloc_batch"] = System.Math.Max(0, zone.AllocBatch);
        }

        /// <summary>The node's node_stat_item values by their vmstat_text names: the 4.14 names (NodeStatItem follows that
        /// order), and in the 6.1 layout also the 6.1 names of what the simulator counts; names it does not model read 0.</summary>
        private static Dictionary<string, long> NodeValues(MemNode node)
        {
            var names = VmStatItems.NodeItems(KernelTextFormat.V4_14);
            var values = new Dictionary<string, long>(names.Count + 8);
            for (int i = 0; i < names.Count; i++) values[names[i]] = node.Counters.NodeStat[i];
            if (FormatOf(node) == KernelTextFormat.V4_14) return values;
            // Shadow refaults here are page-cache ones: 6.1's _file counters (4.14 keeps no anon shadows).
            values["workingset_refault_file"] = node.Counters[NodeStatItem.WorkingsetRefault];
            values["workingset_activate_file"] = node.Counters[NodeStatItem.WorkingsetActivate];
            values["workingset_restore_file"] = node.ShadowRefaultStOrNull?.RestoreFile ?? 0;
            // NR_KERNEL_STACK_KB and NR_PAGETABLE are node items in 6.1; NR_SWAPCACHE (5.13+) counts the swap cache.
            values["nr_kernel_stack"] = SumZone(node, ZoneStatItem.NrKernelStackKb);
            values["nr_page_table_pages"] = SumZone(node, ZoneStatItem.NrPageTablePages);
            values["nr_swapcached"] = node.SwapCachePages;
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

        /// <summary>kernel: zoneinfo_show_print (mm/vmstat.c, 4.14; 6.1): every zone of the node; node stats in the first populated one.
        /// 6.1's boost line reads 0: watermark boosting (boost_watermark) is not simulated.</summary>
        public static ZoneInfo ZoneInfo(MemNode node)
        {
            if (FormatOf(node) == KernelTextFormat.V4_4) return ZoneInfo44(node);
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

        /// <summary>kernel: zoneinfo_show_print, walk_zones_in_node (mm/vmstat.c, 4.4): populated zones only, each with its
        /// pages scanned, all of its counters, all_unreclaimable (!zone_reclaimable) and inactive_ratio.</summary>
        private static ZoneInfo ZoneInfo44(MemNode node)
        {
            var zones = new List<ZoneInfoZone>();
            foreach (var zone in node.Zones)
            {
                if (!zone.IsPopulated) continue;
                var sets = new List<ZonePageset>();
                for (int cpu = 0; cpu < zone.CpuCount; cpu++)
                {
                    var p = zone.GetPageset(cpu);
                    sets.Add(new ZonePageset(cpu, p.Count, p.High, p.Batch, StatThreshold(node, zone)));
                }
                var state = Reclaim.ZoneReclaimState.Of(node, zone)!;
                var detail = new ZoneInfoDetail(ZoneStats(zone), sets, state.AllUnreclaimable, zone.ZoneStartPfn, state.InactiveRatio);
                zones.Add(new ZoneInfoZone(node.NodeId, zone.Name, zone.NrFreePages, zone.WatermarkMin, zone.WatermarkLow,
                    zone.WatermarkHigh, zone.SpannedPages, zone.PresentPages, zone.ManagedPages, zone.LowmemReserveArr,
                    null, detail, scanned: state.Scanned));
            }
            return new ZoneInfo(KernelTextFormat.V4_4, zones);
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

        /// <summary>kernel: meminfo_proc_show (fs/proc/meminfo.c, 4.14; 6.1; 4.4), arm64 configuration (CMA, THP, hugetlb; 6.1 adds
        /// ZSWAP and MEMORY_FAILURE). 4.4 has no shmem THP lines (ShmemHugePages and ShmemPmdMapped came in 4.8); its
        /// KernelStack is NR_KERNEL_STACK · THREAD_SIZE / 1024, the same KiB.</summary>
        public static MemInfo MemInfo(MemNode node)
        {
            var g = node.Geometry;
            long Kb(long pages) => g.PagesToKb(pages);
            var c = node.Counters;
            bool v61 = FormatOf(node) >= KernelTextFormat.V6_1;
            bool shmemThp = FormatOf(node) >= KernelTextFormat.V4_14;
            // The kernel's Cached is NR_FILE_PAGES minus the swap cache; here swap-cache pages never enter NR_FILE_PAGES.
            long cached = c[NodeStatItem.NrFilePages];
            long swapCached = node.SwapCachePages;
            long cmaTotal = 0, cmaFree = 0;
            foreach (var z in node.Zones) { cmaTotal += z.CmaPages; cmaFree += z.NrFreeCma; }
            long pageTables = SumZone(node, ZoneStatItem.NrPageTablePages), kernelStackKb = SumZone(node, ZoneStatItem.NrKernelStackKb);
            long totalRam = node.ManagedPages;
            long commitLimit = node.SwapTotalPages + totalRam * 50 / 100;
            long hugepageKb = g.HugeTlb ? (long)g.PageSize << g.PageblockOrder >> 10 : 0;
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
            };
            if (v61)
            {
                // No zswap pool is simulated: an idle one.
                e.Add(new MemInfoEntry("Zswap", 0));
                e.Add(new MemInfoEntry("Zswapped", 0));
            }
            e.Add(new MemInfoEntry("Dirty", Kb(c[NodeStatItem.NrFileDirty])));
            e.Add(new MemInfoEntry("Writeback", Kb(c[NodeStatItem.NrWriteback])));
            e.Add(new MemInfoEntry("AnonPages", Kb(c[NodeStatItem.NrAnonMapped])));
            e.Add(new MemInfoEntry("Mapped", Kb(c[NodeStatItem.NrFileMapped])));
            e.Add(new MemInfoEntry("Shmem", Kb(c[NodeStatItem.NrShmem])));
            // KReclaimable adds NR_KERNEL_MISC_RECLAIMABLE, which nothing here allocates.
            if (v61) e.Add(new MemInfoEntry("KReclaimable", Kb(c[NodeStatItem.NrSlabReclaimable])));
            e.Add(new MemInfoEntry("Slab", Kb(c[NodeStatItem.NrSlabReclaimable] + c[NodeStatItem.NrSlabUnreclaimable])));
            e.Add(new MemInfoEntry("SReclaimable", Kb(c[NodeStatItem.NrSlabReclaimable])));
            e.Add(new MemInfoEntry("SUnreclaim", Kb(c[NodeStatItem.NrSlabUnreclaimable])));
            e.Add(new MemInfoEntry("KernelStack", kernelStackKb));
            e.Add(new MemInfoEntry("PageTables", Kb(pageTables)));
            if (v61) e.Add(new MemInfoEntry("SecPageTables", 0));
            // 6.1 prints a constant 0: NR_UNSTABLE_NFS was folded into NR_WRITEBACK (5.8).
            e.Add(new MemInfoEntry("NFS_Unstable", v61 ? 0 : Kb(c[NodeStatItem.NrUnstableNfs])));
            e.Add(new MemInfoEntry("Bounce", Kb(SumZone(node, ZoneStatItem.NrBounce))));
            e.Add(new MemInfoEntry("WritebackTmp", Kb(c[NodeStatItem.NrWritebackTemp])));
            e.Add(new MemInfoEntry("CommitLimit", Kb(commitLimit)));
            // vm_committed_as counts private writable mappings; without VMAs the committed anon and shmem pages stand in.
            e.Add(new MemInfoEntry("Committed_AS", Kb(c[NodeStatItem.NrAnonMapped] + c[NodeStatItem.NrShmem])));
            e.Add(new MemInfoEntry("VmallocTotal", node.Kernel.VmallocTotalBytes >> 10));
            // vmalloc areas and the percpu allocator's chunks are not simulated: VmallocUsed (4.14 prints 0 anyway) and Percpu read 0.
            e.Add(new MemInfoEntry("VmallocUsed", 0));
            e.Add(new MemInfoEntry("VmallocChunk", 0));
            if (v61)
            {
                e.Add(new MemInfoEntry("Percpu", 0));
                e.Add(new MemInfoEntry("HardwareCorrupted", 0));
            }
            e.Add(new MemInfoEntry("AnonHugePages", Kb(c[NodeStatItem.NrAnonThps] << g.PageblockOrder)));
            if (shmemThp)
            {
                e.Add(new MemInfoEntry("ShmemHugePages", Kb(c[NodeStatItem.NrShmemThps] << g.PageblockOrder)));
                e.Add(new MemInfoEntry("ShmemPmdMapped", Kb(c[NodeStatItem.NrShmemPmdmapped] << g.PageblockOrder)));
            }
            if (v61)
            {
                // File THPs (NR_FILE_THPS, NR_FILE_PMDMAPPED) are not simulated.
                e.Add(new MemInfoEntry("FileHugePages", 0));
                e.Add(new MemInfoEntry("FilePmdMapped", 0));
            }
            e.Add(new MemInfoEntry("CmaTotal", Kb(cmaTotal)));
            e.Add(new MemInfoEntry("CmaFree", Kb(cmaFree)));
            e.Add(new MemInfoEntry("HugePages_Total", node.Hugetlb.NrHugePages));
            e.Add(new MemInfoEntry("HugePages_Free", node.Hugetlb.FreeHugePages));
            e.Add(new MemInfoEntry("HugePages_Rsvd", node.Hugetlb.ResvHugePages));
            e.Add(new MemInfoEntry("HugePages_Surp", node.Hugetlb.SurplusHugePages));
            e.Add(new MemInfoEntry("Hugepagesize", hugepageKb));
            // 6.1's hugetlb_report_meminfo sums nr_huge_pages times the page size over the hstates.
            if (v61) e.Add(new MemInfoEntry("Hugetlb", node.Hugetlb.NrHugePages * hugepageKb));
            return new MemInfo(e);
        }

        private static long SumZone(MemNode node, ZoneStatItem item)
        {
            long s = 0;
            foreach (var z in node.Zones) s += z.Stat[(int)item];
            return s;
        }

        /// <summary>kernel: vmstat_start (mm/vmstat.c, 4.14; 4.4): zone items summed over zones, NUMA items, node items, the dirty
        /// thresholds, then the events (per-zone ones for each zone type); counters the simulator does not model read 0
        /// (4.4's thp_split among them). 4.4's allocstall is the one event that 4.14 splits by zone: the sum of the zones'.</summary>
        public static VmStat VmStat(MemNode node)
        {
            var format = FormatOf(node);
            var values = NodeValues(node);
            var zoneNames = new List<string>(VmStatItems.ZoneItems(format));
            zoneNames.AddRange(VmStatItems.NumaItems(format));
            // A zone item is the sum over the zones, even where the node keeps a counter of the same name (4.4).
            foreach (var name in zoneNames) values[name] = 0;
            foreach (var zone in node.Zones)
            {
                var zv = ZoneValues(zone);
                foreach (var name in zoneNames) values[name] = Lookup(values, name) + Lookup(zv, name);
            }
            DirtyThresholds(node, out long background, out long dirty);
            values["nr_dirty_threshold"] = dirty;
            values["nr_dirty_background_threshold"] = background;
            var c = node.Counters;
            for (int e = 0; e < (int)VmEvent.Count; e++)
            {
                string name = EventName((VmEvent)e);
                if (name.Length > 0) values[name] = c.Events[e];
            }
            long allocstall = 0;
            foreach (var zone in node.Zones)
            {
                string suffix = "_" + zone.Name.ToLowerInvariant();
                values["pgalloc" + suffix] = c.Get(ZoneEvent.PgAlloc, zone.Idx);
                values["allocstall" + suffix] = c.Get(ZoneEvent.AllocStall, zone.Idx);
                values["pgskip" + suffix] = c.Get(ZoneEvent.PgSkip, zone.Idx);
                values["pgrefill" + suffix] = c.Get(ZoneEvent.PgRefill, zone.Idx);
                values["pgsteal_kswapd" + suffix] = c.Get(ZoneEvent.PgStealKswapd, zone.Idx);
                values["pgsteal_direct" + suffix] = c.Get(ZoneEvent.PgStealDirect, zone.Idx);
                values["pgscan_kswapd" + suffix] = c.Get(ZoneEvent.PgScanKswapd, zone.Idx);
                values["pgscan_direct" + suffix] = c.Get(ZoneEvent.PgScanDirect, zone.Idx);
                allocstall += c.Get(ZoneEvent.AllocStall, zone.Idx);
            }
            values["allocstall"] = allocstall;
            return VmStatItems.BuildVmStat(format, n => Lookup(values, n));
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
            VmEvent.PgScanAnon => "pgscan_anon", VmEvent.PgScanFile => "pgscan_file",
            VmEvent.PgStealAnon => "pgsteal_anon", VmEvent.PgStealFile => "pgsteal_file",
            _ => "",
        };

        /// <summary>kernel: global_dirty_limits (mm/page-writeback.c, 4.14): see <see cref="Writeback.PageWriteback.GlobalDirtyLimits"/>.</summary>
        public static void DirtyThresholds(MemNode node, out long background, out long dirty) =>
            Writeback.PageWriteback.GlobalDirtyLimits(node, out background, out dirty);
    }
}
