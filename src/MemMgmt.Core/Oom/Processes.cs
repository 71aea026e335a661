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
            Runs = (int[])Runs.Clone(), RunCount = RunCount, ReservedEnd = ReservedEnd,
            State = State, Mapped = Mapped, SwapEntries = SwapEntries, ShmemSwapSlots = ShmemSwapSlots, RequestedPages = RequestedPages, FaultFailure = FaultFailure,
        };

        internal void Write(SnapshotWriter w)
        {
            w.Int(Pid); w.String(Name); w.Int(OomScoreAdj); w.Bool(Root); w.Int(MemcgId);
            w.Array(Runs); w.Int(RunCount); w.Int(ReservedEnd);
            w.Int((int)State); w.Long(Mapped); w.Long(SwapEntries); w.Long(ShmemSwapSlots); w.Long(RequestedPages); w.String(FaultFailure);
        }

        internal static SimProcess Read(SnapshotReader r, MemNode node)
        {
            var p = new SimProcess(node, r.Int(), r.RequiredString(), r.Int(), r.Bool(), r.Int(0, MemNode.MaxLruvecs - 1))
            {
                Runs = r.Array<int>(), RunCount = r.Int(0, int.MaxValue / RunInts), ReservedEnd = r.Int(0, int.MaxValue),
                State = (ProcessState)r.Int(0, (int)ProcessState.Exited), Mapped = r.Long(), SwapEntries = r.Long(), ShmemSwapSlots = r.Long(),
                RequestedPages = r.Long(), FaultFailure = r.String(),
            };
            if (p.Runs.Length < RunInts * p.RunCount) throw new SnapshotFormatException($"process {p.Pid}: run array shorter than its runs");
            for (int k = 0; k < p.RunCount; k++)
            {
                int slot = p.RunSlot(k), len = p.RunLength(k), gone = p.RunGone(k);
                bool ordered = k == 0 ? (p.RunFlags(k) & RunRangeStart) != 0 : slot == p.RunSlot(k - 1) + p.RunLength(k - 1) || (p.RunFlags(k) & RunRangeStart) != 0;
                if (slot < 1 || len < 0 || gone < 0 || gone > len || (long)slot + len > p.ReservedEnd || !ordered
                    || p.RunOrder(k) >= node.Geometry.MaxOrder || !IsMappedKind((PageOwner)p.RunKind(k)))
                    throw new SnapshotFormatException($"process {p.Pid}: run {k} does not fit its slots");
            }
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

        /// <summary>The pages it mapped as runs of allocation-table slots, <see cref="RunInts"/> ints a run: the first slot,
        /// the pages faulted into the run (page i in slot first+i, live while resident), the pages of it already seen gone
        /// (counted once into <see cref="SwapEntries"/> or <see cref="ShmemSwapSlots"/>), and kind | order &lt;&lt; 8, plus
        /// <see cref="RunRangeStart"/> on the run that begins a range of slots the process reserved. Runs are in fault order,
        /// which is slot order, and a run holds one kind and one order, so the process costs the table's eight bytes a
        /// page and a few ints a run.</summary>
        internal int[] Runs = new int[RunInts * 4];
        internal int RunCount;
        /// <summary>One past the last slot of the newest reserved range: the slots after the last run up to here are
        /// reserved and not yet filled.</summary>
        internal int ReservedEnd;
        internal const int RunInts = 4;
        internal const int RunRangeStart = 1 << 16;

        internal int RunSlot(int k) => Runs[RunInts * k];
        internal int RunLength(int k) => Runs[RunInts * k + 1];
        internal int RunGone(int k) => Runs[RunInts * k + 2];
        internal int RunFlags(int k) => Runs[RunInts * k + 3];
        internal int RunKind(int k) => Runs[RunInts * k + 3] & 0xff;
        internal int RunOrder(int k) => (Runs[RunInts * k + 3] >> 8) & 0xff;

        internal static bool IsMappedKind(PageOwner owner) => owner == PageOwner.Anon || owner == PageOwner.FileCache || owner == PageOwner.Shmem;

        /// <summary>Pages New-MemProcess asked for, and why it stopped short (null when it got them all).</summary>
        public long RequestedPages { get; internal set; }
        public string? FaultFailure { get; internal set; }

        private long Resident(PageOwner kind)
        {
            var table = Node.Allocations;
            var pages = Node.Pages;
            long n = 0;
            for (int k = 0; k < RunCount; k++)
            {
                if (RunKind(k) != (int)kind) continue;
                for (int s = RunSlot(k), end = s + RunLength(k); s < end; s++)
                    if (table.IsLive(s)) n += 1L << pages.OrderOf(table.IndexOf(s));
            }
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
            var burst = Time.Daemons.Burst(node);
            try
            {
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
                        // The first fault reserves slots for every page still to come, so the whole start is one range.
                        var r = Allocate(node, p, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, owner, total - faulted);
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
            finally
            {
                GiveBackUnfilled(node, p);
                burst.Dispose();
            }
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
        public static PageFaultResult Allocate(MemNode node, SimProcess process, int order = 0, GfpFlags gfp = GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner owner = PageOwner.Anon) =>
            Allocate(node, process, order, gfp, owner, 0);

        /// <summary><see cref="Allocate(MemNode, SimProcess, int, GfpFlags, PageOwner)"/>; <paramref name="expected"/> is how
        /// many pages the process is about to fault, so a new range of slots is made that large (0: not known).</summary>
        internal static PageFaultResult Allocate(MemNode node, SimProcess process, int order, GfpFlags gfp, PageOwner owner, long expected)
        {
            if (process.Node != node || process.State != ProcessState.Running)
                throw new MemMgmtException("ProcessNotLive", ErrorKind.InvalidOperation, $"Process {process.Pid} ({process.Name}) is not a live process of node '{node.Name}'.", process.Pid);
            if (!SimProcess.IsMappedKind(owner))
                throw new MemMgmtException("ProcessOwnerNotMapped", ErrorKind.InvalidArgument, $"A process maps Anon, FileCache or Shmem pages, not {owner}.", owner);
            PageAllocator.Validate(node, order, 0);
            var st = node.ProcessSt;
            var saved = st.Current;
            st.Current = process;
            try { return Fault(node, process, order, gfp, owner, expected); }
            finally
            {
                st.Current = saved;
                // Killed during its own fault: exit_mmap kept its ranges while the fault still held one of their slots.
                if (process.State != ProcessState.Running) ReleaseRanges(node, process);
            }
        }

        /// <summary>The slot the next page of <paramref name="owner"/> and <paramref name="order"/> goes to: the next slot
        /// of the last run when it has that kind and order, else a new run after it in the newest range, else a new range
        /// (<paramref name="expected"/> slots, or half again the slots the process has, at least 64).</summary>
        private static int NextSlot(MemNode node, SimProcess p, PageOwner owner, int order, long expected)
        {
            int kindOrder = (int)owner | order << 8;
            int k = p.RunCount - 1;
            if (k >= 0)
            {
                int end = p.RunSlot(k) + p.RunLength(k);
                if (end < p.ReservedEnd)
                {
                    int f = p.RunFlags(k);
                    if ((f & 0xffff) == kindOrder) return end;
                    if (p.RunLength(k) == 0) { p.Runs[SimProcess.RunInts * k + 3] = (f & SimProcess.RunRangeStart) | kindOrder; return end; }
                    AddRun(p, end, kindOrder);
                    return end;
                }
            }
            long filled = 0;
            for (int r = 0; r < p.RunCount; r++) filled += p.RunLength(r);
            long count = expected > 0 ? expected : Math.Max(64, filled / 2);
            int first = node.Allocations.ReserveRange((int)Math.Min(count, int.MaxValue / 2));
            p.ReservedEnd = first + (int)Math.Min(count, int.MaxValue / 2);
            AddRun(p, first, kindOrder | SimProcess.RunRangeStart);
            return first;
        }

        private static void AddRun(SimProcess p, int slot, int flags)
        {
            int at = SimProcess.RunInts * p.RunCount;
            if (at + SimProcess.RunInts > p.Runs.Length) Array.Resize(ref p.Runs, p.Runs.Length * 2);
            p.Runs[at] = slot;
            p.Runs[at + 1] = 0;
            p.Runs[at + 2] = 0;
            p.Runs[at + 3] = flags;
            p.RunCount++;
        }

        /// <summary>The newest range keeps only the slots its runs filled (New-MemProcess reserved its whole size, and may
        /// have stopped short).</summary>
        private static void GiveBackUnfilled(MemNode node, SimProcess p)
        {
            if (p.State != ProcessState.Running || p.RunCount == 0) return;
            int k = p.RunCount - 1;
            while ((p.RunFlags(k) & SimProcess.RunRangeStart) == 0) k--;
            int first = p.RunSlot(k);
            int end = p.RunSlot(p.RunCount - 1) + p.RunLength(p.RunCount - 1);
            if (end == p.ReservedEnd) return;
            if (end == first)
            {
                node.Allocations.ReleaseRange(first);
                p.RunCount = k;
                p.ReservedEnd = k == 0 ? 0 : p.RunSlot(k - 1) + p.RunLength(k - 1);
            }
            else
            {
                node.Allocations.ShrinkRange(first, end - first);
                // An empty last run (its fault failed) goes with the slots it was to fill.
                if (p.RunLength(p.RunCount - 1) == 0) p.RunCount--;
                p.ReservedEnd = end;
            }
        }

        /// <summary>Gives the process's ranges back to the allocation table (its file pages, still in the page cache, keep
        /// their slots as ordinary allocations) and forgets its runs.</summary>
        private static void ReleaseRanges(MemNode node, SimProcess p)
        {
            for (int k = 0; k < p.RunCount; k++)
                if ((p.RunFlags(k) & SimProcess.RunRangeStart) != 0) node.Allocations.ReleaseRange(p.RunSlot(k));
            p.RunCount = 0;
            p.ReservedEnd = 0;
        }

        private static PageFaultResult Fault(MemNode node, SimProcess p, int order, GfpFlags gfp, PageOwner owner, long expected)
        {
            var result = new PageFaultResult(node);
            long handle = 0;
            int slot = NextSlot(node, p, owner, order, expected);
            for (int attempt = 0; ; attempt++)
            {
                if (p.MemcgId == 0)
                {
                    var a = PageAllocator.AllocateInto(node, order, gfp, 0, owner, slot);
                    if (!a.Success) { result.FailureReason = a.FailureReason; return result; }
                    handle = a.Handle;
                    break;
                }
                var cg = node.MemcgSt.Memcgs[p.MemcgId]!;
                var c = MemCgroups.Allocate(node, cg, order, gfp, owner, 0, slot);
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
            p.Runs[SimProcess.RunInts * (p.RunCount - 1) + 1]++;
            p.Mapped += 1L << order;
            result.Success = true;
            result.Handle = handle;
            return result;
        }

        /// <summary>Recounts MM_SWAPENTS after reclaim: an anonymous allocation no longer resident was swapped out (its
        /// PTE now holds the swap entry); a reclaimed file or shmem page leaves only the mapping behind.</summary>
        internal static void SyncSwapEntries(SimProcess p)
        {
            var table = p.Node.Allocations;
            for (int k = 0; k < p.RunCount; k++)
            {
                // A dead slot of a reserved range stays dead (only the process fills it, and it fills forward): the dead
                // count only grows, and what it grew by is what reclaim took since the last look.
                int dead = 0;
                for (int s = p.RunSlot(k), end = s + p.RunLength(k); s < end; s++)
                    if (!table.IsLive(s)) dead++;
                int gone = dead - p.RunGone(k);
                if (gone == 0) continue;
                p.Runs[SimProcess.RunInts * k + 2] = dead;
                if (p.RunKind(k) == (int)PageOwner.Anon) p.SwapEntries += (long)gone << p.RunOrder(k);
                else if (p.RunKind(k) == (int)PageOwner.Shmem) p.ShmemSwapSlots += (long)gone << p.RunOrder(k);
            }
            DropDeadRanges(p);
        }

        /// <summary>Ranges whose every page is gone (and that are not the newest, which may still be filled) go back to
        /// the table with their runs: a long-lived process that was swapped out keeps no slots for it.</summary>
        private static void DropDeadRanges(SimProcess p)
        {
            int write = 0;
            for (int k = 0; k < p.RunCount;)
            {
                int next = k + 1;
                while (next < p.RunCount && (p.RunFlags(next) & SimProcess.RunRangeStart) == 0) next++;
                bool dead = next < p.RunCount;
                for (int r = k; r < next && dead; r++) dead = p.RunGone(r) == p.RunLength(r);
                if (dead) p.Node.Allocations.ReleaseRange(p.RunSlot(k));
                else
                {
                    if (write != k) Array.Copy(p.Runs, SimProcess.RunInts * k, p.Runs, SimProcess.RunInts * write, SimProcess.RunInts * (next - k));
                    write += next - k;
                }
                k = next;
            }
            p.RunCount = write;
        }

        /// <summary>exit_mmap for a simulated task: anonymous and shmem pages are freed (their only mapping goes), swap
        /// entries release their slots, mapped page-cache pages stay in the page cache unmapped.</summary>
        internal static (long Freed, long Swap) ExitMm(MemNode node, SimProcess p)
        {
            SyncSwapEntries(p);
            var table = node.Allocations;
            long freed = 0;
            for (int k = 0; k < p.RunCount; k++)
            {
                bool file = p.RunKind(k) == (int)PageOwner.FileCache;
                for (int s = p.RunSlot(k), end = s + p.RunLength(k); s < end; s++)
                {
                    if (!table.IsLive(s)) continue;
                    int index = table.IndexOf(s);
                    if (file)
                    {
                        node.Pages.Clear(index, PageFlags.Mapped | PageFlags.PteYoung);
                        continue;
                    }
                    int o = node.Pages.OrderOf(index);
                    PageAllocator.Free(node, table.HandleOf(s));
                    freed += 1L << o;
                }
            }
            if (node.ProcessSt.Current == p)
            {
                // Killed in its own fault, which still fills a slot of the newest range: only the runs that begin the
                // ranges stay, empty, and the fault gives the ranges back when it returns.
                int keep = 0;
                for (int k = 0; k < p.RunCount; k++)
                    if ((p.RunFlags(k) & SimProcess.RunRangeStart) != 0)
                    {
                        Array.Copy(p.Runs, SimProcess.RunInts * k, p.Runs, SimProcess.RunInts * keep, SimProcess.RunInts);
                        p.Runs[SimProcess.RunInts * keep + 1] = 0;
                        p.Runs[SimProcess.RunInts * keep + 2] = 0;
                        keep++;
                    }
                p.RunCount = keep;
            }
            else ReleaseRanges(node, p);
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
