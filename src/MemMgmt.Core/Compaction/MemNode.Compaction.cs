using MemMgmt.Core.Node;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Trace;

namespace MemMgmt.Core.Node
{
    public sealed partial class MemNode
    {
        /// <summary>kcompactd's pg_data_t fields, the trace buffer and compaction settings of this node.</summary>
        public CompactionNodeState Compaction { get; private set; } = null!;

        /// <summary>The node's tracepoint buffer (Get-MemTrace).</summary>
        public MemTrace Trace => Compaction.Trace;

        /// <summary>Boot: kcompactd_run and reset_cached_positions for each zone (pgdat_init_internals, 4.14).</summary>
        private void InitCompaction()
        {
            Compaction = new CompactionNodeState();
            Compaction.KcompactdClasszoneIdx = CompactionEngine.NrZones(this) - 1;
            foreach (var z in ZoneArr) if (z.IsPopulated) CompactionEngine.ResetCachedPositions(z);
            var hooks = Hooks;
            hooks.PageAllocExtfrag = (zone, page, order, fallbackOrder, startMt, fallbackMt) =>
                Compaction.Trace.Record(this, TraceEventId.mm_page_alloc_extfrag, NodeStartPfn + page, order, fallbackOrder,
                    startMt, fallbackMt, BlockMigratetype(page) == startMt ? 1 : 0);
        }

        internal void ReseedRandom(ulong seed) => Random.Reseed(seed);

        private void CloneCompaction(MemNode o)
        {
            Compaction = o.Compaction.Clone();
            var hooks = Hooks;
            hooks.PageAllocExtfrag = (zone, page, order, fallbackOrder, startMt, fallbackMt) =>
                Compaction.Trace.Record(this, TraceEventId.mm_page_alloc_extfrag, NodeStartPfn + page, order, fallbackOrder,
                    startMt, fallbackMt, BlockMigratetype(page) == startMt ? 1 : 0);
        }
    }
}

namespace MemMgmt.Core.Compaction
{
    /// <summary>Per-node compaction state: kcompactd_max_order, kcompactd_classzone_idx, the kswapd wake flag the slow
    /// path raises until reclaim lands, the trace buffer, and what the simulated filesystem offers migration.</summary>
    public sealed class CompactionNodeState
    {
        internal int KcompactdMaxOrder;
        internal int KcompactdClasszoneIdx;
        /// <summary>kcompactd_wait was woken and kcompactd has not run since.</summary>
        internal bool KcompactdWoken;
        internal long KswapdWakeCount;
        internal int KswapdOrder;
        internal bool KswapdPending;
        /// <summary>The report of the last write to vm.compact_memory.</summary>
        public CompactionRun? LastCompactMemory { get; internal set; }
        internal int KswapdClasszoneIdx;
        internal MemTrace Trace = new MemTrace(1 << 16);
        /// <summary>Set while a cancellable operation runs: fatal_signal_pending for the simulated task (Ctrl+C).</summary>
        internal System.Func<bool>? Stop;
        /// <summary>Direct reclaim (try_to_free_pages) as the reclaim subsystem provides it: returns pages reclaimed. Null: none yet.</summary>
        public System.Func<MemNode, Allocation.GfpFlags, int, long>? DirectReclaim { get; set; }
        /// <summary>wakeup_kswapd as the reclaim subsystem provides it (node, order, classzone). Null: the wakeup is only recorded.</summary>
        public System.Action<MemNode, int, int>? WakeupKswapd { get; set; }

        internal CompactionNodeState Clone()
        {
            var c = (CompactionNodeState)MemberwiseClone();
            c.Trace = Trace.Clone();
            return c;
        }

        public int KcompactdMaxOrderValue => KcompactdMaxOrder;
        public int KcompactdClasszoneIdxValue => KcompactdClasszoneIdx;
        public bool KcompactdPending => KcompactdWoken;
        /// <summary>wakeup_kswapd calls seen (kswapd itself is simulated by the reclaim subsystem).</summary>
        public long KswapdWakeups => KswapdWakeCount;
        /// <summary>Whether file pages' address_space has -&gt;migratepage (ext4: buffer_migrate_page). When false, dirty
        /// file pages go through fallback_migrate_page: -EBUSY except in MIGRATE_SYNC, where they are written out.</summary>
        public bool FilesystemHasMigratepage { get; set; } = true;
    }
}
