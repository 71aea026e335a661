using System;
using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;

namespace MemMgmt.Core.Memcg
{
    /// <summary>A memory cgroup (struct mem_cgroup) in the cgroup2 tree under the root: memory.low, memory.max,
    /// swappiness, its own lruvec on the node, and its parent. Usage is hierarchical (memory.current): the pages on its
    /// lruvec and on every descendant's (page cache and anon are what is charged).</summary>
    public sealed class MemCgroup
    {
        /// <summary>"max": no limit (PAGE_COUNTER_MAX).</summary>
        public const long Unlimited = long.MaxValue;

        internal MemCgroup(MemNode node, int id, string name, int parentId, int depth, long serial)
        {
            Node = node; Id = id; Name = name; ParentId = parentId; Depth = depth; Serial = serial;
        }

        internal MemCgroup Clone(MemNode node) => new MemCgroup(node, Id, Name, ParentId, Depth, Serial)
        {
            Low = Low, Max = Max, Swappiness = Swappiness, LowEvents = LowEvents, HighEvents = HighEvents, MaxEvents = MaxEvents,
            OomEvents = OomEvents, OomKillEvents = OomKillEvents,
        };

        internal void Write(SnapshotWriter w)
        {
            w.Int(Id); w.String(Name); w.Int(ParentId); w.Int(Depth); w.Long(Serial);
            w.Long(Low); w.Long(Max); w.Int(Swappiness); w.Long(LowEvents); w.Long(HighEvents); w.Long(MaxEvents); w.Long(OomEvents); w.Long(OomKillEvents);
        }

        internal static MemCgroup Read(SnapshotReader r, MemNode node) =>
            new MemCgroup(node, r.Int(0, MemNode.MaxLruvecs - 1), r.RequiredString(), r.Int(0, MemNode.MaxLruvecs - 1), r.Int(), r.Long())
            {
                Low = r.Long(), Max = r.Long(), Swappiness = r.Int(), LowEvents = r.Long(), HighEvents = r.Long(), MaxEvents = r.Long(),
                OomEvents = r.Long(), OomKillEvents = r.Long(),
            };

        public MemNode Node { get; }
        public int Id { get; }
        /// <summary>The group's path below the root without the leading '/' ("web/frontend"); a top-level group's
        /// name is just its directory name.</summary>
        public string Name { get; }
        /// <summary>The cgroup path as /proc/&lt;pid&gt;/cgroup prints it ("/web/frontend").</summary>
        public string Path => "/" + Name;
        public override string ToString() => $"{Node.Name}:{Path} usage {Usage}";
        /// <summary>The last path component (the directory name).</summary>
        public string LeafName { get { int i = Name.LastIndexOf('/'); return i < 0 ? Name : Name.Substring(i + 1); } }
        /// <summary>The parent's id (0: the root cgroup).</summary>
        public int ParentId { get; }
        /// <summary>The parent's path ("/" for a top-level group).</summary>
        public string Parent { get { int i = Name.LastIndexOf('/'); return i < 0 ? "/" : "/" + Name.Substring(0, i); } }
        /// <summary>Levels below the root (a top-level group is 1).</summary>
        public int Depth { get; }
        /// <summary>Creation order (css serial_nr): siblings are walked in this order.</summary>
        internal long Serial { get; }
        /// <summary>memory.low in pages (<see cref="Unlimited"/> for "max").</summary>
        public long Low { get; internal set; }
        /// <summary>memory.max in pages (<see cref="Unlimited"/> for "max").</summary>
        public long Max { get; internal set; } = Unlimited;
        /// <summary>memory.swappiness, the cgroup v1 knob (0-100). Kept for scripts written against v1; the groups here
        /// live on the cgroup2 hierarchy, where reclaim uses vm.swappiness for every group.</summary>
        public int Swappiness { get; internal set; }
        /// <summary>memory.events low: times reclaim went into the group although it was under memory.low.</summary>
        public long LowEvents { get; internal set; }
        /// <summary>memory.events high: memory.high is not simulated, so this stays 0.</summary>
        public long HighEvents { get; internal set; }
        /// <summary>memory.events max: times a charge found this group at its memory.max.</summary>
        public long MaxEvents { get; internal set; }
        /// <summary>memory.events oom: charges that failed after limit reclaim.</summary>
        public long OomEvents { get; internal set; }
        /// <summary>memory.events oom_kill: processes of the group the OOM killer (global or memcg) killed.</summary>
        public long OomKillEvents { get; internal set; }

