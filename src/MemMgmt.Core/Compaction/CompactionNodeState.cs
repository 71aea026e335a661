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
        /// <summary>The report of the last write to vm.compact_memory.</summary>
        public CompactionRun? LastCompactMemory { get; internal set; }

        /// <summary>Boot (pgdat_init_internals, 4.14): kcompactd_classzone_idx starts at the highest populated zone.</summary>
        internal CompactionNodeState(int highestZoneIdx) { KcompactdClasszoneIdx = highestZoneIdx; }

        internal CompactionNodeState Clone() => (CompactionNodeState)MemberwiseClone();

        /// <summary>The state kcompactd runs on; the report of the last compact_memory write is a result, not state, and is not saved.</summary>
        internal void Write(Node.SnapshotWriter w)
        {
            w.Int(KcompactdMaxOrder); w.Int(KcompactdClasszoneIdx); w.Bool(KcompactdWoken); w.Bool(FilesystemHasMigratepage);
        }

        internal static CompactionNodeState Read(Node.SnapshotReader r) => new CompactionNodeState(0)
        {
            KcompactdMaxOrder = r.Int(), KcompactdClasszoneIdx = r.Int(), KcompactdWoken = r.Bool(), FilesystemHasMigratepage = r.Bool(),
        };

        public int KcompactdMaxOrderValue => KcompactdMaxOrder;
        public int KcompactdClasszoneIdxValue => KcompactdClasszoneIdx;
        public bool KcompactdPending => KcompactdWoken;
        /// <summary>Whether file pages' address_space has -&gt;migratepage (ext4: buffer_migrate_page). When false, dirty
        /// file pages go through fallback_migrate_page: -EBUSY except in MIGRATE_SYNC, where they are written out.</summary>
        public bool FilesystemHasMigratepage { get; set; } = true;
    }
}
