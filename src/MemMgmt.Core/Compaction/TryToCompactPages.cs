using System;
using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Watermarks;

namespace MemMgmt.Core.Compaction
{
    internal static partial class CompactionEngine
    {
        /// <summary>kernel: compact_zone_order (mm/compaction.c, 4.14): direct compaction of one zone at a priority.</summary>
        internal static CompactResult CompactZoneOrder(Zone zone, int order, GfpFlags gfp, CompactPriority prio, int allocFlags,
            int classzoneIdx, int cpu, Func<bool>? stop, ZoneCompactionReport? report, Action<Zone, double>? progress = null,
            CaptureControl? capture = null)
        {
            bool min = prio == CompactPriority.SyncFull;
            var cc = new CompactControl
            {
                Order = order,
                GfpMask = gfp,
                Mode = prio == CompactPriority.Async ? MigrateMode.Async : MigrateMode.SyncLight,
                AllocFlags = allocFlags,
                ClasszoneIdx = classzoneIdx,
                DirectCompaction = true,
                WholeZone = min,
                IgnoreSkipHint = min,
                IgnoreBlockSuitable = min,
                Cpu = cpu,
                StopRequested = stop,
                Progress = progress,
            };
            // current->capture_control while compact_zone runs (6.1); a page captured at any point makes the answer SUCCESS.
            var node = zone.NodeRef;
            if (capture != null)
            {
                capture.Cc = cc;
                cc.Capc = capture;
                node.CaptureControl = capture;
            }
            CompactResult ret;
            try { ret = CompactZone(zone, cc); }
            finally { if (capture != null) node.CaptureControl = null; }
            if (capture != null && capture.Page >= 0) ret = CompactResult.Success;
            if (report != null) Fill(report, cc, ret);
            return ret;
        }

        internal static void Fill(ZoneCompactionReport r, CompactControl cc, CompactResult ret)
        {
            r.Mode = cc.Mode;
            r.Result = ret;
            r.MigrateScanned += cc.TotalMigrateScanned;
            r.FreeScanned += cc.TotalFreeScanned;
            r.MigrateIsolated += cc.Isolated;
            r.FreeIsolated += cc.FreeIsolated;
            r.Migrated += cc.Migrated;
            r.MigrateFailed += cc.MigrateFailed;
            var d = new Dictionary<MigrateFailReason, long>();
            foreach (var kv in r.FailReasons) d[kv.Key] = kv.Value;
            for (int i = 0; i < cc.Reasons.Length; i++)
                if (cc.Reasons[i] != 0) { d.TryGetValue((MigrateFailReason)i, out long v); d[(MigrateFailReason)i] = v + cc.Reasons[i]; }
            r.FailReasons = d;
            r.MigratePfnEnd = cc.MigratePfn;
            r.FreePfnEnd = cc.FreePfn;
            r.Stopped = cc.Contended && cc.StopRequested != null && cc.StopRequested();
        }

