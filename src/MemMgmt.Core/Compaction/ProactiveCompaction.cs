using System;
using System.Collections.Generic;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Trace;

namespace MemMgmt.Core.Compaction
{
    /// <summary>Proactive compaction (<see cref="KernelProfile.ProactiveCompaction"/>: 6.1): kcompactd's timed wakeups, the
    /// fragmentation score and its watermarks.</summary>
    internal static partial class CompactionEngine
    {
        /// <summary>HPAGE_FRAG_CHECK_INTERVAL_MSEC: kcompactd's sleep timeout, 500 ms.</summary>
        internal const long HpageFragCheckIntervalNs = 500L * 1000 * 1000;

        /// <summary>COMPACTION_HPAGE_ORDER: HPAGE_PMD_ORDER with THP, HUGETLB_PAGE_ORDER with hugetlbfs, else
        /// PMD_SHIFT − PAGE_SHIFT; on arm64 all three are the PMD order (9 with 4 KiB pages, 11 with 16 KiB, 13 with 64 KiB).</summary>
        internal static int CompactionHpageOrder(MemNode node) => node.Geometry.PageShift - 3;

        /// <summary>kernel: kswapd_is_running (mm/compaction.c, 6.1): kswapd is TASK_RUNNING, neither asleep nor napping.</summary>
        private static bool KswapdIsRunning(MemNode node) => node.KswapdSt.KState == KswapdState.Runnable;

        /// <summary>kernel: fragmentation_score_zone (mm/compaction.c, 6.1): extfrag_for_order at COMPACTION_HPAGE_ORDER.</summary>
        internal static int FragmentationScoreZone(Zone zone) =>
            Fragmentation.ExtfragForOrder(zone.NrFree, CompactionHpageOrder(zone.NodeRef));

        /// <summary>kernel: fragmentation_score_zone_weighted (mm/compaction.c, 6.1): the zone's score scaled by its share
        /// of the node's present pages (node_present_pages + 1), so small zones barely count.</summary>
        internal static long FragmentationScoreZoneWeighted(Zone zone) =>
            zone.PresentPages * FragmentationScoreZone(zone) / (zone.NodeRef.PresentPages + 1);

        /// <summary>kernel: fragmentation_score_node (mm/compaction.c, 6.1): the weighted scores of the node's zones summed.</summary>
        internal static int FragmentationScoreNode(MemNode node)
        {
            long score = 0;
            foreach (var zone in node.ZoneArr) score += FragmentationScoreZoneWeighted(zone);
            return (int)score;
        }

        /// <summary>kernel: fragmentation_score_wmark (mm/compaction.c, 6.1): low = max(100 − proactiveness, 5) so that a
        /// proactiveness near 100 cannot make compaction endless; high = min(low + 10, 100).</summary>
        internal static int FragmentationScoreWmark(MemNode node, bool low)
        {
            int wmarkLow = Math.Max(100 - node.Sysctl.CompactionProactiveness, 5);
            return low ? wmarkLow : Math.Min(wmarkLow + 10, 100);
        }

        /// <summary>kernel: should_proactive_compact_node (mm/compaction.c, 6.1).</summary>
        internal static bool ShouldProactiveCompactNode(MemNode node)
        {
            if (node.Sysctl.CompactionProactiveness == 0 || KswapdIsRunning(node)) return false;
            return FragmentationScoreNode(node) > FragmentationScoreWmark(node, false);
        }

        /// <summary>kernel: proactive_compact_node (mm/compaction.c, 6.1): order −1, MIGRATE_SYNC_LIGHT, skip hints ignored,
        /// whole zone, every populated zone; __compact_finished stops each zone once its score is at or below the low
        /// wmark. 6.1 counts no compact_daemon_* events here (5.x/6.3 added the scanned counts), only compact_zone's own.</summary>
        internal static void ProactiveCompactNode(MemNode node, Func<bool>? stop, List<ZoneCompactionReport> reports) =>
            CompactNode(node, 0, stop, reports, null, MigrateMode.SyncLight, proactive: true);

