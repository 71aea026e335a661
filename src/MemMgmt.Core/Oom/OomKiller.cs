using System;
using System.Collections.Generic;
using System.Globalization;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Trace;

namespace MemMgmt.Core.Oom
{
    /// <summary>What one out_of_memory call did.</summary>
    public sealed class OomKillReport
    {
        internal OomKillReport(MemNode node) { Node = node; }
        public MemNode Node { get; }
        public SimProcess? Victim { get; internal set; }
        /// <summary>oom_badness of the victim in pages.</summary>
        public long Points { get; internal set; }
        /// <summary>The "score" the kernel logs: points·1000/totalpages (select_bad_process).</summary>
        public long Score { get; internal set; }
        public long TotalPages { get; internal set; }
        /// <summary>CONSTRAINT_NONE for the page allocator, CONSTRAINT_MEMCG for a group over memory.max.</summary>
        public string Constraint { get; internal set; } = "CONSTRAINT_NONE";
        /// <summary>The group whose limit was hit (memcg OOM only).</summary>
        public string? Cgroup { get; internal set; }
        public long PagesFreed { get; internal set; }
        public long SwapFreed { get; internal set; }
        public IReadOnlyList<(int Pid, long Points)> Candidates => _candidates;
        internal readonly List<(int, long)> _candidates = new List<(int, long)>();
        public override string ToString() => Victim == null
            ? $"Out of memory on {Node.Name}{(Cgroup != null ? " in cgroup " + Cgroup : "")}: no killable process"
            : $"Out of memory on {Node.Name}{(Cgroup != null ? " in cgroup " + Cgroup : "")}: killed process {Victim.Pid} ({Victim.Name}) score {Score}, freed {PagesFreed} pages";
    }

    /// <summary>The OOM killer (mm/oom_kill.c, 4.14) over the node's simulated processes.</summary>
    public static class OomKiller
    {
        /// <summary>The node's kernel log (what dmesg reads).</summary>
        public static KernelLog KernelLog(MemNode node) => node.ProcessSt.Log;

        /// <summary>The memcg-membership test of oom_unkillable_task / mem_cgroup_scan_tasks: a task of the group or of
        /// any group below it (the walk covers the subtree).</summary>
        internal static bool InGroup(SimProcess p, MemCgroup cg) => MemCgroups.IsSelfOrDescendant(p.Node, p.MemcgId, cg.Id);

        /// <summary>kernel: oom_badness (mm/oom_kill.c, 4.14): rss + swap entries + nr_ptes + nr_pmds, minus 3% for
        /// CAP_SYS_ADMIN, plus oom_score_adj·(totalpages/1000); 0 for unkillable (adj −1000 or no mm), at least 1 otherwise.</summary>
        public static long OomBadness(SimProcess p, long totalPages)
        {
            if (p.State != ProcessState.Running || p.OomScoreAdj == SimProcess.OomScoreAdjMin) return 0;
            Processes.SyncSwapEntries(p);
            long points = p.Rss + p.SwapEntries + p.PageTables + p.PmdTables;
            if (p.Root) points -= points * 3 / 100;
            long adj = p.OomScoreAdj;
            adj *= totalPages / 1000;
            points += adj;
            return points > 0 ? points : 1;
        }

        /// <summary>kernel: proc_oom_score (fs/proc/base.c, 4.14): oom_badness against RAM + swap, scaled to 0..1000.</summary>
        public static long ProcOomScore(SimProcess p)
        {
            long total = p.Node.ManagedPages + p.Node.Swap.TotalPages;
            return p.State == ProcessState.Running ? OomBadness(p, total) * 1000 / total : 0;
        }

        /// <summary>kernel: mem_cgroup_get_limit (mm/memcontrol.c, 4.14): memory.max, plus the swap the group may use when
        /// its swappiness is not 0 (memory.swap.max and memsw are not simulated: unlimited).</summary>
        public static long MemcgLimit(MemNode node, MemCgroup cg)
        {
            long limit = cg.Max;
            if (MemCgroups.SwappinessOf(node, cg.Id) != 0)
            {
                long swap = node.Swap.TotalPages;
                limit = limit > long.MaxValue - swap ? long.MaxValue : limit + swap;
            }
            return limit;
        }

