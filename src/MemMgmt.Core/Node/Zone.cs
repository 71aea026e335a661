using System;
using MemMgmt.Core.Buddy;

namespace MemMgmt.Core.Node
{
    /// <summary>One struct zone: its span, free_area, watermarks, reserves, per-cpu pagesets and compaction state.</summary>
    public sealed class Zone
    {
        internal readonly MemNode NodeRef;
        internal readonly PageMap Pages;
        /// <summary>First list head of free_area: head of (order, type) is FreeListBase + order·6 + type.</summary>
        internal readonly int FreeListBase;
        /// <summary>free_area[order].nr_free: free blocks (not pages) per order.</summary>
        internal readonly long[] NrFree;
        /// <summary>wmark_pages: zone->_watermark[] plus zone->watermark_boost, kept summed so the fast path reads one
        /// element; <see cref="RawWatermark"/> subtracts the boost again.</summary>
        internal readonly long[] Watermark = new long[3];
        internal readonly long[] LowmemReserveArr;
        internal readonly PerCpuPages[] Pcp;
        /// <summary>zone_idx: the zone's index in pg_data_t.</summary>
        internal readonly int Idx;
        /// <summary>This zone's PGALLOC element of the node's <see cref="Stats.VmCounters.ZoneEvents"/> (pgalloc_&lt;zone&gt;).</summary>
        internal readonly int PgAllocSlot;
        /// <summary>What get_page_from_freelist ANDs into the fast path's flags when this zone is the preferred one: all bits
        /// where alloc_flags_nofragment would set ALLOC_NOFRAGMENT (<see cref="KernelProfile.AllocNoFragment"/> and a
        /// ZONE_NORMAL zone), else all but that bit. Rebuilt from the profile and the zone type.</summary>
        internal readonly int NoFragmentMask;

        /// <summary>NR_FREE_PAGES: pages on the buddy lists (pcp pages are not free in this count).</summary>
        internal long NrFreePages;
        /// <summary>NR_FREE_CMA_PAGES.</summary>
        internal long NrFreeCma;
        internal long NrReservedHighatomic;
        /// <summary>nr_isolate_pageblock: isolated blocks change how frees pick their list.</summary>
        internal int NrIsolatePageblock;
        /// <summary>Per-zone vmstat items other than the free counters (zone_stat_item).</summary>
        internal readonly long[] Stat = new long[(int)ZoneStatItem.Count];

        // Compaction state (struct zone, CONFIG_COMPACTION).
        internal long CompactCachedFreePfn;
        internal readonly long[] CompactCachedMigratePfn = new long[2];
        internal int CompactConsidered;
        internal int CompactDeferShift;
        internal int CompactOrderFailed;
        internal bool CompactBlockskipFlush;
        /// <summary>compact_init_migrate_pfn and compact_init_free_pfn: where the last sampled skip-hint reset restarted the
        /// scanners (0 until one ran; see <see cref="KernelProfile.SampledSkipHintReset"/>).</summary>
        internal long CompactInitMigratePfn, CompactInitFreePfn;

        /// <summary>zone->watermark_boost (6.1): pages added to every watermark after fallback steals (boost_watermark);
        /// <see cref="Watermark"/> already includes it, so change it only through <see cref="SetWatermarkBoost"/>.</summary>
        internal long WatermarkBoost;
        /// <summary>ZONE_BOOSTED_WATERMARK: a boost asks rmqueue to wake kswapd after the allocation.</summary>
        internal bool BoostedWatermarkFlag;
        /// <summary>ZONE_RECLAIM_ACTIVE (6.1): kswapd's balance_pgdat is running for this zone.</summary>
        internal bool ReclaimActive;
        /// <summary>NR_ALLOC_BATCH (4.4): pages the fair zone allocation policy still lets the fast path take from this zone
        /// before it passes over it. The kernel's per-cpu vm_stat_diff, which delays the global count by up to the stat
        /// threshold per CPU, is not modelled: the count, and so the depletion, is exact.</summary>
        internal long AllocBatch;
        /// <summary>ZONE_FAIR_DEPLETED (4.4): the batch reached zero; only reset_alloc_batches clears it.</summary>
        internal bool FairDepleted;
        /// <summary>A full fair allocation batch: high − low watermark (4.4's __setup_per_zone_wmarks and reset_alloc_batches).</summary>
        internal long FullAllocBatch => Watermark[(int)WatermarkLevel.High] - Watermark[(int)WatermarkLevel.Low];

