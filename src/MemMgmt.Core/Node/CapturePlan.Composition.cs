using System;
using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Hugetlb;
using Part = MemMgmt.Core.Node.PageblockComposition.Part;

namespace MemMgmt.Core.Node
{
    /// <summary>
    /// The layout of a capture that has the harness's pbmap: each pageblock gets the free pages and the kinds of pages in use
    /// pbmap saw there, as far as the exact buddyinfo and pagetypeinfo counts allow. The CMA blocks stay at the top of the
    /// zone (pbmap cannot tell them apart); of the other blocks, those holding most pages the kernel cannot move take the
    /// Unmovable, Reclaimable (most slab first) and HighAtomic counts. Free blocks of pageblock order and above take the
    /// aligned runs pbmap saw freest; smaller ones go, largest first, to the block still furthest below its free count,
    /// order-0 pages at the pfn parity pbmap saw most there, never beside a free buddy of their own order.
    /// </summary>
    internal sealed partial class CapturePlan
    {
        private void PlaceByComposition(CaptureZone cz, CaptureFile pagetypeinfo)
        {
            var comp = _composition!;
            int pbOrder = _g.PageblockOrder;
            int zs = ZoneStartIndex(cz);
            int firstBlock = zs >> pbOrder;
            int nBlocks = (int)(cz.Info.Spanned >> pbOrder);
            AssignBlockTypes(cz, comp, firstBlock, nBlocks);

            var target = new int[nBlocks];
            // A block pbmap saw wholly of hugetlb pages becomes a pool page: free blocks go there only when nowhere else fits.
            for (int b = 0; b < nBlocks; b++)
                target[b] = comp.Count(firstBlock + b, Part.Huge) == PageblockComposition.BlockPages ? -2 * PageblockComposition.BlockPages : comp.Count(firstBlock + b, Part.Free);
            var taken = new bool[nBlocks];
            PlaceWholeBlocks(cz, pagetypeinfo, firstBlock, nBlocks, target, taken);
            var covered = new bool[cz.Info.Spanned];
            foreach (var mt in SegmentOrder) PlaceSmallBlocks(cz, pagetypeinfo, mt, comp, firstBlock, target, taken, covered);
        }

        private void AssignBlockTypes(CaptureZone cz, PageblockComposition comp, int firstBlock, int nBlocks)
        {
            var type = cz.BlockType = new byte[nBlocks];
            for (int b = 0; b < nBlocks; b++) type[b] = (byte)MigrateType.Movable;
            int cma = (int)cz.Blocks[(int)MigrateType.Cma];
            int cmaStart = CmaRun(cz, comp, firstBlock, nBlocks, cma);
            for (int b = cmaStart; b < cmaStart + cma; b++) type[b] = (byte)MigrateType.Cma;

            var rest = new List<int>();
            for (int b = 0; b < nBlocks; b++) if (type[b] != (byte)MigrateType.Cma) rest.Add(b);
            rest.Sort((x, y) => MostFirst(comp.Pinned(firstBlock + x), comp.Pinned(firstBlock + y), x, y));
            int unmovable = (int)cz.Blocks[(int)MigrateType.Unmovable], reclaimable = (int)cz.Blocks[(int)MigrateType.Reclaimable];
            int highAtomic = (int)cz.Blocks[(int)MigrateType.HighAtomic];
            var pinned = rest.GetRange(0, Math.Min(rest.Count, unmovable + reclaimable + highAtomic));
            var bySlab = new List<int>(pinned);
            bySlab.Sort((x, y) => MostFirst(comp.Count(firstBlock + x, Part.Slab), comp.Count(firstBlock + y, Part.Slab), x, y));
            for (int k = 0; k < reclaimable; k++) type[bySlab[k]] = (byte)MigrateType.Reclaimable;
            foreach (int b in pinned)
            {
                if (type[b] == (byte)MigrateType.Reclaimable) continue;
                type[b] = (byte)(highAtomic-- > 0 ? MigrateType.HighAtomic : MigrateType.Unmovable);
            }
        }