        /// <summary>kernel: try_to_compact_pages (mm/compaction.c, 4.14): each zone of the zonelist up to the request's
        /// highest zone; deferred zones are skipped unless at the minimum priority; success stops the walk.</summary>
        internal static CompactResult TryToCompactPages(MemNode node, GfpFlags gfp, int order, int allocFlags, CompactPriority prio,
            int cpu, Func<bool>? stop, List<ZoneCompactionReport>? reports, ZoneType? onlyZone = null, Action<Zone, double>? progress = null,
            CaptureControl? capture = null)
        {
            // 4.4 also refuses order 0 and requests without __GFP_FS (try_to_compact_pages, mm/compaction.c, 4.4), and
            // starts from DEFERRED, its lowest value.
            bool k44 = node.Kernel.CompactionSuitablePartial;
            var rc = k44 ? CompactResult.Deferred : CompactResult.Skipped;
            const GfpFlags fsIo = GfpFlags.__GFP_FS | GfpFlags.__GFP_IO;
            if (k44 ? order == 0 || (gfp & fsIo) != fsIo : (gfp & GfpFlags.__GFP_IO) == 0) return CompactResult.Skipped;
            node.Trace.Record(node, TraceEventId.mm_compaction_try_to_compact_pages, order, (long)gfp, (long)prio);
            int highZoneIdx = node.Kernel.ZoneIndex(Gfp.ToZone(gfp, node.Kernel));
            int classzoneIdx = -1;
            foreach (var zone in node.Zonelist)
            {
                if (zone.Idx > highZoneIdx) continue;
                if (classzoneIdx < 0) classzoneIdx = zone.Idx;
                if (onlyZone.HasValue && zone.Type != onlyZone.Value) continue;
                var report = reports != null ? NewReport(node, zone, order, prio) : null;
                if (prio > CompactPriority.SyncFull && CompactionDeferred(zone, order))
                {
                    if (!k44 && rc < CompactResult.Deferred) rc = CompactResult.Deferred;
                    if (report != null) { report.Result = CompactResult.Deferred; report.WasDeferred = true; Finish(report, zone); reports!.Add(report); }
                    continue;
                }
                var status = CompactZoneOrder(zone, order, gfp, prio, allocFlags, classzoneIdx, cpu, stop, report, progress, capture);
                if (k44 ? Rank44(status) > Rank44(rc) : status > rc) rc = status;
                // 4.4 stops wherever the low watermark now passes at the order, whatever compact_zone answered.
                if (k44 ? ZoneWatermark.Ok(zone, order, zone.Watermark[(int)WatermarkLevel.Low], classzoneIdx, allocFlags, zone.NrFreePages)
                        : status == CompactResult.Success)
                {
                    CompactionDeferReset(zone, order, false);
                    if (report != null) { Finish(report, zone); reports!.Add(report); }
                    break;
                }
                if (prio != CompactPriority.Async && (status == CompactResult.Complete || status == CompactResult.PartialSkipped))
                    DeferCompaction(zone, order);
                if (report != null) { Finish(report, zone); reports!.Add(report); }
                // Async compaction that stopped because the task must reschedule, or a fatal signal: no further zones.
                if ((prio == CompactPriority.Async && status == CompactResult.Contended) || (stop != null && stop())) break;
            }
            return rc;
        }

        /// <summary>The value a result has in 4.4's max(status, rc) (include/linux/compaction.h, 4.4): DEFERRED 0, SKIPPED 1,
        /// CONTINUE 2, PARTIAL 3 (compact_zone reports CONTENDED as PARTIAL), COMPLETE 4.</summary>
        private static int Rank44(CompactResult r) => r switch
        {
            CompactResult.Deferred => 0,
            CompactResult.Skipped or CompactResult.NotSuitableZone => 1,
            CompactResult.Continue or CompactResult.NoSuitablePage => 2,
            CompactResult.Success or CompactResult.Contended => 3,
            _ => 4,
        };

        internal static ZoneCompactionReport NewReport(MemNode node, Zone zone, int order, CompactPriority? prio) =>
            new ZoneCompactionReport(node, zone)
            {
                Order = order,
                Priority = prio,
                Mode = prio == CompactPriority.Async ? MigrateMode.Async : prio.HasValue ? MigrateMode.SyncLight : MigrateMode.Sync,
                DeferShiftBefore = zone.CompactDeferShift,
                ConsideredBefore = zone.CompactConsidered,
                OrderFailedBefore = zone.CompactOrderFailed,
            };

        internal static void Finish(ZoneCompactionReport r, Zone zone)
        {
            r.DeferShiftAfter = zone.CompactDeferShift;
            r.ConsideredAfter = zone.CompactConsidered;
            r.OrderFailedAfter = zone.CompactOrderFailed;
        }

