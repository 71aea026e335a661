using System;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>Per-node refault detection state. Per lruvec (memcg id): inactive_age, the refaults snapshot of
    /// snapshot_refaults and the memcg's own workingset_refault/workingset_activate counters (memcg_page_state in 4.14 is
    /// the group's local count). Which file slot a page caches is its allocation slot's place in a working set's reserved
    /// range (slot Base+i caches page i of that set's file), so nothing per page is kept here.</summary>
    internal sealed class ShadowRefaultState
    {
        /// <summary>lruvec->inactive_age (memcg id).</summary>
        internal long[] InactiveAge = new long[MemNode.MaxLruvecs];
        /// <summary>lruvec->refaults: WORKINGSET_ACTIVATE as snapshot_refaults last saw it (memcg id).</summary>
        internal long[] Refaults = new long[MemNode.MaxLruvecs];
        /// <summary>memcg_page_state(memcg, WORKINGSET_REFAULT) (memcg id).</summary>
        internal long[] MemcgRefault = new long[MemNode.MaxLruvecs];
        /// <summary>memcg_page_state(memcg, WORKINGSET_ACTIVATE) (memcg id).</summary>
        internal long[] MemcgActivate = new long[MemNode.MaxLruvecs];
        /// <summary>Refault detection on (the kernel always has it; tests turn it off to show what it changes).</summary>
        internal bool Enabled = true;
        /// <summary>bucket_order of workingset_init for this node's memory.</summary>
        internal readonly int BucketOrder;

        internal ShadowRefaultState(MemNode node) { BucketOrder = ShadowRefault.BucketOrderFor(node.ManagedPages); }

        internal ShadowRefaultState Clone()
        {
            var c = (ShadowRefaultState)MemberwiseClone();
            c.InactiveAge = (long[])InactiveAge.Clone();
            c.Refaults = (long[])Refaults.Clone();
            c.MemcgRefault = (long[])MemcgRefault.Clone();
            c.MemcgActivate = (long[])MemcgActivate.Clone();
            return c;
        }

        internal void Write(SnapshotWriter w)
        {
            w.Array(InactiveAge); w.Array(Refaults); w.Array(MemcgRefault); w.Array(MemcgActivate);
            w.Bool(Enabled); w.Int(BucketOrder);
        }

        private ShadowRefaultState(int bucketOrder) { BucketOrder = bucketOrder; }

        internal static ShadowRefaultState Read(SnapshotReader r)
        {
            var inactiveAge = r.Array<long>(); var refaults = r.Array<long>(); var memcgRefault = r.Array<long>(); var memcgActivate = r.Array<long>();
            bool enabled = r.Bool();
            if (inactiveAge.Length != MemNode.MaxLruvecs || refaults.Length != MemNode.MaxLruvecs || memcgRefault.Length != MemNode.MaxLruvecs
                || memcgActivate.Length != MemNode.MaxLruvecs)
                throw new SnapshotFormatException("refault arrays have wrong lengths");
            return new ShadowRefaultState(r.Int(0, 64))
            {
                InactiveAge = inactiveAge, Refaults = refaults, MemcgRefault = memcgRefault, MemcgActivate = memcgActivate,
                Enabled = enabled,
            };
        }
    }

    /// <summary>What workingset_refault decided for one page-cache miss.</summary>
    public readonly struct RefaultResult
    {
        internal RefaultResult(bool counted, bool activate, long distance, long activeFile)
        {
            Counted = counted; Activate = activate; Distance = distance; ActiveFile = activeFile;
        }

        /// <summary>The shadow's memcg still exists, so the refault was evaluated and counted (workingset_refault).</summary>
        public bool Counted { get; }
        /// <summary>refault_distance &lt;= active file pages: the page starts on the active list (workingset_activate).</summary>
        public bool Activate { get; }
        /// <summary>(inactive_age − eviction) &amp; EVICTION_MASK.</summary>
        public long Distance { get; }
        /// <summary>Active file pages of the shadow's lruvec when the refault was evaluated.</summary>
        public long ActiveFile { get; }
    }

    /// <summary>Refault detection (mm/workingset.c, 4.14) for page-cache pages: eviction leaves a shadow entry
    /// (memcg id, node, eviction counter) in the file's slot; a read that finds one measures the refault distance and
    /// activates the new page when the distance fits in the active file list.
    /// Shadow layout (arm64 4.14: RADIX_TREE_EXCEPTIONAL_ENTRY 2, RADIX_TREE_EXCEPTIONAL_SHIFT 2, NODES_SHIFT 2,
    /// MEM_CGROUP_ID_SHIFT 16): eviction counter in the top 44 bits, then memcg id, node id, and the exceptional-entry tag.
    /// bucket_order stays 0 unless a node has more than 2^44 pages, so at any size the simulator reaches eviction
    /// timestamps are exact; the EVICTION_MASK truncation only matters when inactive_age wraps 2^44, and is applied anyway.
    /// Not modelled: the shadow-node shrinker (workingset_nodereclaim stays 0: shadow entries live until the slot is
    /// refilled) and shadows of Streaming files, which are never read twice (their evictions still age inactive_age).</summary>
    public static class ShadowRefault
    {
        public const int RadixTreeExceptionalEntry = 2;
        public const int RadixTreeExceptionalShift = 2;
        public const int NodesShift = 2;
        public const int MemCgroupIdShift = 16;
        /// <summary>EVICTION_SHIFT (mm/workingset.c, 4.14).</summary>
        public const int EvictionShift = RadixTreeExceptionalEntry + NodesShift + MemCgroupIdShift;
        /// <summary>EVICTION_MASK: ~0UL &gt;&gt; EVICTION_SHIFT.</summary>
        public const ulong EvictionMask = ulong.MaxValue >> EvictionShift;

        /// <summary>kernel: workingset_init (mm/workingset.c, 4.14): bucket_order = fls_long(totalram − 1) − timestamp
        /// bits when the eviction counter cannot cover all of memory, else 0.</summary>
        public static int BucketOrderFor(long totalramPages)
        {
            int timestampBits = 64 - EvictionShift;
            int maxOrder = 0;
            for (ulong v = (ulong)Math.Max(0, totalramPages - 1); v != 0; v >>= 1) maxOrder++;
            return maxOrder > timestampBits ? maxOrder - timestampBits : 0;
        }

        /// <summary>kernel: pack_shadow (mm/workingset.c, 4.14): the bucketed eviction counter, memcg id and node id in an
        /// exceptional radix-tree entry.</summary>
        public static long PackShadow(int memcgId, int nodeId, long eviction, int bucketOrder = 0)
        {
            ulong e = (ulong)eviction >> bucketOrder;
            e = (e << MemCgroupIdShift) | (uint)(memcgId & ((1 << MemCgroupIdShift) - 1));
            e = (e << NodesShift) | (uint)(nodeId & ((1 << NodesShift) - 1));
            e <<= RadixTreeExceptionalShift;
            return (long)(e | RadixTreeExceptionalEntry);
        }

        /// <summary>kernel: unpack_shadow (mm/workingset.c, 4.14).</summary>
        public static void UnpackShadow(long shadow, out int memcgId, out int nodeId, out long eviction, int bucketOrder = 0)
        {
            ulong e = (ulong)shadow >> RadixTreeExceptionalShift;
            nodeId = (int)(e & ((1u << NodesShift) - 1));
            e >>= NodesShift;
            memcgId = (int)(e & ((1u << MemCgroupIdShift) - 1));
            e >>= MemCgroupIdShift;
            eviction = (long)(e << bucketOrder);
        }

        /// <summary>A shadow entry carries the exceptional-entry tag; 0 means an empty slot.</summary>
        public static bool IsShadow(long entry) => (entry & RadixTreeExceptionalEntry) != 0;

        /// <summary>The refault distance of workingset_refault: the unsigned difference, masked to the timestamp bits.</summary>
        public static long RefaultDistance(long inactiveAge, long eviction) =>
            (long)(((ulong)inactiveAge - (ulong)eviction) & EvictionMask);

        /// <summary>lruvec->inactive_age of a memcg's lruvec (0: root).</summary>
        public static long InactiveAge(MemNode node, int memcg = 0) => node.ShadowRefaultSt.InactiveAge[CheckMemcg(memcg)];

        /// <summary>lruvec->refaults: the WORKINGSET_ACTIVATE count snapshot_refaults last recorded for the lruvec.</summary>
        public static long RefaultsSnapshot(MemNode node, int memcg = 0) => node.ShadowRefaultSt.Refaults[CheckMemcg(memcg)];

        /// <summary>memcg_page_state(memcg, WORKINGSET_ACTIVATE) for the group (0: root).</summary>
        public static long MemcgActivations(MemNode node, int memcg = 0) => node.ShadowRefaultSt.MemcgActivate[CheckMemcg(memcg)];

        /// <summary>memcg_page_state(memcg, WORKINGSET_REFAULT) for the group (0: root).</summary>
        public static long MemcgRefaults(MemNode node, int memcg = 0) => node.ShadowRefaultSt.MemcgRefault[CheckMemcg(memcg)];

        private static int CheckMemcg(int memcg)
        {
            if (memcg < 0 || memcg >= MemNode.MaxLruvecs)
                throw new MemMgmtException("MemcgNotFound", ErrorKind.ObjectNotFound, $"Memcg id {memcg} is out of range; allowed 0 to {MemNode.MaxLruvecs - 1}.", memcg);
            return memcg;
        }

        /// <summary>Test switch: with detection off, evictions leave no shadow and refaults start inactive, as before 3.15.</summary>
        internal static void SetEnabled(MemNode node, bool enabled) => node.ShadowRefaultSt.Enabled = enabled;

        /// <summary>kernel: workingset_eviction (mm/workingset.c, 4.14), called where __remove_mapping drops a reclaimed
        /// page-cache page: advance the lruvec's inactive_age and return the shadow for the page's slot.</summary>
        internal static long Eviction(MemNode node, int page)
        {
            var st = node.ShadowRefaultSt;
            int memcg = node.Pages.Memcg[page];
            long eviction = ++st.InactiveAge[memcg];
            return PackShadow(memcg, node.NodeId, eviction, st.BucketOrder);
        }

        /// <summary>The eviction point of __remove_mapping (mm/vmscan.c, 4.14) for a reclaimed page-cache page: with detection
        /// on, workingset_eviction runs and the shadow is stored in the file slot the page filled, if a modelled file owns it.</summary>
        internal static void OnReclaimedPageCache(MemNode node, int page)
        {
            var st = node.ShadowRefaultSt;
            if (!st.Enabled) return;
            long shadow = Eviction(node, page);
            int slot = node.Pages.Handle[page];
            if (slot > 0) Workloads.WorkingSet.StoreShadow(node, slot, shadow);
        }

        /// <summary>kernel: workingset_refault (mm/workingset.c, 4.14): a page-cache miss found <paramref name="shadow"/>.
        /// If the shadow's memcg is gone nothing is counted and the page is not activated; otherwise workingset_refault
        /// counts, and a refault distance within the lruvec's active file pages counts workingset_activate and asks for
        /// activation. The 4.4 layout counts workingset_* per zone; the node-wide shadows here carry no zone (4.4's
        /// pack_shadow did), so the zone of the page being read back in, <paramref name="zid"/>, takes the count.</summary>
        internal static RefaultResult Refault(MemNode node, long shadow, int zid)
        {
            var st = node.ShadowRefaultSt;
            UnpackShadow(shadow, out int memcg, out _, out long eviction, st.BucketOrder);
            if (memcg >= MemNode.MaxLruvecs || (memcg > 0 && node.MemcgSt.Memcgs[memcg] == null)) return default;
            long refault = st.InactiveAge[memcg];
            long activeFile = Lru.LruvecLruSize(node, memcg, (int)LruList.ActiveFile, node.ZoneArr.Length);
            long distance = RefaultDistance(refault, eviction);
            node.Counters.Mod(NodeStatItem.WorkingsetRefault, zid, 1);
            st.MemcgRefault[memcg]++;
            if (distance > activeFile) return new RefaultResult(true, false, distance, activeFile);
            node.Counters.Mod(NodeStatItem.WorkingsetActivate, zid, 1);
            st.MemcgActivate[memcg]++;
            return new RefaultResult(true, true, distance, activeFile);
        }

        /// <summary>kernel: workingset_activation (mm/workingset.c, 4.14): a page-cache page was activated (mark_page_accessed,
        /// or a refault that found a short distance): its lruvec's inactive_age advances.</summary>
        internal static void Activation(MemNode node, int page)
        {
            var st = node.ShadowRefaultSt;
            if (!st.Enabled) return;
            st.InactiveAge[node.Pages.Memcg[page]]++;
        }

        /// <summary>kernel: add_to_page_cache_lru (mm/filemap.c, 4.14) for a freshly allocated page-cache page that filled a
        /// slot holding <paramref name="shadow"/> (0: none): a read (not __GFP_WRITE) whose refault is recent starts
        /// active (SetPageActive, workingset_activation); otherwise it stays inactive. The page is already queued or on
        /// the inactive list, so an activated one moves as lru_cache_add of an active page would put it.</summary>
        internal static RefaultResult AddToPageCache(MemNode node, int page, long shadow, bool write = false)
        {
            var st = node.ShadowRefaultSt;
            if (!st.Enabled || write || !IsShadow(shadow)) return default;
            var r = Refault(node, shadow, node.ZoneIdOfIndex(page));
            if (!r.Activate) return r;
            var pages = node.Pages;
            if (pages.Has(page, PageFlags.Lru))
            {
                int nr = 1 << pages.Order[page];
                Lru.Del(node, page, nr);
                pages.Set(page, PageFlags.Active);
                Lru.AddToList(node, page, nr);
                // __pagevec_lru_add_fn counts an active page as rotated in reclaim_stat.
                node.LruvecSt.Stat(node, pages.Memcg[page], page, 1, 0, 1);
            }
            else
            {
                pages.Set(page, PageFlags.Active);
            }
            Activation(node, page);
            return r;
        }

        /// <summary>A removed group's lruvec state goes with it, so a group that later gets the same id starts from
        /// zero; its shadows still name the id, as 4.14's would name a memcg id the idr later hands out again.</summary>
        internal static void ForgetMemcg(MemNode node, int memcg)
        {
            var st = node.ShadowRefaultStOrNull;
            if (st == null) return;
            st.InactiveAge[memcg] = 0;
            st.Refaults[memcg] = 0;
            st.MemcgRefault[memcg] = 0;
            st.MemcgActivate[memcg] = 0;
        }

        /// <summary>Whether WORKINGSET_ACTIVATE of the lruvec moved since snapshot_refaults (inactive_list_is_low, 4.14).</summary>
        internal static bool RefaultsChanged(MemNode node, int memcg)
        {
            var st = node.ShadowRefaultStOrNull;
            return st != null && st.Refaults[memcg] != st.MemcgActivate[memcg];
        }

        /// <summary>kernel: snapshot_refaults (mm/vmscan.c, 4.14) for one lruvec: remember WORKINGSET_ACTIVATE at the end of
        /// a reclaim cycle, so inactive_list_is_low sees only refaults that happened since.</summary>
        internal static void SnapshotRefaults(MemNode node, int memcg)
        {
            var st = node.ShadowRefaultStOrNull;
            if (st != null) st.Refaults[memcg] = st.MemcgActivate[memcg];
        }
    }
}