        internal Zone(MemNode node, ZoneType type, long startPfn, long spanned, long present, long managed,
            int freeListBase, int maxOrder, PerCpuPages[] pcp, int nrZoneTypes, int idx)
        {
            NodeRef = node;
            Idx = idx;
            PgAllocSlot = (int)Stats.ZoneEvent.PgAlloc * nrZoneTypes + idx;
            Pages = node.Pages;
            Type = type;
            NoFragmentMask = NoFragmentMaskFor(node.Kernel, type);
            ZoneStartPfn = startPfn;
            SpannedPages = spanned;
            PresentPages = present;
            ManagedPages = managed;
            FreeListBase = freeListBase;
            NrFree = new long[maxOrder];
            LowmemReserveArr = new long[nrZoneTypes];
            Pcp = pcp;
        }

        private Zone(Zone o, MemNode node)
        {
            NodeRef = node;
            Idx = o.Idx;
            PgAllocSlot = o.PgAllocSlot;
            Pages = node.Pages;
            Type = o.Type;
            NoFragmentMask = o.NoFragmentMask;
            ZoneStartPfn = o.ZoneStartPfn;
            SpannedPages = o.SpannedPages;
            PresentPages = o.PresentPages;
            ManagedPages = o.ManagedPages;
            FreeListBase = o.FreeListBase;
            NrFree = (long[])o.NrFree.Clone();
            Watermark = (long[])o.Watermark.Clone();
            LowmemReserveArr = (long[])o.LowmemReserveArr.Clone();
            Pcp = Array.ConvertAll(o.Pcp, p => p.Clone());
            NrFreePages = o.NrFreePages;
            NrFreeCma = o.NrFreeCma;
            NrReservedHighatomic = o.NrReservedHighatomic;
            NrIsolatePageblock = o.NrIsolatePageblock;
            Stat = (long[])o.Stat.Clone();
            CmaPages = o.CmaPages;
            CompactCachedFreePfn = o.CompactCachedFreePfn;
            CompactCachedMigratePfn = (long[])o.CompactCachedMigratePfn.Clone();
            CompactConsidered = o.CompactConsidered;
            CompactDeferShift = o.CompactDeferShift;
            CompactOrderFailed = o.CompactOrderFailed;
            CompactBlockskipFlush = o.CompactBlockskipFlush;
            CompactInitMigratePfn = o.CompactInitMigratePfn;
            CompactInitFreePfn = o.CompactInitFreePfn;
            PagesScanned = o.PagesScanned;
            WatermarkBoost = o.WatermarkBoost;
            BoostedWatermarkFlag = o.BoostedWatermarkFlag;
            ReclaimActive = o.ReclaimActive;
            AllocBatch = o.AllocBatch;
            FairDepleted = o.FairDepleted;
        }

        internal Zone Clone(MemNode node) => new Zone(this, node);

        internal void Write(SnapshotWriter w)
        {
            w.Int((int)Type); w.Long(ZoneStartPfn); w.Long(SpannedPages); w.Long(PresentPages); w.Long(ManagedPages);
            w.Int(FreeListBase);
            w.Array(NrFree); w.Array(Watermark); w.Array(LowmemReserveArr);
            w.Int(Pcp.Length);
            foreach (var p in Pcp) p.Write(w);
            w.Long(NrFreePages); w.Long(NrFreeCma); w.Long(NrReservedHighatomic); w.Int(NrIsolatePageblock);
            w.Array(Stat); w.Long(CmaPages);
            w.Long(CompactCachedFreePfn); w.Array(CompactCachedMigratePfn); w.Int(CompactConsidered); w.Int(CompactDeferShift);
            w.Int(CompactOrderFailed); w.Bool(CompactBlockskipFlush); w.Long(CompactInitMigratePfn); w.Long(CompactInitFreePfn);
            w.Long(PagesScanned);
            w.Long(WatermarkBoost); w.Bool(BoostedWatermarkFlag); w.Bool(ReclaimActive);
            w.Long(AllocBatch); w.Bool(FairDepleted);
        }