        /// <summary>Where the CMA area is: the run of <paramref name="cma"/> blocks without slab, page tables or reserved pages
        /// (pbmap's "other" pages may be per-cpu list pages, which CMA blocks hold) whose free pages pbmap saw come closest to
        /// the free CMA pages pagetypeinfo counts; the highest such run (the area is reserved top-down), the top of the zone
        /// when every run holds such pages.</summary>
        private int CmaRun(CaptureZone cz, PageblockComposition comp, int firstBlock, int nBlocks, int cma)
        {
            if (cma == 0) return nBlocks;
            long cmaFree = 0;
            for (int o = 0; o < _g.MaxOrder; o++) cmaFree += cz.Free[o, (int)MigrateType.Cma] << o;
            int best = nBlocks - cma;
            long bestMiss = long.MaxValue;
            for (int start = nBlocks - cma; start >= 0; start--)
            {
                long free = 0, pinned = 0;
                for (int b = start; b < start + cma; b++)
                {
                    free += comp.Count(firstBlock + b, Part.Free);
                    pinned += comp.Count(firstBlock + b, Part.Slab) + comp.Count(firstBlock + b, Part.PageTable) + comp.Count(firstBlock + b, Part.Reserved);
                }
                long miss = Math.Abs(free - cmaFree);
                if (pinned == 0 && miss < bestMiss) { best = start; bestMiss = miss; }
            }
            return best;
        }

        /// <summary>Orders blocks by a count, largest first, the lower block first on ties.</summary>
        private static int MostFirst(int countX, int countY, int x, int y) => countX != countY ? countY.CompareTo(countX) : x.CompareTo(y);

        /// <summary>Free blocks of pageblock order and above: the aligned runs of their type whose blocks pbmap saw freest.</summary>
        private void PlaceWholeBlocks(CaptureZone cz, CaptureFile pagetypeinfo, int firstBlock, int nBlocks, int[] target, bool[] taken)
        {
            int pbOrder = _g.PageblockOrder, maxOrder = _g.MaxOrder;
            int zs = ZoneStartIndex(cz);
            var runs = new List<long>();
            for (int o = maxOrder - 1; o >= pbOrder; o--)
            {
                int n = 1 << (o - pbOrder);
                foreach (var mt in SegmentOrder)
                {
                    long want = cz.Free[o, (int)mt];
                    if (want == 0) continue;
                    // Each run as one sortable key: free pages seen (high bits), then the run's start, highest first on ties.
                    runs.Clear();
                    for (int g = ((firstBlock + n - 1) & ~(n - 1)) - firstBlock; g + n <= nBlocks; g += n)
                    {
                        long seen = 0;
                        bool fits = true;
                        for (int k = 0; k < n && fits; k++)
                        {
                            fits = !taken[g + k] && cz.BlockType[g + k] == (byte)mt;
                            seen += target[g + k];
                        }
                        if (fits) runs.Add((seen << 32) | (uint)g);
                    }
                    runs.Sort();
                    for (int r = runs.Count - 1; r >= 0 && want > 0; r--)
                    {
                        int g = (int)(runs[r] & 0xffffffff);
                        int head = zs + (g << pbOrder);
                        int buddy = head ^ (1 << o);
                        if (o < maxOrder - 1 && buddy >= 0 && buddy < _freeAt.Length && _freeAt[buddy] == o) continue;
                        for (int k = 0; k < n; k++) { taken[g + k] = true; target[g + k] = 0; }
                        _freeAt[head] = (sbyte)o;
                        want--;
                    }
                    if (want > 0)
                        throw Unplaceable(pagetypeinfo, cz, mt, $"{want} of its {cz.Free[o, (int)mt]} free order-{o} blocks find no aligned run of {n} free {MigrateTypes.KernelName(mt)} pageblocks");
                }
            }
        }

