namespace MemMgmt.Core.Stats
{
    /// <summary>Node-wide event counters of enum vm_event_item (4.14) that are not per zone.</summary>
    public enum VmEvent
    {
        PgpgIn, PgpgOut, PswpIn, PswpOut,
        PgFree, PgActivate, PgDeactivate, PgLazyFree, PgFault, PgMajFault, PgLazyFreed,
        PgRefill, PgStealKswapd, PgStealDirect, PgScanKswapd, PgScanDirect, PgScanDirectThrottle,
        PgInodeSteal, SlabsScanned, KswapdInodeSteal, KswapdLowWmarkHitQuickly, KswapdHighWmarkHitQuickly,
        PageOutRun, PgRotated, DropPagecache, DropSlab, OomKill,
        PgMigrateSuccess, PgMigrateFail,
        CompactMigrateScanned, CompactFreeScanned, CompactIsolated, CompactStall, CompactFail, CompactSuccess,
        CompactDaemonWake, CompactDaemonMigrateScanned, CompactDaemonFreeScanned,
        HtlbBuddyAllocSuccess, HtlbBuddyAllocFail,
        UnevictablePgsCulled, UnevictablePgsScanned, UnevictablePgsRescued, UnevictablePgsMlocked,
        UnevictablePgsMunlocked, UnevictablePgsCleared, UnevictablePgsStranded,
        ThpFaultAlloc, ThpFaultFallback, ThpCollapseAlloc, ThpCollapseAllocFailed,
        // 5.8+ (printed by the 6.1 layout only): every inactive-list scan and steal by LRU type, cgroup reclaim included.
        PgScanAnon, PgScanFile, PgStealAnon, PgStealFile,
        Count,
    }

    /// <summary>Events counted per zone type (pgalloc_dma, allocstall_normal, pgskip_movable …). The reclaim ones after
    /// PgSkip are 4.4's per-zone pgrefill/pgsteal/pgscan (__count_zone_vm_events), counted only by the zone-based reclaim,
    /// whose scans are of one zone; their node totals are the <see cref="VmEvent"/> counters of the same names.</summary>
    public enum ZoneEvent
    {
        PgAlloc,
        AllocStall,
        PgSkip,
        PgRefill,
        PgStealKswapd,
        PgStealDirect,
        PgScanKswapd,
        PgScanDirect,
        Count,
    }

    /// <summary>Per-node counters of enum node_stat_item (4.14 order).</summary>
    public enum NodeStatItem
    {
        NrInactiveAnon, NrActiveAnon, NrInactiveFile, NrActiveFile, NrUnevictable,
        NrSlabReclaimable, NrSlabUnreclaimable, NrIsolatedAnon, NrIsolatedFile,
        WorkingsetRefault, WorkingsetActivate, WorkingsetNodereclaim,
        NrAnonMapped, NrFileMapped, NrFilePages, NrFileDirty, NrWriteback, NrWritebackTemp,
        NrShmem, NrShmemThps, NrShmemPmdmapped, NrAnonThps, NrUnstableNfs,
        NrVmscanWrite, NrVmscanImmediate, NrDirtied, NrWritten,
        Count,
    }

    /// <summary>The node's counters: what /proc/vmstat sums.</summary>
    public sealed class VmCounters
    {
        internal readonly long[] Events = new long[(int)VmEvent.Count];
        /// <summary>[ZoneEvent · nr_zones + zone index] (the kernel's PGALLOC_DMA + zone_idx, one event per zone), flat so
        /// the allocation fast path adds to one element; in the order a [ZoneEvent, zone] array has, which the snapshot keeps.</summary>
        internal readonly long[] ZoneEvents;
        private readonly int _nrZones;
        internal readonly long[] NodeStat = new long[(int)NodeStatItem.Count];
        /// <summary>[NodeStatItem, zone index]: each node item split by the zone of the pages it counts, as 4.4 kept them in
        /// enum zone_stat_item (the 4.4 zoneinfo and vmstat read these). Every change goes through <see cref="Mod"/>, so
        /// the zones add up to <see cref="NodeStat"/>. The LRU sizes are not split here: ZoneStatItem.NrZone* hold them.</summary>
        internal readonly long[,] ZoneNodeStat;

        internal VmCounters(int nrZones)
        {
            _nrZones = nrZones;
            ZoneEvents = new long[(int)ZoneEvent.Count * nrZones];
            ZoneNodeStat = new long[(int)NodeStatItem.Count, nrZones];
        }

        /// <summary>The element of <see cref="ZoneEvents"/> that counts <paramref name="e"/> for a zone.</summary>
        internal int ZoneEventSlot(ZoneEvent e, int zoneIndex) => (int)e * _nrZones + zoneIndex;

        internal VmCounters Clone()
        {
            var c = new VmCounters(_nrZones);
            System.Array.Copy(Events, c.Events, Events.Length);
            System.Array.Copy(ZoneEvents, c.ZoneEvents, ZoneEvents.Length);
            System.Array.Copy(NodeStat, c.NodeStat, NodeStat.Length);
            System.Array.Copy(ZoneNodeStat, c.ZoneNodeStat, ZoneNodeStat.Length);
            return c;
        }

        internal void Write(Node.SnapshotWriter w) { w.Array(Events); w.Array(ZoneEvents); w.Array(NodeStat); w.Array(ZoneNodeStat); }

        internal static VmCounters Read(Node.SnapshotReader r, int nrZones)
        {
            var c = new VmCounters(nrZones);
            r.ArrayInto(c.Events); r.ArrayInto(c.ZoneEvents); r.ArrayInto(c.NodeStat); r.ArrayInto(c.ZoneNodeStat);
            return c;
        }

        public long this[VmEvent e] => Events[(int)e];
        public long Get(ZoneEvent e, int zoneIndex) => ZoneEvents[ZoneEventSlot(e, zoneIndex)];
        public long this[NodeStatItem item] => NodeStat[(int)item];
        /// <summary>A node item's share in one zone (see <see cref="ZoneNodeStat"/>).</summary>
        public long Get(NodeStatItem item, int zoneIndex) => ZoneNodeStat[(int)item, zoneIndex];

        internal void Count(VmEvent e, long delta = 1) => Events[(int)e] += delta;
        internal void Count(ZoneEvent e, int zoneIndex, long delta = 1) => ZoneEvents[ZoneEventSlot(e, zoneIndex)] += delta;
        /// <summary>Moves a node item by <paramref name="delta"/> pages (or events) of zone <paramref name="zoneIndex"/>.</summary>
        internal void Mod(NodeStatItem item, int zoneIndex, long delta)
        {
            NodeStat[(int)item] += delta;
            ZoneNodeStat[(int)item, zoneIndex] += delta;
        }
    }
}