        /// <summary>The zone as <see cref="Write"/> saved it, in a node whose geometry the snapshot's config fixed.</summary>
        internal Zone(SnapshotReader r, MemNode node, int idx, int maxOrder, int nrZoneTypes, int nrCpus)
        {
            NodeRef = node;
            Idx = idx;
            PgAllocSlot = (int)Stats.ZoneEvent.PgAlloc * nrZoneTypes + idx;
            Pages = node.Pages;
            Type = (ZoneType)r.Int(0, (int)ZoneType.Movable);
            NoFragmentMask = NoFragmentMaskFor(node.Kernel, Type);
            ZoneStartPfn = r.Long(); SpannedPages = r.Long(); PresentPages = r.Long(); ManagedPages = r.Long();
            FreeListBase = r.Int(0, node.Pages.Links.Length - 1);
            NrFree = new long[maxOrder];
            LowmemReserveArr = new long[nrZoneTypes];
            r.ArrayInto(NrFree); r.ArrayInto(Watermark); r.ArrayInto(LowmemReserveArr);
            if (r.Int() != nrCpus) throw new SnapshotFormatException("per-cpu pageset count differs from the node's CPUs");
            Pcp = new PerCpuPages[nrCpus];
            for (int i = 0; i < nrCpus; i++) Pcp[i] = PerCpuPages.Read(r);
            NrFreePages = r.Long(); NrFreeCma = r.Long(); NrReservedHighatomic = r.Long(); NrIsolatePageblock = r.Int();
            r.ArrayInto(Stat); CmaPages = r.Long();
            CompactCachedFreePfn = r.Long(); r.ArrayInto(CompactCachedMigratePfn); CompactConsidered = r.Int(); CompactDeferShift = r.Int();
            CompactOrderFailed = r.Int(); CompactBlockskipFlush = r.Bool(); CompactInitMigratePfn = r.Long(); CompactInitFreePfn = r.Long();
            PagesScanned = r.Long();
            WatermarkBoost = r.Long(); BoostedWatermarkFlag = r.Bool(); ReclaimActive = r.Bool();
            AllocBatch = r.Long(); FairDepleted = r.Bool();
        }

        /// <summary>kernel: alloc_flags_nofragment (mm/page_alloc.c, 6.1): ALLOC_NOFRAGMENT only when ZONE_DMA32 is configured
        /// and the preferred zone is ZONE_NORMAL (a node is alone in its zonelist, so the NUMA check of the zone below does
        /// not apply); ALLOC_KSWAPD is copied from the GFP mask by the fast path for every profile.</summary>
        private static int NoFragmentMaskFor(KernelProfile kernel, ZoneType type) =>
            kernel.AllocNoFragment && type == ZoneType.Normal ? ~0 : ~AllocFlagBits.NoFragment;

        /// <summary>NR_PAGES_SCANNED of the zone-based reclaim (4.4): pages reclaim scanned in this zone since a page was last
        /// freed to its buddy lists (free_one_page and free_pcppages_bulk zero it). Every profile keeps it; only
        /// zone_reclaimable (<see cref="KernelProfile.ZoneBasedReclaim"/>) reads it. kernel: zone_reclaimable (mm/vmscan.c, 4.4).</summary>
        internal long PagesScanned;

        public MemNode Node => NodeRef;
        public ZoneType Type { get; }
        /// <summary>The name /proc prints for the zone.</summary>
        public string Name => Type.ToString();
        public long ZoneStartPfn { get; }
        public long ZoneEndPfn => ZoneStartPfn + SpannedPages;
        public long SpannedPages { get; }
        public long PresentPages { get; }
        public long ManagedPages { get; }
        /// <summary>Pages in CMA pageblocks (cma in zoneinfo).</summary>
        public long CmaPages { get; internal set; }
        public bool IsPopulated => PresentPages > 0;

        public long FreePages => NrFreePages;
        public long FreeCmaPages => NrFreeCma;
        public long ReservedHighatomic => NrReservedHighatomic;
        /// <summary>min_wmark_pages: the min watermark plus any boost (what zoneinfo prints).</summary>
        public long WatermarkMin => Watermark[0];
        /// <summary>low_wmark_pages: the low watermark plus any boost.</summary>
        public long WatermarkLow => Watermark[1];
        /// <summary>high_wmark_pages: the high watermark plus any boost.</summary>
        public long WatermarkHigh => Watermark[2];
        /// <summary>zone->watermark_boost (always 0 on kernels without boosting).</summary>
        public long WatermarkBoostPages => WatermarkBoost;
        /// <summary>wmark_pages(zone, level): zone->_watermark[level] + zone->watermark_boost.</summary>
        public long GetWatermark(WatermarkLevel level) => Watermark[(int)level];
        /// <summary>wmark_pages as an index (WMARK_MIN 0, LOW 1, HIGH 2).</summary>
        internal long WmarkPages(int level) => Watermark[level];
        /// <summary>zone->_watermark[level]: the watermark without the boost.</summary>
        internal long RawWatermark(int level) => Watermark[level] - WatermarkBoost;