        /// <summary>Whether kcompactd's timed sleep has ended or a proactiveness write woke it: the part of kcompactd()'s
        /// loop after wait_event_freezable_timeout that is not kcompactd_do_work.</summary>
        internal static bool KcompactdProactiveDue(MemNode node) =>
            node.Kernel.ProactiveCompaction && (node.Compaction.ProactiveCompactTrigger || node.Clock.NowNs >= node.Compaction.ProactiveWakeNs);

        /// <summary>kernel: kcompactd (mm/compaction.c, 6.1), after a timed-out or triggered wait: if the node should be
        /// compacted proactively, compact it and, when its score did not fall, sleep 2^COMPACT_MAX_DEFER_SHIFT intervals
        /// instead of one; clear the trigger; go back to sleep (without a timeout while proactiveness is 0).
        /// Returns whether proactive_compact_node ran.</summary>
        internal static bool KcompactdProactive(MemNode node, Func<bool>? stop, List<ZoneCompactionReport> reports)
        {
            var st = node.Compaction;
            var trace = node.Trace;
            byte saved = trace.CurrentTask;
            trace.CurrentTask = MemTrace.TaskKcompactd;
            bool ran = false;
            try
            {
                int? prevScore = null;
                if (ShouldProactiveCompactNode(node))
                {
                    prevScore = FragmentationScoreNode(node);
                    ProactiveCompactNode(node, stop, reports);
                    ran = true;
                }
                KcompactdProactiveSleep(node, prevScore);
            }
            finally { trace.CurrentTask = saved; }
            return ran;
        }

        /// <summary>The end of kcompactd()'s proactive check: after a run (<paramref name="prevScore"/>: the node's score before
        /// it) that did not lower the score, sleep 2^COMPACT_MAX_DEFER_SHIFT intervals instead of one; clear the trigger.</summary>
        private static void KcompactdProactiveSleep(MemNode node, int? prevScore)
        {
            var st = node.Compaction;
            long timeout = HpageFragCheckIntervalNs;
            if (prevScore.HasValue)
            {
                st.ProactiveRuns++;
                if (FragmentationScoreNode(node) >= prevScore.Value)
                {
                    timeout = HpageFragCheckIntervalNs << CompactMaxDeferShift;
                    st.ProactiveNoProgress++;
                }
            }
            st.ProactiveCompactTrigger = false;
            KcompactdSleep(node, timeout);
        }

        /// <summary>Spare list heads for cc->migratepages and cc->freepages of a proactive run beside a task's compaction,
        /// whose own lists hold heads 0 and 1 at the same time.</summary>
        private const int BesideMigrateListSlot = 3, BesideFreeListSlot = 4;

        /// <summary>kcompactd on the node's other CPU while a task's burst of requests runs (6.1): from its timed wake up
        /// to <paramref name="untilNs"/> of its own time, the proactive check of each wake and proactive_compact_node one
        /// compact_zone pass at a time, so its scanners and the task's direct compactions take pages from the same zone
        /// by turns. kcompactd's work is done on its own clock (the node's clock is set back afterwards). With
        /// <paramref name="finishOnly"/> the run in progress goes to its end and no new wake is taken: the burst is over.
        /// <paramref name="cpu"/> is the CPU a new run takes: the one the task running the burst is not on.</summary>
        internal static void KcompactdProactiveBeside(MemNode node, int cpu, long untilNs, bool finishOnly)
        {
            var st = node.Compaction;
            var trace = node.Trace;
            long taskNow = node.Clock.NowNs;
            byte savedTask = trace.CurrentTask;
            trace.CurrentTask = MemTrace.TaskKcompactd;
            trace.BesideCpu = st.Beside?.Cpu ?? cpu;
            try
            {
                while (true)
                {
                    var run = st.Beside;
                    if (run == null)
                    {
                        if (finishOnly || st.ProactiveWakeNs > untilNs) return;
                        // kcompactd's timed wait ended: the proactive check happens at that time, on its CPU.
                        node.Clock.SwitchTo(st.ProactiveWakeNs);
                        if (!ShouldProactiveCompactNode(node))
                        {
                            KcompactdProactiveSleep(node, null);
                            continue;
                        }
                        run = st.Beside = new ProactiveRun(node, cpu);
                    }
                    node.Clock.SwitchTo(run.CpuNs);
                    while (run.CpuNs <= untilNs && !run.Step(node)) run.CpuNs = node.Clock.NowNs;
                    run.CpuNs = node.Clock.NowNs;
                    if (!run.Done) return;
                    st.Beside = null;
                    KcompactdProactiveSleep(node, run.PrevScore);
                }
            }
            finally
            {
                node.Clock.SwitchTo(taskNow);
                trace.CurrentTask = savedTask;
                trace.BesideCpu = -1;
            }
        }