        /// <summary>kernel: out_of_memory → select_bad_process → oom_kill_process (mm/oom_kill.c, 4.14) for an
        /// unconstrained allocation: totalpages = RAM + swap; the highest badness dies, its memory and swap are freed,
        /// oom_kill is counted, and the report goes to the kernel log. The allocator's slow path calls this
        /// (__alloc_pages_may_oom).</summary>
        public static OomKillReport OutOfMemory(MemNode node, GfpFlags gfp, int order) => Run(node, gfp, order, null);

        /// <summary>kernel: mem_cgroup_out_of_memory → out_of_memory (mm/memcontrol.c, mm/oom_kill.c, 4.14) with
        /// CONSTRAINT_MEMCG: totalpages = the group's limit, victims only among the group's tasks, "Memory cgroup out
        /// of memory" in the log. Both oom_kill counters (vmstat and the victim's memory.events) count the kill.</summary>
        public static OomKillReport MemcgOutOfMemory(MemNode node, MemCgroup cg, GfpFlags gfp, int order) => Run(node, gfp, order, cg);

        private static OomKillReport Run(MemNode node, GfpFlags gfp, int order, MemCgroup? memcg)
        {
            if (order < 0 || order >= node.Geometry.MaxOrder)
                throw new MemMgmtException("OrderOutOfRange", ErrorKind.OutOfRange, $"Order {order} is out of range; allowed 0 to {node.Geometry.MaxOrder - 1}.", order);
            var rep = new OomKillReport(node);
            // The OOM killer does not compensate for IO-less reclaim: nothing dies (the caller treats it as progress).
            if (gfp != 0 && (gfp & (GfpFlags.__GFP_FS | GfpFlags.__GFP_NOFAIL)) == 0) return rep;
            // constrained_alloc
            if (memcg != null)
            {
                long limit = MemcgLimit(node, memcg);
                rep.TotalPages = limit == 0 ? 1 : limit;
                rep.Constraint = "CONSTRAINT_MEMCG";
                rep.Cgroup = memcg.Name;
            }
            else rep.TotalPages = node.ManagedPages + node.Swap.TotalPages;

            // select_bad_process: for_each_process (or mem_cgroup_scan_tasks) in pid order, oom_evaluate_task each.
            SimProcess? chosen = null;
            long chosenPoints = 0;
            foreach (var p in node.ProcessSt.Processes)
            {
                if (p.State != ProcessState.Running) continue;
                if (memcg != null && !InGroup(p, memcg)) continue;
                long points = OomBadness(p, rep.TotalPages);
                rep._candidates.Add((p.Pid, points));
                if (points == 0 || points < chosenPoints) continue;
                if (points == chosenPoints && chosen != null) continue; // the first of equals stays (all are group leaders)
                chosen = p;
                chosenPoints = points;
            }
            if (chosen == null) return rep; // 4.14 panics for CONSTRAINT_NONE; the simulation reports no victim
            rep.Victim = chosen;
            rep.Points = chosenPoints;
            rep.Score = chosenPoints * 1000 / rep.TotalPages;
            OomKillProcess(node, rep, gfp, order, memcg);
            return rep;
        }

        private static long Kb(MemNode node, long pages) => pages << (node.Geometry.PageShift - 10);

        private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