        /// <summary>Sets zone->watermark_boost, moving the three summed watermarks with it.</summary>
        internal void SetWatermarkBoost(long boost)
        {
            long delta = boost - WatermarkBoost;
            Watermark[0] += delta;
            Watermark[1] += delta;
            Watermark[2] += delta;
            WatermarkBoost = boost;
        }
        public long GetLowmemReserve(int classzoneIdx) => LowmemReserveArr[classzoneIdx];
        public long[] LowmemReserve => (long[])LowmemReserveArr.Clone();
        public long GetNrFree(int order) => NrFree[order];
        public long GetStat(ZoneStatItem item) => Stat[(int)item];
        public int CpuCount => Pcp.Length;
        public int ZoneIndex => Idx;
        public PerCpuPages GetPageset(int cpu) => Pcp[cpu];

        public int CompactDeferShiftValue => CompactDeferShift;
        public int CompactConsideredValue => CompactConsidered;
        public int CompactOrderFailedValue => CompactOrderFailed;

        internal int FreeListHead(int order, int migratetype) => FreeListBase + order * MigrateTypes.Count + migratetype;

        /// <summary>Free blocks on free_area[order].free_list[type], counted by walking the list as pagetypeinfo does.</summary>
        public long CountFreeList(int order, MigrateType type) => Pages.ListCount(FreeListHead(order, (int)type));

        internal bool ContainsPfn(long pfn) => pfn >= ZoneStartPfn && pfn < ZoneStartPfn + SpannedPages;

        public override string ToString() => $"Node {NodeRef.NodeId}, zone {Name}";
    }

    /// <summary>Watermark indexes (enum zone_watermarks).</summary>
    public enum WatermarkLevel
    {
        Min = 0,
        Low = 1,
        High = 2,
    }

    /// <summary>Per-zone counters of enum zone_stat_item (4.14 order) besides the free counters kept as fields, then the NUMA ones.</summary>
    public enum ZoneStatItem
    {
        NrZoneInactiveAnon,
        NrZoneActiveAnon,
        NrZoneInactiveFile,
        NrZoneActiveFile,
        NrZoneUnevictable,
        NrZoneWritePending,
        NrMlock,
        NrPageTablePages,
        NrKernelStackKb,
        NrBounce,
        NrZspages,
        NumaHit,
        NumaMiss,
        NumaForeign,
        NumaInterleave,
        NumaLocal,
        NumaOther,
        Count,
    }

    /// <summary>struct per_cpu_pages of one CPU for one zone (order-0 lists only).</summary>
    public sealed class PerCpuPages
    {
        internal int CountField;
        internal int HighField;
        internal int BatchField;
        /// <summary>The count at which a free flushes: pcp->high, or on 6.1 nr_pcp_high's min(4·batch, high) while the
        /// zone's reclaim is active, kept here so the free path compares one field.</summary>
        internal int FreeHighField;
        /// <summary>pcp->free_factor (6.1): doubles the pages a flush frees for each flush without an allocation between.</summary>
        internal int FreeFactor;
        /// <summary>First of the MIGRATE_PCPTYPES list heads.</summary>
        internal readonly int ListBase;

        internal PerCpuPages(int listBase) { ListBase = listBase; }

        internal PerCpuPages Clone() =>
            new PerCpuPages(ListBase)
            {
                CountField = CountField, HighField = HighField, BatchField = BatchField, FreeHighField = FreeHighField, FreeFactor = FreeFactor,
            };

        internal void Write(SnapshotWriter w)
        {
            w.Int(ListBase); w.Int(CountField); w.Int(HighField); w.Int(BatchField); w.Int(FreeHighField); w.Int(FreeFactor);
        }

        internal static PerCpuPages Read(SnapshotReader r) =>
            new PerCpuPages(r.Int()) { CountField = r.Int(), HighField = r.Int(), BatchField = r.Int(), FreeHighField = r.Int(), FreeFactor = r.Int() };

        /// <summary>kernel: nr_pcp_high (mm/page_alloc.c, 6.1) for order 0: high, lowered to min(4·batch, high) under
        /// ZONE_RECLAIM_ACTIVE when <paramref name="lowersUnderReclaim"/> (6.1); 4.14 always flushes at high.</summary>
        internal void UpdateFreeHigh(bool reclaimActive, bool lowersUnderReclaim) =>
            FreeHighField = reclaimActive && lowersUnderReclaim ? System.Math.Min(BatchField << 2, HighField) : HighField;

        public int Count => CountField;
        public int High => HighField;
        public int Batch => BatchField;
        /// <summary>pcp->free_factor (6.1; always 0 on 4.14).</summary>
        public int FreeFactorValue => FreeFactor;
    }
}