        /// <summary>kernel: proactive_compact_node (mm/compaction.c, 6.1) in progress: its compact_control (order −1,
        /// MIGRATE_SYNC_LIGHT, skip hints ignored, whole zone), the zone it is in, and kcompactd's own time.</summary>
        internal sealed class ProactiveRun
        {
            private readonly CompactControl _cc;
            private int _zoneIdx = -1;
            /// <summary>The CPU kcompactd runs on, the one the task that woke it is not on.</summary>
            internal int Cpu => _cc.Cpu;
            private bool _inZone;
            /// <summary>kcompactd's time: how far its CPU has got (virtual ns).</summary>
            internal long CpuNs;
            /// <summary>The node's fragmentation score when the run began.</summary>
            internal readonly int PrevScore;
            internal bool Done { get; private set; }

            internal ProactiveRun(MemNode node, int cpu)
            {
                CpuNs = node.Clock.NowNs;
                PrevScore = FragmentationScoreNode(node);
                // kcompactd takes no signal, but a cancelled operation should not wait for its simulated run: the run ends
                // contended at its next pass, as a fatal signal would end it.
                _cc = NodeCompactControl(MigrateMode.SyncLight, proactive: true, cpu, node.Stop);
                _cc.MigrateList = node.SpareListBase + BesideMigrateListSlot;
                _cc.FreeList = node.SpareListBase + BesideFreeListSlot;
            }

            /// <summary>One unit of the run on the node's clock (set to kcompactd's time): a zone's compact_zone start, one
            /// pass of its loop, or its end and the move to the next populated zone. Returns true when every zone is done.</summary>
            internal bool Step(MemNode node)
            {
                if (_inZone)
                {
                    var zone = node.ZoneArr[_zoneIdx];
                    var ret = CompactZoneStep(zone, _cc);
                    if (ret == CompactResult.Continue) return false;
                    CompactZoneEnd(zone, _cc, ret);
                    _inZone = false;
                    return false;
                }
                while (++_zoneIdx < node.ZoneArr.Length)
                {
                    var zone = node.ZoneArr[_zoneIdx];
                    if (!zone.IsPopulated) continue;
                    _inZone = CompactZoneBegin(zone, _cc) == CompactResult.Continue;
                    return false;
                }
                Done = true;
                return true;
            }
        }

        /// <summary>kcompactd goes back to its wait: the timed sleep ends <paramref name="timeoutNs"/> from now, or never
        /// while vm.compaction_proactiveness is 0 (MAX_SCHEDULE_TIMEOUT).</summary>
        internal static void KcompactdSleep(MemNode node, long timeoutNs)
        {
            node.Compaction.ProactiveWakeNs = node.Sysctl.CompactionProactiveness == 0 ? long.MaxValue : node.Clock.NowNs + timeoutNs;
        }

        /// <summary>kernel: compaction_proactiveness_sysctl_handler (mm/compaction.c, 6.1): a write of a non-zero value
        /// raises proactive_compact_trigger and wakes kcompactd, unless a trigger is already pending.</summary>
        internal static void OnProactivenessWritten(MemNode node)
        {
            if (node.Sysctl.CompactionProactiveness == 0) return;
            if (node.Compaction.ProactiveCompactTrigger) return;
            node.Compaction.ProactiveCompactTrigger = true;
        }
    }
}