        /// <summary>kernel: compact_node (mm/compaction.c, 4.14): order −1, MIGRATE_SYNC, skip hints ignored, whole zone,
        /// every populated zone; runs until the scanners meet. One compact_control serves all the zones, as in the kernel,
        /// so its scanned totals keep growing and compact_zone counts them again at each zone's end.</summary>
        /// <param name="proactive">proactive_compact_node's compact_control (6.1): __compact_finished then stops each zone
        /// at its fragmentation score.</param>
        internal static void CompactNode(MemNode node, int cpu, Func<bool>? stop, List<ZoneCompactionReport> reports, ZoneType? onlyZone,
            MigrateMode mode = MigrateMode.Sync, Action<Zone, double>? progress = null, bool proactive = false)
        {
            var cc = NodeCompactControl(mode, proactive, cpu, stop);
            cc.Progress = progress;
            foreach (var zone in node.ZoneArr)
            {
                if (!zone.IsPopulated) continue;
                if (onlyZone.HasValue && zone.Type != onlyZone.Value) continue;
                if (!proactive && node.Kernel.CompactMemoryResetsSkipHints) ResetIsolationSuitableZone(zone);
                var report = NewReport(node, zone, -1, null);
                long migrateScanned = ScannedCarriedIn(node, cc.TotalMigrateScanned), freeScanned = ScannedCarriedIn(node, cc.TotalFreeScanned);
                NextZone(cc);
                var ret = CompactZone(zone, cc);
                FillZone(report, cc, ret, migrateScanned, freeScanned);
                Finish(report, zone);
                reports.Add(report);
                if (stop != null && stop()) break;
            }
        }

        /// <summary>The compact_control of compact_node and proactive_compact_node: order −1, skip hints ignored, whole zone.</summary>
        internal static CompactControl NodeCompactControl(MigrateMode mode, bool proactive, int cpu, Func<bool>? stop) =>
            new CompactControl
            {
                Order = -1,
                Mode = mode,
                IgnoreSkipHint = true,
                WholeZone = true,
                GfpMask = GfpFlags.GFP_KERNEL,
                ProactiveCompaction = proactive,
                Cpu = cpu,
                StopRequested = stop,
            };

        /// <summary>Restarts the report's own counters of a shared compact_control before the next zone (the kernel's
        /// fields stay as compact_zone left them).</summary>
        private static void NextZone(CompactControl cc)
        {
            cc.Isolated = cc.FreeIsolated = cc.Migrated = cc.MigrateFailed = 0;
            Array.Clear(cc.Reasons, 0, cc.Reasons.Length);
        }

        /// <summary>What a shared compact_control's scanned total holds when compact_zone starts the next zone: nothing on
        /// kernels whose compact_zone zeroes it (<see cref="KernelProfile.CompactZoneResetsScanCounts"/>).</summary>
        internal static long ScannedCarriedIn(MemNode node, long total) => node.Kernel.CompactZoneResetsScanCounts ? 0 : total;

        /// <summary>A zone's report from a shared compact_control: what was scanned in this zone only.</summary>
        private static void FillZone(ZoneCompactionReport report, CompactControl cc, CompactResult ret, long migrateScannedBefore, long freeScannedBefore)
        {
            Fill(report, cc, ret);
            report.MigrateScanned -= migrateScannedBefore;
            report.FreeScanned -= freeScannedBefore;
        }

        // ----- kcompactd -----

        /// <summary>kernel: kcompactd_node_suitable (mm/compaction.c, 4.14).</summary>
        internal static bool KcompactdNodeSuitable(MemNode node)
        {
            var st = node.Compaction;
            int classzoneIdx = st.KcompactdClasszoneIdx;
            for (int zoneid = 0; zoneid <= classzoneIdx && zoneid < node.ZoneArr.Length; zoneid++)
            {
                var zone = node.ZoneArr[zoneid];
                if (!zone.IsPopulated) continue;
                if (CompactionSuitable(zone, st.KcompactdMaxOrder, 0, classzoneIdx) == CompactResult.Continue) return true;
            }
            return false;
        }

        /// <summary>kernel: wakeup_kcompactd (mm/compaction.c, 4.14). Returns whether kcompactd was woken.</summary>
        internal static bool WakeupKcompactd(MemNode node, int order, int classzoneIdx)
        {
            var st = node.Compaction;
            if (order == 0) return false;
            if (st.KcompactdMaxOrder < order) st.KcompactdMaxOrder = order;
            if (st.KcompactdClasszoneIdx > classzoneIdx) st.KcompactdClasszoneIdx = classzoneIdx;
            // wq_has_sleeper: kcompactd sleeps whenever it is not running.
            if (!KcompactdNodeSuitable(node)) return false;
            node.Trace.Record(node, TraceEventId.mm_compaction_wakeup_kcompactd, order, classzoneIdx);
            st.KcompactdWoken = true;
            return true;
        }

        /// <summary>pgdat->nr_zones: one past the highest populated zone.</summary>
        internal static int NrZones(MemNode node)
        {
            int n = 0;
            for (int i = 0; i < node.ZoneArr.Length; i++) if (node.ZoneArr[i].IsPopulated) n = i + 1;
            return n;
        }

