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
    /// <summary>Whether a simulated task still has its mm.</summary>
    public enum ProcessState { Running, Killed, Exited }

    /// <summary>A simulated task with an mm: the allocations it maps (its RSS by kind), swap entries, page tables,
    /// oom_score_adj and the memory cgroup its pages are charged to.</summary>
    public sealed class SimProcess
    {
        public const int OomScoreAdjMin = -1000, OomScoreAdjMax = 1000;

        internal SimProcess(MemNode node, int pid, string name, int adj, bool root, int memcgId)
        {
            Node = node; Pid = pid; Name = name; OomScoreAdj = adj; Root = root; MemcgId = memcgId;
        }

        internal SimProcess Clone(MemNode node) => new SimProcess(node, Pid, Name, OomScoreAdj, Root, MemcgId)
        {
            Handles = new List<long>(Handles), Kinds = new List<byte>(Kinds), Orders = new List<byte>(Orders),
            State = State, Mapped = Mapped, SwapEntries = SwapEntries, ShmemSwapSlots = ShmemSwapSlots, RequestedPages = RequestedPages, FaultFailure = FaultFailure,
        };

        public MemNode Node { get; }
        public int Pid { get; }
        /// <summary>task->comm.</summary>
        public string Name { get; }
        /// <summary>signal->oom_score_adj, -1000 (never killed) to 1000.</summary>
        public int OomScoreAdj { get; }
        /// <summary>Has CAP_SYS_ADMIN: 4.14 oom_badness takes 3% off its points.</summary>
        public bool Root { get; }
        /// <summary>The uid dump_tasks prints: 0 for a root process, 1000 otherwise.</summary>
        public int Uid => Root ? 0 : 1000;
        /// <summary>The memcg id its pages are charged to (0: the root group).</summary>
        public int MemcgId { get; }
        /// <summary>The cgroup path, as the memcg OOM report prints it ("/" for the root).</summary>
        public string Cgroup => MemcgId == 0 ? "/" : "/" + (Node.ReclaimSt.Memcgs[MemcgId]?.Name ?? "?");
        public ProcessState State { get; internal set; }
        public bool Killed => State == ProcessState.Killed;

        /// <summary>Pages ever mapped: total_vm (its mappings stay while pages are reclaimed) and what the page-table
        /// estimate follows.</summary>
        internal long Mapped;
        public long TotalVm => State == ProcessState.Running ? Mapped : 0;
        internal List<long> Handles = new List<long>();
        internal List<byte> Kinds = new List<byte>();
        internal List<byte> Orders = new List<byte>();

        /// <summary>Pages New-MemProcess asked for, and why it stopped short (null when it got them all).</summary>
        public long RequestedPages { get; internal set; }
        public string? FaultFailure { get; internal set; }

        private long Resident(PageOwner kind)
        {
            long n = 0;
            for (int i = 0; i < Handles.Count; i++)
                if (Kinds[i] == (byte)kind && PageAllocator.TryGetAllocation(Node, Handles[i], out _, out int order)) n += 1L << order;
            return n;
        }

        /// <summary>MM_ANONPAGES.</summary>
        public long AnonRss => Resident(PageOwner.Anon);
        /// <summary>MM_FILEPAGES: mapped page-cache pages still resident.</summary>
        public long FileRss => Resident(PageOwner.FileCache);
        /// <summary>MM_SHMEMPAGES.</summary>
        public long ShmemRss => Resident(PageOwner.Shmem);
        /// <summary>get_mm_rss: the three counters together.</summary>
        public long Rss => AnonRss + FileRss + ShmemRss;

        /// <summary>MM_SWAPENTS: its anonymous pages reclaim moved to swap (the PTE holds the swap entry).</summary>
        public long SwapEntries { get; internal set; }
        /// <summary>Swap slots holding its shmem pages (in the shmem mapping, not its page tables: not in MM_SWAPENTS).</summary>
        internal long ShmemSwapSlots;

        /// <summary>nr_ptes: one PTE table per PAGE_SIZE/8 pages mapped (counted, not allocated).</summary>
        public long PageTables => TotalVm == 0 ? 0 : (Mapped + PtrsPerTable - 1) / PtrsPerTable;
        /// <summary>nr_pmds: one PMD table per (PAGE_SIZE/8)² pages mapped.</summary>
        public long PmdTables => TotalVm == 0 ? 0 : (Mapped + PtrsPerTable * PtrsPerTable - 1) / (PtrsPerTable * PtrsPerTable);
        private long PtrsPerTable => Node.Geometry.PageSize / 8;

        /// <summary>/proc/&lt;pid&gt;/oom_score: oom_badness·1000/totalpages (totalpages = RAM + swap).</summary>
        public long OomScore => OomKiller.ProcOomScore(this);

        public override string ToString() => $"{Pid} ({Name})";
    }

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

    /// <summary>What New-MemProcess maps at start.</summary>
    public sealed class ProcessOptions
    {
        public string Name { get; set; } = "";
        public int OomScoreAdj { get; set; }
        public bool Root { get; set; }
        /// <summary>Memory cgroup name; null or "/" for the root group.</summary>
        public string? Cgroup { get; set; }
        public long AnonPages { get; set; }
        public long FilePages { get; set; }
        public long ShmemPages { get; set; }
    }

    /// <summary>A page fault of a simulated process.</summary>
    public sealed class PageFaultResult
    {
        internal PageFaultResult(MemNode node) { Node = node; }
        public MemNode Node { get; }
        public bool Success { get; internal set; }
        public long Handle { get; internal set; }
        public string? FailureReason { get; internal set; }
    }

    /// <summary>The per-node OOM state: the kernel log ring and the task the current page fault runs in.</summary>
    internal sealed class OomState
    {
        internal KernelLog Log = new KernelLog();
        /// <summary>current while a simulated process faults (null: the shell, "memsh").</summary>
        internal SimProcess? Current;
        internal OomState Clone() => new OomState { Log = Log.Clone() };
    }

    /// <summary>The OOM killer (mm/oom_kill.c, 4.14) over the node's simulated processes.</summary>
    public static class OomKiller
    {
        /// <summary>Simulated tasks take pids from here on (1000 is the shell, "memsh"; none is init).</summary>
        public const int FirstPid = 1001;

        private static List<SimProcess> Procs(MemNode node) => node.ReclaimSt.Processes;

        private static int ResolveMemcg(MemNode node, string? cgroup)
        {
            if (cgroup == null || cgroup == "/" || cgroup.Length == 0) return 0;
            return MemCgroups.Get(node, cgroup.TrimStart('/')).Id;
        }

        private static void ValidateIdentity(string name, int oomScoreAdj)
        {
            if (oomScoreAdj < SimProcess.OomScoreAdjMin || oomScoreAdj > SimProcess.OomScoreAdjMax)
                throw new MemMgmtException("OomScoreAdjOutOfRange", ErrorKind.OutOfRange, $"oom_score_adj {oomScoreAdj} is out of range; use -1000 to 1000.", oomScoreAdj);
            if (string.IsNullOrWhiteSpace(name))
                throw new MemMgmtException("ProcessNameInvalid", ErrorKind.InvalidArgument, "A process needs a non-empty name.", name);
        }

        /// <summary>Starts a simulated process (fork + exec) that will own the allocations given to <see cref="Allocate"/>.</summary>
        public static SimProcess Spawn(MemNode node, string name, int oomScoreAdj = 0, bool root = false, string? cgroup = null)
        {
            ValidateIdentity(name, oomScoreAdj);
            int memcg = ResolveMemcg(node, cgroup);
            var rs = node.ReclaimSt;
            rs.LastPid = Math.Max(rs.LastPid, FirstPid - 1) + 1;
            var p = new SimProcess(node, rs.LastPid, name, oomScoreAdj, root, memcg);
            rs.Processes.Add(p);
            return p;
        }

        /// <summary>New-MemProcess: validates everything, spawns the task, then faults in its anonymous, file and shmem
        /// pages one by one (GFP_HIGHUSER_MOVABLE, the mask of a user page fault), through reclaim, compaction and the
        /// OOM killer as the allocator decides. A fault that fails, or the task's own death, stops the filling; the
        /// process keeps what it got (<see cref="SimProcess.FaultFailure"/> says why).</summary>
        public static SimProcess Start(MemNode node, ProcessOptions o)
        {
            ValidateIdentity(o.Name, o.OomScoreAdj);
            ResolveMemcg(node, o.Cgroup);
            long managed = node.ManagedPages;
            foreach (var (pages, what) in new[] { (o.AnonPages, "anon"), (o.FilePages, "file"), (o.ShmemPages, "shmem") })
                if (pages < 0 || pages > managed)
                    throw new MemMgmtException("ProcessSizeOutOfRange", ErrorKind.OutOfRange,
                        $"The process's {what} size of {pages} pages is out of range; allowed 0 to {managed} pages (the node's managed memory).", pages);
            long total = o.AnonPages + o.FilePages + o.ShmemPages;
            if (total > managed)
                throw new MemMgmtException("ProcessSizeOutOfRange", ErrorKind.OutOfRange,
                    $"The process maps {total} pages in all, more than the node's {managed} managed pages.", total);
            var p = Spawn(node, o.Name, o.OomScoreAdj, o.Root, o.Cgroup);
            p.RequestedPages = total;
            foreach (var (pages, owner) in new[] { (o.AnonPages, PageOwner.Anon), (o.FilePages, PageOwner.FileCache), (o.ShmemPages, PageOwner.Shmem) })
            {
                for (long i = 0; i < pages; i++)
                {
                    var r = Allocate(node, p, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, owner);
                    if (r.Success)
                    {
                        // A write fault: the process fills its shared memory, so the shmem page is dirty (swap holds its
                        // data once reclaimed; a clean one would just be dropped as a hole).
                        if (owner == PageOwner.Shmem) PageAccess.SetDirtyIndex(node, PageAccess.Resolve(node, r.Handle));
                        Time.VirtualTime.Pass(node, Workloads.WorkloadCost.PageFaultNs);
                        continue;
                    }
                    p.FaultFailure = r.FailureReason;
                    return p;
                }
            }
            return p;
        }

        public static IReadOnlyList<SimProcess> GetProcesses(MemNode node) => Procs(node).ToArray();

        /// <summary>The node's kernel log (what dmesg reads).</summary>
        public static KernelLog KernelLog(MemNode node) => node.ReclaimSt.Oom.Log;

        public static SimProcess GetProcess(MemNode node, int pid)
        {
            foreach (var p in Procs(node)) if (p.Pid == pid) return p;
            throw new MemMgmtException("ProcessNotFound", ErrorKind.ObjectNotFound, $"No process with pid {pid} runs on node '{node.Name}'.", pid);
        }

        /// <summary>A page fault of the process: an allocation (anon by default) mapped into it. A process in a memory
        /// cgroup charges the page there; a charge that still fails after limit reclaim runs the memcg OOM killer
        /// the way 4.14 does for user faults (try_charge → mem_cgroup_oom records it, the fault fails with VM_FAULT_OOM,
        /// pagefault_out_of_memory → mem_cgroup_oom_synchronize → mem_cgroup_out_of_memory), then the fault is retried.</summary>
        public static PageFaultResult Allocate(MemNode node, SimProcess process, int order = 0, GfpFlags gfp = GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner owner = PageOwner.Anon)
        {
            if (process.Node != node || process.State != ProcessState.Running)
                throw new MemMgmtException("ProcessNotLive", ErrorKind.InvalidOperation, $"Process {process.Pid} ({process.Name}) is not a live process of node '{node.Name}'.", process.Pid);
            if (owner != PageOwner.Anon && owner != PageOwner.FileCache && owner != PageOwner.Shmem)
                throw new MemMgmtException("ProcessOwnerNotMapped", ErrorKind.InvalidArgument, $"A process maps Anon, FileCache or Shmem pages, not {owner}.", owner);
            var st = node.ReclaimSt.Oom;
            var saved = st.Current;
            st.Current = process;
            try { return Fault(node, process, order, gfp, owner); }
            finally { st.Current = saved; }
        }

        private static PageFaultResult Fault(MemNode node, SimProcess p, int order, GfpFlags gfp, PageOwner owner)
        {
            var result = new PageFaultResult(node);
            long handle = 0;
            for (int attempt = 0; ; attempt++)
            {
                if (p.MemcgId == 0)
                {
                    var a = PageAllocator.Allocate(node, order, gfp, 0, owner);
                    if (!a.Success) { result.FailureReason = a.FailureReason; return result; }
                    handle = a.Handle;
                    break;
                }
                var cg = node.ReclaimSt.Memcgs[p.MemcgId]!;
                var c = MemCgroups.Allocate(node, cg.Name, order, gfp, owner);
                if (c.Success) { handle = c.Handle; break; }
                if (!c.OomEvent || p.Killed || attempt > Procs(node).Count)
                {
                    result.FailureReason = c.FailureReason;
                    return result;
                }
                // mem_cgroup_oom(mem_over_limit): the group whose limit failed the charge, possibly an ancestor.
                cg = node.ReclaimSt.Memcgs[c.OverLimitId] ?? cg;
                var oom = MemcgOutOfMemory(node, cg, gfp, order);
                if (oom.Victim == null || p.Killed)
                {
                    result.FailureReason = oom.Victim == null
                        ? $"cgroup '{cg.Name}' is over memory.max and the memcg OOM killer found no killable process in it"
                        : $"process {p.Pid} ({p.Name}) was killed by the memcg OOM killer";
                    return result;
                }
            }
            if (p.State != ProcessState.Running)
            {
                // The allocation's own OOM kill chose the faulting task: it dies instead of mapping the page.
                PageAllocator.Free(node, handle);
                result.FailureReason = $"process {p.Pid} ({p.Name}) was killed by the OOM killer";
                return result;
            }
            if (owner != PageOwner.Anon) node.Pages.Set(PageAccess.Resolve(node, handle), PageFlags.Mapped);
            p.Handles.Add(handle);
            p.Kinds.Add((byte)owner);
            p.Orders.Add((byte)order);
            p.Mapped += 1L << order;
            result.Success = true;
            result.Handle = handle;
            return result;
        }

        /// <summary>Recounts MM_SWAPENTS after reclaim: an anonymous allocation no longer resident was swapped out (its
        /// PTE now holds the swap entry); a reclaimed file or shmem page leaves only the mapping behind.</summary>
        private static void SyncSwapEntries(SimProcess p)
        {
            for (int i = p.Handles.Count - 1; i >= 0; i--)
            {
                if (PageAllocator.TryGetAllocation(p.Node, p.Handles[i], out _, out _)) continue;
                if (p.Kinds[i] == (byte)PageOwner.Anon) p.SwapEntries += 1L << p.Orders[i];
                else if (p.Kinds[i] == (byte)PageOwner.Shmem) p.ShmemSwapSlots += 1L << p.Orders[i];
                p.Handles.RemoveAt(i);
                p.Kinds.RemoveAt(i);
                p.Orders.RemoveAt(i);
            }
        }

        /// <summary>The memcg-membership test of oom_unkillable_task / mem_cgroup_scan_tasks: a task of the group or of
        /// any group below it (the walk covers the subtree).</summary>
        internal static bool InGroup(SimProcess p, MemCgroup cg) => MemCgroups.IsSelfOrDescendant(p.Node, p.MemcgId, cg.Id);

        /// <summary>kernel: oom_badness (mm/oom_kill.c, 4.14): rss + swap entries + nr_ptes + nr_pmds, minus 3% for
        /// CAP_SYS_ADMIN, plus oom_score_adj·(totalpages/1000); 0 for unkillable (adj −1000 or no mm), at least 1 otherwise.</summary>
        public static long OomBadness(SimProcess p, long totalPages)
        {
            if (p.State != ProcessState.Running || p.OomScoreAdj == SimProcess.OomScoreAdjMin) return 0;
            SyncSwapEntries(p);
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
            long total = p.Node.ManagedPages + p.Node.ReclaimSt.Swap.TotalPages;
            return p.State == ProcessState.Running ? OomBadness(p, total) * 1000 / total : 0;
        }

        /// <summary>kernel: mem_cgroup_get_limit (mm/memcontrol.c, 4.14): memory.max, plus the swap the group may use when
        /// its swappiness is not 0 (memory.swap.max and memsw are not simulated: unlimited).</summary>
        public static long MemcgLimit(MemNode node, MemCgroup cg)
        {
            long limit = cg.Max;
            if (MemCgroups.SwappinessOf(node, cg.Id) != 0)
            {
                long swap = node.ReclaimSt.Swap.TotalPages;
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
            else rep.TotalPages = node.ManagedPages + node.ReclaimSt.Swap.TotalPages;

            // select_bad_process: for_each_process (or mem_cgroup_scan_tasks) in pid order, oom_evaluate_task each.
            SimProcess? chosen = null;
            long chosenPoints = 0;
            foreach (var p in Procs(node))
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
            var log = node.ReclaimSt.Oom.Log;
            DumpHeader(node, log, gfp, order, memcg, victim);
            string message = memcg == null ? "Out of memory" : "Memory cgroup out of memory";
            log.Printk(node, KernLevel.Err, $"{message}: Kill process {I(victim.Pid)} ({victim.Name}) score {I(rep.Score)} or sacrifice child");

            node.Counters.Count(VmEvent.OomKill);
            if (victim.MemcgId != 0 && node.ReclaimSt.Memcgs[victim.MemcgId] is MemCgroup owner) owner.OomKillEvents++;
            log.Printk(node, KernLevel.Err, string.Format(CultureInfo.InvariantCulture,
                "Killed process {0} ({1}) total-vm:{2}kB, anon-rss:{3}kB, file-rss:{4}kB, shmem-rss:{5}kB",
                victim.Pid, victim.Name, Kb(node, victim.TotalVm), Kb(node, victim.AnonRss), Kb(node, victim.FileRss), Kb(node, victim.ShmemRss)));
            var (freed, swap) = ExitMm(node, victim);
            victim.State = ProcessState.Killed;
            rep.PagesFreed = freed;
            rep.SwapFreed = swap;
            Vmscan.Trace(node, "mark_victim", $"pid={victim.Pid}");
        }

        /// <summary>kernel: dump_header and dump_tasks (mm/oom_kill.c, 4.14), mem_cgroup_print_oom_info's first lines for
        /// a memcg OOM. The stack dump, show_mem and the memsw/kmem/stat lines are left out.</summary>
        private static void DumpHeader(MemNode node, KernelLog log, GfpFlags gfp, int order, MemCgroup? memcg, SimProcess victim)
        {
            var current = node.ReclaimSt.Oom.Current;
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
            foreach (var p in Procs(node))
            {
                if (p.State != ProcessState.Running) continue;
                if (memcg != null && !InGroup(p, memcg)) continue;
                SyncSwapEntries(p);
                lines.Add(string.Format(CultureInfo.InvariantCulture, "[{0,5}] {1,5} {2,5} {3,8} {4,8} {5,7} {6,7} {7,8}         {8,5} {9}",
                    p.Pid, p.Uid, p.Pid, p.TotalVm, p.Rss, p.PageTables, p.PmdTables, p.SwapEntries, p.OomScoreAdj, p.Name));
            }
            return lines;
        }

        /// <summary>exit_mmap for a simulated task: anonymous and shmem pages are freed (their only mapping goes), swap
        /// entries release their slots, mapped page-cache pages stay in the page cache unmapped.</summary>
        private static (long Freed, long Swap) ExitMm(MemNode node, SimProcess p)
        {
            SyncSwapEntries(p);
            long freed = 0;
            for (int i = 0; i < p.Handles.Count; i++)
            {
                long h = p.Handles[i];
                if (!PageAllocator.TryGetAllocation(node, h, out _, out int o)) continue;
                if (p.Kinds[i] == (byte)PageOwner.FileCache)
                {
                    node.Pages.Clear(PageAccess.Resolve(node, h), PageFlags.Mapped | PageFlags.PteYoung);
                    continue;
                }
                PageAllocator.Free(node, h);
                freed += 1L << o;
            }
            p.Handles.Clear();
            p.Kinds.Clear();
            p.Orders.Clear();
            // The anonymous shared mapping dies with its last user: its swapped-out pages' slots are freed too.
            long swap = Math.Min(p.SwapEntries + p.ShmemSwapSlots, node.ReclaimSt.Swap.UsedPages);
            node.ReclaimSt.Swap.UsedPages -= swap;
            p.SwapEntries = 0;
            p.ShmemSwapSlots = 0;
            Procs(node).Remove(p);
            return (freed, swap);
        }

        /// <summary>Stop-MemProcess: the task exits (do_exit → exit_mm). Returns the pages freed.</summary>
        public static long Exit(MemNode node, int pid)
        {
            var p = GetProcess(node, pid);
            var (freed, _) = ExitMm(node, p);
            p.State = ProcessState.Exited;
            return freed;
        }
    }
}
