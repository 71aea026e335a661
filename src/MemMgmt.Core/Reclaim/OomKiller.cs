using System;
using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>A simulated task with an mm: the allocations it maps (its RSS), page tables, oom_score_adj.</summary>
    public sealed class SimProcess
    {
        public const int OomScoreAdjMin = -1000, OomScoreAdjMax = 1000;

        internal SimProcess(MemNode node, int pid, string name, int adj, bool root) { Node = node; Pid = pid; Name = name; OomScoreAdj = adj; Root = root; }

        internal SimProcess Clone(MemNode node) => new SimProcess(node, Pid, Name, OomScoreAdj, Root)
        {
            Handles = new List<long>(Handles), PageTables = PageTables, Killed = Killed, Mapped = Mapped, SwapEntries = SwapEntries,
        };

        public MemNode Node { get; }
        public int Pid { get; }
        public string Name { get; }
        public int OomScoreAdj { get; }
        /// <summary>Has CAP_SYS_ADMIN: 4.14 oom_badness takes 3% off its points.</summary>
        public bool Root { get; }
        public long PageTables { get; internal set; }
        /// <summary>Pages ever mapped (the page-table estimate follows it).</summary>
        internal long Mapped;
        public bool Killed { get; internal set; }
        internal List<long> Handles = new List<long>();

        /// <summary>get_mm_rss: pages of its allocations still resident.</summary>
        public long Rss
        {
            get
            {
                long n = 0;
                foreach (var h in Handles) if (PageAllocator.TryGetAllocation(Node, h, out _, out int order)) n += 1L << order;
                return n;
            }
        }

        /// <summary>MM_SWAPENTS: its pages reclaim moved to swap (anon or shmem allocations no longer resident).</summary>
        public long SwapEntries { get; internal set; }
    }

    /// <summary>What one out_of_memory call did.</summary>
    public sealed class OomKillReport
    {
        internal OomKillReport(MemNode node) { Node = node; }
        public MemNode Node { get; }
        public SimProcess? Victim { get; internal set; }
        /// <summary>oom_badness of the victim (the "score" the kernel logs).</summary>
        public long Points { get; internal set; }
        public long TotalPages { get; internal set; }
        public long PagesFreed { get; internal set; }
        public long SwapFreed { get; internal set; }
        public IReadOnlyList<(int Pid, long Points)> Candidates => _candidates;
        internal readonly List<(int, long)> _candidates = new List<(int, long)>();
        public override string ToString() => Victim == null
            ? $"Out of memory on {Node.Name}: no killable process"
            : $"Out of memory on {Node.Name}: killed process {Victim.Pid} ({Victim.Name}) score {Points}, freed {PagesFreed} pages";
    }

    /// <summary>The OOM killer (mm/oom_kill.c, 4.14) over the node's simulated processes.</summary>
    public static class OomKiller
    {
        private static List<SimProcess> Procs(MemNode node) => node.ReclaimSt.Processes;

        /// <summary>Starts a simulated process (fork + exec) that will own the allocations given to <see cref="Allocate"/>.</summary>
        public static SimProcess Spawn(MemNode node, string name, int oomScoreAdj = 0, bool root = false)
        {
            if (oomScoreAdj < SimProcess.OomScoreAdjMin || oomScoreAdj > SimProcess.OomScoreAdjMax)
                throw new MemMgmtException("OomScoreAdjOutOfRange", ErrorKind.OutOfRange, $"oom_score_adj {oomScoreAdj} is out of range; use -1000 to 1000.", oomScoreAdj);
            if (string.IsNullOrWhiteSpace(name))
                throw new MemMgmtException("ProcessNameInvalid", ErrorKind.InvalidArgument, "A process needs a non-empty name.", name);
            var rs = node.ReclaimSt;
            var p = new SimProcess(node, ++rs.LastPid, name, oomScoreAdj, root);
            rs.Processes.Add(p);
            return p;
        }

        public static IReadOnlyList<SimProcess> GetProcesses(MemNode node) => Procs(node).ToArray();

        /// <summary>A page fault of the process: an anon allocation through the fast path mapped into it (and one page-table
        /// page per 512 pages mapped, as a 4 KiB arm64 PTE table covers). Returns the allocation.</summary>
        public static AllocationResult Allocate(MemNode node, SimProcess process, int order = 0, GfpFlags gfp = GfpFlags.GFP_HIGHUSER_MOVABLE)
        {
            if (process.Node != node || process.Killed)
                throw new MemMgmtException("ProcessNotLive", ErrorKind.InvalidOperation, $"Process {process.Pid} ({process.Name}) is not a live process of node '{node.Name}'.", process.Pid);
            var r = PageAllocator.Allocate(node, order, gfp, 0, PageOwner.Anon);
            if (r.Success)
            {
                process.Handles.Add(r.Handle);
                process.Mapped += 1L << order;
                process.PageTables = (process.Mapped + 511) / 512; // counted, not allocated
            }
            return r;
        }

        /// <summary>Recounts MM_SWAPENTS after reclaim: an allocation of the process that is no longer resident was swapped.</summary>
        private static void SyncSwapEntries(SimProcess p)
        {
            for (int i = p.Handles.Count - 1; i >= 0; i--)
            {
                if (PageAllocator.TryGetAllocation(p.Node, p.Handles[i], out _, out _)) continue;
                p.SwapEntries++;
                p.Handles.RemoveAt(i);
            }
        }

        /// <summary>kernel: oom_badness (mm/oom_kill.c, 4.14): rss + swap entries + page tables, minus 3% for
        /// CAP_SYS_ADMIN, plus oom_score_adj·totalpages/1000; 0 for unkillable (adj −1000), at least 1 otherwise.</summary>
        public static long OomBadness(SimProcess p, long totalPages)
        {
            if (p.Killed || p.OomScoreAdj == SimProcess.OomScoreAdjMin) return 0;
            SyncSwapEntries(p);
            long points = p.Rss + p.SwapEntries + p.PageTables;
            if (p.Root) points -= points * 3 / 100;
            long adj = p.OomScoreAdj;
            adj *= totalPages / 1000;
            points += adj;
            return points > 0 ? points : 1;
        }

        /// <summary>kernel: out_of_memory → select_bad_process → oom_kill_process (mm/oom_kill.c, 4.14) for an
        /// unconstrained allocation: totalpages = RAM + swap; the highest badness dies, its memory and swap are freed,
        /// oom_kill is counted. The allocator's slow path calls this (__alloc_pages_may_oom).</summary>
        public static OomKillReport OutOfMemory(MemNode node, GfpFlags gfp, int order)
        {
            if (order < 0 || order >= node.Geometry.MaxOrder)
                throw new MemMgmtException("OrderOutOfRange", ErrorKind.OutOfRange, $"Order {order} is out of range; allowed 0 to {node.Geometry.MaxOrder - 1}.", order);
            var rep = new OomKillReport(node) { TotalPages = node.ManagedPages + node.ReclaimSt.Swap.TotalPages };
            SimProcess? chosen = null;
            long chosenPoints = 0;
            foreach (var p in Procs(node))
            {
                if (p.Killed) continue;
                long points = OomBadness(p, rep.TotalPages);
                rep._candidates.Add((p.Pid, points));
                if (points == 0 || points < chosenPoints) continue;
                if (points == chosenPoints && chosen != null) continue; // the first of equals stays, as the task walk keeps it
                chosen = p;
                chosenPoints = points;
            }
            if (chosen == null) return rep;
            rep.Victim = chosen;
            rep.Points = chosenPoints;
            foreach (var h in chosen.Handles)
            {
                if (!PageAllocator.TryGetAllocation(node, h, out _, out int o)) continue;
                PageAllocator.Free(node, h);
                rep.PagesFreed += 1L << o;
            }
            chosen.Handles.Clear();
            long swap = Math.Min(chosen.SwapEntries, node.ReclaimSt.Swap.UsedPages);
            node.ReclaimSt.Swap.UsedPages -= swap;
            rep.SwapFreed = swap;
            chosen.SwapEntries = 0;
            chosen.PageTables = 0;
            chosen.Killed = true;
            node.Counters.Count(VmEvent.OomKill);
            Vmscan.Trace(node, "mark_victim", $"pid={chosen.Pid}");
            return rep;
        }
    }
}
