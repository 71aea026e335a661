using System;
using System.Collections.Generic;
using System.Threading;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Compaction
{
    /// <summary>What one Invoke-Compaction, Invoke-Kcompactd or compact_memory run did.</summary>
    public sealed class CompactionRun
    {
        internal CompactionRun(MemNode node, string trigger, int order, CompactPriority? priority, IReadOnlyList<ZoneCompactionReport> zones)
        {
            Node = node; Trigger = trigger; Order = order; Priority = priority; Zones = zones;
        }

        public MemNode Node { get; }
        /// <summary>try_to_compact_pages, compact_node or kcompactd.</summary>
        public string Trigger { get; }
        public int Order { get; }
        public CompactPriority? Priority { get; }
        /// <summary>try_to_compact_pages' combined result (the highest zone result), or that of the last zone.</summary>
        public CompactResult Result { get; internal set; }
        public IReadOnlyList<ZoneCompactionReport> Zones { get; }
        public bool Stopped { get; internal set; }
        /// <summary>Virtual time the run took (ns).</summary>
        public long ElapsedNs { get; internal set; }
    }

    /// <summary>The compaction entry points the cmdlets and scripts call.</summary>
    public static class CompactionCommands
    {
        private static Zone? ResolveZone(MemNode node, ZoneType? zone)
        {
            if (!zone.HasValue) return null;
            var z = node.GetZone(zone.Value);
            if (!z.IsPopulated)
                throw new MemMgmtException("ZoneNotPopulated", ErrorKind.ObjectNotFound,
                    $"Zone {zone.Value} of node '{node.Name}' has no pages; populated zones: {string.Join(", ", Array.ConvertAll(node.Zonelist, x => x.Type.ToString()))}.", zone.Value);
            return z;
        }

        /// <summary>Checks an Invoke-Compaction request without changing anything.</summary>
        public static void Validate(MemNode node, int order, ZoneType? zone, int cpu = 0)
        {
            if (order < -1 || order >= node.Geometry.MaxOrder)
                throw new MemMgmtException("OrderOutOfRange", ErrorKind.OutOfRange,
                    $"Order {order} is out of range; allowed -1 (compact_memory) or 0 to {node.Geometry.MaxOrder - 1}.", order);
            if (cpu < 0 || cpu >= node.NrCpus)
                throw new MemMgmtException("CpuOutOfRange", ErrorKind.OutOfRange, $"Cpu {cpu} is out of range; the node has CPUs 0 to {node.NrCpus - 1}.", cpu);
            ResolveZone(node, zone);
        }

        /// <summary>With an order ≥ 0: try_to_compact_pages at the priority (one zone if given). With order −1: compact_node
        /// (compact_memory): every populated zone (or the one given), whole zone, skip hints ignored; the priority picks
        /// the migrate mode (SyncFull: MIGRATE_SYNC as compact_memory uses; SyncLight; Async).</summary>
        public static CompactionRun Compact(MemNode node, CompactPriority priority, int order = -1, ZoneType? zone = null,
            GfpFlags gfp = GfpFlags.GFP_KERNEL, int cpu = 0, CancellationToken cancel = default, Action<Zone, double>? progress = null)
        {
            if (!Enum.IsDefined(typeof(CompactPriority), priority))
                throw new MemMgmtException("UnknownCompactPriority", ErrorKind.InvalidArgument,
                    $"Compaction priority {(int)priority} is not known; allowed: SyncFull (0), SyncLight (1), Async (2).", priority);
            Validate(node, order, zone, cpu);
            using var taskCpu = node.Trace.OnTaskCpu(cpu);
            Func<bool>? stop = cancel.CanBeCanceled ? () => cancel.IsCancellationRequested : (Func<bool>?)null;
            var reports = new List<ZoneCompactionReport>();
            long t0 = node.Clock.NowNs;
            CompactionRun run;
            if (order >= 0)
            {
                int flags = Gfp.ToAllocFlags(gfp);
                var rc = CompactionEngine.TryToCompactPages(node, gfp, order, flags, priority, cpu, stop, reports, zone, progress);
                run = new CompactionRun(node, "try_to_compact_pages", order, priority, reports) { Result = rc };
            }
            else
            {
                var mode = priority switch
                {
                    CompactPriority.SyncFull => MigrateMode.Sync,
                    CompactPriority.SyncLight => MigrateMode.SyncLight,
                    _ => MigrateMode.Async,
                };
                // compact_nodes (sysctl compact_memory) and sysfs_compact_node flush every cpu's pagevecs first.
                LruCache.DrainAll(node);
                CompactionEngine.CompactNode(node, cpu, stop, reports, zone, mode, progress);
                run = new CompactionRun(node, "compact_node", -1, priority, reports)
                {
                    Result = reports.Count > 0 ? reports[reports.Count - 1].Result : CompactResult.Skipped,
                };
            }
            run.Stopped = cancel.IsCancellationRequested;
            run.ElapsedNs = node.Clock.NowNs - t0;
            return run;
        }

        /// <summary>kernel: sysctl_compaction_handler / compact_nodes (mm/compaction.c, 4.14): what writing
        /// /proc/sys/vm/compact_memory does.</summary>
        public static CompactionRun CompactMemory(MemNode node, int cpu = 0, CancellationToken cancel = default) =>
            Compact(node, CompactPriority.SyncFull, -1, null, GfpFlags.GFP_KERNEL, cpu, cancel);

        /// <summary>Checks an Invoke-Kcompactd request without changing anything.</summary>
        public static void ValidateKcompactd(MemNode node, int? order, ZoneType? classzone)
        {
            if (order.HasValue && (order.Value < 1 || order.Value >= node.Geometry.MaxOrder))
                throw new MemMgmtException("OrderOutOfRange", ErrorKind.OutOfRange,
                    $"Order {order} is out of range for kcompactd; allowed 1 to {node.Geometry.MaxOrder - 1} (wakeup_kcompactd ignores order 0).", order);
            ResolveZone(node, classzone);
        }

        /// <summary>wakeup_kcompactd with the order and classzone given (default: the highest populated zone), then, if it
        /// woke (or was already woken), kcompactd_do_work. Without an order only a pending wakeup runs.</summary>
        public static CompactionRun Kcompactd(MemNode node, int? order = null, ZoneType? classzone = null, CancellationToken cancel = default)
        {
            ValidateKcompactd(node, order, classzone);
            var reports = new List<ZoneCompactionReport>();
            long t0 = node.Clock.NowNs;
            if (order.HasValue)
            {
                int cz = classzone.HasValue ? node.Kernel.ZoneIndex(classzone.Value) : CompactionEngine.NrZones(node) - 1;
                CompactionEngine.WakeupKcompactd(node, order.Value, cz);
            }
            var st = node.Compaction;
            int runOrder = st.KcompactdMaxOrder;
            string trigger = "kcompactd (not woken)";
            if (st.KcompactdWoken && st.KcompactdMaxOrder > 0)
            {
                Func<bool>? stop = cancel.CanBeCanceled ? () => cancel.IsCancellationRequested : (Func<bool>?)null;
                CompactionEngine.KcompactdDoWork(node, stop, reports);
                trigger = "kcompactd";
            }
            return new CompactionRun(node, trigger, runOrder, CompactPriority.SyncLight, reports)
            {
                Result = reports.Count > 0 ? reports[reports.Count - 1].Result : CompactResult.Skipped,
                Stopped = cancel.IsCancellationRequested,
                ElapsedNs = node.Clock.NowNs - t0,
            };
        }

        /// <summary>Flushes the skip hints of zones whose flag is set (reset_isolation_suitable), as kswapd does going to sleep.</summary>
        public static void ResetIsolationSuitable(MemNode node) => CompactionEngine.ResetIsolationSuitable(node);

        /// <summary>Clears every skip bit and cached position of every zone (__reset_isolation_suitable on all zones).</summary>
        public static void ResetSkipHints(MemNode node)
        {
            foreach (var z in node.ZoneArr) if (z.IsPopulated) CompactionEngine.ResetIsolationSuitableZone(z);
        }

        /// <summary>kernel: fragmentation_index (mm/vmstat.c, 4.14) of a zone at an order, from its free lists.</summary>
        public static int FragmentationIndex(Zone zone, int order) => Fragmentation.FragmentationIndex(zone.NrFree, order);

        /// <summary>kernel: fragmentation_score_zone (mm/compaction.c, 6.1): extfrag_for_order at COMPACTION_HPAGE_ORDER,
        /// 0 to 100. Computed on any profile; only kernels with proactive compaction act on it.</summary>
        public static int FragmentationScoreZone(Zone zone) => CompactionEngine.FragmentationScoreZone(zone);

        /// <summary>kernel: fragmentation_score_node (mm/compaction.c, 6.1): the zones' scores weighted by present pages.</summary>
        public static int FragmentationScoreNode(MemNode node) => CompactionEngine.FragmentationScoreNode(node);

        /// <summary>kernel: fragmentation_score_wmark (mm/compaction.c, 6.1): the low or high wmark for the node's
        /// vm.compaction_proactiveness.</summary>
        public static int FragmentationScoreWmark(MemNode node, bool low) => CompactionEngine.FragmentationScoreWmark(node, low);

        /// <summary>COMPACTION_HPAGE_ORDER, the order the fragmentation score is computed at (the PMD order on arm64).</summary>
        public static int CompactionHpageOrder(MemNode node) => CompactionEngine.CompactionHpageOrder(node);

        /// <summary>kernel: compaction_suitable (mm/compaction.c, 4.14) as direct compaction asks it (ALLOC_WMARK_MIN).</summary>
        public static CompactResult Suitable(Zone zone, int order, int classzoneIdx = -1)
        {
            if (order < -1 || order >= zone.NodeRef.Geometry.MaxOrder)
                throw new MemMgmtException("OrderOutOfRange", ErrorKind.OutOfRange, $"Order {order} is out of range; allowed -1 to {zone.NodeRef.Geometry.MaxOrder - 1}.", order);
            return CompactionEngine.CompactionSuitable(zone, order, 0, classzoneIdx < 0 ? zone.Idx : classzoneIdx);
        }

        /// <summary>kernel: defer_compaction, compaction_deferred and compaction_defer_reset, for scripts that study deferral.</summary>
        public static void DeferCompaction(Zone zone, int order) => CompactionEngine.DeferCompaction(zone, order);
        public static bool CompactionDeferred(Zone zone, int order) => CompactionEngine.CompactionDeferred(zone, order);
        public static void CompactionDeferReset(Zone zone, int order, bool allocSuccess) => CompactionEngine.CompactionDeferReset(zone, order, allocSuccess);
    }
}