        /// <summary>Free blocks below pageblock order of one type, largest first, each to the block of that type furthest below
        /// the free pages pbmap saw in it, at its lowest place that keeps buddies apart.</summary>
        private void PlaceSmallBlocks(CaptureZone cz, CaptureFile pagetypeinfo, MigrateType mt, PageblockComposition comp, int firstBlock,
            int[] target, bool[] taken, bool[] covered)
        {
            int pbOrder = _g.PageblockOrder, pb = _g.PageblockNrPages;
            int zs = ZoneStartIndex(cz);
            var blocks = new List<int>();
            for (int b = 0; b < target.Length; b++) if (!taken[b] && cz.BlockType[b] == (byte)mt) blocks.Add(b);
            // Order-0 search positions per block: the parity pbmap saw most first, then the other.
            var nextPreferred = new int[target.Length];
            var nextOther = new int[target.Length];
            foreach (int b in blocks)
            {
                bool odd = comp.FreeMostlyOdd(firstBlock + b);
                nextPreferred[b] = odd ? 1 : 0;
                nextOther[b] = odd ? 0 : 1;
            }
            var heap = new BlockHeap(target);
            for (int o = pbOrder - 1; o >= 0; o--)
            {
                long count = cz.Free[o, (int)mt];
                if (count == 0) continue;
                int size = 1 << o;
                heap.Reset(blocks);
                for (long c = count; c > 0;)
                {
                    if (heap.Empty)
                        throw Unplaceable(pagetypeinfo, cz, mt, $"{c} of its {count} free order-{o} blocks do not fit in its pageblocks beside the larger ones, with buddies kept apart");
                    int b = heap.Top;
                    int blockStart = zs + (b << pbOrder);
                    int pos;
                    if (o > 0) pos = FindFree(blockStart, pb, o, covered, zs);
                    else
                    {
                        pos = FindOrderZero(blockStart, pb, ref nextPreferred[b], covered, zs);
                        if (pos < 0) pos = FindOrderZero(blockStart, pb, ref nextOther[b], covered, zs);
                    }
                    if (pos < 0) { heap.Pop(); continue; }
                    _freeAt[pos] = (sbyte)o;
                    for (int k = 0; k < size; k++) covered[pos - zs + k] = true;
                    target[b] -= size;
                    heap.TopDecreased();
                    c--;
                }
            }
        }

        /// <summary>The next free order-0 place from <paramref name="next"/> (an offset in the block, stepped by 2 so it keeps
        /// its parity) whose buddy is not a free order-0 page; -1 when the block has none left.</summary>
        private int FindOrderZero(int blockStart, int pb, ref int next, bool[] covered, int zs)
        {
            for (; next < pb; next += 2)
            {
                int p = blockStart + next;
                if (!covered[p - zs] && _freeAt[p ^ 1] != 0) return p;
            }
            return -1;
        }

        private int FindFree(int blockStart, int pb, int order, bool[] covered, int zs)
        {
            int size = 1 << order;
            for (int off = 0; off < pb; off += size)
            {
                int p = blockStart + off;
                bool free = _freeAt[p ^ size] != order;
                for (int k = 0; k < size && free; k++) free = !covered[p - zs + k];
                if (free) return p;
            }
            return -1;
        }

        /// <summary>Marks the pbmap's reserved pages (lowest in each block, the zone's exact spanned − managed in all), makes
        /// each block wholly of hugetlb pages a pool page, and gives the other pages in use owners in the block's proportions.</summary>
        private void AllocateUsedPagesByComposition(MemNode node, CaptureZone cz)
        {
            var comp = _composition!;
            var pages = node.Pages;
            int pbOrder = node.PbOrder, pb = 1 << pbOrder;
            int zs = ZoneStartIndex(cz);
            int ze = zs + (int)cz.Info.Spanned;

            long reservedLeft = cz.Info.Spanned - cz.Info.Managed;
            for (int pass = 0; pass < 3 && reservedLeft > 0; pass++)
            {
                // Pass 0 takes each block's own reserved count; pass 1 puts any rest on the zone's lowest pages in use outside
                // the hugetlb blocks, pass 2 anywhere.
                int quota = 0, block = -1;
                for (int i = zs; i < ze && reservedLeft > 0;)
                {
                    if (_freeAt[i] >= 0) { i += 1 << _freeAt[i]; continue; }
                    int b = i >> pbOrder;
                    if (b != block)
                    {
                        block = b;
                        quota = pass == 0 ? comp.Count(b, Part.Reserved)
                            : pass == 1 && comp.Count(b, Part.Huge) == pb ? 0 : int.MaxValue;
                    }
                    if (quota > 0 && pages.Flags[i] == 0)
                    {
                        pages.Flags[i] = (uint)PageFlags.Reserved;
                        pages.Owner[i] = (byte)PageOwner.Kernel;
                        quota--;
                        reservedLeft--;
                    }
                    i++;
                }
            }

            var zoneTotals = new long[(int)Part.FreeOdd];
            for (int b = zs >> pbOrder; b < ze >> pbOrder; b++)
                foreach (var p in OwnedParts) zoneTotals[(int)p] += comp.Count(b, p);
            var zoneMix = OwnersOf(p => zoneTotals[(int)p], MigrateType.Movable);

            // Zone order, not block by block: a free block above pageblock order covers blocks whose first page is no head.
            int current = -1;
            OwnerMix? mix = null;
            for (int i = zs; i < ze;)
            {
                if (_freeAt[i] >= 0) { i += 1 << _freeAt[i]; continue; }
                int b = i >> pbOrder;
                if (b != current)
                {
                    current = b;
                    int start = b << pbOrder;
                    if (i == start && comp.Count(b, Part.Huge) == pb && WhollyUnowned(pages, start, pb))
                    {
                        PageAllocator.PrepNewPage(node, start, pbOrder, PageOwner.HugeTlb, HugetlbPool.FreshHugePageGfp, 0);
                        pages.Handle[start] = node.Allocations.Add(start, out long handle);
                        node.Hugetlb.Adopt(handle);
                        i = start + pb;
                        continue;
                    }
                    mix = BlockOwners(comp, b, (MigrateType)node.BlockMigratetype(start), zoneMix);
                }
                if (pages.Flags[i] == 0)
                {
                    PageAllocator.PrepNewPage(node, i, 0, mix!.Next(), GfpFlags.GFP_KERNEL, 0);
                    pages.Handle[i] = node.Allocations.Add(i, out _);
                }
                i++;
            }
        }

