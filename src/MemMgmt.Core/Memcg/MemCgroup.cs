using System;
using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;

namespace MemMgmt.Core.Memcg
{
    /// <summary>A memory cgroup directly under the root (struct mem_cgroup): memory.low, memory.max, swappiness, and
    /// its lruvec on the node. Usage is the pages on its LRU lists (page cache and anon are what is charged).</summary>
    public sealed class MemCgroup
    {
        /// <summary>"max": no limit.</summary>
        public const long Unlimited = long.MaxValue;

        internal MemCgroup(MemNode node, int id, string name) { Node = node; Id = id; Name = name; }

        internal MemCgroup Clone(MemNode node) => new MemCgroup(node, Id, Name)
        {
            Low = Low, Max = Max, Swappiness = Swappiness, LowEvents = LowEvents, MaxEvents = MaxEvents, OomEvents = OomEvents,
        };

        public MemNode Node { get; }
        public int Id { get; }
        public string Name { get; }
        /// <summary>memory.low in pages.</summary>
        public long Low { get; internal set; }
        /// <summary>memory.max in pages (<see cref="Unlimited"/> for "max").</summary>
        public long Max { get; internal set; } = Unlimited;
        /// <summary>memory.swappiness (cgroup v1 knob, 0-100).</summary>
        public int Swappiness { get; internal set; }
        /// <summary>memory.events low: times reclaim went into the group although it was under memory.low.</summary>
        public long LowEvents { get; internal set; }
        /// <summary>memory.events max: times a charge hit memory.max.</summary>
        public long MaxEvents { get; internal set; }
        /// <summary>memory.events oom: charges that failed after limit reclaim.</summary>
        public long OomEvents { get; internal set; }

        /// <summary>page_counter_read(&amp;memcg->memory): the group's LRU pages, those on its lists and those still waiting in
        /// lru_add pagevecs (4.14 charges at allocation, before lru_cache_add; only anon and page cache are charged here).</summary>
        public long Usage
        {
            get
            {
                var s = Node.ReclaimSt.LruSize;
                long u = Node.ReclaimSt.LruAddPending[Id];
                for (int l = 0; l < Lru.NrLruLists; l++) u += s[Id * Lru.NrLruLists + l];
                return u;
            }
        }

        public long GetLruSize(LruList lru) => Node.ReclaimSt.LruSize[Id * Lru.NrLruLists + (int)lru];
    }

    /// <summary>The outcome of a charge (mem_cgroup_try_charge + commit).</summary>
    public sealed class MemcgChargeResult
    {
        internal MemcgChargeResult(MemNode node) { Node = node; }
        public MemNode Node { get; }
        public bool Success { get; internal set; }
        public long Handle { get; internal set; }
        public string Cgroup { get; internal set; } = "";
        /// <summary>Pages limit reclaim (try_to_free_mem_cgroup_pages) freed while charging.</summary>
        public long Reclaimed { get; internal set; }
        public int ReclaimCalls { get; internal set; }
        public string? FailureReason { get; internal set; }
    }

    /// <summary>memcg operations: create, configure, charge, and the iteration reclaim uses.</summary>
    public static class MemCgroups
    {
        /// <summary>MEM_CGROUP_RECLAIM_RETRIES.</summary>
        public const int ReclaimRetries = 5;

        private static void ValidateKnobs(long? low, long? max, int? swappiness, long curLow, long curMax)
        {
            if (low.HasValue && low.Value < 0)
                throw new MemMgmtException("MemcgLowOutOfRange", ErrorKind.OutOfRange, $"memory.low {low.Value} is out of range; use 0 or more pages.", low.Value);
            if (max.HasValue && max.Value < 0)
                throw new MemMgmtException("MemcgMaxOutOfRange", ErrorKind.OutOfRange, $"memory.max {max.Value} is out of range; use 0 or more pages, or {MemCgroup.Unlimited} for max.", max.Value);
            if (swappiness.HasValue && (swappiness.Value < 0 || swappiness.Value > 100))
                throw new MemMgmtException("SwappinessOutOfRange", ErrorKind.OutOfRange, $"Swappiness {swappiness.Value} is out of range; memory.swappiness takes 0 to 100.", swappiness.Value);
            long l = low ?? curLow, m = max ?? curMax;
            if (l > m)
                throw new MemMgmtException("MemcgLowAboveMax", ErrorKind.InvalidArgument, $"memory.low {l} pages is above memory.max {m} pages; memory.low must not exceed memory.max.", l);
        }