        /// <summary>kernel: kcompactd_do_work (mm/compaction.c, 4.14): SYNC_LIGHT with skip hints ignored (honoured, and a
        /// failed zone's pcp lists drained, with <see cref="KernelProfile.KcompactdUsesSkipHints"/>), at
        /// kcompactd_max_order for every zone up to the classzone that is not deferred and is suitable.</summary>
        internal static void KcompactdDoWork(MemNode node, Func<bool>? stop, List<ZoneCompactionReport> reports)
        {
            var st = node.Compaction;
            int order = st.KcompactdMaxOrder, classzoneIdx = st.KcompactdClasszoneIdx;
            var trace = node.Trace;
            byte saved = trace.CurrentTask;
            trace.CurrentTask = MemTrace.TaskKcompactd;
            try
            {
                trace.Record(node, TraceEventId.mm_compaction_kcompactd_wake, order, classzoneIdx);
                node.Counters.Count(VmEvent.CompactDaemonWake);
                // One compact_control for every zone, as kcompactd_do_work keeps it on its stack: whole_zone, once a zone
                // set it, and (4.14) the scanned totals carry over, so kcompactd_migrate_scanned counts earlier zones again.
                var cc = new CompactControl
                {
                    Order = order,
                    ClasszoneIdx = classzoneIdx,
                    Mode = MigrateMode.SyncLight,
                    IgnoreSkipHint = !node.Kernel.KcompactdUsesSkipHints,
                    GfpMask = GfpFlags.GFP_KERNEL,
                    StopRequested = stop,
                };
                for (int zoneid = 0; zoneid <= classzoneIdx && zoneid < node.ZoneArr.Length; zoneid++)
                {
                    var zone = node.ZoneArr[zoneid];
                    if (!zone.IsPopulated) continue;
                    var report = NewReport(node, zone, order, CompactPriority.SyncLight);
                    if (CompactionDeferred(zone, order))
                    {
                        report.Result = CompactResult.Deferred; report.WasDeferred = true; Finish(report, zone); reports.Add(report);
                        continue;
                    }
                    var suitable = CompactionSuitable(zone, order, 0, zoneid);
                    if (suitable != CompactResult.Continue)
                    {
                        report.Result = suitable; Finish(report, zone); reports.Add(report);
                        continue;
                    }
                    if (stop != null && stop()) return;
                    long migrateScanned = ScannedCarriedIn(node, cc.TotalMigrateScanned), freeScanned = ScannedCarriedIn(node, cc.TotalFreeScanned);
                    NextZone(cc);
                    var status = CompactZone(zone, cc);
                    if (status == CompactResult.Success) CompactionDeferReset(zone, order, false);
                    else if (status == CompactResult.PartialSkipped || status == CompactResult.Complete)
                    {
                        // Free pages left on the per-cpu lists could still merge into the order wanted.
                        if (node.Kernel.KcompactdUsesSkipHints)
                            for (int cpu = 0; cpu < node.NrCpus; cpu++) BuddyAllocator.DrainPagesZone(zone, cpu);
                        DeferCompaction(zone, order);
                    }
                    node.Counters.Count(VmEvent.CompactDaemonMigrateScanned, cc.TotalMigrateScanned);
                    node.Counters.Count(VmEvent.CompactDaemonFreeScanned, cc.TotalFreeScanned);
                    FillZone(report, cc, status, migrateScanned, freeScanned);
                    Finish(report, zone);
                    reports.Add(report);
                }
                if (st.KcompactdMaxOrder <= order) st.KcompactdMaxOrder = 0;
                if (st.KcompactdClasszoneIdx >= classzoneIdx) st.KcompactdClasszoneIdx = NrZones(node) - 1;
                // kcompactd() goes back to a wait of one check interval after this work (the proactive timer restarts).
                if (node.Kernel.ProactiveCompaction) KcompactdSleep(node, HpageFragCheckIntervalNs);
            }
            finally
            {
                st.KcompactdWoken = false;
                trace.Record(node, TraceEventId.mm_compaction_kcompactd_sleep);
                trace.CurrentTask = saved;
            }
        }
    }
}