        private bool WhollyUnowned(PageMap pages, int start, int pb)
        {
            for (int i = start; i < start + pb; i++) if (_freeAt[i] >= 0 || pages.Flags[i] != 0) return false;
            return true;
        }

        /// <summary>The owners pbmap saw in the block (hugetlb pages in a block not wholly theirs count as kernel pages); a
        /// block where pbmap saw nothing in use takes the zone's mix.</summary>
        private static OwnerMix BlockOwners(PageblockComposition comp, int b, MigrateType type, OwnerMix zoneMix)
        {
            long used = 0;
            foreach (var p in OwnedParts) used += comp.Count(b, p);
            return used == 0 ? zoneMix : OwnersOf(p => comp.Count(b, p), type);
        }

        private static OwnerMix OwnersOf(Func<Part, long> count, MigrateType type) => new OwnerMix(
            (PageOwner.Anon, count(Part.Anon)),
            (PageOwner.Shmem, count(Part.Shmem)),
            (PageOwner.FileCache, count(Part.File)),
            (type == MigrateType.Reclaimable ? PageOwner.SlabReclaimable : PageOwner.SlabUnmovable, count(Part.Slab)),
            (PageOwner.PageTable, count(Part.PageTable)),
            (PageOwner.Kernel, count(Part.Other) + count(Part.Huge)));

        private static readonly Part[] OwnedParts = { Part.Anon, Part.Shmem, Part.File, Part.Slab, Part.PageTable, Part.Huge, Part.Other };

        /// <summary>Blocks by how far they are below their free count (largest first, lowest block on ties); the top's key only
        /// ever decreases.</summary>
        private sealed class BlockHeap
        {
            private readonly int[] _key;
            private int[] _items = Array.Empty<int>();
            private int _count;

            public BlockHeap(int[] key) { _key = key; }

            public bool Empty => _count == 0;
            public int Top => _items[0];

            public void Reset(List<int> blocks)
            {
                if (_items.Length < blocks.Count) _items = new int[blocks.Count];
                _count = 0;
                foreach (int b in blocks) _items[_count++] = b;
                for (int i = _count / 2 - 1; i >= 0; i--) SiftDown(i);
            }

            public void Pop()
            {
                _items[0] = _items[--_count];
                SiftDown(0);
            }

            public void TopDecreased() => SiftDown(0);

            private bool Above(int a, int b) => _key[a] != _key[b] ? _key[a] > _key[b] : a < b;

            private void SiftDown(int i)
            {
                while (true)
                {
                    int l = 2 * i + 1, r = l + 1, best = i;
                    if (l < _count && Above(_items[l], _items[best])) best = l;
                    if (r < _count && Above(_items[r], _items[best])) best = r;
                    if (best == i) return;
                    (_items[i], _items[best]) = (_items[best], _items[i]);
                    i = best;
                }
            }
        }
    }
}
