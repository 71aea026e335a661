using System;
using MemMgmt.Core.Node;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>Per-node refault detection state. Per lruvec (memcg id): inactive_age, the refaults snapshot of
    /// snapshot_refaults and the memcg's own workingset_refault/workingset_activate counters (memcg_page_state in 4.14 is
    /// the group's local count). Which file slot a page caches is its allocation slot's place in a working set's reserved
    /// range (slot Base+i caches page i of that set's file), and an evicted page's shadow is kept in that dead slot
    /// (<see cref="ShadowRefault.ToSlotShadow"/>), so nothing per page is kept here.</summary>
    internal sealed class ShadowRefaultState
    {
        /// <summary>lruvec->inactive_age (memcg id); 6.1's lruvec->nonresident_age.</summary>
        internal long[] InactiveAge = new long[MemNode.MaxLruvecs];
        /// <summary>lruvec->refaults: WORKINGSET_ACTIVATE as snapshot_refaults last saw it (memcg id).</summary>
        internal long[] Refaults = new long[MemNode.MaxLruvecs];
        /// <summary>memcg_page_state(memcg, WORKINGSET_REFAULT) (memcg id).</summary>
        internal long[] MemcgRefault = new long[MemNode.MaxLruvecs];
        /// <summary>memcg_page_state(memcg, WORKINGSET_ACTIVATE) (memcg id).</summary>
        internal long[] MemcgActivate = new long[MemNode.MaxLruvecs];
        /// <summary>WORKINGSET_RESTORE_FILE of the node (6.1 profile): activated refaults of pages that were workingset.</summary>
        internal long RestoreFile;
        /// <summary>Refault detection on (the kernel always has it; tests turn it off to show what it changes).</summary>
        internal bool Enabled = true;
        /// <summary>bucket_order of workingset_init for this node's memory.</summary>
        internal readonly int BucketOrder;
        /// <summary>The bucket order of the eviction counter a shadow keeps in a dead allocation slot
        /// (<see cref="ShadowRefault.SlotBucketOrderFor"/>).</summary>
        internal readonly int SlotBucketOrder;

        internal ShadowRefaultState(MemNode node)
        {
            BucketOrder = ShadowRefault.BucketOrderFor(node.ManagedPages);
            SlotBucketOrder = ShadowRefault.SlotBucketOrderFor(node.ManagedPages);
        }

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
            w.Bool(Enabled); w.Int(BucketOrder); w.Long(RestoreFile); w.Int(SlotBucketOrder);
        }

        private ShadowRefaultState(int bucketOrder, int slotBucketOrder) { BucketOrder = bucketOrder; SlotBucketOrder = slotBucketOrder; }

        internal static ShadowRefaultState Read(SnapshotReader r)
        {
            var inactiveAge = r.Array<long>(); var refaults = r.Array<long>(); var memcgRefault = r.Array<long>(); var memcgActivate = r.Array<long>();
            bool enabled = r.Bool();
            if (inactiveAge.Length != MemNode.MaxLruvecs || refaults.Length != MemNode.MaxLruvecs || memcgRefault.Length != MemNode.MaxLruvecs
                || memcgActivate.Length != MemNode.MaxLruvecs)
                throw new SnapshotFormatException("refault arrays have wrong lengths");
            int bucketOrder = r.Int(0, 64);
            long restoreFile = r.Long();
            if (restoreFile < 0) throw new SnapshotFormatException("workingset restore count is negative");
            int slotBucketOrder = r.Int(0, 64);
            return new ShadowRefaultState(bucketOrder, slotBucketOrder)
            {
                InactiveAge = inactiveAge, Refaults = refaults, MemcgRefault = memcgRefault, MemcgActivate = memcgActivate,
                Enabled = enabled, RestoreFile = restoreFile,
            };
        }
    }

    /// <summary>What workingset_refault decided for one page-cache miss.</summary>
    public readonly struct RefaultResult
    {
        internal RefaultResult(bool counted, bool activate, long distance, long activeFile, bool restore = false)
        {
            Counted = counted; Activate = activate; Distance = distance; ActiveFile = activeFile; Restore = restore;
        }

        /// <summary>The shadow's memcg still exists, so the refault was evaluated and counted (workingset_refault).</summary>
        public bool Counted { get; }
        /// <summary>refault_distance &lt;= active file pages: the page starts on the active list (workingset_activate).</summary>
        public bool Activate { get; }
        /// <summary>(inactive_age − eviction) &amp; EVICTION_MASK.</summary>
        public long Distance { get; }
        /// <summary>The workingset size the distance was compared with: active file pages of the shadow's lruvec (6.1:
        /// plus both anon lists while swap has free slots).</summary>
        public long ActiveFile { get; }
        /// <summary>6.1: the shadow carried PG_workingset and the page was activated (workingset_restore).</summary>
        public bool Restore { get; }
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

        /// <summary>WORKINGSET_SHIFT (mm/workingset.c, 6.1): the PG_workingset bit below the node id.</summary>
        public const int WorkingsetShift = 1;
        /// <summary>EVICTION_SHIFT (mm/workingset.c, 6.1, 64-bit): the xarray value tag bit, the workingset bit, node and
        /// memcg ids.</summary>
        public const int EvictionShift61 = 1 + WorkingsetShift + NodesShift + MemCgroupIdShift;
        /// <summary>EVICTION_MASK (6.1): ~0UL &gt;&gt; EVICTION_SHIFT.</summary>
        public const ulong EvictionMask61 = ulong.MaxValue >> EvictionShift61;

        /// <summary>kernel: pack_shadow (mm/workingset.c, 6.1): the masked eviction counter, memcg id, node id and the
        /// workingset bit in an xarray value entry (xa_mk_value: shifted left once, bit 0 set).</summary>
        public static long PackShadow61(int memcgId, int nodeId, long eviction, bool workingset, int bucketOrder = 0)
        {
            ulong e = ((ulong)eviction >> bucketOrder) & EvictionMask61;
            e = (e << MemCgroupIdShift) | (uint)(memcgId & ((1 << MemCgroupIdShift) - 1));
            e = (e << NodesShift) | (uint)(nodeId & ((1 << NodesShift) - 1));
            e = (e << WorkingsetShift) | (workingset ? 1u : 0u);
            return (long)((e << 1) | 1);
        }

        /// <summary>kernel: unpack_shadow (mm/workingset.c, 6.1).</summary>
        public static void UnpackShadow61(long shadow, out int memcgId, out int nodeId, out long eviction, out bool workingset, int bucketOrder = 0)
        {
            ulong e = (ulong)shadow >> 1;
            workingset = (e & 1) != 0;
            e >>= WorkingsetShift;
            nodeId = (int)(e & ((1u << NodesShift) - 1));
            e >>= NodesShift;
            memcgId = (int)(e & ((1u << MemCgroupIdShift) - 1));
            e >>= MemCgroupIdShift;
            eviction = (long)(e << bucketOrder);
        }

        /// <summary>Eviction-counter bits of a shadow kept in a dead allocation slot (<see cref="ToSlotShadow"/>): the 31 bits
        /// of the slot's index field less the present bit, the workingset bit and six bits of memcg id.</summary>
        public const int SlotEvictionBits = 23;
        private const int SlotMemcgBits = 6;
        private const int SlotEvictionShift = 2 + SlotMemcgBits;

        /// <summary>The bucket order of a slot shadow's eviction counter, chosen as workingset_init chooses bucket_order
        /// (the counter, in buckets of 2^order evictions, covers every page of the node) with one bit to spare: it covers
        /// twice the node's pages, so the refault distance of a page thrashing through all of memory (evictions plus
        /// activations since its eviction, which can pass the page count) does not wrap. 0 up to 2^22 pages (16 GiB of 4 KiB
        /// pages), so such a node keeps exact timestamps; larger nodes round the distance as the kernel's own bucketing does.</summary>
        public static int SlotBucketOrderFor(long totalramPages)
        {
            int maxOrder = 0;
            for (ulong v = (ulong)Math.Max(0, totalramPages - 1); v != 0; v >>= 1) maxOrder++;
            return Math.Max(0, maxOrder + 1 - SlotEvictionBits);
        }

        /// <summary>The shadow entry <paramref name="shadow"/> (this node's pack_shadow layout) as the 31-bit note its dead
        /// allocation slot keeps: bit 0 set (a shadow is there), bit 1 PG_workingset (6.1), six bits of memcg id
        /// (MaxLruvecs is 64) and the low <see cref="SlotEvictionBits"/> bits of the eviction counter in buckets of
        /// 2^SlotBucketOrder. The node id is not kept: the slot is this node's. The counter is truncated as 32-bit kernels
        /// truncate theirs (bucket_order, then the timestamp bits); <see cref="FromSlotShadow"/> restores it.</summary>
        internal static int ToSlotShadow(MemNode node, long shadow)
        {
            var st = node.ShadowRefaultSt;
            int memcg; long eviction; bool workingset = false;
            if (node.Kernel.PageWorkingsetRefaults) UnpackShadow61(shadow, out memcg, out _, out eviction, out workingset, st.BucketOrder);
            else UnpackShadow(shadow, out memcg, out _, out eviction, st.BucketOrder);
            if ((uint)memcg >= (1u << SlotMemcgBits)) throw new InvalidOperationException($"memcg id {memcg} does not fit a slot shadow");
            long e = (long)((ulong)eviction >> st.SlotBucketOrder) & ((1L << SlotEvictionBits) - 1);
            return (int)(e << SlotEvictionShift) | (memcg << 2) | (workingset ? 2 : 0) | 1;
        }

        /// <summary>The shadow entry a slot's note <paramref name="note"/> stands for, read when the page refaults: the
        /// truncated eviction counter is taken as the latest value not above the memcg's inactive_age with those low bits,
        /// which is the counter at the eviction whenever fewer than 2^(SlotEvictionBits+SlotBucketOrder) evictions and
        /// activations passed since (an older shadow gets a distance that wrapped, as a kernel shadow older than
        /// EVICTION_MASK does). Packed in this node's layout, so workingset_refault reads it unchanged.</summary>
        internal static long FromSlotShadow(MemNode node, int note)
        {
            var st = node.ShadowRefaultSt;
            int memcg = (note >> 2) & ((1 << SlotMemcgBits) - 1);
            bool workingset = (note & 2) != 0;
            long mask = (1L << SlotEvictionBits) - 1;
            long age = (long)((ulong)st.InactiveAge[memcg] >> st.SlotBucketOrder);
            long behind = (age - (note >> SlotEvictionShift)) & mask;
            long eviction = (age - behind) << st.SlotBucketOrder;
            return node.Kernel.PageWorkingsetRefaults
                ? PackShadow61(memcg, node.NodeId, eviction, workingset, st.BucketOrder)
                : PackShadow(memcg, node.NodeId, eviction, st.BucketOrder);
        }

        /// <summary>A shadow entry carries a value tag (4.14's exceptional-entry bit, 6.1's xarray value bit); 0 means an
        /// empty slot.</summary>
        public static bool IsShadow(long entry) => (entry & (RadixTreeExceptionalEntry | 1)) != 0;

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
        /// page-cache page: advance the page's lruvec's inactive_age and return the shadow for the page's slot. 6.1
        /// (<see cref="KernelProfile.PageWorkingsetRefaults"/>): the reclaim target's lruvec (the root for global reclaim,
        /// <paramref name="targetMemcg"/> −1) records it, its nonresident_age is read and then aged by the page's size up
        /// to the root, and the shadow keeps PG_workingset.</summary>
        internal static long Eviction(MemNode node, int page, int targetMemcg = -1)
        {
            var st = node.ShadowRefaultSt;
            if (!node.Kernel.PageWorkingsetRefaults)
            {
                int memcg = node.Pages.Memcg[page];
                long eviction = ++st.InactiveAge[memcg];
                return PackShadow(memcg, node.NodeId, eviction, st.BucketOrder);
            }
            int target = targetMemcg < 0 ? 0 : targetMemcg;
            long age = st.InactiveAge[target];
            AgeNonresident(node, target, 1L << node.Pages.OrderOf(page));
            return PackShadow61(target, node.NodeId, age, node.Pages.Has(page, PageFlags.Workingset), st.BucketOrder);
        }

        /// <summary>kernel: workingset_age_nonresident (mm/workingset.c, 6.1): the lruvec and every ancestor's age by
        /// <paramref name="nrPages"/>.</summary>
        private static void AgeNonresident(MemNode node, int memcg, long nrPages)
        {
            var age = node.ShadowRefaultSt.InactiveAge;
            for (int m = memcg; m >= 0; m = MemCgroups.ParentOf(node, m)) age[m] += nrPages;
        }

        /// <summary>The eviction point of __remove_mapping (mm/vmscan.c, 4.14) for a reclaimed page-cache page: with detection
        /// on, workingset_eviction runs and the shadow replaces the page in the file slot the page filled, if a modelled file
        /// owns it (the allocation slot dies there, before the page is freed, as the page leaves the mapping).</summary>
        internal static void OnReclaimedPageCache(MemNode node, int page, int targetMemcg)
        {
            var st = node.ShadowRefaultSt;
            if (!st.Enabled) return;
            long shadow = Eviction(node, page, targetMemcg);
            int slot = node.Pages.Handle[page];
            if (slot > 0) Workloads.WorkingSet.StoreShadow(node, page, slot, shadow);
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

        /// <summary>kernel: workingset_refault (mm/workingset.c, 6.1) for a page-cache page <paramref name="page"/>: a shadow
        /// whose memcg is gone counts nothing; otherwise the refault counts in the new page's lruvec, and the distance from the evicting lruvec's nonresident_age is compared with its (hierarchical) active file
        /// pages plus, while swap has free slots, active and inactive anon. Within it the page is activated, its lruvec
        /// aged, workingset_activate counted, and a shadow with PG_workingset sets the flag again, counts
        /// workingset_restore and notes the page as file refault cost.</summary>
        private static RefaultResult Refault61(MemNode node, int page, long shadow, int zid)
        {
            var st = node.ShadowRefaultSt;
            var pages = node.Pages;
            UnpackShadow61(shadow, out int evictionMemcg, out _, out long eviction, out bool workingset, st.BucketOrder);
            if (evictionMemcg >= MemNode.MaxLruvecs || (evictionMemcg > 0 && node.MemcgSt.Memcgs[evictionMemcg] == null))
                return default;
            int memcg = pages.Memcg[page];
            long nr = 1L << pages.OrderOf(page);
            node.Counters.Mod(NodeStatItem.WorkingsetRefault, zid, nr);
            st.MemcgRefault[memcg] += nr;
            long distance = (long)(((ulong)st.InactiveAge[evictionMemcg] - (ulong)eviction) & EvictionMask61);
            long workingsetSize = Vmscan.SubtreeLruSize(node, evictionMemcg, (int)LruList.ActiveFile);
            if (node.Swap.FreePages > 0)
                workingsetSize += Vmscan.SubtreeLruSize(node, evictionMemcg, (int)LruList.ActiveAnon)
                    + Vmscan.SubtreeLruSize(node, evictionMemcg, (int)LruList.InactiveAnon);
            if (distance > workingsetSize) return new RefaultResult(true, false, distance, workingsetSize);
            AgeNonresident(node, memcg, nr);
            node.Counters.Mod(NodeStatItem.WorkingsetActivate, zid, nr);
            st.MemcgActivate[memcg] += nr;
            if (workingset)
            {
                pages.Set(page, PageFlags.Workingset);
                Vmscan.LruNoteCost(node, memcg, true, nr);
                st.RestoreFile += nr;
            }
            return new RefaultResult(true, true, distance, workingsetSize, workingset);
        }

        /// <summary>kernel: workingset_activation (mm/workingset.c, 4.14): a page-cache page was activated (mark_page_accessed,
        /// or a refault that found a short distance): its lruvec's inactive_age advances.</summary>
        internal static void Activation(MemNode node, int page)
        {
            var st = node.ShadowRefaultSt;
            if (!st.Enabled) return;
            // 6.1's workingset_activation ages by the folio's pages, up to the root.
            if (node.Kernel.PageWorkingsetRefaults) AgeNonresident(node, node.Pages.Memcg[page], 1L << node.Pages.OrderOf(page));
            else st.InactiveAge[node.Pages.Memcg[page]]++;
        }

        /// <summary>kernel: add_to_page_cache_lru (mm/filemap.c, 4.14; filemap_add_folio, 6.1) for a freshly allocated
        /// page-cache page that filled a slot holding <paramref name="shadow"/> (0: none): a read (not __GFP_WRITE) whose
        /// refault is recent starts active (SetPageActive, workingset_activation); otherwise it stays inactive. The page is already queued or on
        /// the inactive list, so an activated one moves as lru_cache_add of an active page would put it.</summary>
        internal static RefaultResult AddToPageCache(MemNode node, int page, long shadow, bool write = false)
        {
            var st = node.ShadowRefaultSt;
            if (!st.Enabled || write || !IsShadow(shadow)) return default;
            bool v61 = node.Kernel.PageWorkingsetRefaults;
            var r = v61 ? Refault61(node, page, shadow, node.ZoneIdOfIndex(page)) : Refault(node, shadow, node.ZoneIdOfIndex(page));
            if (!r.Activate) return r;
            var pages = node.Pages;
            if (pages.Has(page, PageFlags.Lru))
            {
                int nr = 1 << pages.OrderOf(page);
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
            if (!v61) Activation(node, page); // 6.1's workingset_refault aged the lruvec already
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