        /// <summary>Creates a group under the root (mkdir); swappiness is inherited from vm.swappiness unless given.</summary>
        public static MemCgroup Create(MemNode node, string name, long? low = null, long? max = null, int? swappiness = null)
        {
            if (string.IsNullOrWhiteSpace(name) || name.IndexOf('/') >= 0)
                throw new MemMgmtException("MemcgNameInvalid", ErrorKind.InvalidArgument, $"Cgroup name '{name}' is not allowed; use a non-empty name without '/'.", name);
            var rs = node.ReclaimSt;
            for (int i = 1; i < rs.Memcgs.Length; i++)
                if (rs.Memcgs[i] != null && string.Equals(rs.Memcgs[i]!.Name, name, StringComparison.Ordinal))
                    throw new MemMgmtException("MemcgExists", ErrorKind.InvalidOperation, $"Cgroup '{name}' already exists on node '{node.Name}'.", name);
            ValidateKnobs(low, max, swappiness, 0, MemCgroup.Unlimited);
            int id = -1;
            for (int i = 1; i < rs.Memcgs.Length; i++) if (rs.Memcgs[i] == null) { id = i; break; }
            if (id < 0)
                throw new MemMgmtException("MemcgLimitReached", ErrorKind.ResourceUnavailable, $"Node '{node.Name}' already has {rs.Memcgs.Length - 1} cgroups, the most it simulates.", name);
            var cg = new MemCgroup(node, id, name) { Low = low ?? 0, Max = max ?? MemCgroup.Unlimited, Swappiness = swappiness ?? node.Sysctl.Swappiness };
            rs.Memcgs[id] = cg;
            return cg;
        }

        public static MemCgroup Get(MemNode node, string name)
        {
            foreach (var cg in node.ReclaimSt.Memcgs)
                if (cg != null && string.Equals(cg.Name, name, StringComparison.Ordinal)) return cg;
            throw new MemMgmtException("MemcgNotFound", ErrorKind.ObjectNotFound, $"Cgroup '{name}' does not exist on node '{node.Name}'.", name);
        }

        public static IReadOnlyList<MemCgroup> GetAll(MemNode node)
        {
            var l = new List<MemCgroup>();
            foreach (var cg in node.ReclaimSt.Memcgs) if (cg != null) l.Add(cg);
            return l;
        }

        /// <summary>Writes memory.low / memory.max / memory.swappiness. Lowering memory.max below usage reclaims as
        /// memory_max_write does (up to 5 failed reclaim calls, then the OOM event). Returns pages reclaimed.</summary>
        public static long Set(MemNode node, string name, long? low = null, long? max = null, int? swappiness = null)
        {
            var cg = Get(node, name);
            ValidateKnobs(low, max, swappiness, cg.Low, cg.Max);
            if (low.HasValue) cg.Low = low.Value;
            if (swappiness.HasValue) cg.Swappiness = swappiness.Value;
            long reclaimed = 0;
            if (max.HasValue)
            {
                cg.Max = max.Value;
                // kernel: memory_max_write (mm/memcontrol.c, 4.14)
                int nrReclaims = ReclaimRetries;
                while (true)
                {
                    long usage = cg.Usage;
                    if (usage <= cg.Max) break;
                    if (nrReclaims > 0)
                    {
                        long r = Vmscan.TryToFreeMemCgroupPages(node, cg.Id, usage - cg.Max, GfpFlags.GFP_KERNEL, true).NrReclaimed;
                        reclaimed += r;
                        if (r == 0) nrReclaims--;
                        continue;
                    }
                    cg.OomEvents++;
                    break; // mem_cgroup_out_of_memory: no victim process is modelled
                }
            }
            return reclaimed;
        }

        /// <summary>Allocates through the fast path and charges the pages to the group (alloc, then mem_cgroup_try_charge
        /// and commit, as do_anonymous_page does). A charge that fails after limit reclaim frees the page.</summary>
        public static MemcgChargeResult Allocate(MemNode node, string name, int order, GfpFlags gfp, PageOwner owner, int cpu = 0)
        {
            var cg = Get(node, name);
            PageAllocator.Validate(node, order, cpu);
            if (owner != PageOwner.Anon && owner != PageOwner.FileCache && owner != PageOwner.Shmem)
                throw new MemMgmtException("MemcgOwnerNotCharged", ErrorKind.InvalidArgument, $"Owner {owner} is not charged to a cgroup here; use Anon, FileCache or Shmem.", owner);
            var result = new MemcgChargeResult(node) { Cgroup = cg.Name };
            var a = PageAllocator.Allocate(node, order, gfp, cpu, owner);
            if (!a.Success) { result.FailureReason = a.FailureReason; return result; }
            int index = node.ToIndex(a.Pfn);
            if (!TryCharge(node, cg, 1 << order, gfp, result))
            {
                PageAllocator.Free(node, a.Handle, cpu);
                return result;
            }
            Commit(node, cg, index);
            result.Success = true;
            result.Handle = a.Handle;
            return result;
        }

