using System;
using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Trace;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>A registered shrinker (struct shrinker): the superblock shrinker over the dentry and inode caches, or a
    /// custom one with a fixed object count and seeks.</summary>
    public sealed class Shrinker
    {
        /// <summary>DEFAULT_SEEKS.</summary>
        public const int DefaultSeeks = 2;
        /// <summary>SHRINK_BATCH.</summary>
        public const long ShrinkBatch = 128;
        /// <summary>Objects per slab page: dentry (192 bytes) and ext4 inode (about 1 KiB) caches with 4 KiB slabs.</summary>
        public const int DentriesPerPage = 21, InodesPerPage = 4;

        private Shrinker(string name, int seeks, bool superBlock) { Name = name; Seeks = seeks; IsSuperBlock = superBlock; }

        internal static Shrinker NewSuperBlock() => new Shrinker("super_block", DefaultSeeks, true);
        internal static Shrinker NewCustom(string name, long objects, int seeks) => new Shrinker(name, seeks, false) { Objects = objects };

        internal Shrinker Clone()
        {
            var c = (Shrinker)MemberwiseClone();
            c.DentryPages = new List<long>(DentryPages);
            c.InodePages = new List<long>(InodePages);
            return c;
        }

        internal void Write(SnapshotWriter w)
        {
            w.String(Name); w.Int(Seeks); w.Bool(IsSuperBlock); w.Long(NrDeferred); w.Long(Objects); w.Long(Dentries); w.Long(Inodes);
            w.LongList(DentryPages); w.LongList(InodePages);
        }

        internal static Shrinker Read(SnapshotReader r) => new Shrinker(r.RequiredString(), r.Int(), r.Bool())
        {
            NrDeferred = r.Long(), Objects = r.Long(), Dentries = r.Long(), Inodes = r.Long(), DentryPages = r.LongList(), InodePages = r.LongList(),
        };

        public string Name { get; }
        public int Seeks { get; }
        /// <summary>True for the super_block shrinker (super_cache_count / super_cache_scan).</summary>
        public bool IsSuperBlock { get; }
        /// <summary>nr_deferred[nid]: work carried to the next call.</summary>
        public long NrDeferred { get; internal set; }
        /// <summary>Objects of a custom shrinker.</summary>
        public long Objects { get; internal set; }
        public long Dentries { get; internal set; }
        public long Inodes { get; internal set; }
        internal List<long> DentryPages = new List<long>();
        internal List<long> InodePages = new List<long>();
        public int DentrySlabPages => DentryPages.Count;
        public int InodeSlabPages => InodePages.Count;

        public override string ToString() => $"{Name}: {Objects} objects, seeks {Seeks}";
    }

    /// <summary>The figures of one do_shrink_slab call (what trace_mm_shrink_slab_start/end show).</summary>
    public readonly struct ShrinkSlabResult
    {
        internal ShrinkSlabResult(long freeable, long nrDeferredBefore, long delta, long totalScan, long scanned, long freed, long nextDeferred)
        {
            Freeable = freeable; NrDeferredBefore = nrDeferredBefore; Delta = delta; TotalScan = totalScan; Scanned = scanned; Freed = freed; NextDeferred = nextDeferred;
        }
        public long Freeable { get; }
        public long NrDeferredBefore { get; }
        public long Delta { get; }
        /// <summary>total_scan after the caps, before scanning.</summary>
        public long TotalScan { get; }
        public long Scanned { get; }
        public long Freed { get; }
        public long NextDeferred { get; }
    }

    /// <summary>shrink_slab (mm/vmscan.c, 4.14) over the node's registered shrinkers, and the slab caches they free.</summary>
    public static class Shrinkers
    {
        /// <summary>Registers a custom shrinker (register_shrinker) holding <paramref name="objects"/> freeable objects.</summary>
        public static Shrinker Register(MemNode node, string name, long objects, int seeks = Shrinker.DefaultSeeks)
        {
            if (string.IsNullOrWhiteSpace(name))
                throw new MemMgmtException("ShrinkerNameInvalid", ErrorKind.InvalidArgument, "A shrinker needs a non-empty name.", name);
            if (seeks < 1)
                throw new MemMgmtException("ShrinkerSeeksOutOfRange", ErrorKind.OutOfRange, $"Seeks {seeks} is out of range; a shrinker's seeks must be at least 1 (DEFAULT_SEEKS is 2).", seeks);
            if (objects < 0)
                throw new MemMgmtException("ShrinkerObjectsOutOfRange", ErrorKind.OutOfRange, $"Objects {objects} is out of range; use 0 or more.", objects);
            var list = node.ShrinkerList;
            foreach (var s in list)
                if (string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
                    throw new MemMgmtException("ShrinkerExists", ErrorKind.InvalidOperation, $"A shrinker named '{name}' is already registered on node '{node.Name}'.", name);
            var sh = Shrinker.NewCustom(name, objects, seeks);
            list.Add(sh);
            return sh;
        }

        /// <summary>Removes a custom shrinker from the node's list; the superblock shrinker belongs to the
        /// filesystem, not to a user, and stays.</summary>
        /// kernel: unregister_shrinker (mm/vmscan.c, 4.14)
        public static void Unregister(MemNode node, string name)
        {
            var list = node.ShrinkerList;
            for (int i = 0; i < list.Count; i++)
            {
                if (!string.Equals(list[i].Name, name, StringComparison.OrdinalIgnoreCase)) continue;
                if (list[i].IsSuperBlock)
                    throw new MemMgmtException("ShrinkerNotRemovable", ErrorKind.InvalidOperation,
                        $"The shrinker '{list[i].Name}' is the superblock's own (dentry and inode caches) and cannot be unregistered; only shrinkers made by Register-MemShrinker can.", name);
                list.RemoveAt(i);
                return;
            }
            var names = new List<string>();
            foreach (var s in list) names.Add(s.Name);
            throw new MemMgmtException("ShrinkerNotFound", ErrorKind.ObjectNotFound,
                $"No shrinker named '{name}' is registered on node '{node.Name}'; registered: {string.Join(", ", names)}.", name);
        }

        /// <summary>The node's shrinkers in registration order (the super_block shrinker first).</summary>
        public static IReadOnlyList<Shrinker> Get(MemNode node) => node.ShrinkerList.ToArray();

        internal static Shrinker SuperBlock(MemNode node) => node.ShrinkerList[0];

        /// <summary>Grows the dentry or inode cache by <paramref name="objects"/>, allocating reclaimable slab pages
        /// (GFP_KERNEL | __GFP_RECLAIMABLE) through the allocator's fast path. Returns the objects added (fewer when an
        /// allocation failed).</summary>
        public static long GrowCache(MemNode node, string cache, long objects)
        {
            bool dentry = string.Equals(cache, "dentry", StringComparison.OrdinalIgnoreCase);
            if (!dentry && !string.Equals(cache, "inode", StringComparison.OrdinalIgnoreCase))
                throw new MemMgmtException("SlabCacheUnknown", ErrorKind.ObjectNotFound, $"Slab cache '{cache}' is not simulated; use 'dentry' or 'inode'.", cache);
            if (objects < 0)
                throw new MemMgmtException("SlabObjectsOutOfRange", ErrorKind.OutOfRange, $"Objects {objects} is out of range; use 0 or more.", objects);
            var sb = SuperBlock(node);
            int perPage = dentry ? Shrinker.DentriesPerPage : Shrinker.InodesPerPage;
            var pagesList = dentry ? sb.DentryPages : sb.InodePages;
            long have = dentry ? sb.Dentries : sb.Inodes;
            long added = 0;
            while (added < objects)
            {
                long capacity = (long)pagesList.Count * perPage;
                if (have + added >= capacity)
                {
                    var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_KERNEL | GfpFlags.__GFP_RECLAIMABLE, 0, PageOwner.SlabReclaimable);
                    if (!r.Success) break;
                    pagesList.Add(r.Handle);
                    capacity += perPage;
                }
                long take = Math.Min(objects - added, capacity - (have + added));
                added += take;
            }
            if (dentry) sb.Dentries += added; else sb.Inodes += added;
            return added;
        }

        /// <summary>Frees slab pages no longer needed by the cache's objects (objects are packed); returns pages freed.</summary>
        private static long TrimPages(MemNode node, List<long> pagesList, long objects, int perPage)
        {
            long need = (objects + perPage - 1) / perPage;
            long freed = 0;
            while (pagesList.Count > need)
            {
                long h = pagesList[pagesList.Count - 1];
                pagesList.RemoveAt(pagesList.Count - 1);
                if (node.Allocations.Resolve(h) >= 0) { PageAllocator.Free(node, h); freed++; }
            }
            return freed;
        }

        /// <summary>count_objects: super_cache_count (fs/super.c, 4.14) scales by vfs_cache_pressure (vfs_pressure_ratio).</summary>
        internal static long CountObjects(MemNode node, Shrinker s)
        {
            if (!s.IsSuperBlock) return s.Objects;
            long total = s.Dentries + s.Inodes;
            return total * node.Sysctl.VfsCachePressure / 100;
        }

        /// <summary>scan_objects: super_cache_scan (fs/super.c, 4.14) splits the scan between dentries and inodes; a custom
        /// shrinker frees up to nr_to_scan objects. Returns objects freed, or −1 for SHRINK_STOP; slab pages freed go to
        /// <paramref name="pagesFreed"/>.</summary>
        internal static long ScanObjects(MemNode node, Shrinker s, GfpFlags gfp, long nrToScan, ref long pagesFreed)
        {
            if (!s.IsSuperBlock)
            {
                long f = Math.Min(nrToScan, s.Objects);
                s.Objects -= f;
                return f;
            }
            if ((gfp & GfpFlags.__GFP_FS) == 0) return -1;
            long dentries = s.Dentries, inodes = s.Inodes;
            long total = dentries + inodes + 1;
            long dScan = MmConstants.MultFrac(nrToScan, dentries, total) + 1;
            long iScan = MmConstants.MultFrac(nrToScan, inodes, total) + 1;
            // prune_dcache_sb / prune_icache_sb: every cached object here is unused, so each walked one is freed.
            long dFreed = Math.Min(dScan, s.Dentries);
            s.Dentries -= dFreed;
            long iFreed = Math.Min(iScan, s.Inodes);
            s.Inodes -= iFreed;
            pagesFreed += TrimPages(node, s.DentryPages, s.Dentries, Shrinker.DentriesPerPage);
            pagesFreed += TrimPages(node, s.InodePages, s.Inodes, Shrinker.InodesPerPage);
            return dFreed + iFreed;
        }

        /// <summary>%pF of the shrinker's scan_objects: super_cache_scan for the super_block shrinker; a custom shrinker
        /// gets "&lt;name&gt;_scan" (the simulator has no symbol table; offset/size are fixed).</summary>
        private static string ScanSymbol(Shrinker s) => (s.IsSuperBlock ? "super_cache_scan" : s.Name + "_scan") + "+0x0/0x1a0";

        /// <summary>%p of the struct shrinker: 4.14 prints raw pointers; these are stable linear-map addresses by registration slot.</summary>
        private static string ShrinkerPointer(MemNode node, Shrinker s)
        {
            int slot = node.ShrinkerList.IndexOf(s);
            return (0xffff800070a00000UL + (ulong)(slot < 0 ? 0 : slot) * 0x140UL).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        }

        /// <summary>kernel: do_shrink_slab (mm/vmscan.c, 4.14): delta = (4·nr_scanned/seeks)·freeable/(nr_eligible+1),
        /// total = deferred + delta, capped at freeable/2 when delta &lt; freeable/4 and at 2·freeable; batches of 128.</summary>
        internal static ShrinkSlabResult DoShrinkSlab(MemNode node, Shrinker s, GfpFlags gfp, long nrScanned, long nrEligible, ref long pagesFreed)
        {
            long freeable = CountObjects(node, s);
            if (freeable == 0) return default;
            long nr = s.NrDeferred;
            s.NrDeferred = 0;
            long totalScan = nr;
            long delta = (4 * nrScanned) / s.Seeks;
            delta *= freeable;
            delta /= nrEligible + 1;
            totalScan += delta;
            long nextDeferred;
            if (totalScan < 0) { totalScan = freeable; nextDeferred = nr; }
            else nextDeferred = totalScan;
            if (delta < freeable / 4) totalScan = Math.Min(totalScan, freeable / 2);
            if (totalScan > freeable * 2) totalScan = freeable * 2;
            long capped = totalScan;
            bool trace = node.Trace.Enabled;
            if (trace)
                node.Trace.Record(node, TraceEventId.mm_shrink_slab_start, TraceRecord.Pack(node.Trace.Intern(ScanSymbol(s) + " " + ShrinkerPointer(node, s)), (uint)gfp),
                    nr, nrScanned, nrEligible, freeable, delta, totalScan);
            long freed = 0, scanned = 0;
            while (totalScan >= Shrinker.ShrinkBatch || totalScan >= freeable)
            {
                long nrToScan = Math.Min(Shrinker.ShrinkBatch, totalScan);
                long ret = ScanObjects(node, s, gfp, nrToScan, ref pagesFreed);
                if (ret < 0) break;
                freed += ret;
                node.Counters.Count(VmEvent.SlabsScanned, nrToScan);
                totalScan -= nrToScan;
                scanned += nrToScan;
                if (nrToScan == 0) break;
            }
            if (nextDeferred >= scanned) nextDeferred -= scanned; else nextDeferred = 0;
            if (nextDeferred > 0) s.NrDeferred += nextDeferred;
            if (trace)
                node.Trace.Record(node, TraceEventId.mm_shrink_slab_end, node.Trace.Intern(ScanSymbol(s) + " " + ShrinkerPointer(node, s)),
                    nr, s.NrDeferred, totalScan, freed);
            return new ShrinkSlabResult(freeable, nr, delta, capped, scanned, freed, nextDeferred);
        }

        /// <summary>kernel: shrink_slab (mm/vmscan.c, 4.14) for global reclaim (memcg NULL): every shrinker; nr_scanned 0
        /// counts as SWAP_CLUSTER_MAX. Returns objects freed; slab pages freed are added to <paramref name="pagesFreed"/>.</summary>
        internal static long ShrinkSlab(MemNode node, GfpFlags gfp, long nrScanned, long nrEligible, ref long pagesFreed)
        {
            if (nrScanned == 0) nrScanned = Vmscan.SwapClusterMax;
            long freed = 0;
            var list = node.ShrinkerList;
            for (int i = 0; i < list.Count; i++) freed += DoShrinkSlab(node, list[i], gfp, nrScanned, nrEligible, ref pagesFreed).Freed;
            return freed;
        }

        /// <summary>Runs do_shrink_slab on one shrinker by name with the given scan figures (for inspection and tests).</summary>
        public static ShrinkSlabResult DoShrink(MemNode node, string name, GfpFlags gfp, long nrScanned, long nrEligible)
        {
            if (nrScanned < 0 || nrEligible < 0)
                throw new MemMgmtException("ShrinkArgumentOutOfRange", ErrorKind.OutOfRange, $"nr_scanned {nrScanned} and nr_eligible {nrEligible} must be 0 or more.", nrScanned);
            foreach (var s in node.ShrinkerList)
                if (string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    long pages = 0;
                    return DoShrinkSlab(node, s, gfp, nrScanned, nrEligible, ref pages);
                }
            throw new MemMgmtException("ShrinkerNotFound", ErrorKind.ObjectNotFound, $"No shrinker named '{name}' is registered on node '{node.Name}'.", name);
        }
    }
}