        /// <summary>page_counter_read(&amp;memcg->memory): the group's pages and its descendants' (memory.current).</summary>
        public long Usage
        {
            // Read when a view formats the object, after the cmdlet let go of the node: take its lock for a consistent sum.
            get { lock (Node.SyncRoot) return MemCgroups.HierarchicalUsage(Node, Id); }
        }

        /// <summary>This group's own pages (not its descendants'): on its lruvec's lists and still queued in lru_add pagevecs
        /// (4.14 charges at allocation, before lru_cache_add; only anon and page cache are charged here).</summary>
        public long LocalUsage
        {
            get { lock (Node.SyncRoot) return MemCgroups.LocalUsage(Node, Id); }
        }

        public long GetLruSize(LruList lru) => Node.LruvecSt.LruSize[Id * Lru.NrLruLists + (int)lru];

        /// <summary>The text a cgroup2 file of this group prints: memory.current, memory.low, memory.max or memory.events.</summary>
        public string ReadFile(string file) => MemCgroups.ReadFile(this, file);
    }

    /// <summary>The outcome of Remove-MemCgroup (rmdir).</summary>
    public sealed class MemcgRemoval
    {
        internal MemcgRemoval(MemNode node, string path, string parent, long pages) { Node = node; Path = path; Parent = parent; PagesReparented = pages; }
        public MemNode Node { get; }
        /// <summary>The removed group's path.</summary>
        public string Path { get; }
        /// <summary>The parent that took over its pages.</summary>
        public string Parent { get; }
        /// <summary>Pages moved to the parent's lruvec (and charge).</summary>
        public long PagesReparented { get; }
        public override string ToString() => $"{Node.Name}:{Path} removed, {PagesReparented} pages to {Parent}";
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
        /// <summary>The group whose memory.max the charge ran into (the charged group or an ancestor); null if none.</summary>
        public string? OverLimitCgroup { get; internal set; }
        /// <summary>The failed charge ended in the OOM event of <see cref="OverLimitCgroup"/> (mem_cgroup_oom's turn).</summary>
        public bool OomEvent { get; internal set; }
        internal int OverLimitId { get; set; }
    }

    /// <summary>memcg operations: create, configure, charge, remove, and the hierarchy walk reclaim uses.</summary>
    public static class MemCgroups
    {
        /// <summary>MEM_CGROUP_RECLAIM_RETRIES.</summary>
        public const int ReclaimRetries = 5;

        /// <summary>Deepest nesting below the root the simulator allows (cgroup.max.depth is unlimited in 4.14).</summary>
        public const int MaxDepth = 8;

        /// <summary>Reclaim-iterator slots per group: one per scan priority (mem_cgroup_per_node.iter[DEF_PRIORITY + 1]).</summary>
        internal const int IterSlots = Vmscan.DefPriority + 1;

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
                throw new MemMgmtException("MemcgLowAboveMax", ErrorKind.InvalidArgument, $"memory.low {Show(l)} pages is above memory.max {Show(m)} pages; memory.low must not exceed memory.max.", l);
        }

