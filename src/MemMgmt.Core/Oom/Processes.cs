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

        internal void Write(SnapshotWriter w)
        {
            w.Int(Pid); w.String(Name); w.Int(OomScoreAdj); w.Bool(Root); w.Int(MemcgId);
            w.LongList(Handles); w.ByteList(Kinds); w.ByteList(Orders);
            w.Int((int)State); w.Long(Mapped); w.Long(SwapEntries); w.Long(ShmemSwapSlots); w.Long(RequestedPages); w.String(FaultFailure);
        }

        internal static SimProcess Read(SnapshotReader r, MemNode node)
        {
            var p = new SimProcess(node, r.Int(), r.RequiredString(), r.Int(), r.Bool(), r.Int(0, MemNode.MaxLruvecs - 1))
            {
                Handles = r.LongList(), Kinds = r.ByteList(), Orders = r.ByteList(),
                State = (ProcessState)r.Int(0, (int)ProcessState.Exited), Mapped = r.Long(), SwapEntries = r.Long(), ShmemSwapSlots = r.Long(),
                RequestedPages = r.Long(), FaultFailure = r.String(),
            };
            if (p.Kinds.Count != p.Handles.Count || p.Orders.Count != p.Handles.Count)
                throw new SnapshotFormatException($"process {p.Pid}: mapping lists differ in length");
            return p;
        }

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
        public string Cgroup => MemcgId == 0 ? "/" : "/" + (Node.MemcgSt.Memcgs[MemcgId]?.Name ?? "?");
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
        /// <summary>Checked between two page faults: a stopped start keeps the pages faulted so far.</summary>
        public System.Threading.CancellationToken Cancel { get; set; }
        /// <summary>Gets (pages faulted, pages asked) every 1024 faults.</summary>
        public Action<long, long>? Progress { get; set; }
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

    /// <summary>The node's simulated tasks: fork and exec (New-MemProcess), page faults through the allocator and the
    /// memcg charge, and exit (Stop-MemProcess, or an OOM kill).</summary>
    public static class Processes
    {
        /// <summary>Simulated tasks take pids from here on (1000 is the shell, "memsh"; none is init).</summary>
        public const int FirstPid = 1001;

        private static List<SimProcess> Procs(MemNode node) => node.ProcessSt.Processes;

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
            var tasks = node.ProcessSt;
            tasks.LastPid = Math.Max(tasks.LastPid, FirstPid - 1) + 1;
            var p = new SimProcess(node, tasks.LastPid, name, oomScoreAdj, root, memcg);
            tasks.Processes.Add(p);
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
            long faulted = 0;
            foreach (var (pages, owner) in new[] { (o.AnonPages, PageOwner.Anon), (o.FilePages, PageOwner.FileCache), (o.ShmemPages, PageOwner.Shmem) })
            {
                for (long i = 0; i < pages; i++, faulted++)
                {
                    if ((faulted & 1023) == 0)
                    {
                        if (o.Cancel.IsCancellationRequested)
                        {
                            p.FaultFailure = "stopped";
                            return p;
                        }
                        o.Progress?.Invoke(faulted, total);
                    }
                    var r = Allocate(node, p, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, owner);
                    if (r.Success)
                    {
                        // A write fault: the process fills its shared memory, so the shmem page is dirty (swap holds its
                        // data once reclaimed; a clean one would just be dropped as a hole).
                        if (owner == PageOwner.Shmem) PageAccess.SetDirtyIndex(node, PageAccess.Resolve(node, r.Handle));
                        Time.Daemons.AfterRequest(node, 0, Workloads.WorkloadCost.PageFaultNs);
                        continue;
                    }
                    p.FaultFailure = r.FailureReason;
                    return p;
                }
            }
            return p;
        }

        public static IReadOnlyList<SimProcess> GetProcesses(MemNode node) => Procs(node).ToArray();

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
            var st = node.ProcessSt;
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
                var cg = node.MemcgSt.Memcgs[p.MemcgId]!;
                var c = MemCgroups.Allocate(node, cg.Name, order, gfp, owner);
                if (c.Success) { handle = c.Handle; break; }
                if (!c.OomEvent || p.Killed || attempt > Procs(node).Count)
                {
                    result.FailureReason = c.FailureReason;
                    return result;
                }
                // mem_cgroup_oom(mem_over_limit): the group whose limit failed the charge, possibly an ancestor.
                cg = node.MemcgSt.Memcgs[c.OverLimitId] ?? cg;
                var oom = OomKiller.MemcgOutOfMemory(node, cg, gfp, order);
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
            // The fault maps the page with a young PTE (arm64 sets PTE_AF in every PTE it installs at fault).
            if (owner != PageOwner.Anon) node.Pages.Set(PageAccess.Resolve(node, handle), PageFlags.Mapped | PageFlags.PteYoung);
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
        internal static void SyncSwapEntries(SimProcess p)
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

        /// <summary>exit_mmap for a simulated task: anonymous and shmem pages are freed (their only mapping goes), swap
        /// entries release their slots, mapped page-cache pages stay in the page cache unmapped.</summary>
        internal static (long Freed, long Swap) ExitMm(MemNode node, SimProcess p)
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
            long swap = Math.Min(p.SwapEntries + p.ShmemSwapSlots, node.Swap.UsedPages);
            node.Swap.UsedPages -= swap;
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
