using System;
using System.Collections.Generic;
using System.Threading;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Time
{
    /// <summary>What Step-MemNode did.</summary>
    public sealed class StepReport
    {
        internal StepReport(MemNode node) { Node = node; }
        public MemNode Node { get; }
        public long StartNs { get; internal set; }
        public long EndNs { get; internal set; }
        public bool KcompactdRan { get; internal set; }
        /// <summary>How many times kcompactd compacted the node proactively (proactive_compact_node) during the step.</summary>
        public int ProactiveRuns { get; internal set; }
        /// <summary>What kswapd did while the time passed (Kswapd.Advance).</summary>
        public Reclaim.KswapdReport? Kswapd { get; internal set; }
        public IReadOnlyList<ZoneCompactionReport> Compactions { get; internal set; } = new ZoneCompactionReport[0];
        public override string ToString() => $"{Node.Name}: {StartNs} ns to {EndNs} ns, {Compactions.Count} compaction(s)";
    }

    /// <summary>Virtual time and the per-node daemons.</summary>
    public static class Daemons
    {
        /// <summary>Advances the node's clock by <paramref name="ns"/> in slices that end where a working set's next round
        /// is due or kcompactd's timed sleep ends: each slice runs the rounds due, then kswapd while woken or until its nap
        /// ends (it may wake kcompactd from kswapd_try_to_sleep), then kcompactd_do_work if it was woken, and at the slice's
        /// end kcompactd's proactive check if its sleep timed out (kernels with proactive compaction). Access rounds that fall due inside
        /// reclaim's own time run there (VirtualTime.Pass), so accesses and reclaim interleave as on two CPUs.
        /// <paramref name="progress"/> gets (virtual ns done, ns asked) after each slice; a cancelled step ends after the
        /// slice it is in, with every daemon between two units of its work.</summary>
        public static StepReport Step(MemNode node, long ns, CancellationToken cancel = default, Action<long, long>? progress = null)
        {
            if (ns < 0)
                throw new MemMgmtException("DurationOutOfRange", ErrorKind.OutOfRange, $"Duration {ns} ns is out of range; allowed 0 or more.", ns);
            var report = new StepReport(node) { StartNs = node.Clock.NowNs };
            long end = node.Clock.NowNs + ns;
            var st = node.Compaction;
            var reports = new List<ZoneCompactionReport>();
            Func<bool>? stop = cancel.CanBeCanceled ? () => cancel.IsCancellationRequested : (Func<bool>?)null;
            while (true)
            {
                Workloads.WorkingSets.RunDue(node, accessOnly: false);
                long sliceEnd = Math.Min(end, Workloads.WorkingSets.NextDueNs(node, accessOnly: false));
                // kcompactd's timed sleep ends a slice too, so proactive checks happen at their own times.
                if (node.Kernel.ProactiveCompaction && st.ProactiveWakeNs > node.Clock.NowNs) sliceEnd = Math.Min(sliceEnd, st.ProactiveWakeNs);
                long slice = Math.Max(0, sliceEnd - node.Clock.NowNs);
                byte task = node.Trace.CurrentTask;
                node.Trace.CurrentTask = Trace.MemTrace.TaskKswapd;
                try
                {
                    var k = Reclaim.Kswapd.Advance(node, slice);
                    if (report.Kswapd == null) report.Kswapd = k; else report.Kswapd.Merge(k);
                }
                finally { node.Trace.CurrentTask = task; }
                // A proactiveness write wakes kcompactd with the trigger raised: it runs the proactive check before any
                // requested work (kcompactd() skips kcompactd_do_work while the trigger is set).
                if (st.ProactiveCompactTrigger && CompactionEngine.KcompactdProactiveDue(node))
                {
                    if (CompactionEngine.KcompactdProactive(node, stop, reports)) report.ProactiveRuns++;
                }
                if (st.KcompactdWoken && st.KcompactdMaxOrder > 0)
                {
                    CompactionEngine.KcompactdDoWork(node, stop, reports);
                    report.KcompactdRan = true;
                }
                if (node.Clock.NowNs < sliceEnd) Time.VirtualTime.Pass(node, sliceEnd - node.Clock.NowNs);
                // kcompactd's timed sleep ends at the slice's end when the slice was cut there.
                if (CompactionEngine.KcompactdProactiveDue(node))
                {
                    if (CompactionEngine.KcompactdProactive(node, stop, reports)) report.ProactiveRuns++;
                }
                progress?.Invoke(node.Clock.NowNs - report.StartNs, ns);
                if (node.Clock.NowNs >= end || (stop != null && stop())) break;
            }
            report.Compactions = reports;
            report.EndNs = node.Clock.NowNs;
            return report;
        }

        /// <summary>
        /// The scheduling rule for a burst of requests (New-MemProcess's faults, Add-WorkingSet's fault-in, Add-Pressure's
        /// fill and requests, New-PageAllocation -Count): after each request the allocating task's time for it passes on
        /// the node's clock (<paramref name="taskNs"/>: a <see cref="Workloads.WorkloadCost"/>), then a woken kswapd, on the node's other
        /// CPU as on the two Cortex-A53 cores, runs as far as the task's time has got (<see cref="Reclaim.Kswapd.RunAlongside"/>).
        /// kswapd's work takes its own virtual time (<see cref="Reclaim.Vmscan"/>'s scan cost per page, its reclaim waits), so a
        /// stream that allocates more slowly than kswapd reclaims stays above the min watermark and is served by kswapd,
        /// and a faster one (or one kswapd cannot reclaim for) reaches min and enters direct reclaim. A sleeping kswapd
        /// costs one test per request; a one-CPU node has no second CPU, and its kswapd runs only when time is stepped.
        /// </summary>
        internal static void AfterRequest(MemNode node, int cpu, long taskNs)
        {
            VirtualTime.Pass(node, taskNs);
            DaemonsCatchUp(node, cpu);
        }

        /// <summary>Inside one request, where the allocating task has spent time of its own (its direct reclaim, before
        /// the slow path compacts again): a woken kswapd runs as far as the task's time has got, as after a request, and
        /// so does kcompactd (<see cref="KcompactdCatchesUp"/>).</summary>
        internal static void DaemonsCatchUp(MemNode node, int cpu)
        {
            Reclaim.Kswapd.ExpireReclaimActive(node);
            if (node.KswapdSt.KState != Reclaim.KswapdState.Sleeping && node.NrCpus > 1) Reclaim.Kswapd.RunAlongside(node, cpu);
            KcompactdCatchesUp(node, cpu);
        }

        /// <summary>Inside a burst of requests on a kernel with proactive compaction and a second CPU: kcompactd's timed
        /// wakes that fall due and its proactive compaction run on the other CPU as far as the task's time has got, so a
        /// long hugepage request and kcompactd take free pages from the zone by turns, as on the two cores.</summary>
        internal static void KcompactdCatchesUp(MemNode node, int taskCpu)
        {
            if (node.Compaction.BurstDepth == 0 || !node.Kernel.ProactiveCompaction || node.NrCpus < 2) return;
            CompactionEngine.KcompactdProactiveBeside(node, taskCpu == 0 ? 1 : 0, node.Clock.NowNs, finishOnly: false);
        }

        /// <summary>Marks a burst of requests (the scheduling rule of <see cref="AfterRequest"/>) for as long as the returned
        /// scope is not disposed; the outermost scope's end lets a proactive run kcompactd began beside it finish, on
        /// kcompactd's own time, so no half-done compaction outlives the operation.</summary>
        internal static BurstScope Burst(MemNode node)
        {
            node.Compaction.BurstDepth++;
            return new BurstScope(node);
        }

        internal readonly struct BurstScope : IDisposable
        {
            private readonly MemNode _node;
            internal BurstScope(MemNode node) { _node = node; }

            public void Dispose()
            {
                var st = _node.Compaction;
                if (--st.BurstDepth > 0 || st.Beside == null) return;
                CompactionEngine.KcompactdProactiveBeside(_node, st.Beside.Cpu, long.MaxValue, finishOnly: true);
            }
        }

        /// <summary>After one alloc_pages request of New-PageAllocation -Count: <see cref="AfterRequest"/> with
        /// <see cref="Workloads.WorkloadCost.AllocPagesNs"/>.</summary>
        public static void AfterAllocationRequest(MemNode node, int cpu) => AfterRequest(node, cpu, Workloads.WorkloadCost.AllocPagesNs);
    }
}