        private static string Show(long pages) => pages == MemCgroup.Unlimited ? "max" : pages.ToString(System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>A cgroup path relative to the root: leading, trailing and doubled '/' dropped ("/web//a/" is "web/a";
        /// "" and "/" are the root).</summary>
        internal static string NormalizePath(string? path)
        {
            if (path == null) return "";
            var parts = path.Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries);
            return string.Join("/", parts);
        }

        private static int FindByPath(MemNode node, string rel)
        {
            if (rel.Length == 0) return 0;
            var m = node.MemcgSt.Memcgs;
            for (int i = 1; i < m.Length; i++)
                if (m[i] != null && string.Equals(m[i]!.Name, rel, StringComparison.Ordinal)) return i;
            return -1;
        }

        /// <summary>Creates a group (mkdir): <paramref name="name"/> is a path below the root ("web/frontend") or, with
        /// <paramref name="parent"/>, below that group. The parent must exist; swappiness is inherited from the parent
        /// (vm.swappiness for a top-level group) unless given. Everything is checked before the group is made.</summary>
        public static MemCgroup Create(MemNode node, string name, long? low = null, long? max = null, int? swappiness = null, string? parent = null)
        {
            if (name == null || string.IsNullOrWhiteSpace(NormalizePath(name)))
                throw new MemMgmtException("MemcgNameInvalid", ErrorKind.InvalidArgument, $"Cgroup name '{name}' is not allowed; use a non-empty name (or a path like web/frontend).", name);
            string rel = NormalizePath(parent);
            rel = rel.Length == 0 ? NormalizePath(name) : rel + "/" + NormalizePath(name);
            var parts = rel.Split('/');
            foreach (var part in parts)
                if (part == "." || part == ".." || string.IsNullOrWhiteSpace(part))
                    throw new MemMgmtException("MemcgNameInvalid", ErrorKind.InvalidArgument, $"Cgroup path '/{rel}' is not allowed: '{part}' is not a directory name; use names other than '.', '..' or blanks.", name);
            if (parts.Length > MaxDepth)
                throw new MemMgmtException("MemcgTooDeep", ErrorKind.InvalidArgument, $"Cgroup '/{rel}' would be {parts.Length} levels deep; at most {MaxDepth} levels below the root are simulated.", rel);
            string parentRel = parts.Length == 1 ? "" : rel.Substring(0, rel.LastIndexOf('/'));
            int parentId = FindByPath(node, parentRel);
            if (parentId < 0)
                throw new MemMgmtException("MemcgParentNotFound", ErrorKind.ObjectNotFound, $"Parent cgroup '/{parentRel}' of '/{rel}' does not exist on node '{node.Name}'; create it first.", parentRel);
            if (FindByPath(node, rel) >= 0)
                throw new MemMgmtException("MemcgExists", ErrorKind.InvalidOperation, $"Cgroup '/{rel}' already exists on node '{node.Name}'.", rel);
            ValidateKnobs(low, max, swappiness, 0, MemCgroup.Unlimited);
            var mcs = node.MemcgSt;
            int id = -1;
            long serial = 0;
            for (int i = 1; i < mcs.Memcgs.Length; i++)
            {
                if (mcs.Memcgs[i] == null) { if (id < 0) id = i; }
                else if (mcs.Memcgs[i]!.Serial > serial) serial = mcs.Memcgs[i]!.Serial;
            }
            if (id < 0)
                throw new MemMgmtException("MemcgLimitReached", ErrorKind.ResourceUnavailable, $"Node '{node.Name}' already has {mcs.Memcgs.Length - 1} cgroups, the most it simulates.", rel);
            // kernel: mem_cgroup_css_alloc (mm/memcontrol.c, 4.14): a child starts with its parent's swappiness.
            int inherited = parentId == 0 ? node.Sysctl.Swappiness : mcs.Memcgs[parentId]!.Swappiness;
            var cg = new MemCgroup(node, id, rel, parentId, parts.Length, serial + 1)
            {
                Low = low ?? 0, Max = max ?? MemCgroup.Unlimited, Swappiness = swappiness ?? inherited,
            };
            ResetIterators(node, id);
            mcs.Memcgs[id] = cg;
            return cg;
        }

        /// <summary>The group at a path below the root ("web/frontend" or "/web/frontend").</summary>
        public static MemCgroup Get(MemNode node, string name)
        {
            string rel = NormalizePath(name);
            if (rel.Length == 0)
                throw new MemMgmtException("MemcgRootNotAllowed", ErrorKind.InvalidArgument, "The root cgroup '/' has no memory.low, memory.max or swappiness files and cannot be removed; name a group below it.", name);
            int id = FindByPath(node, rel);
            if (id <= 0)
                throw new MemMgmtException("MemcgNotFound", ErrorKind.ObjectNotFound, $"Cgroup '/{rel}' does not exist on node '{node.Name}'.", name);
            return node.MemcgSt.Memcgs[id]!;
        }

        /// <summary>Every group, in the pre-order the hierarchy walk uses (a parent before its children, siblings in
        /// creation order).</summary>
        public static IReadOnlyList<MemCgroup> GetAll(MemNode node)
        {
            var l = new List<MemCgroup>();
            var m = node.MemcgSt.Memcgs;
            for (int id = NextDescendantPre(node, 0, 0); id > 0; id = NextDescendantPre(node, id, 0)) l.Add(m[id]!);
            return l;
        }

        /// <summary>The groups below a reclaim root (0: the root cgroup) in mem_cgroup_iter's pre-order, the root first.</summary>
        public static IReadOnlyList<int> WalkOrder(MemNode node, int root)
        {
            var l = new List<int>();
            for (int id = root; id >= 0; id = NextDescendantPre(node, id, root)) l.Add(id);
            return l;
        }

        // ----------------------------------------------------------------- the tree

        internal static int ParentOf(MemNode node, int id) => id <= 0 ? -1 : node.MemcgSt.Memcgs[id]!.ParentId;

        private static int FirstChild(MemNode node, int id)
        {
            var m = node.MemcgSt.Memcgs;
            int best = -1;
            for (int i = 1; i < m.Length; i++)
            {
                var c = m[i];
                if (c != null && c.ParentId == id && (best < 0 || c.Serial < m[best]!.Serial)) best = i;
            }
            return best;
        }

        private static int NextSibling(MemNode node, int id)
        {
            var m = node.MemcgSt.Memcgs;
            var me = m[id]!;
            int best = -1;
            for (int i = 1; i < m.Length; i++)
            {
                var c = m[i];
                if (c != null && c.ParentId == me.ParentId && c.Serial > me.Serial && (best < 0 || c.Serial < m[best]!.Serial)) best = i;
            }
            return best;
        }

        /// <summary>kernel: css_next_descendant_pre (kernel/cgroup/cgroup.c, 4.14): the first child, else the next
        /// sibling of the nearest ancestor below <paramref name="root"/> that has one; -1 at the end. pos &lt; 0 starts at root.</summary>
        internal static int NextDescendantPre(MemNode node, int pos, int root)
        {
            if (pos < 0) return root;
            int child = FirstChild(node, pos);
            if (child >= 0) return child;
            while (pos != root && pos > 0)
            {
                int sib = NextSibling(node, pos);
                if (sib >= 0) return sib;
                pos = ParentOf(node, pos);
            }
            return -1;
        }

        /// <summary>kernel: mem_cgroup_iter (mm/memcontrol.c, 4.14) with a reclaim cookie: the walk of the subtree
        /// under <paramref name="root"/> resumes after the position saved for (root, priority), so limit reclaim that
        /// stops early continues with the next group next time; a fresh walk that reaches the end restarts at the
        /// root (it sees at least one group), a continued one returns -1 and clears the position.</summary>
        internal static int Iter(MemNode node, int root, int prev, int priority)
        {
            var pos = node.MemcgSt.MemcgIterPos;
            int slot = root * IterSlots + priority;
            int cur = pos[slot];
            int memcg;
            while (true)
            {
                memcg = NextDescendantPre(node, cur, root);
                if (memcg < 0 && prev < 0) { cur = -1; continue; }
                break;
            }
            pos[slot] = memcg;
            return memcg;
        }

        /// <summary>kernel: invalidate_reclaim_iterators (mm/memcontrol.c, 4.14): positions saved at a dead group are
        /// dropped (in its own slots and its ancestors').</summary>
        private static void ResetIterators(MemNode node, int dead)
        {
            var pos = node.MemcgSt.MemcgIterPos;
            for (int i = 0; i < pos.Length; i++)
                if (pos[i] == dead || i / IterSlots == dead) pos[i] = -1;
        }

        // ----------------------------------------------------------------- usage

        internal static long LocalUsage(MemNode node, int id)
        {
            var s = node.LruvecSt.LruSize;
            long u = node.LruvecSt.LruAddPending[id]; // charged at allocation, still waiting in an lru_add pagevec
            for (int l = 0; l < Lru.NrLruLists; l++) u += s[id * Lru.NrLruLists + l];
            return u;
        }

        /// <summary>Whether group <paramref name="id"/> is <paramref name="ancestor"/> or below it (everything is below the root, 0).</summary>
        internal static bool IsSelfOrDescendant(MemNode node, int id, int ancestor)
        {
            var m = node.MemcgSt.Memcgs;
            for (int c = id; c > 0 && m[c] != null; c = m[c]!.ParentId) if (c == ancestor) return true;
            return ancestor == 0;
        }

        /// <summary>page_counter_read of a hierarchical counter: charges propagate to every ancestor, so a group's
        /// memory.current is its lruvec plus every descendant's.</summary>
        internal static long HierarchicalUsage(MemNode node, int id)
        {
            var m = node.MemcgSt.Memcgs;
            long u = 0;
            for (int i = 0; i < m.Length; i++)
                if ((i == 0 || m[i] != null) && IsSelfOrDescendant(node, i, id)) u += LocalUsage(node, i);
            return u;
        }

        // ----------------------------------------------------------------- knobs

        /// <summary>Writes memory.low / memory.max / memory.swappiness. Lowering memory.max below usage reclaims as
        /// memory_max_write does (up to 5 failed reclaim calls, then the memcg OOM killer until usage fits or nobody is left
        /// to kill). Returns pages reclaimed.</summary>
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
                    if (OomKiller.MemcgOutOfMemory(node, cg, GfpFlags.GFP_KERNEL, 0).Victim == null) break;
                }
            }
            return reclaimed;
        }

        /// <summary>kernel: memory_current_read, memory_low_show, memory_max_show, memory_events_show (mm/memcontrol.c, 4.14):
        /// a cgroup2 file as cat prints it (bytes or "max"; events low, high, max, oom, oom_kill in that order).</summary>
        public static string ReadFile(MemCgroup cg, string file)
        {
            long pageSize = cg.Node.Geometry.PageSize;
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            string Limit(long pages) => pages == MemCgroup.Unlimited ? "max\n" : (pages * pageSize).ToString(inv) + "\n";
            switch (file)
            {
                case "memory.current": return (cg.Usage * pageSize).ToString(inv) + "\n";
                case "memory.low": return Limit(cg.Low);
                case "memory.max": return Limit(cg.Max);
                case "memory.events":
                    return string.Format(inv, "low {0}\nhigh {1}\nmax {2}\noom {3}\noom_kill {4}\n", cg.LowEvents, cg.HighEvents, cg.MaxEvents, cg.OomEvents, cg.OomKillEvents);
                default:
                    throw new MemMgmtException("MemcgFileUnknown", ErrorKind.InvalidArgument, $"Cgroup file '{file}' is not simulated; use memory.current, memory.low, memory.max or memory.events.", file);
            }
        }

        // ----------------------------------------------------------------- charge

        /// <summary>Allocates through the fast path and charges the pages to the group (alloc, then mem_cgroup_try_charge
        /// and commit, as do_anonymous_page does). A charge that fails after limit reclaim frees the page.</summary>
        public static MemcgChargeResult Allocate(MemNode node, string name, int order, GfpFlags gfp, PageOwner owner, int cpu = 0)
        {
            var cg = Get(node, name);
            PageAllocator.Validate(node, order, cpu);
            if (owner != PageOwner.Anon && owner != PageOwner.FileCache && owner != PageOwner.Shmem)
                throw new MemMgmtException("MemcgOwnerNotCharged", ErrorKind.InvalidArgument, $"Owner {owner} is not charged to a cgroup here; use Anon, FileCache or Shmem.", owner);
            return Allocate(node, cg, order, gfp, owner, cpu, 0);
        }

        /// <summary><see cref="Allocate(MemNode, string, int, GfpFlags, PageOwner, int)"/> validated by the caller, the page
        /// into the dead slot <paramref name="intoSlot"/> of a reserved range (0: a slot of its own).</summary>
        internal static MemcgChargeResult Allocate(MemNode node, MemCgroup cg, int order, GfpFlags gfp, PageOwner owner, int cpu, int intoSlot)
        {
            var result = new MemcgChargeResult(node) { Cgroup = cg.Name };
            var a = intoSlot == 0 ? PageAllocator.Allocate(node, order, gfp, cpu, owner) : PageAllocator.AllocateInto(node, order, gfp, cpu, owner, intoSlot);
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
            if (!TryCharge(node, cg, 1 << node.Pages.OrderOf(index), gfp, result)) return result;
            Commit(node, cg, index);
            result.Success = true;
            return result;
        }

        /// <summary>kernel: page_counter_try_charge (mm/page_counter.c, 4.14): walks from the group up through its
        /// ancestors; the first whose usage plus the charge exceeds its limit fails the charge (-1: all fit).</summary>
        internal static int OverLimitAncestor(MemNode node, int id, long nrPages)
        {
            var m = node.MemcgSt.Memcgs;
            for (int c = id; c > 0; c = m[c]!.ParentId)
            {
                var g = m[c]!;
                if (g.Max != MemCgroup.Unlimited && HierarchicalUsage(node, c) + nrPages > g.Max) return c;
            }
            return -1;
        }

        /// <summary>kernel: try_charge (mm/memcontrol.c, 4.14), without the per-cpu stock: the charge fails at the
        /// lowest ancestor over its memory.max (mem_over_limit), which takes the max event, the limit reclaim of its
        /// subtree, the retries and the OOM event; __GFP_NORETRY gives up after one reclaim without an OOM event, and
        /// __GFP_NOFAIL is charged over the limit (force) rather than failing.</summary>
        private static bool TryCharge(MemNode node, MemCgroup cg, long nrPages, GfpFlags gfp, MemcgChargeResult result)
        {
            int nrRetries = ReclaimRetries;
            bool drained = false;
            MemCgroup? overLimit = null;
            for (int guard = 0; guard < 64; guard++)
            {
                int over = OverLimitAncestor(node, cg.Id, nrPages);
                if (over < 0) return true;
                overLimit = node.MemcgSt.Memcgs[over]!;
                result.OverLimitId = over;
                result.OverLimitCgroup = overLimit.Path;
                if ((gfp & GfpFlags.__GFP_DIRECT_RECLAIM) == 0)
                {
                    if ((gfp & GfpFlags.__GFP_NOFAIL) != 0) return true; // nomem → force: charged over the limit
                    result.FailureReason = $"cgroup '{overLimit.Path}' is at memory.max and the mask cannot reclaim";
                    return false;
                }
                overLimit.MaxEvents++;
                long r = Vmscan.TryToFreeMemCgroupPages(node, overLimit.Id, nrPages, gfp, true).NrReclaimed;
                result.Reclaimed += r;
                result.ReclaimCalls++;
                if (overLimit.Max - overLimit.Usage >= nrPages) continue;
                if (!drained) { drained = true; continue; }
                if ((gfp & GfpFlags.__GFP_NORETRY) != 0)
                {
                    // goto nomem: no MEMCG_OOM event and no memcg OOM for a request that may fail.
                    result.FailureReason = $"cgroup '{overLimit.Path}' stays over memory.max ({overLimit.Max} pages) after one limit reclaim and the mask has __GFP_NORETRY";
                    return false;
                }
                if (r > 0 && nrPages <= 8) continue;
                if (nrRetries-- > 0) continue;
                break;
            }
            if ((gfp & GfpFlags.__GFP_NOFAIL) != 0) return true; // goto force: charged over the limit, no OOM
            overLimit ??= cg;
            overLimit.OomEvents++;
            result.OomEvent = true;
            result.FailureReason = $"cgroup '{overLimit.Path}' stays over memory.max ({overLimit.Max} pages) after limit reclaim (4.14 runs the memcg OOM killer only for a user page fault, as New-MemProcess does)";
            return false;
        }

        /// <summary>commit_charge: the page moves to the group's lruvec (a page still in an lru_add pagevec joins the
        /// group's list when the vector drains).</summary>
        private static void Commit(MemNode node, MemCgroup cg, int index)
        {
            var pages = node.Pages;
            int nr = 1 << pages.OrderOf(index);
            bool onLru = pages.Has(index, PageFlags.Lru);
            bool queued = pages.Has(index, PageFlags.LruAddQueued);
            if (onLru) Lru.Del(node, index, nr);
            var pending = node.LruvecSt.LruAddPending;
            if (queued) pending[pages.Memcg[index]] -= nr;
            pages.Memcg[index] = (ushort)cg.Id;
            if (queued) pending[cg.Id] += nr;
            if (onLru) Lru.Add(node, index, nr);
        }

        // ----------------------------------------------------------------- remove

        /// <summary>The group Remove would remove, after its checks (MemcgNotFound, MemcgRootNotAllowed, MemcgHasChildren,
        /// MemcgHasTasks: cgroup_destroy_locked's -EBUSY for a populated cgroup).</summary>
        public static MemCgroup GetRemovable(MemNode node, string name)
        {
            var cg = Get(node, name);
            int child = FirstChild(node, cg.Id);
            if (child >= 0)
                throw new MemMgmtException("MemcgHasChildren", ErrorKind.InvalidOperation, $"Cgroup '{cg.Path}' has child cgroups (such as '{node.MemcgSt.Memcgs[child]!.Path}'); remove them first.", cg.Path);
            foreach (var p in node.ProcessSt.Processes)
                if (p.MemcgId == cg.Id && p.State == ProcessState.Running)
                    throw new MemMgmtException("MemcgHasTasks", ErrorKind.InvalidOperation, $"Cgroup '{cg.Path}' still has running process {p.Pid} ({p.Name}); stop it first (Stop-MemProcess).", cg.Path);
            return cg;
        }

        /// <summary>Removes a group (rmdir). A group with children is refused (cgroup_destroy_locked's -EBUSY). Its pages
        /// move to the parent's lruvec and stay charged there, oldest first so their LRU order is kept. 4.14 instead keeps
        /// the offline memcg as a zombie until its last page is freed; moving the pages as mem_cgroup_reparent_charges
        /// did (up to 3.18) keeps the parent's memory.current the same and frees the slot at once.</summary>
        public static MemcgRemoval Remove(MemNode node, string name)
        {
            var cg = GetRemovable(node, name);
            var pages = node.Pages;
            int id = cg.Id, parent = cg.ParentId;
            long moved = 0;
            for (int l = 0; l < Lru.NrLruLists; l++)
            {
                int head = Lru.Head(node, id, l);
                while (!pages.ListEmpty(head))
                {
                    int p = pages.Prev(head);
                    int nr = 1 << pages.OrderOf(p);
                    Lru.Del(node, p, nr);
                    pages.Memcg[p] = (ushort)parent;
                    Lru.AddToList(node, p, nr);
                    moved += nr;
                }
            }
            // Pages still queued in lru_add pagevecs move with the charge; they land on the parent's lists when drained.
            moved += node.LruvecSt.LruAddPending[id];
            node.LruvecSt.LruAddPending[parent] += node.LruvecSt.LruAddPending[id];
            node.LruvecSt.LruAddPending[id] = 0;
            var memcg = pages.Memcg;
            for (int i = 0; i < memcg.Length; i++)
                if (memcg[i] == id) memcg[i] = (ushort)parent;
            node.LruvecSt.ResetStat(id);
            node.MemcgSt.Vmpr[id] = default;
            ShadowRefault.ForgetMemcg(node, id);
            node.MemcgSt.Memcgs[id] = null;
            ResetIterators(node, id);
            return new MemcgRemoval(node, cg.Path, cg.Parent, moved);
        }

        // ----------------------------------------------------------------- reclaim

        /// <summary>kernel: mem_cgroup_low (mm/memcontrol.c, 4.14): the root cgroup has no memory.low, so it is never low
        /// and never counted as an ancestor; any other group is low when it and each ancestor up to and including the
        /// reclaim root (or up to the top level for global reclaim) use less than their memory.low.</summary>
        internal static bool IsLow(MemNode node, int root, int memcg)
        {
            if (memcg <= 0) return false;
            var m = node.MemcgSt.Memcgs;
            if (HierarchicalUsage(node, memcg) >= m[memcg]!.Low) return false;
            // The walk tests the reclaim root itself (4.16 later excluded it); global reclaim passes no root and
            // stops at the root cgroup.
            for (int c = memcg; c != root;)
            {
                c = m[c]!.ParentId;
                if (c == 0) break;
                if (HierarchicalUsage(node, c) >= m[c]!.Low) return false;
            }
            return true;
        }

        /// <summary>kernel: mem_cgroup_swappiness (include/linux/swap.h, 4.14): on the cgroup2 (default) hierarchy there is
        /// no per-group swappiness, so every group, the root included, reclaims with vm.swappiness.</summary>
        internal static int SwappinessOf(MemNode node, int memcg) => node.Sysctl.Swappiness;
    }
}
