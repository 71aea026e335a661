using System;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Compaction
{
    /// <summary>The free scanner of kernels that sample pageblocks with a stride and search the free lists first
    /// (<see cref="KernelProfile.FreeScannerStride"/>, <see cref="KernelProfile.FastIsolateFreepages"/>: 6.1).</summary>
    internal static partial class CompactionEngine
    {
        /// <summary>kernel: isolate_freepages (mm/compaction.c, 6.1): the fast free-list search first; then pageblocks
        /// downward from free_pfn, each scanned with the current stride, which doubles (up to COMPACT_CLUSTER_MAX) after
        /// a block that gave nothing and drops to 1 after one that gave pages. A fully scanned block gets its skip bit.</summary>
        private static void IsolateFreepagesStrided(CompactControl cc)
        {
            var zone = cc.Zone;
            var node = zone.NodeRef;
            long nrBlock = 1L << node.PbOrder;
            if (node.Kernel.FastIsolateFreepages)
            {
                FastIsolateFreepages(cc);
                if (cc.NrFreepages != 0)
                {
                    MapPages(node, cc.FreeList);
                    return;
                }
            }
            long isolateStartPfn = cc.FreePfn;
            long blockStartPfn = PageblockStartPfn(node, isolateStartPfn);
            long blockEndPfn = Math.Min(blockStartPfn + nrBlock, zone.ZoneEndPfn);
            long lowPfn = PageblockEndPfn(node, cc.MigratePfn);
            int stride = cc.Mode == MigrateMode.Async ? CompactClusterMax : 1;
            for (; blockStartPfn >= lowPfn;
                blockEndPfn = blockStartPfn, blockStartPfn -= nrBlock, isolateStartPfn = blockStartPfn)
            {
                // pageblock_pfn_to_page: the block must lie within the zone (zones here are contiguous).
                if (blockStartPfn < zone.ZoneStartPfn) continue;
                int page = node.ToIndex(blockStartPfn);
                if (!SuitableMigrationTarget(cc, page)) continue;
                if (!cc.IgnoreSkipHint && node.BlockSkip(page)) continue;
                int start = node.ToIndex(isolateStartPfn);
                int nrIsolated = IsolateFreepagesBlock(cc, ref start, node.ToIndex(blockEndPfn), stride, false);
                isolateStartPfn = node.NodeStartPfn + start;
                // update_pageblock_skip (6.1): whenever the whole block was scanned, whatever it gave.
                if (isolateStartPfn == blockEndPfn)
                {
                    node.SetBlockSkip(page, true);
                    if (blockStartPfn < zone.CompactCachedFreePfn) zone.CompactCachedFreePfn = blockStartPfn;
                }
                if (cc.NrFreepages >= cc.NrMigratepages)
                {
                    if (isolateStartPfn >= blockEndPfn) isolateStartPfn = blockStartPfn - nrBlock;
                    break;
                }
                else if (isolateStartPfn < blockEndPfn) break;
                if (nrIsolated != 0)
                {
                    stride = 1;
                    continue;
                }
                stride = Math.Min(CompactClusterMax, stride << 1);
            }
            cc.FreePfn = isolateStartPfn;
            MapPages(node, cc.FreeList);
        }

        /// <summary>kernel: freelist_scan_limit (mm/compaction.c, 6.1).</summary>
        private static int FreelistScanLimit(CompactControl cc) => (CompactClusterMax >> Math.Min(63, cc.FastSearchFail)) + 1;

        /// <summary>kernel: next_search_order (mm/compaction.c, 6.1): orders below the request's, round robin; -1 once the
        /// search has wrapped around to where it started.</summary>
        private static int NextSearchOrder(CompactControl cc, int order)
        {
            order--;
            if (order < 0) order = cc.Order - 1;
            if (order == cc.SearchOrder)
            {
                cc.SearchOrder--;
                if (cc.SearchOrder < 0) cc.SearchOrder = cc.Order - 1;
                return -1;
            }
            return order;
        }

        /// <summary>kernel: move_freelist_head (mm/compaction.c, 6.1): unless freepage is already first, the entries before it
        /// move to the tail, so the next reverse search starts with the ones not yet looked at. 6.1 tests this with
        /// list_is_last(freelist, &amp;freepage-&gt;lru), whose arguments are the other way round from its name (it asks whether
        /// freelist's next entry is freepage): a freepage at the tail does rotate, to the head, with the rest behind it.</summary>
        internal static void MoveFreelistHead(PageMap pages, int head, int freepage)
        {
            int first = pages.Next(head), last = pages.Prev(head);
            if (freepage == head || first == freepage) return;
            int before = pages.Prev(freepage);
            pages.Next(head) = freepage; pages.Prev(freepage) = head;
            pages.Next(last) = first; pages.Prev(first) = last;
            pages.Next(before) = head; pages.Prev(head) = before;
        }

        /// <summary>kernel: fast_isolate_freepages (mm/compaction.c, 6.1): for a real order, look at the tails of the Movable
        /// free lists below it for a page in the top quarter of the space between the scanners (or the top half when that
        /// fails), isolate it whole and then the rest of its pageblock; a search that starts the scan and finds nothing
        /// isolates around its fallback block instead. Returns the pfn the linear scan should start at.</summary>
        internal static long FastIsolateFreepages(CompactControl cc)
        {
            var zone = cc.Zone;
            var node = zone.NodeRef;
            var pages = node.Pages;
            long nodeStart = node.NodeStartPfn;
            long nrBlock = 1L << node.PbOrder;
            int limit = Math.Max(1, FreelistScanLimit(cc) >> 1);
            int nrScanned = 0;
            long highest = 0;
            int found = -1;
            bool scanStart = false;
            if (cc.Order <= 0) return cc.FreePfn;
            if (cc.FreePfn >= zone.CompactInitFreePfn)
            {
                limit = (int)(nrBlock >> 1);
                scanStart = true;
            }
            long distance = cc.FreePfn - cc.MigratePfn;
            long lowPfn = PageblockStartPfn(node, cc.FreePfn - (distance >> 2));
            long minPfn = PageblockStartPfn(node, cc.FreePfn - (distance >> 1));
            if (minPfn > lowPfn) lowPfn = minPfn;
            cc.SearchOrder = Math.Min(cc.Order - 1, cc.SearchOrder);
            for (int order = cc.SearchOrder; found < 0 && order >= 0; order = NextSearchOrder(cc, order))
            {
                int orderScanned = 0;
                long highPfn = 0;
                if (zone.NrFree[order] == 0) continue;
                int head = zone.FreeListBase + order * MigrateTypes.Count + (int)MigrateType.Movable;
                int freepage = head;
                for (int p = pages.Prev(head); p != head; p = pages.Prev(p))
                {
                    orderScanned++;
                    nrScanned++;
                    freepage = p;
                    long pfn = nodeStart + p;
                    if (pfn >= highest) highest = Math.Max(PageblockStartPfn(node, pfn), zone.ZoneStartPfn);
                    if (pfn >= lowPfn)
                    {
                        cc.FastSearchFail = 0;
                        cc.SearchOrder = order;
                        found = p;
                        break;
                    }
                    if (pfn >= minPfn && pfn > highPfn)
                    {
                        highPfn = pfn;
                        limit >>= 1;
                    }
                    if (orderScanned >= limit) break;
                }
                if (found < 0 && highPfn != 0)
                {
                    found = (int)(highPfn - nodeStart);
                    freepage = found;
                }
                if (freepage != head) MoveFreelistHead(pages, head, freepage);
                if (found >= 0)
                {
                    int isolated = BuddyAllocator.IsolateFreePage(zone, found, order);
                    if (isolated != 0)
                    {
                        pages.Flags[found] = PageMap.WithOrder((uint)PageFlags.Isolated, order);
                        cc.NrFreepages += isolated;
                        pages.ListAddTail(found, cc.FreeList);
                        node.Counters.Count(VmEvent.CompactIsolated, isolated);
                        cc.FreeIsolated += isolated;
                    }
                    else
                    {
                        order = cc.SearchOrder + 1;
                        found = -1;
                    }
                }
                if (orderScanned >= limit) limit = Math.Max(1, limit >> 1);
            }
            // With nothing found, a search that starts the scan still isolates around a fallback block: the highest Movable
            // block the search saw if it lies at or above min_pfn (ca2864e52d39, 5.19: a lower one would start the linear
            // scan below the top half and let the scanners meet early), else, for direct compaction, the min_pfn block.
            long aroundPfn = found >= 0 ? nodeStart + found : -1;
            if (found < 0)
            {
                cc.FastSearchFail++;
                if (scanStart)
                {
                    if (highest >= minPfn)
                    {
                        aroundPfn = highest;
                        cc.FreePfn = highest;
                    }
                    else if (cc.DirectCompaction && minPfn >= node.NodeStartPfn && minPfn < node.NodeStartPfn + node.SpannedPages)
                    {
                        // pageblock_pfn_to_page: the block must lie in this zone (zones here are contiguous).
                        if (minPfn >= zone.ZoneStartPfn && minPfn < zone.ZoneEndPfn) aroundPfn = minPfn;
                        cc.FreePfn = minPfn;
                    }
                }
            }
            if (highest != 0 && highest >= zone.CompactCachedFreePfn)
            {
                highest -= nrBlock;
                zone.CompactCachedFreePfn = highest;
            }
            cc.TotalFreeScanned += nrScanned;
            node.Clock.Advance(nrScanned * CostModel.ScanPfnNs);
            if (aroundPfn < 0) return cc.FreePfn;
            FastIsolateAround(cc, aroundPfn);
            return aroundPfn;
        }

        /// <summary>kernel: fast_isolate_around (mm/compaction.c, 6.1): the whole pageblock around pfn with stride 1 (be21b32afe47
        /// replaced the scans before and after the found page by one over the block, clipped to the zone), except for async
        /// direct compaction; a block that still leaves too few free pages gets its skip bit.</summary>
        private static void FastIsolateAround(CompactControl cc, long pfn)
        {
            var zone = cc.Zone;
            var node = zone.NodeRef;
            if (cc.NrFreepages >= cc.NrMigratepages) return;
            if (cc.DirectCompaction && cc.Mode == MigrateMode.Async) return;
            long startPfn = Math.Max(PageblockStartPfn(node, pfn), zone.ZoneStartPfn);
            long endPfn = Math.Min(PageblockEndPfn(node, pfn), zone.ZoneEndPfn);
            if (startPfn >= endPfn) return;
            int s = node.ToIndex(startPfn);
            IsolateFreepagesBlock(cc, ref s, node.ToIndex(endPfn), 1, false);
            if (cc.NrFreepages < cc.NrMigratepages) node.SetBlockSkip(node.ToIndex(startPfn), true);
        }
    }
}
