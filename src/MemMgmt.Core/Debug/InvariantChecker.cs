using System.Collections.Generic;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Debug
{
    /// <summary>Checks the node's state against the rules the kernel keeps (the simulator's VM_BUG_ONs).</summary>
    public static class InvariantChecker
    {
        private const int MaxReported = 50;

        /// <summary>Returns the violations found (empty when the node is consistent): the page map, free lists, pcp
        /// lists, LRU lists and pagevecs, counters, then reclaim's own bookkeeping (<see cref="ReclaimInvariants"/>).</summary>
        public static IReadOnlyList<string> Check(MemNode node)
        {
            var v = new List<string>();
            void Fail(string s) { if (v.Count < MaxReported) v.Add(s); }
            var pages = node.Pages;
            int n = pages.NrPages;
            int maxOrder = node.MaxOrderValue;
            int pbOrder = node.PbOrder;

            // Every page is in exactly one state: walking by block sizes must land on heads only.
            long freeHeadsSeen = 0, pcpSeen = 0, lruPagesSeen = 0, queuedSeen = 0;
            for (int i = 0; i < n;)
            {
                uint f = pages.Flags[i];
                int step = 1;
                if ((f & (uint)PageFlags.Buddy) != 0)
                {
                    int o = pages.OrderOf(i);
                    if (o >= maxOrder) { Fail($"pfn {node.NodeStartPfn + i:x}: free block order {o} ≥ MAX_ORDER"); o = 0; }
                    if ((i & ((1 << o) - 1)) != 0) Fail($"pfn {node.NodeStartPfn + i:x}: free block of order {o} is not aligned");
                    if (i + (1 << o) > n || node.ZoneIdOfIndex(i) != node.ZoneIdOfIndex(i + (1 << o) - 1))
                        Fail($"pfn {node.NodeStartPfn + i:x}: free block of order {o} crosses its zone");
                    for (int t = i + 1; t < i + (1 << o) && t < n; t++)
                        if (pages.Flags[t] != 0) { Fail($"pfn {node.NodeStartPfn + t:x}: page inside a free order-{o} block has flags {pages.GetFlags(t)} and order byte {pages.OrderOf(t)}"); break; }
                    step = 1 << o;
                    freeHeadsSeen++;
                }
                else if ((f & (uint)PageFlags.Pcp) != 0)
                {
                    // A block on one of 6.1's higher-order pcp lists spans its order (kept above the migrate type).
                    int o = pages.OrderOf(i) >> BuddyAllocator.PcpOrderShift;
                    if (o >= maxOrder || i + (1 << o) > n) { Fail($"pfn {node.NodeStartPfn + i:x}: pcp block of order {o} does not fit"); o = 0; }
                    step = 1 << o;
                    pcpSeen += step;
                }
                else if ((f & (uint)PageFlags.Allocated) != 0)
                {
                    step = 1 << pages.OrderOf(i);
                    if ((f & (uint)PageFlags.Lru) != 0) lruPagesSeen++;
                    if ((f & (uint)PageFlags.LruAddQueued) != 0) queuedSeen++;
                }
                else if ((f & (uint)PageFlags.Reserved) != 0) { }
                else if ((f & (uint)PageFlags.Isolated) != 0) { if ((f & (uint)PageFlags.Lru) != 0) Fail($"pfn {node.NodeStartPfn + i:x}: isolated page still has PG_lru"); }
                else Fail($"pfn {node.NodeStartPfn + i:x}: page is neither free, on a pcp list, allocated, isolated nor reserved (leaked)");
                i += step;
            }

            long freeHeadsListed = 0;
            foreach (var zone in node.ZoneArr)
            {
                long freePages = 0, freeCma = 0;
                for (int o = 0; o < maxOrder; o++)
                {
                    long listed = 0;
                    for (int mt = 0; mt < MigrateTypes.Count; mt++)
                    {
                        int head = zone.FreeListHead(o, mt);
                        int guard = 0;
                        for (int p = pages.Next(head); p != head; p = pages.Next(p))
                        {
                            if (++guard > n) { Fail($"{zone}: free list order {o} type {(MigrateType)mt} is corrupt (cycle)"); break; }
                            listed++;
                            if (pages.IsHead(p)) { Fail($"{zone}: free list order {o} links into another list head"); break; }
                            if ((pages.Flags[p] & (uint)PageFlags.Buddy) == 0 || pages.OrderOf(p) != o)
                                Fail($"pfn {node.NodeStartPfn + p:x}: on the order-{o} free list but not a free order-{o} block");
                            if (node.ZoneArr[node.ZoneIdOfIndex(p)] != zone) Fail($"pfn {node.NodeStartPfn + p:x}: on a free list of {zone} but outside it");
                            if (mt != (int)MigrateType.Isolate) freePages += 1L << o;
                            if (mt == (int)MigrateType.Cma)
                            {
                                freeCma += 1L << o;
                                if (node.BlockMigratetype(p) != (int)MigrateType.Cma) Fail($"pfn {node.NodeStartPfn + p:x}: on a CMA free list outside a CMA pageblock");
                            }
                            if (o < maxOrder - 1)
                            {
                                int buddy = p ^ (1 << o);
                                if (buddy < n && (pages.Flags[buddy] & (uint)PageFlags.Buddy) != 0 && pages.OrderOf(buddy) == o
                                    && node.ZoneIdOfIndex(buddy) == node.ZoneIdOfIndex(p) && buddy > p)
                                {
                                    // Above pageblock order some types stay apart (BuddyAllocator.TypesStayApart).
                                    bool apart = o >= pbOrder
                                        && BuddyAllocator.TypesStayApart(node.Kernel, node.BlockMigratetype(p), node.BlockMigratetype(buddy));
                                    if (!apart) Fail($"pfn {node.NodeStartPfn + p:x} and its buddy {node.NodeStartPfn + buddy:x}: both free at order {o} but not merged");
                                }
                            }
                        }
                    }
                    if (listed != zone.NrFree[o]) Fail($"{zone}: free_area[{o}].nr_free is {zone.NrFree[o]} but its lists hold {listed} blocks");
                    freeHeadsListed += listed;
                }
                if (freePages != zone.NrFreePages) Fail($"{zone}: NR_FREE_PAGES is {zone.NrFreePages} but the free lists hold {freePages} pages");
                if (freeCma != zone.NrFreeCma) Fail($"{zone}: NR_FREE_CMA_PAGES is {zone.NrFreeCma} but the CMA lists hold {freeCma} pages");
                for (int cpu = 0; cpu < zone.Pcp.Length; cpu++)
                {
                    var pcp = zone.Pcp[cpu];
                    int count = 0;
                    int nrLists = BuddyAllocator.NrPcpLists(node.Kernel, node.Geometry);
                    for (int pindex = 0; pindex < nrLists; pindex++)
                    {
                        int order = BuddyAllocator.PindexToOrder(pindex, pbOrder);
                        for (int p = pages.Next(pcp.ListBase + pindex); p != pcp.ListBase + pindex; p = pages.Next(p))
                        {
                            count += 1 << order;
                            if ((pages.Flags[p] & (uint)PageFlags.Pcp) == 0) Fail($"pfn {node.NodeStartPfn + p:x}: on cpu {cpu}'s pcp list without being a pcp page");
                            else if (pages.OrderOf(p) >> BuddyAllocator.PcpOrderShift != order) Fail($"pfn {node.NodeStartPfn + p:x}: on cpu {cpu}'s order-{order} pcp list but of order {pages.OrderOf(p) >> BuddyAllocator.PcpOrderShift}");
                            if ((p & ((1 << order) - 1)) != 0) Fail($"pfn {node.NodeStartPfn + p:x}: order-{order} pcp block is not aligned");
                            if (node.ZoneArr[node.ZoneIdOfIndex(p)] != zone) Fail($"pfn {node.NodeStartPfn + p:x}: on a pcp list of {zone} but outside it");
                            if (count > n) break;
                        }
                    }
                    if (count != pcp.CountField) Fail($"{zone}: cpu {cpu} pcp count is {pcp.CountField} but its lists hold {count} pages");
                }
                for (int s = 0; s < zone.Stat.Length; s++)
                    if (zone.Stat[s] < 0) Fail($"{zone}: {(ZoneStatItem)s} is negative ({zone.Stat[s]})");
                if (zone.NrReservedHighatomic < 0) Fail($"{zone}: nr_reserved_highatomic is negative");
            }
            if (freeHeadsListed != freeHeadsSeen) Fail($"free blocks found by walking pages ({freeHeadsSeen}) differ from those on free lists ({freeHeadsListed})");
            long pcpTotal = 0;
            foreach (var zone in node.ZoneArr) foreach (var pcp in zone.Pcp) pcpTotal += pcp.CountField;
            if (pcpTotal != pcpSeen) Fail($"pcp pages found by walking pages ({pcpSeen}) differ from the pcp counts ({pcpTotal})");

            // Every LRU page sits on exactly the list its flags name, and the counters agree.
            long lruListed = 0;
            var lruPages = new long[Lru.NrLruLists];
            for (int memcg = 0; memcg < MemNode.MaxLruvecs; memcg++)
                for (int l = 0; l < Lru.NrLruLists; l++)
                {
                    int head = Lru.Head(node, memcg, (LruList)l);
                    for (int p = pages.Next(head); p != head; p = pages.Next(p))
                    {
                        lruListed++;
                        if (pages.IsHead(p)) { Fail($"LRU list {(LruList)l} links into another list head"); break; }
                        uint f = pages.Flags[p];
                        if ((f & (uint)PageFlags.Lru) == 0) Fail($"pfn {node.NodeStartPfn + p:x}: on LRU list {(LruList)l} without PG_lru");
                        else if (Lru.PageLru(f) != (LruList)l) Fail($"pfn {node.NodeStartPfn + p:x}: on {(LruList)l} but its flags say {Lru.PageLru(f)}");
                        if (pages.Memcg[p] != memcg) Fail($"pfn {node.NodeStartPfn + p:x}: on memcg {memcg}'s lruvec but charged to {pages.Memcg[p]}");
                        lruPages[l] += 1L << pages.OrderOf(p);
                        if (lruListed > n) break;
                    }
                }
            if (lruListed != lruPagesSeen) Fail($"pages with PG_lru ({lruPagesSeen}) differ from pages on LRU lists ({lruListed})");
            for (int l = 0; l < Lru.NrLruLists; l++)
                if (node.Counters.NodeStat[(int)NodeStatItem.NrInactiveAnon + l] != lruPages[l])
                    Fail($"{(NodeStatItem)((int)NodeStatItem.NrInactiveAnon + l)} is {node.Counters.NodeStat[(int)NodeStatItem.NrInactiveAnon + l]} but the lists hold {lruPages[l]} pages");

            CheckPagevecs(node, queuedSeen, Fail);

            for (int e = 0; e < node.Counters.Events.Length; e++)
                if (node.Counters.Events[e] < 0) Fail($"{(VmEvent)e} is negative");
            for (int s = 0; s < node.Counters.NodeStat.Length; s++)
                if (node.Counters.NodeStat[s] < 0) Fail($"{(NodeStatItem)s} is negative ({node.Counters.NodeStat[s]})");
            // The per-zone split of the node items (LRU sizes excepted: the zones' nr_zone_* hold those) adds up to the node's.
            for (int s = (int)NodeStatItem.NrSlabReclaimable; s < node.Counters.NodeStat.Length; s++)
            {
                long sum = 0;
                for (int z = 0; z < node.ZoneArr.Length; z++)
                {
                    long share = node.Counters.ZoneNodeStat[s, z];
                    if (share < 0) Fail($"{(NodeStatItem)s} of zone {node.ZoneArr[z].Name} is negative ({share})");
                    sum += share;
                }
                if (sum != node.Counters.NodeStat[s]) Fail($"{(NodeStatItem)s}: the zones hold {sum}, the node {node.Counters.NodeStat[s]}");
            }

            // Compaction isolates pages only while it runs: afterwards no page may stay isolated, and the
            // NR_ISOLATED_* counters must be back to the pages still isolated (none between operations).
            long isolatedSeen = 0;
            for (int i = 0; i < n; i++)
                if ((pages.Flags[i] & (uint)PageFlags.Isolated) != 0)
                {
                    if (isolatedSeen++ < 5) Fail($"pfn {node.NodeStartPfn + i:x}: still isolated for migration ({pages.GetFlags(i)})");
                }
            long isolatedCounted = node.Counters.NodeStat[(int)NodeStatItem.NrIsolatedAnon] + node.Counters.NodeStat[(int)NodeStatItem.NrIsolatedFile];
            if (isolatedCounted != 0) Fail($"nr_isolated_anon + nr_isolated_file is {isolatedCounted} with no migration running");

            var table = node.Allocations;
            for (int slot = 1; slot < table.SlotCount; slot++)
            {
                if (!table.IsLive(slot)) continue;
                int idx = table.IndexOf(slot);
                if ((pages.Flags[idx] & (uint)PageFlags.Allocated) == 0 || pages.Handle[idx] != slot)
                    Fail($"allocation handle slot {slot} points at pfn {node.NodeStartPfn + idx:x}, which is not its allocated head");
            }
            for (int b = 0; b < node.PageblockBits.Length; b++)
                if ((node.PageblockBits[b] & 7) >= MigrateTypes.Count) Fail($"pageblock {b}: invalid migratetype {node.PageblockBits[b] & 7}");
            foreach (var r in ReclaimInvariants.Check(node)) Fail(r);
            return v;
        }

        /// <summary>The per-cpu pagevecs: every lru_add entry is an allocated LRU page that is on no list, says it is
        /// queued and is queued once; the pages so flagged are exactly those entries; the per-lruvec pending counts add
        /// up; the other vectors hold only allocated pages.</summary>
        private static void CheckPagevecs(MemNode node, long queuedSeen, System.Action<string> fail)
        {
            var pages = node.Pages;
            var lruvecs = node.LruvecSt;
            int n = pages.NrPages;
            var pending = new long[MemNode.MaxLruvecs];
            long entries = 0;
            for (int cpu = 0; cpu < lruvecs.Pvecs.Length; cpu++)
            {
                var pv = lruvecs.Pvecs[cpu];
                if (pv.AddN < 0 || pv.AddN >= LruvecState.PagevecSize) fail($"cpu {cpu} lru_add pagevec count {pv.AddN} outside 0..{LruvecState.PagevecSize - 1} between drains");
                for (int i = 0; i < pv.AddN && i < LruvecState.PagevecSize; i++)
                {
                    int p = pv.Add[i];
                    if (p < 0) continue;
                    if (p >= n) { fail($"cpu {cpu} lru_add pagevec slot {i} holds index {p} outside the node"); continue; }
                    entries++;
                    uint f = pages.Flags[p];
                    var o = (PageOwner)pages.Owner[p];
                    string at = $"pfn {node.NodeStartPfn + p:x} (cpu {cpu} lru_add pagevec slot {i})";
                    if ((f & (uint)PageFlags.Allocated) == 0) fail($"{at}: queued but not allocated ({(PageFlags)(f & PageMap.FlagBits)})");
                    else if (o != PageOwner.Anon && o != PageOwner.FileCache && o != PageOwner.Shmem) fail($"{at}: queued but owned by {o}");
                    if ((f & (uint)PageFlags.Lru) != 0) fail($"{at}: queued for lru_add but already on an LRU list");
                    if ((f & (uint)PageFlags.LruAddQueued) == 0) fail($"{at}: queued but the page does not say so");
                    for (int c2 = cpu; c2 < lruvecs.Pvecs.Length; c2++)
                    {
                        var pv2 = lruvecs.Pvecs[c2];
                        for (int j = c2 == cpu ? i + 1 : 0; j < pv2.AddN && j < LruvecState.PagevecSize; j++)
                            if (pv2.Add[j] == p) fail($"{at}: queued again on cpu {c2} slot {j}");
                    }
                    pending[pages.Memcg[p]] += 1L << pages.OrderOf(p);
                }
                CheckOtherPagevec(node, cpu, "lru_rotate", pv.Rotate, pv.RotateN, fail);
                CheckOtherPagevec(node, cpu, "lru_deactivate_file", pv.DeactivateFile, pv.DeactivateFileN, fail);
                CheckOtherPagevec(node, cpu, "activate_page", pv.Activate, pv.ActivateN, fail);
            }
            if (entries != queuedSeen) fail($"pages flagged as queued for lru_add ({queuedSeen}) differ from lru_add pagevec entries ({entries})");
            for (int m = 0; m < MemNode.MaxLruvecs; m++)
                if (lruvecs.LruAddPending[m] != pending[m]) fail($"memcg {m}: lru_add pending count is {lruvecs.LruAddPending[m]} but the pagevecs hold {pending[m]} of its pages");
        }

        private static void CheckOtherPagevec(MemNode node, int cpu, string name, int[] vec, int count, System.Action<string> fail)
        {
            if (count < 0 || count >= LruvecState.PagevecSize) fail($"cpu {cpu} {name} pagevec count {count} outside 0..{LruvecState.PagevecSize - 1} between drains");
            for (int i = 0; i < count && i < vec.Length; i++)
            {
                int p = vec[i];
                if (p < 0) continue;
                if (p >= node.Pages.NrPages) fail($"cpu {cpu} {name} pagevec slot {i} holds index {p} outside the node");
                else if ((node.Pages.Flags[p] & (uint)PageFlags.Allocated) == 0)
                    fail($"pfn {node.NodeStartPfn + p:x} (cpu {cpu} {name} pagevec slot {i}): queued but not allocated");
            }
        }
    }
}
