namespace MemMgmt.Core.Compaction
{
    /// <summary>Per-node compaction state: kcompactd_max_order, kcompactd_classzone_idx, whether kcompactd was woken,
    /// the last compact_memory run, and what the simulated filesystem offers migration.</summary>
    public sealed class CompactionNodeState
    {
        internal int KcompactdMaxOrder;
        internal int KcompactdClasszoneIdx;
        /// <summary>kcompactd_wait was woken and kcompactd has not run since.</summary>
        internal bool KcompactdWoken;
        /// <summary>When kcompactd's timed sleep ends (virtual ns) on kernels with proactive compaction; long.MaxValue
        /// while vm.compaction_proactiveness is 0 (it sleeps until woken). kcompactd starts at boot with one interval.</summary>
        internal long ProactiveWakeNs = CompactionEngine.HpageFragCheckIntervalNs;
        /// <summary>pgdat->proactive_compact_trigger: a write of a non-zero vm.compaction_proactiveness woke kcompactd.</summary>
        internal bool ProactiveCompactTrigger;
        /// <summary>How many times proactive_compact_node ran, and how many of those left the score no lower (the long sleep).</summary>
        internal long ProactiveRuns, ProactiveNoProgress;
        /// <summary>kcompactd's proactive run beside a burst of requests (6.1), while one is in progress; a burst finishes
        /// it before returning, so it never outlives the operation.</summary>
        internal CompactionEngine.ProactiveRun? Beside;
        /// <summary>How many bursts of requests are running (nested ones count); kcompactd runs beside them only.</summary>
        internal int BurstDepth;
        /// <summary>The report of the last write to vm.compact_memory.</summary>
        public CompactionRun? LastCompactMemory { get; internal set; }

        /// <summary>Boot (pgdat_init_internals, 4.14): kcompactd_classzone_idx starts at the highest populated zone.</summary>
        internal CompactionNodeState(int highestZoneIdx) { KcompactdClasszoneIdx = highestZoneIdx; }

        internal CompactionNodeState Clone() => (CompactionNodeState)MemberwiseClone();

        /// <summary>The state kcompactd runs on; the report of the last compact_memory write is a result, not state, and is not saved.</summary>
        internal void Write(Node.SnapshotWriter w)
        {
            w.Int(KcompactdMaxOrder); w.Int(KcompactdClasszoneIdx); w.Bool(KcompactdWoken); w.Bool(FilesystemHasMigratepage);
            w.Long(ProactiveWakeNs); w.Bool(ProactiveCompactTrigger); w.Long(ProactiveRuns); w.Long(ProactiveNoProgress);
        }

        internal static CompactionNodeState Read(Node.SnapshotReader r) => new CompactionNodeState(0)
        {
            KcompactdMaxOrder = r.Int(), KcompactdClasszoneIdx = r.Int(), KcompactdWoken = r.Bool(), FilesystemHasMigratepage = r.Bool(),
            ProactiveWakeNs = r.Long(), ProactiveCompactTrigger = r.Bool(), ProactiveRuns = r.Long(), ProactiveNoProgress = r.Long(),
        };

        public int KcompactdMaxOrderValue => KcompactdMaxOrder;
        public int KcompactdClasszoneIdxValue => KcompactdClasszoneIdx;
        public bool KcompactdPending => KcompactdWoken;
        /// <summary>Virtual ns at which kcompactd's timed sleep ends (long.MaxValue: no timeout).</summary>
        public long ProactiveWakeNsValue => ProactiveWakeNs;
        public long ProactiveRunCount => ProactiveRuns;
        public long ProactiveNoProgressCount => ProactiveNoProgress;
        /// <summary>Whether file pages' address_space has -&gt;migratepage (ext4: buffer_migrate_page). When false, dirty
        /// file pages go through fallback_migrate_page: -EBUSY except in MIGRATE_SYNC, where they are written out.</summary>
        public bool FilesystemHasMigratepage { get; set; } = true;
    }
}
