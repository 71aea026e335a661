using System;
using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Compaction
{
    /// <summary>enum compact_priority (include/linux/compaction.h, 4.14): lower is more thorough.</summary>
    public enum CompactPriority
    {
        /// <summary>COMPACT_PRIO_SYNC_FULL (= MIN_COMPACT_PRIORITY): whole zone, skip hints and block suitability ignored.</summary>
        SyncFull = 0,
        /// <summary>COMPACT_PRIO_SYNC_LIGHT (= DEF_COMPACT_PRIORITY, MIN_COMPACT_COSTLY_PRIORITY).</summary>
        SyncLight = 1,
        /// <summary>COMPACT_PRIO_ASYNC (= INIT_COMPACT_PRIORITY).</summary>
        Async = 2,
    }

    /// <summary>enum compact_result (include/linux/compaction.h, 4.14), in the kernel's order.</summary>
    public enum CompactResult
    {
        /// <summary>COMPACT_NOT_SUITABLE_ZONE: internal; reported as Skipped.</summary>
        NotSuitableZone,
        Skipped,
        /// <summary>COMPACT_DEFERRED (COMPACT_INACTIVE has the same value).</summary>
        Deferred,
        /// <summary>COMPACT_NO_SUITABLE_PAGE: internal; treated as Continue.</summary>
        NoSuitablePage,
        Continue,
        Complete,
        PartialSkipped,
        Contended,
        Success,
    }

    /// <summary>enum migrate_mode (include/linux/migrate_mode.h, 4.14).</summary>
    public enum MigrateMode
    {
        Async = 0,
        SyncLight = 1,
        Sync = 2,
        SyncNoCopy = 3,
    }

    /// <summary>isolate_migrate_t of mm/compaction.c.</summary>
    internal enum IsolateMigrateResult { Abort, None, Success }

    /// <summary>Text the kernel's trace helpers print for the enums.</summary>
    public static class CompactionNames
    {
        /// <summary>compaction_status_string (include/trace/events/compaction.h, 4.14).</summary>
        public static string Status(CompactResult r) => Status(r, false);

        /// <summary>compaction_status_string; 4.4 (<see cref="Node.KernelProfile.CompactionSuitablePartial"/>) names the
        /// result that 4.14 calls success "partial" (include/trace/events/compaction.h, 4.4).</summary>
        public static string Status(CompactResult r, bool partial) => r == CompactResult.Success && partial ? "partial" : r switch
        {
            CompactResult.NotSuitableZone => "not_suitable_zone",
            CompactResult.Skipped => "skipped",
            CompactResult.Deferred => "deferred",
            CompactResult.NoSuitablePage => "no_suitable_page",
            CompactResult.Continue => "continue",
            CompactResult.Complete => "complete",
            CompactResult.PartialSkipped => "partial_skipped",
            CompactResult.Contended => "contended",
            _ => "success",
        };

        /// <summary>COMPACTION_PRIORITY symbols (include/trace/events/mmflags.h, 4.14).</summary>
        public static string PriorityName(CompactPriority p) => p switch
        {
            CompactPriority.SyncFull => "COMPACT_PRIO_SYNC_FULL",
            CompactPriority.SyncLight => "COMPACT_PRIO_SYNC_LIGHT",
            _ => "COMPACT_PRIO_ASYNC",
        };

        /// <summary>kernel: compact_result_to_feedback (include/linux/compaction.h, 4.14) with the COMPACTION_FEEDBACK
        /// names: COMPLETE failed; PARTIAL_SKIPPED, SKIPPED, CONTENDED and DEFERRED withdrawn; anything else progress.</summary>
        public static string Feedback(CompactResult r) => r switch
        {
            CompactResult.Complete => "failed",
            CompactResult.PartialSkipped or CompactResult.Skipped or CompactResult.Contended or CompactResult.Deferred => "withdrawn",
            _ => "progress",
        };

        /// <summary>MIGRATE_MODE symbols (include/trace/events/migrate.h, 4.14).</summary>
        public static string Mode(MigrateMode m) => m switch
        {
            MigrateMode.Async => "MIGRATE_ASYNC",
            MigrateMode.SyncLight => "MIGRATE_SYNC_LIGHT",
            MigrateMode.Sync => "MIGRATE_SYNC",
            _ => "MIGRATE_SYNC_NO_COPY",
        };

        /// <summary>Parses a priority name as the cmdlets and scripts give it (SyncFull, sync_full, COMPACT_PRIO_SYNC_FULL, 0 …).</summary>
        public static CompactPriority ParsePriority(string text)
        {
            string t = (text ?? "").Trim().Replace("_", "").Replace("-", "");
            if (t.StartsWith("COMPACTPRIO", StringComparison.OrdinalIgnoreCase)) t = t.Substring(11);
            foreach (CompactPriority p in Enum.GetValues(typeof(CompactPriority)))
                if (string.Equals(t, p.ToString(), StringComparison.OrdinalIgnoreCase) || t == ((int)p).ToString()) return p;
            throw new MemMgmtException("UnknownCompactPriority", ErrorKind.InvalidArgument,
                $"Compaction priority '{text}' is not known; allowed: SyncFull (0), SyncLight (1), Async (2).", text);
        }
    }

    /// <summary>Why a page did not get isolated or migrated; the report counts each.</summary>
    public enum MigrateFailReason
    {
        /// <summary>Anon page with page_count &gt; page_mapcount: pinned, not isolated.</summary>
        PinnedNotIsolated,
        /// <summary>A page with a mapping (page cache, shmem, or anon in the swap cache) and the request lacks __GFP_FS.</summary>
        FileWithoutGfpFs,
        /// <summary>__isolate_lru_page: PageWriteback with ISOLATE_ASYNC_MIGRATE (every mode but MIGRATE_SYNC).</summary>
        WritebackNotIsolated,
        /// <summary>__isolate_lru_page: dirty page whose mapping has no -&gt;migratepage, ISOLATE_ASYNC_MIGRATE.</summary>
        DirtyNotIsolated,
        /// <summary>Unevictable page while vm.compact_unevictable_allowed is 0.</summary>
        UnevictableNotAllowed,
        /// <summary>Not on an LRU list and not __PageMovable (slab, page tables, kernel).</summary>
        NotMovable,
        /// <summary>A compound page (THP, hugetlb, __GFP_COMP): skipped by its order.</summary>
        Compound,
        /// <summary>migrate_pages: -EAGAIN on every one of the 10 passes (extra references: pinned).</summary>
        PinnedEagain,
        /// <summary>migrate_pages: PageWriteback in MIGRATE_ASYNC or MIGRATE_SYNC_LIGHT: -EBUSY.</summary>
        WritebackEbusy,
        /// <summary>migrate_pages: still under writeback after the passes (SYNC only waits when forced).</summary>
        WritebackEagain,
        /// <summary>fallback_migrate_page: dirty without -&gt;migratepage outside MIGRATE_SYNC: -EBUSY.</summary>
        DirtyEbusy,
        /// <summary>fallback_migrate_page in MIGRATE_SYNC: written out, -EAGAIN until the passes ran out.</summary>
        DirtyEagain,
        /// <summary>-ENOMEM: compaction_alloc found no free page; the run stopped.</summary>
        NoFreePage,
    }

    /// <summary>struct compact_control (mm/internal.h, 4.14).</summary>
    internal sealed class CompactControl
    {
        internal int NrFreepages;
        internal int NrMigratepages;
        internal long TotalMigrateScanned;
        internal long TotalFreeScanned;
        internal long FreePfn;
        internal long MigratePfn;
        internal long LastMigratedPfn;
        internal Zone Zone = null!;
        internal MigrateMode Mode;
        internal bool IgnoreSkipHint;
        internal bool IgnoreBlockSuitable;
        internal bool DirectCompaction;
        /// <summary>current_is_kswapd() of the compacting task: only 4.4's kswapd compacts (compact_pgdat).</summary>
        internal bool ByKswapd;
        /// <summary>cc->proactive_compaction (6.1): __compact_finished stops at the zone's fragmentation score.</summary>
        internal bool ProactiveCompaction;
        internal bool WholeZone;
        internal bool Contended;
        /// <summary>When the compacting task's current CPU slice began (virtual ns), for need_resched.</summary>
        internal long RunSinceNs;
        internal bool FinishingBlock;
        internal int Order;
        internal GfpFlags GfpMask;
        internal int Cpu;
        internal int Migratetype;
        internal int ClasszoneIdx;
        internal int AllocFlags;
        /// <summary>List heads (spare heads of the node) for cc->migratepages and cc->freepages.</summary>
        internal int MigrateList;
        internal int FreeList;
        /// <summary>cc->search_order and cc->fast_search_fail of the fast free-list search (6.1).</summary>
        internal int SearchOrder;
        internal int FastSearchFail;
        /// <summary>cc->fast_start_pfn (6.1): the lowest pfn the fast migrate-block search picked (0: none yet,
        /// long.MaxValue: already used to restart the linear scan).</summary>
        internal long FastStartPfn;
        /// <summary>cc->rescan (6.1): this iteration scans the block the previous one migrated from.</summary>
        internal bool Rescan;
        /// <summary>Report counters beyond the kernel's fields.</summary>
        internal long Isolated;
        internal long FreeIsolated;
        internal long Migrated;
        internal long MigrateFailed;
        internal readonly long[] Reasons = new long[Enum.GetValues(typeof(MigrateFailReason)).Length];
        internal Func<bool>? StopRequested;
        /// <summary>Called now and then with (zone, fraction of the distance between the scanners covered).</summary>
        internal Action<Zone, double>? Progress;
        internal int ProgressTick;
        /// <summary>The scanners' distance when the loop began, for <see cref="Progress"/>.</summary>
        internal long SpanAtBegin;
        /// <summary>6.1: no block has yielded pages yet, so an async run keeps the sync cached migrate pfn level with its own.</summary>
        internal bool UpdateCached;
        /// <summary>Where migrate_pages gets its new pages (compaction_alloc) and returns unused ones (compaction_free).</summary>
        internal Migration.IMigrationTarget? Target;
        /// <summary>The capture_control of a direct compaction that may capture (6.1), else null: compact_zone stops once
        /// it holds a page.</summary>
        internal CaptureControl? Capc;
    }

    /// <summary>kernel: struct capture_control (mm/internal.h, 6.1): a direct compaction's compact_control and the block
    /// of its order that a free by the compacting task took for it (index, or -1).</summary>
    internal sealed class CaptureControl
    {
        internal CompactControl? Cc;
        internal int Page = -1;
    }

    /// <summary>What compaction did in one zone: the per-zone report of Invoke-Compaction.</summary>
    public sealed class ZoneCompactionReport
    {
        internal ZoneCompactionReport(MemNode node, Zone zone) { Node = node; ZoneRef = zone; }
        internal Zone ZoneRef { get; }
        public MemNode Node { get; }
        public ZoneType Zone => ZoneRef.Type;
        public int Order { get; internal set; }
        public CompactPriority? Priority { get; internal set; }
        public MigrateMode Mode { get; internal set; }
        public CompactResult Result { get; internal set; }
        /// <summary>The result as the kernel's trace prints it (complete, success, deferred …).</summary>
        public string Status => CompactionNames.Status(Result);
        public long MigrateScanned { get; internal set; }
        public long FreeScanned { get; internal set; }
        public long MigrateIsolated { get; internal set; }
        public long FreeIsolated { get; internal set; }
        public long Migrated { get; internal set; }
        public long MigrateFailed { get; internal set; }
        /// <summary>Pages not isolated or not migrated, by reason.</summary>
        public IReadOnlyDictionary<MigrateFailReason, long> FailReasons { get; internal set; } = new Dictionary<MigrateFailReason, long>();
        public int DeferShiftBefore { get; internal set; }
        public int ConsideredBefore { get; internal set; }
        public int OrderFailedBefore { get; internal set; }
        public int DeferShiftAfter { get; internal set; }
        public int ConsideredAfter { get; internal set; }
        public int OrderFailedAfter { get; internal set; }
        public bool WasDeferred { get; internal set; }
        public long MigratePfnEnd { get; internal set; }
        public long FreePfnEnd { get; internal set; }
        public bool Stopped { get; internal set; }

        public override string ToString() => $"{ZoneRef}: {Status}, migrated {Migrated}, failed {MigrateFailed}";
    }
}
