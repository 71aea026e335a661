using System;
using System.Runtime.CompilerServices;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Buddy
{
    /// <summary>Where an allocation's pages came from, for reports.</summary>
    public enum AllocSource : byte
    {
        None,
        /// <summary>The per-cpu list (order 0).</summary>
        PcpList,
        /// <summary>__rmqueue_smallest on the request's own type.</summary>
        Buddy,
        /// <summary>The ALLOC_HARDER HighAtomic reserve.</summary>
        HighAtomic,
        /// <summary>__rmqueue_cma_fallback.</summary>
        Cma,
        /// <summary>__rmqueue_fallback stole from another type.</summary>
        Fallback,
    }

    /// <summary>The buddy allocator proper: free_area lists, merging, splitting, fallback and stealing.</summary>
    /// <remarks>All indexes are page indexes (pfn − node_start_pfn); the node start is MAX_ORDER aligned, so
    /// buddy arithmetic on indexes equals the kernel's on pfns.</remarks>
    internal static partial class BuddyAllocator
    {
        private const uint BuddyFlag = (uint)PageFlags.Buddy;
        /// <summary>The bits page_is_buddy compares: PageBuddy and the order byte.</summary>
        private const uint BuddyAndOrder = BuddyFlag | ~PageMap.FlagBits;

        /// <summary>The flags word of a free block's head of <paramref name="order"/> (PageBuddy, page_private = order).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static uint FreeHead(int order) => PageMap.WithOrder(BuddyFlag, order);

        /// <summary>MethodImplOptions.AggressiveOptimization (512), which netstandard2.0's enum does not name; the
        /// runtime honours the bit.</summary>
        private const MethodImplOptions AggressiveOptimization = (MethodImplOptions)512;

        /// <summary>kernel: __mod_zone_freepage_state (include/linux/vmstat.h, 4.14).</summary>
        private static void ModFreepageState(Zone zone, long nrPages, int migratetype)
        {
            zone.NrFreePages += nrPages;
            if (migratetype == (int)MigrateType.Cma) zone.NrFreeCma += nrPages;
        }

        /// <summary>kernel: __free_one_page (mm/page_alloc.c, 4.14; 6.1): merge upward (6.1: compaction_capture first), then
        /// tail placement if the next-larger buddy is free.</summary>
        /// <remarks>page_is_buddy, list_del and list_add are written out on local copies of the page arrays: the same tests
        /// in the same order (in range, PageBuddy and page_order == order in one compare of the flags word, same zone). The
        /// flags array spans exactly the node's pages, so its length is pfn_valid_within's bound. When the first buddy is
        /// not a free head of the same order the merge loop would stop at its first test (the type check above pageblock
        /// order changes nothing by itself), so the loop is entered only past that test and lives out of line in
        /// <see cref="MergeBuddies"/>: at any but the lowest occupancy most frees merge nothing, and the straight path then
        /// keeps its few values in registers.</remarks>
        /// <param name="toTail">FPI_TO_TAIL (5.10+): queue the merged block at the list tail whatever its buddies.</param>
        internal static void FreeOnePage(Zone zone, int index, int order, int migratetype, bool toTail = false)
        {
            var node = zone.NodeRef;
            var pages = node.Pages;
            var flags = pages.Flags;
            if (migratetype != (int)MigrateType.Isolate) ModFreepageState(zone, 1L << order, migratetype);
            int maxOrderAll = node.MaxOrderValue;
            int buddy = index ^ (1 << order);
            // task_capc (6.1): the allocating task's direct compaction of this zone, while it has captured nothing.
            var capc = node.CaptureControl;
            if (capc != null && capc.Page < 0 && capc.Cc!.Zone == zone && node.Trace.CurrentTask == MemTrace.TaskUser)
            {
                long merged = MergeBuddiesCapturing(zone, index, order, migratetype, capc);
                if (merged < 0) return;
                index = (int)merged;
                order = (int)(merged >> 32);
            }
            else if (order < maxOrderAll - 1 && (uint)buddy < (uint)flags.Length && (flags[buddy] & BuddyAndOrder) == FreeHead(order))
            {
                flags[index] = 0;
                long merged = MergeBuddies(zone, index, order, migratetype);
                index = (int)merged;
                order = (int)(merged >> 32);
            }

            // done_merging: set_page_order(page, order)
            flags[index] = FreeHead(order);
            if (!toTail && order < maxOrderAll - 2)
            {
                // Is the buddy of the next-higher order free? Then this block may merge soon: queue it at the tail.
                int higherBuddy = (index & ~(1 << order)) ^ (1 << (order + 1));
                if ((uint)higherBuddy < (uint)flags.Length && (flags[higherBuddy] & BuddyAndOrder) == FreeHead(order + 1))
                {
                    var blockZone = node.PageblockZone;
                    int pbOrder = node.PbOrder;
                    toTail = blockZone[higherBuddy >> pbOrder] == blockZone[index >> pbOrder];
                }
            }
            var links = pages.Links;
            int head = zone.FreeListHead(order, migratetype);
            ref var h = ref links[head];
            ref var it = ref links[index];
            if (toTail)
            {
                // list_add_tail(&page->lru, &zone->free_area[order].free_list[migratetype])
                int last = h.Prev;
                it.Next = head;
                it.Prev = last;
                links[last].Next = index;
                h.Prev = index;
            }
            else
            {
                // list_add(&page->lru, &zone->free_area[order].free_list[migratetype])
                int first = h.Next;
                it.Next = first;
                it.Prev = head;
                links[first].Prev = index;
                h.Next = index;
            }
            zone.NrFree[order]++;
        }

        /// <summary>__free_one_page's continue_merging loop (mm/page_alloc.c, 4.14): while the buddy is a free head of the same
        /// order in the same zone, take it off its list and move up an order; past pageblock order some blocks stay apart
        /// from a differently typed buddy (<see cref="BlocksStayApart"/>). Returns the merged block's first page in the low
        /// 32 bits and its order in the high ones (a pair in one register: an order passed by reference would keep the
        /// caller's order in memory).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static long MergeBuddies(Zone zone, int index, int order, int migratetype)
        {
            var node = zone.NodeRef;
            var pages = node.Pages;
            var links = pages.Links;
            var flags = pages.Flags;
            var blockZone = node.PageblockZone;
            int pbOrder = node.PbOrder;
            int zoneId = blockZone[index >> pbOrder];
            int maxOrderAll = node.MaxOrderValue;
            int maxOrder = maxOrderAll < pbOrder + 1 ? maxOrderAll : pbOrder + 1;
            var nrFree = zone.NrFree;
            int o = order;

            while (true)
            {
                while (o < maxOrder - 1)
                {
                    int buddy = index ^ (1 << o);
                    if ((uint)buddy >= (uint)flags.Length) goto doneMerging;
                    uint bf = flags[buddy];
                    if (!PageIsBuddy(bf, o, blockZone, buddy, pbOrder, zoneId)) goto doneMerging;
                    DelFreeBuddy(links, flags, nrFree, buddy, o, bf);
                    index &= buddy;
                    o++;
                }
                if (maxOrder < maxOrderAll)
                {
                    int buddy = index ^ (1 << o);
                    if ((uint)buddy < (uint)flags.Length && BlocksStayApart(zone, migratetype, buddy)) goto doneMerging;
                    maxOrder++;
                    continue;
                }
                break;
            }
        doneMerging:
            return (uint)index | ((long)o << 32);
        }

        /// <summary>__free_one_page's merge loop (mm/page_alloc.c, 6.1) while the freeing task's direct compaction may
        /// capture: before each step up, compaction_capture may take the block. Returns -1 when it did (the block leaves
        /// the free page count again), else the merged block as <see cref="MergeBuddies"/> does.</summary>
        /// <remarks>Out of line and unoptimised: it runs only inside a direct compaction.</remarks>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static long MergeBuddiesCapturing(Zone zone, int index, int order, int migratetype, CaptureControl capc)
        {
            var node = zone.NodeRef;
            var pages = node.Pages;
            var flags = pages.Flags;
            var blockZone = node.PageblockZone;
            int pbOrder = node.PbOrder;
            int zoneId = blockZone[index >> pbOrder];
            flags[index] = 0;
            while (order < node.MaxOrderValue - 1)
            {
                if (CompactionCapture(capc, order, migratetype, pbOrder))
                {
                    capc.Page = index;
                    ModFreepageState(zone, -(1L << order), migratetype);
                    return -1;
                }
                int buddy = index ^ (1 << order);
                if ((uint)buddy >= (uint)flags.Length) break;
                uint bf = flags[buddy];
                if (!PageIsBuddy(bf, order, blockZone, buddy, pbOrder, zoneId)) break;
                if (order >= pbOrder && BlocksStayApart(zone, migratetype, buddy)) break;
                DelFreeBuddy(pages.Links, flags, zone.NrFree, buddy, order, bf);
                index &= buddy;
                order++;
            }
            return (uint)index | ((long)order << 32);
        }

        /// <summary>page_is_buddy (mm/page_alloc.c, 4.14; 6.1) past its range check: the buddy's flags word
        /// <paramref name="bf"/> is a free head of <paramref name="order"/> (PageBuddy, page_order), in the same zone.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool PageIsBuddy(uint bf, int order, byte[] blockZone, int buddy, int pbOrder, int zoneId) =>
            (bf & BuddyAndOrder) == FreeHead(order) && blockZone[buddy >> pbOrder] == zoneId;

        /// <summary>__free_one_page taking a free buddy to merge with: list_del(&amp;buddy->lru), nr_free--,
        /// rmv_page_order(buddy).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void DelFreeBuddy(PageLink[] links, uint[] flags, long[] nrFree, int buddy, int order, uint bf)
        {
            ref var bl = ref links[buddy];
            int next = bl.Next, prev = bl.Prev;
            links[prev].Next = next;
            links[next].Prev = prev;
            nrFree[order]--;
            flags[buddy] = bf & PageMap.FlagBits & ~BuddyFlag;
        }

        /// <summary>__free_one_page's test above pageblock order: whether the block may not merge with its free buddy of a
        /// different type. 4.14 (when the zone has isolated pageblocks) keeps an isolated block from merging with a
        /// non-isolated one; 6.1 (<see cref="KernelProfile.OnlyMergeableTypesMerge"/>) keeps any block whose type is not
        /// mergeable (migratetype_is_mergeable: HighAtomic, CMA, Isolate) from merging with a different type.</summary>
        private static bool BlocksStayApart(Zone zone, int migratetype, int buddy)
        {
            var node = zone.NodeRef;
            // 4.14 looks only while the zone has isolated pageblocks (has_isolate_pageblock).
            if (!node.Kernel.OnlyMergeableTypesMerge && zone.NrIsolatePageblock == 0) return false;
            return TypesStayApart(node.Kernel, migratetype, node.BlockMigratetype(buddy));
        }

        /// <summary>Whether free blocks of types <paramref name="mtA"/> and <paramref name="mtB"/> stay apart above pageblock
        /// order (<see cref="BlocksStayApart"/>): Isolate and any other type on 4.14; on 6.1 two different types when either is
        /// not mergeable (HighAtomic, CMA, Isolate).</summary>
        internal static bool TypesStayApart(KernelProfile kernel, int mtA, int mtB)
        {
            if (mtA == mtB) return false;
            if (kernel.OnlyMergeableTypesMerge) return mtA >= MigrateTypes.PcpTypes || mtB >= MigrateTypes.PcpTypes;
            return mtA == (int)MigrateType.Isolate || mtB == (int)MigrateType.Isolate;
        }

        /// <summary>kernel: compaction_capture (mm/page_alloc.c, 6.1): a block of the compaction's order, unless it would go
        /// to a CMA or isolated block, or it is a Movable block smaller than a pageblock (a small request must not take a
        /// piece of a Movable pageblock this way).</summary>
        private static bool CompactionCapture(CaptureControl capc, int order, int migratetype, int pbOrder)
        {
            if (order != capc.Cc!.Order) return false;
            if (migratetype == (int)MigrateType.Cma || migratetype == (int)MigrateType.Isolate) return false;
            if (order < pbOrder && migratetype == (int)MigrateType.Movable) return false;
            return true;
        }

        /// <summary>kernel: expand (mm/page_alloc.c, 4.14): each upper half goes to the head of the same type's list.</summary>
        /// <remarks>Out of line: at steady state most requests find a block of their own order, so the split is the rare
        /// branch of __rmqueue_smallest and keeping it apart keeps that function small enough to inline.</remarks>
        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static void Expand(Zone zone, int index, int low, int high, int migratetype)
        {
            var pages = zone.Pages;
            var flags = pages.Flags;
            var nrFree = zone.NrFree;
            int head = zone.FreeListHead(high, migratetype);
            int size = 1 << high;
            while (high > low)
            {
                high--;
                head -= MigrateTypes.Count;
                size >>= 1;
                int half = index + size;
                pages.ListAdd(half, head); // list_add(&page[size].lru, &area->free_list[migratetype])
                nrFree[high]++;
                // set_page_order(&page[size], high)
                flags[half] = FreeHead(high);
            }
        }

        /// <summary>kernel: __rmqueue_smallest (mm/page_alloc.c, 4.14). Returns the page index or -1.</summary>
        /// <remarks>The list heads of one type are <see cref="MigrateTypes.Count"/> apart from order to order, so the walk
        /// steps the head instead of recomputing it, and the page arrays are read once.</remarks>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static int RmqueueSmallest(Zone zone, int order, int migratetype)
        {
            var pages = zone.Pages;
            var links = pages.Links;
            var nrFree = zone.NrFree;
            int head = zone.FreeListHead(order, migratetype);
            for (int current = order; current < nrFree.Length; current++, head += MigrateTypes.Count)
            {
                // nr_free counts the blocks of every type at this order: zero means this type's list is empty too.
                if (nrFree[current] == 0) continue;
                int page = links[head].Next;
                if (page == head) continue;
                // list_del of the first entry: its predecessor is the list head itself.
                int next = links[page].Next;
                links[head].Next = next;
                links[next].Prev = head;
                // rmv_page_order(page)
                pages.Flags[page] = 0;
                nrFree[current]--;
                if (current > order) Expand(zone, page, order, current, migratetype);
                return page;
            }
            return -1;
        }

        /// <summary>kernel: can_steal_fallback (mm/page_alloc.c, 4.14).</summary>
        internal static bool CanStealFallback(MemNode node, int order, int startMt)
        {
            if (order >= node.PbOrder) return true;
            return order >= node.PbOrder / 2
                || startMt == (int)MigrateType.Reclaimable
                || startMt == (int)MigrateType.Unmovable
                || node.PageGroupByMobilityDisabled;
        }

        /// <summary>kernel: find_suitable_fallback (mm/page_alloc.c, 4.14). Returns the fallback type or -1.</summary>
        internal static int FindSuitableFallback(Zone zone, int order, int migratetype, bool onlyStealable, out bool canSteal)
        {
            canSteal = false;
            if (zone.NrFree[order] == 0) return -1;
            var fallbacks = MigrateTypes.Fallbacks[migratetype];
            for (int i = 0; i < fallbacks.Length; i++)
            {
                int fallback = (int)fallbacks[i];
                if (zone.Pages.ListEmpty(zone.FreeListHead(order, fallback))) continue;
                if (CanStealFallback(zone.NodeRef, order, migratetype)) canSteal = true;
                if (!onlyStealable) return fallback;
                if (canSteal) return fallback;
            }
            return -1;
        }

        /// <summary>kernel: move_freepages (mm/page_alloc.c, 4.14): move free blocks in [start, end] to the type's lists,
        /// counting LRU or movable in-use pages. Returns the free pages moved.</summary>
        internal static int MoveFreepages(Zone zone, int start, int end, int migratetype, ref int movablePages)
        {
            var pages = zone.Pages;
            int moved = 0;
            int page = start;
            while (page <= end)
            {
                uint f = pages.Flags[page];
                if ((f & BuddyFlag) == 0)
                {
                    if ((f & (uint)(PageFlags.Lru | PageFlags.NonLruMovable)) != 0) movablePages++;
                    page++;
                    continue;
                }
                int order = pages.OrderOf(page);
                MoveToFreeList(zone, page, order, migratetype);
                page += 1 << order;
                moved += 1 << order;
            }
            return moved;
        }

        /// <summary>kernel: move_to_free_list (mm/page_alloc.c, 6.1): a free block changes lists without being touched; 6.1
        /// queues it at the tail (<see cref="KernelProfile.FreeListMovesToTail"/>), 4.14's list_move at the head.</summary>
        private static void MoveToFreeList(Zone zone, int page, int order, int migratetype)
        {
            if (zone.NodeRef.Kernel.FreeListMovesToTail) zone.Pages.ListMoveTail(page, zone.FreeListHead(order, migratetype));
            else zone.Pages.ListMove(page, zone.FreeListHead(order, migratetype));
        }

        /// <summary>kernel: move_freepages_block (mm/page_alloc.c, 4.14): the whole pageblock of <paramref name="index"/>, if the zone spans it.</summary>
        internal static int MoveFreepagesBlock(Zone zone, int index, int migratetype, out int movablePages)
        {
            var node = zone.NodeRef;
            movablePages = 0;
            int start = index & ~((1 << node.PbOrder) - 1);
            int end = start + (1 << node.PbOrder) - 1;
            long startPfn = node.NodeStartPfn + start, endPfn = node.NodeStartPfn + end;
            if (!zone.ContainsPfn(startPfn)) start = index;
            if (!zone.ContainsPfn(endPfn)) return 0;
            return MoveFreepages(zone, start, end, migratetype, ref movablePages);
        }

        /// <summary>kernel: change_pageblock_range (mm/page_alloc.c, 4.14).</summary>
        private static void ChangePageblockRange(MemNode node, int index, int order, int migratetype)
        {
            int nrBlocks = order >= node.PbOrder ? 1 << (order - node.PbOrder) : 1;
            for (int b = 0; b < nrBlocks; b++) node.SetBlockMigratetype(index + (b << node.PbOrder), migratetype);
        }

        /// <summary>kernel: boost_watermark (mm/page_alloc.c, 6.1): raise the boost by a pageblock, up to
        /// watermark_boost_factor/10000 of the high watermark but at least a pageblock; not in zones under four pageblocks,
        /// with the factor 0, or before the high watermark is set. Returns whether it boosted.</summary>
        internal static bool BoostWatermark(Zone zone)
        {
            var node = zone.NodeRef;
            int factor = node.Sysctl.WatermarkBoostFactor;
            if (factor == 0) return false;
            long pageblockNrPages = 1L << node.PbOrder;
            if (pageblockNrPages * 4 > zone.ManagedPages) return false;
            long maxBoost = MmConstants.MultFrac(zone.RawWatermark((int)WatermarkLevel.High), factor, 10000);
            if (maxBoost == 0) return false;
            if (maxBoost < pageblockNrPages) maxBoost = pageblockNrPages;
            long boost = zone.WatermarkBoost + pageblockNrPages;
            zone.SetWatermarkBoost(boost < maxBoost ? boost : maxBoost);
            return true;
        }

        /// <summary>kernel: steal_suitable_fallback (mm/page_alloc.c, 4.14; 6.1): claim the block when free + alike pages
        /// reach half of it; on 6.1 a steal below pageblock order first boosts the watermarks.</summary>
        internal static void StealSuitableFallback(Zone zone, int index, int startType, bool wholeBlock, int allocFlags)
        {
            var node = zone.NodeRef;
            var pages = zone.Pages;
            int currentOrder = pages.OrderOf(index);
            int oldBlockType = node.BlockMigratetype(index);

            if (oldBlockType != (int)MigrateType.HighAtomic)
            {
                if (currentOrder >= node.PbOrder)
                {
                    ChangePageblockRange(node, index, currentOrder, startType);
                }
                else
                {
                    // Boost before the whole-block check: a single-page steal boosts too.
                    if (node.Kernel.WatermarkBoost && BoostWatermark(zone) && (allocFlags & AllocFlagBits.Kswapd) != 0)
                        zone.BoostedWatermarkFlag = true;
                    if (wholeBlock) StealWholeBlock(zone, index, startType, oldBlockType);
                    else MoveToFreeList(zone, index, currentOrder, startType);
                    return;
                }
            }
            MoveToFreeList(zone, index, currentOrder, startType);
        }

        /// <summary>steal_suitable_fallback's whole-block branch: move the block's free pages, then claim the block when
        /// free + alike pages reach half of it; a block the zone does not span whole moves just the page.</summary>
        private static void StealWholeBlock(Zone zone, int index, int startType, int oldBlockType)
        {
            var node = zone.NodeRef;
            int freePages = MoveFreepagesBlock(zone, index, startType, out int movablePages);
            int alikePages;
            if (startType == (int)MigrateType.Movable) alikePages = movablePages;
            else if (oldBlockType == (int)MigrateType.Movable) alikePages = (1 << node.PbOrder) - (freePages + movablePages);
            else alikePages = 0;
            if (freePages == 0)
            {
                MoveToFreeList(zone, index, zone.Pages.OrderOf(index), startType);
                return;
            }
            if (freePages + alikePages >= (1 << (node.PbOrder - 1)) || node.PageGroupByMobilityDisabled)
                node.SetBlockMigratetype(index, startType);
        }

        /// <summary>kernel: __rmqueue_fallback (mm/page_alloc.c, 4.14; 6.1): largest stealable block first; a movable
        /// request that cannot claim the block takes the smallest one instead; under ALLOC_NOFRAGMENT (6.1) only blocks of
        /// pageblock order or more are taken.</summary>
        internal static bool RmqueueFallback(Zone zone, int order, int startMt, int allocFlags)
        {
            int maxOrder = zone.NrFree.Length;
            int current;
            int fallbackMt = -1;
            bool canSteal = false;
            int minOrder = order;
            // Never split another type's pageblock to avoid fragmenting; get_page_from_freelist retries without the flag.
            if ((allocFlags & AllocFlagBits.NoFragment) != 0 && order < zone.NodeRef.PbOrder) minOrder = zone.NodeRef.PbOrder;
            for (current = maxOrder - 1; current >= minOrder; current--)
            {
                fallbackMt = FindSuitableFallback(zone, current, startMt, false, out canSteal);
                if (fallbackMt == -1) continue;
                if (!canSteal && startMt == (int)MigrateType.Movable && current > order)
                {
                    for (current = order; current < maxOrder; current++)
                    {
                        fallbackMt = FindSuitableFallback(zone, current, startMt, false, out canSteal);
                        if (fallbackMt != -1) break;
                    }
                }
                int page = zone.Pages.Next(zone.FreeListHead(current, fallbackMt));
                StealSuitableFallback(zone, page, startMt, canSteal, allocFlags);
                var node = zone.NodeRef;
                if (node.Trace.Enabled)
                    node.Trace.Record(node, TraceEventId.mm_page_alloc_extfrag, node.NodeStartPfn + page, order, current,
                        startMt, fallbackMt, node.BlockMigratetype(page) == startMt ? 1 : 0);
                return true;
            }
            return false;
        }

        /// <summary>kernel: __rmqueue (mm/page_alloc.c, 4.14): own type, then CMA for movable, then fallback and retry.</summary>
        internal static int Rmqueue(Zone zone, int order, int migratetype, int allocFlags, ref AllocSource source)
        {
            int page = RmqueueSmallest(zone, order, migratetype);
            if (page >= 0) { if (source == AllocSource.None) source = AllocSource.Buddy; return page; }
            return RmqueueAfterOwnType(zone, order, migratetype, allocFlags, ref source);
        }

        /// <summary>__rmqueue once the request's own lists had nothing: __rmqueue_cma_fallback for movable requests, then
        /// __rmqueue_fallback and the retry. Out of line: the own-type hit inlined into rmqueue is the common case, and the
        /// rare steps would otherwise widen every caller's frame.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int RmqueueAfterOwnType(Zone zone, int order, int migratetype, int allocFlags, ref AllocSource source)
        {
            while (true)
            {
                if (migratetype == (int)MigrateType.Movable)
                {
                    int cma = RmqueueSmallestOutOfLine(zone, order, (int)MigrateType.Cma);
                    if (cma >= 0) { source = AllocSource.Cma; return cma; }
                }
                if (!RmqueueFallback(zone, order, migratetype, allocFlags)) return -1;
                source = AllocSource.Fallback;
                int page = RmqueueSmallestOutOfLine(zone, order, migratetype);
                if (page >= 0) return page;
            }
        }

        /// <summary><see cref="RmqueueSmallest"/> as a call, for the rare lists (CMA, HighAtomic, the retry after a steal).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int RmqueueSmallestOutOfLine(Zone zone, int order, int migratetype) => RmqueueSmallest(zone, order, migratetype);

        /// <summary>Which free list a taken page came from decides NR_FREE_CMA accounting (get_pcppage_migratetype).</summary>
        private static int SourceMigratetype(AllocSource source, int requested) =>
            source == AllocSource.Cma ? (int)MigrateType.Cma : source == AllocSource.HighAtomic ? (int)MigrateType.HighAtomic : requested;

        /// <summary>kernel: rmqueue (mm/page_alloc.c, 4.14): order 0 from the per-cpu list, higher orders from the buddy lists.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static int RmqueueZone(Zone zone, int cpu, int order, int migratetype, int allocFlags, out AllocSource source,
            bool cold = false)
        {
            int page;
            if (order == 0)
            {
                page = RmqueuePcplist(zone, cpu, migratetype, allocFlags, cold);
                source = AllocSource.PcpList;
            }
            else
            {
                page = RmqueueOrder(zone, cpu, order, migratetype, allocFlags, out source);
            }
            // __count_zone_vm_events(PGALLOC, zone, 1 << order): the page comes from this zone's lists.
            if (page >= 0) zone.NodeRef.Counters.ZoneEvents[zone.PgAllocSlot] += 1L << order;
            return page;
        }

        /// <summary>rmqueue for order &gt; 0: 6.1 serves cheap orders and THP from the pcp first (MIGRATE_MOVABLE lists may hold
        /// CMA pages, so only requests allowed CMA take movable ones), then the buddy lists. Inlined into the higher-order
        /// copy of get_page_from_freelist; the order-0 copy folds the branch away.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int RmqueueOrder(Zone zone, int cpu, int order, int migratetype, int allocFlags, out AllocSource source)
        {
            if (zone.NodeRef.Kernel.PcpHighOrder && PcpAllowedOrder(zone.NodeRef, order)
                && ((allocFlags & AllocFlagBits.Cma) != 0 || migratetype != (int)MigrateType.Movable))
            {
                int page = RmqueuePcplistOrder(zone, cpu, order, migratetype, allocFlags);
                if (page >= 0) { source = AllocSource.PcpList; return page; }
            }
            return RmqueueBuddy(zone, order, migratetype, allocFlags, out source);
        }

        /// <summary>rmqueue's out: label (6.1): a steal that boosted the watermarks flagged the zone; clear the flag and wake
        /// kswapd for the zone at order 0, whether or not a page was found. Only __rmqueue steals, so only the pcp refill
        /// and the buddy branch of rmqueue look at the flag; a pcp hit cannot have set it.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void WakeKswapdForBoost(Zone zone)
        {
            zone.BoostedWatermarkFlag = false;
            Reclaim.Kswapd.WakeupZone(zone.NodeRef, zone, 0, zone.Idx);
        }

        /// <summary>rmqueue's order &gt; 0 branch: the HighAtomic reserve for ALLOC_HARDER, then __rmqueue; NR_FREE_PAGES drops.</summary>
        private static int RmqueueBuddy(Zone zone, int order, int migratetype, int allocFlags, out AllocSource source)
        {
            source = AllocSource.None;
            int page = -1;
            if ((allocFlags & AllocFlagBits.Harder) != 0)
            {
                page = RmqueueSmallestOutOfLine(zone, order, (int)MigrateType.HighAtomic);
                if (page >= 0) source = AllocSource.HighAtomic;
            }
            if (page < 0) page = Rmqueue(zone, order, migratetype, allocFlags, ref source);
            if (page >= 0) ModFreepageState(zone, -(1L << order), SourceMigratetype(source, migratetype));
            if (zone.BoostedWatermarkFlag) WakeKswapdForBoost(zone);
            return page;
        }

        /// <summary>kernel: rmqueue_pcplist / __rmqueue_pcplist (mm/page_alloc.c, 4.14): refill by batch when empty, take the
        /// first (hot) page, or the last one for __GFP_COLD.</summary>
        /// <remarks>As in the kernel the page only leaves the list here: its Pcp flag and the type kept in Order stay until
        /// every caller's prep_new_page (PrepNewPage, AllocPagesIndex) overwrites both.</remarks>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int RmqueuePcplist(Zone zone, int cpu, int migratetype, int allocFlags, bool cold)
        {
            var pcp = zone.Pcp[cpu];
            // rmqueue_pcplist (6.1): an allocation halves free_factor (never set on 4.14).
            if (pcp.FreeFactor != 0) pcp.FreeFactor >>= 1;
            var pages = zone.Pages;
            var links = pages.Links;
            int list = pcp.ListBase + migratetype;
            ref var head = ref links[list];
            int page = head.Next;
            if (page == list)
            {
                page = RefillPcplist(zone, pcp, list, migratetype, allocFlags, cold);
                if (page < 0) return -1;
            }
            if (cold)
            {
                page = pages.Prev(list);
                pages.ListDel(page);
                pcp.CountField--;
                return page;
            }
            // list_del of the first entry: its predecessor is the list head itself.
            int after = links[page].Next;
            links[list].Next = after;
            links[after].Prev = list;
            pcp.CountField--;
            return page;
        }

        /// <summary>The empty-list branch of __rmqueue_pcplist: pcp->count += rmqueue_bulk(batch); the new first page or -1.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int RefillPcplist(Zone zone, PerCpuPages pcp, int list, int migratetype, int allocFlags, bool cold)
        {
            pcp.CountField += RmqueueBulk(zone, 0, pcp.BatchField, list, migratetype, allocFlags, cold);
            if (zone.BoostedWatermarkFlag) WakeKswapdForBoost(zone);
            int page = zone.Pages.Next(list);
            return page == list ? -1 : page;
        }

        /// <summary>kernel: rmqueue_bulk (mm/page_alloc.c, 4.14; 6.1): each page goes after the previous one (before it when cold),
        /// so hot takes from the head and cold from the tail both get the pages in the order the buddy lists gave them;
        /// 6.1 takes blocks of <paramref name="order"/> for its higher-order lists. Returns the blocks taken.</summary>
        private static int RmqueueBulk(Zone zone, int order, int count, int list, int migratetype, int allocFlags, bool cold)
        {
            var pages = zone.Pages;
            int after = list;
            int i;
            for (i = 0; i < count; i++)
            {
                AllocSource src = AllocSource.None;
                int page = Rmqueue(zone, order, migratetype, allocFlags, ref src);
                if (page < 0) break;
                int pcpMt = SourceMigratetype(src, migratetype);
                if (cold) pages.ListAddTail(page, after);
                else pages.ListAdd(page, after);
                after = page;
                pages.Flags[page] = PageMap.WithOrder((uint)PageFlags.Pcp, pcpMt | (order << PcpOrderShift));
                zone.NrFreePages -= 1L << order;
                if (pcpMt == (int)MigrateType.Cma) zone.NrFreeCma -= 1L << order;
            }
            return i;
        }

        /// <summary>kernel: free_hot_cold_page (mm/page_alloc.c, 4.14): order-0 pages go to the per-cpu list; past high, a batch returns.</summary>
        internal static void FreeHotPage(Zone zone, int cpu, int index) =>
            FreeHotPage(zone, cpu, index, zone.NodeRef.BlockMigratetype(index));

        /// <summary><see cref="FreeHotPage(Zone, int, int)"/> with the page's pageblock type already read.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static void FreeHotPage(Zone zone, int cpu, int index, int migratetype)
        {
            var pages = zone.Pages;
            zone.NodeRef.Counters.Events[(int)VmEvent.PgFree]++;
            int listType = migratetype;
            if (migratetype >= MigrateTypes.PcpTypes)
            {
                if (migratetype == (int)MigrateType.Isolate)
                {
                    pages.Flags[index] = 0;
                    FreeOnePage(zone, index, 0, migratetype);
                    return;
                }
                listType = (int)MigrateType.Movable;
            }
            var pcp = zone.Pcp[cpu];
            // list_add at the head of the pcp list (a hot page).
            int head = pcp.ListBase + listType;
            pages.ListAdd(index, head);
            pages.Flags[index] = PageMap.WithOrder((uint)PageFlags.Pcp, migratetype);
            int count = pcp.CountField + 1;
            pcp.CountField = count;
            if (count >= pcp.FreeHighField) FreePcpBatch(zone, pcp, listType);
        }

        /// <summary>free_hot_cold_page past pcp->high (4.14): free_pcppages_bulk(batch), count −= batch; on 6.1
        /// free_unref_page_commit's flush of nr_pcp_free pages, starting with the list just freed to.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void FreePcpBatch(Zone zone, PerCpuPages pcp, int listType)
        {
            int batch = pcp.BatchField;
            if (zone.NodeRef.Kernel.PcpFreeScaling)
            {
                FreePcppagesBulkFrom(zone, NrPcpFree(pcp, pcp.FreeHighField, batch), pcp, listType);
                return;
            }
            FreePcppagesBulk(zone, batch, pcp);
            pcp.CountField -= batch;
        }

        /// <summary>CONFIG_PCP_BATCH_SCALE_MAX: free_factor's limit and the drain chunk's shift (Kconfig default 5).</summary>
        internal const int PcpBatchScaleMax = 5;

        /// <summary>kernel: nr_pcp_free (mm/page_alloc.c, 6.1) for order 0: 1 when high is below batch, else batch doubled
        /// free_factor times (free_factor grows while that stays below high − batch), clamped to [batch, high − batch].</summary>
        internal static int NrPcpFree(PerCpuPages pcp, int high, int batch)
        {
            if (high < batch) return 1;
            int minNrFree = batch;
            int maxNrFree = high - batch;
            batch <<= pcp.FreeFactor;
            if (batch < maxNrFree && pcp.FreeFactor < PcpBatchScaleMax) pcp.FreeFactor++;
            return Math.Max(minNrFree, Math.Min(batch, maxNrFree));
        }

        /// <summary>kernel: free_pcppages_bulk (mm/page_alloc.c, 6.1): at most pcp->count pages; each list in turn from
        /// <paramref name="firstList"/> is emptied from its tail (oldest first) before the next, empty lists skipped; the
        /// blocks of a list are of its order (pindex_to_order) and pcp->count drops by their pages as they go.</summary>
        internal static void FreePcppagesBulkFrom(Zone zone, int count, PerCpuPages pcp, int firstList)
        {
            var node = zone.NodeRef;
            var pages = zone.Pages;
            int nrLists = NrPcpLists(node.Kernel, node.Geometry);
            if (count > pcp.CountField) count = pcp.CountField;
            int pindex = firstList - 1;
            while (count > 0)
            {
                int list;
                do
                {
                    if (++pindex >= nrLists) pindex = 0;
                    list = pcp.ListBase + pindex;
                } while (pages.Next(list) == list);
                int order = PindexToOrder(pindex, node.PbOrder);
                int nrPages = 1 << order;
                do
                {
                    int page = pages.Prev(list);
                    pages.ListDel(page);
                    count -= nrPages;
                    pcp.CountField -= nrPages;
                    int mt = pages.OrderOf(page) & ((1 << PcpOrderShift) - 1);
                    if (zone.NrIsolatePageblock > 0) mt = node.BlockMigratetype(page);
                    pages.Flags[page] = 0;
                    FreeOnePage(zone, page, order, mt);
                } while (count > 0 && pages.Next(list) != list);
            }
        }

        /// <summary>kernel: free_pcppages_bulk (mm/page_alloc.c, 4.14): round-robin over the pcp lists, oldest (tail) pages first.</summary>
        internal static void FreePcppagesBulk(Zone zone, int count, PerCpuPages pcp)
        {
            var node = zone.NodeRef;
            var pages = zone.Pages;
            int migratetype = 0;
            int batchFree = 0;
            zone.PagesScanned = 0;
            while (count > 0)
            {
                int list;
                do
                {
                    batchFree++;
                    if (++migratetype == MigrateTypes.PcpTypes) migratetype = 0;
                    list = pcp.ListBase + migratetype;
                } while (pages.Next(list) == list);
                if (batchFree == MigrateTypes.PcpTypes) batchFree = count;
                do
                {
                    int page = pages.Prev(list);
                    pages.ListDel(page);
                    int mt = pages.OrderOf(page);
                    if (zone.NrIsolatePageblock > 0) mt = node.BlockMigratetype(page);
                    pages.Flags[page] = 0;
                    FreeOnePage(zone, page, 0, mt);
                } while (--count > 0 && --batchFree > 0 && pages.Next(list) != list);
            }
        }

        /// <summary>kernel: drain_pages_zone (mm/page_alloc.c, 4.14; 6.1): return a CPU's whole pcp list to the buddy lists
        /// (6.1: in chunks of batch·2^CONFIG_PCP_BATCH_SCALE_MAX, each starting at the first list).</summary>
        internal static void DrainPagesZone(Zone zone, int cpu)
        {
            var pcp = zone.Pcp[cpu];
            if (zone.NodeRef.Kernel.PcpFreeScaling)
            {
                while (pcp.CountField > 0)
                    FreePcppagesBulkFrom(zone, Math.Min(pcp.CountField, pcp.BatchField << PcpBatchScaleMax), pcp, 0);
                return;
            }
            if (pcp.CountField > 0)
            {
                FreePcppagesBulk(zone, pcp.CountField, pcp);
                pcp.CountField = 0;
            }
        }

        /// <summary>kernel: drain_all_pages (mm/page_alloc.c, 4.14).</summary>
        internal static void DrainAllPages(MemNode node)
        {
            foreach (var zone in node.ZoneArr)
                for (int cpu = 0; cpu < zone.Pcp.Length; cpu++) DrainPagesZone(zone, cpu);
        }

        /// <summary>kernel: __free_pages_ok / free_one_page (mm/page_alloc.c, 4.14): higher orders go straight to the buddy lists.</summary>
        internal static void FreePagesOk(Zone zone, int index, int order, bool toTail = false) =>
            FreePagesOk(zone, index, order, zone.NodeRef.BlockMigratetype(index), toTail);

        /// <summary><see cref="FreePagesOk(Zone, int, int, bool)"/> with the page's pageblock type already read
        /// (get_pfnblock_migratetype).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static void FreePagesOk(Zone zone, int index, int order, int migratetype, bool toTail = false)
        {
            var node = zone.NodeRef;
            node.Counters.Events[(int)VmEvent.PgFree] += 1L << order;
            zone.PagesScanned = 0;
            // free_pages_prepare's clearing of the flags and order is left to __free_one_page, which writes both of the
            // block it queues and clears the freed page when it merges away.
            FreeOnePage(zone, index, order, migratetype, toTail);
        }

        /// <summary>kernel: reserve_highatomic_pageblock (mm/page_alloc.c, 4.14): at most 1% of the zone plus one pageblock.</summary>
        internal static void ReserveHighatomicPageblock(Zone zone, int index)
        {
            var node = zone.NodeRef;
            long maxManaged = zone.ManagedPages / 100 + (1L << node.PbOrder);
            if (zone.NrReservedHighatomic >= maxManaged) return;
            int mt = node.BlockMigratetype(index);
            if (mt != (int)MigrateType.HighAtomic && mt != (int)MigrateType.Isolate && mt != (int)MigrateType.Cma)
            {
                zone.NrReservedHighatomic += 1L << node.PbOrder;
                node.SetBlockMigratetype(index, (int)MigrateType.HighAtomic);
                MoveFreepagesBlock(zone, index, (int)MigrateType.HighAtomic, out _);
            }
        }

        /// <summary>kernel: unreserve_highatomic_pageblock (mm/page_alloc.c, 4.14): give a reserved block back to the
        /// request's type; unless forced, keep one pageblock reserved.</summary>
        internal static bool UnreserveHighatomicPageblock(MemNode node, int highZoneIdx, int migratetype, bool force)
        {
            foreach (var zone in node.Zonelist)
            {
                if (node.ZoneIndexOf(zone) > highZoneIdx) continue;
                if (!force && zone.NrReservedHighatomic <= (1L << node.PbOrder)) continue;
                for (int order = 0; order < zone.NrFree.Length; order++)
                {
                    int head = zone.FreeListHead(order, (int)MigrateType.HighAtomic);
                    int page = zone.Pages.Next(head);
                    if (page == head) continue;
                    if (node.BlockMigratetype(page) == (int)MigrateType.HighAtomic)
                    {
                        long dec = 1L << node.PbOrder;
                        zone.NrReservedHighatomic -= dec < zone.NrReservedHighatomic ? dec : zone.NrReservedHighatomic;
                    }
                    node.SetBlockMigratetype(page, migratetype);
                    if (MoveFreepagesBlock(zone, page, migratetype, out _) > 0) return true;
                }
            }
            return false;
        }

        /// <summary>Boot: memblock memory is freed in the largest aligned blocks in pfn order
        /// (kernel: __free_pages_memory, mm/nobootmem.c, 4.14), then the CMA area (init_cma_reserved_pageblock).</summary>
        /// <remarks>Runs once per node over up to 16 M pages: compiled fully optimised at once (AggressiveOptimization)
        /// instead of starting in tier-0 code, which made a cold 64 GiB New-MemNode several times slower.</remarks>
        [MethodImpl(AggressiveOptimization)]
        internal static void BootFreeAll(MemNode node, NodeLayout layout)
        {
            var pages = node.Pages;
            long startPfn = node.NodeStartPfn;
            // Pageblocks initialised early are marked Movable; a deferred one only when its first page is freed, the others
            // keep the zeroed bits (MIGRATE_UNMOVABLE).
            for (int b = 0; b < node.PageblockBits.Length; b++)
            {
                long pfn = startPfn + ((long)b << node.PbOrder);
                bool keepsZero = pfn >= layout.DeferredStartPfn && layout.IsReservedAtBoot(pfn);
                node.PageblockBits[b] = (byte)(keepsZero ? MigrateType.Unmovable : MigrateType.Movable);
            }
            var excluded = new System.Collections.Generic.List<NodeLayout.PfnRange>(layout.Reserved);
            excluded.AddRange(layout.LateFreed);
            foreach (var r in excluded)
            {
                for (long pfn = r.Start; pfn < r.End; pfn++)
                {
                    int i = (int)(pfn - startPfn);
                    pages.Flags[i] = (uint)PageFlags.Reserved;
                    pages.Owner[i] = (byte)PageOwner.Kernel;
                }
            }
            int cmaStart = (int)(layout.CmaStartPfn - startPfn);
            int cmaEnd = cmaStart + (int)layout.CmaPages;
            for (int i = cmaStart; i < cmaEnd; i += 1 << node.PbOrder) node.SetBlockMigratetype(i, (int)MigrateType.Cma);
            if (layout.CmaPages > 0) excluded.Add(new NodeLayout.PfnRange(layout.CmaStartPfn, layout.CmaPages));
            excluded.Sort((x, y) => x.Start.CompareTo(y.Start));

            foreach (var zone in node.ZoneArr)
            {
                if (!zone.IsPopulated) continue;
                long pfn = zone.ZoneStartPfn, end = zone.ZoneEndPfn;
                foreach (var r in excluded)
                {
                    if (r.End <= pfn || r.Start >= end) continue;
                    if (r.Start > pfn) FreeRange(zone, (int)(pfn - startPfn), (int)(r.Start - startPfn));
                    pfn = r.End;
                }
                if (pfn < end) FreeRange(zone, (int)(pfn - startPfn), (int)(end - startPfn));
            }
            if (layout.CmaPages > 0)
            {
                // cma_init_reserved_areas hands the area over after memblock_free_all; the boot's atomic pools then take
                // its first pages (they stay allocated, see KernelBoot).
                var cmaZone = node.ZoneOfIndex(cmaStart);
                cmaZone.CmaPages = layout.CmaPages;
                FreeRange(cmaZone, cmaStart + (int)layout.CmaBootPages, cmaEnd);
            }
        }

        [MethodImpl(AggressiveOptimization)]
        private static void FreeRange(Zone zone, int start, int end)
        {
            bool toTail = zone.NodeRef.Kernel.BootFreesToTail;
            int maxOrder = zone.NrFree.Length - 1;
            while (start < end)
            {
                int order = maxOrder;
                while (order > 0 && ((start & ((1 << order) - 1)) != 0 || start + (1 << order) > end)) order--;
                FreePagesOk(zone, start, order, toTail);
                start += 1 << order;
            }
        }
    }
}