        /// <summary>kernel: oom_kill_process (mm/oom_kill.c, 4.14): dump_header, the "Kill process" line, count_vm_event
        /// and count_memcg_event_mm(OOM_KILL), SIGKILL and the "Killed process" line; the victim then exits (its
        /// anonymous and shmem pages and swap entries are freed at once; the oom_reaper is not simulated).</summary>
        private static void OomKillProcess(MemNode node, OomKillReport rep, GfpFlags gfp, int order, MemCgroup? memcg)
        {
            var victim = rep.Victim!;
            var log = node.ProcessSt.Log;
            DumpHeader(node, log, gfp, order, memcg, victim);
            string message = memcg == null ? "Out of memory" : "Memory cgroup out of memory";
            log.Printk(node, KernLevel.Err, $"{message}: Kill process {I(victim.Pid)} ({victim.Name}) score {I(rep.Score)} or sacrifice child");

            node.Counters.Count(VmEvent.OomKill);
            if (victim.MemcgId != 0 && node.MemcgSt.Memcgs[victim.MemcgId] is MemCgroup owner) owner.OomKillEvents++;
            log.Printk(node, KernLevel.Err, string.Format(CultureInfo.InvariantCulture,
                "Killed process {0} ({1}) total-vm:{2}kB, anon-rss:{3}kB, file-rss:{4}kB, shmem-rss:{5}kB",
                victim.Pid, victim.Name, Kb(node, victim.TotalVm), Kb(node, victim.AnonRss), Kb(node, victim.FileRss), Kb(node, victim.ShmemRss)));
            var (freed, swap) = Processes.ExitMm(node, victim);
            victim.State = ProcessState.Killed;
            rep.PagesFreed = freed;
            rep.SwapFreed = swap;
        }

        /// <summary>kernel: dump_header and dump_tasks (mm/oom_kill.c, 4.14), mem_cgroup_print_oom_info's first lines for
        /// a memcg OOM. The stack dump, show_mem and the memsw/kmem/stat lines are left out.</summary>
        private static void DumpHeader(MemNode node, KernelLog log, GfpFlags gfp, int order, MemCgroup? memcg, SimProcess victim)
        {
            var current = node.ProcessSt.Current;
            string comm = current?.Name ?? "memsh";
            int adj = current?.OomScoreAdj ?? 0;
            log.Printk(node, KernLevel.Warning, $"{comm} invoked oom-killer: gfp_mask=0x{((uint)gfp).ToString("x", CultureInfo.InvariantCulture)}({GfpText.Show(gfp)}), nodemask=(null),  order={I(order)}, oom_score_adj={I(adj)}");
            if (memcg != null)
            {
                log.Printk(node, KernLevel.Info, $"Task in {victim.Cgroup} killed as a result of limit of /{memcg.Name}");
                log.Printk(node, KernLevel.Info, $"memory: usage {I(Kb(node, memcg.Usage))}kB, limit {I(Kb(node, memcg.Max))}kB, failcnt {I(memcg.MaxEvents)}");
            }
            foreach (var line in DumpTasks(node, memcg)) log.Printk(node, KernLevel.Info, line);
        }

        /// <summary>The dump_tasks header of 4.14 (nr_ptes and nr_pmds columns; 4.15 replaced them by pgtables_bytes).</summary>
        public const string DumpTasksHeader = "[ pid ]   uid  tgid total_vm      rss nr_ptes nr_pmds swapents oom_score_adj name";

        /// <summary>kernel: dump_tasks (mm/oom_kill.c, 4.14): every task with an mm that the OOM could kill (for a memcg
        /// OOM only the group's), including oom_score_adj −1000 ones.</summary>
        public static IReadOnlyList<string> DumpTasks(MemNode node, MemCgroup? memcg = null)
        {
            var lines = new List<string> { DumpTasksHeader };
            foreach (var p in node.ProcessSt.Processes)
            {
                if (p.State != ProcessState.Running) continue;
                if (memcg != null && !InGroup(p, memcg)) continue;
                Processes.SyncSwapEntries(p);
                lines.Add(string.Format(CultureInfo.InvariantCulture, "[{0,5}] {1,5} {2,5} {3,8} {4,8} {5,7} {6,7} {7,8}         {8,5} {9}",
                    p.Pid, p.Uid, p.Pid, p.TotalVm, p.Rss, p.PageTables, p.PmdTables, p.SwapEntries, p.OomScoreAdj, p.Name));
            }
            return lines;
        }

    }
}