        /// <summary>Charges an existing allocation (one that is still charged to the root) to the group.</summary>
        public static MemcgChargeResult Charge(MemNode node, string name, long handle, GfpFlags gfp = GfpFlags.GFP_KERNEL)
        {
            var cg = Get(node, name);
            int index = PageAccess.Resolve(node, handle);
            if (node.Pages.Memcg[index] != 0)
                throw new MemMgmtException("PageAlreadyCharged", ErrorKind.InvalidOperation, $"Allocation 0x{handle:x} is already charged to cgroup id {node.Pages.Memcg[index]}.", handle);
            var result = new MemcgChargeResult(node) { Cgroup = cg.Name, Handle = handle };
            if (!TryCharge(node, cg, 1 << node.Pages.Order[index], gfp, result)) return result;
            Commit(node, cg, index);
            result.Success = true;
            return result;
        }

        /// <summary>kernel: try_charge (mm/memcontrol.c, 4.14), without the per-cpu stock: limit reclaim, retries, OOM event.</summary>
        private static bool TryCharge(MemNode node, MemCgroup cg, long nrPages, GfpFlags gfp, MemcgChargeResult result)
        {
            int nrRetries = ReclaimRetries;
            bool drained = false;
            for (int guard = 0; guard < 64; guard++)
            {
                if (cg.Usage + nrPages <= cg.Max) return true;
                cg.MaxEvents++;
                if ((gfp & GfpFlags.__GFP_DIRECT_RECLAIM) == 0) { result.FailureReason = "over memory.max and the mask cannot reclaim"; return false; }
                long r = Vmscan.TryToFreeMemCgroupPages(node, cg.Id, nrPages, gfp, true).NrReclaimed;
                result.Reclaimed += r;
                result.ReclaimCalls++;
                if (cg.Max - cg.Usage >= nrPages) continue;
                if (!drained) { drained = true; continue; }
                if ((gfp & GfpFlags.__GFP_NORETRY) != 0) break;
                if (r > 0 && nrPages <= 8) continue;
                if (nrRetries-- > 0) continue;
                break;
            }
            cg.OomEvents++;
            result.FailureReason = $"cgroup '{cg.Name}' stays over memory.max ({cg.Max} pages) after limit reclaim; the memcg OOM killer is not simulated";
            return false;
        }

        /// <summary>commit_charge: the page moves to the group's lruvec (a page still in an lru_add pagevec joins the
        /// group's list when the vector drains).</summary>
        private static void Commit(MemNode node, MemCgroup cg, int index)
        {
            var pages = node.Pages;
            int nr = 1 << pages.Order[index];
            bool onLru = pages.Has(index, PageFlags.Lru);
            bool queued = pages.Has(index, PageFlags.LruAddQueued);
            if (onLru) Lru.Del(node, index, nr);
            var pending = node.ReclaimSt.LruAddPending;
            if (queued) pending[pages.Memcg[index]] -= nr;
            pages.Memcg[index] = (ushort)cg.Id;
            if (queued) pending[cg.Id] += nr;
            if (onLru) Lru.Add(node, index, nr);
        }

        /// <summary>kernel: mem_cgroup_low (mm/memcontrol.c, 4.14), flat hierarchy: protected while usage is below memory.low.</summary>
        internal static bool IsLow(MemNode node, int root, int memcg)
        {
            if (memcg == 0 || memcg == root) return false;
            var cg = node.ReclaimSt.Memcgs[memcg];
            return cg != null && cg.Usage < cg.Low;
        }

        /// <summary>kernel: mem_cgroup_swappiness (include/linux/swap.h, 4.14): the root uses vm.swappiness.</summary>
        internal static int SwappinessOf(MemNode node, int memcg)
        {
            if (memcg <= 0) return node.Sysctl.Swappiness;
            var cg = node.ReclaimSt.Memcgs[memcg];
            return cg?.Swappiness ?? node.Sysctl.Swappiness;
        }
    }
}
