using System;
using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Migration;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Watermarks;

namespace MemMgmt.Core.Compaction
{
    /// <summary>Memory compaction (mm/compaction.c, 4.14): the two scanners, deferral, suitability and the zone loop.
    /// Page indexes are pfn − node_start_pfn; pfns appear only in cached positions, traces and reports.</summary>
    internal static partial class CompactionEngine
    {
        internal const int CompactMaxDeferShift = 6;
        internal const int CompactClusterMax = 32;

        // ----- deferral -----

        /// <summary>kernel: defer_compaction (mm/compaction.c, 4.14).</summary>
        internal static void DeferCompaction(Zone zone, int order)
        {
            zone.CompactConsidered = 0;
            zone.CompactDeferShift++;
            if (order < zone.CompactOrderFailed) zone.CompactOrderFailed = order;
            if (zone.CompactDeferShift > CompactMaxDeferShift) zone.CompactDeferShift = CompactMaxDeferShift;
            TraceDefer(zone, TraceEventId.mm_compaction_defer_compaction, order);
        }

        /// <summary>kernel: compaction_deferred (mm/compaction.c, 4.14): true while fewer than 2^shift attempts were considered.</summary>
        internal static bool CompactionDeferred(Zone zone, int order)
        {
            long deferLimit = 1L << zone.CompactDeferShift;
            if (order < zone.CompactOrderFailed) return false;
            if (++zone.CompactConsidered >= deferLimit)
            {
                zone.CompactConsidered = (int)deferLimit;
                return false;
            }
            TraceDefer(zone, TraceEventId.mm_compaction_deferred, order);
            return true;
        }

        /// <summary>kernel: compaction_defer_reset (mm/compaction.c, 4.14).</summary>
        internal static void CompactionDeferReset(Zone zone, int order, bool allocSuccess)
        {
            if (allocSuccess)
            {
                zone.CompactConsidered = 0;
                zone.CompactDeferShift = 0;
            }
            if (order >= zone.CompactOrderFailed) zone.CompactOrderFailed = order + 1;
            TraceDefer(zone, TraceEventId.mm_compaction_defer_reset, order);
        }

        /// <summary>kernel: compaction_restarting (mm/compaction.c, 4.14).</summary>
        internal static bool CompactionRestarting(Zone zone, int order)
        {
            if (order < zone.CompactOrderFailed) return false;
            return zone.CompactDeferShift == CompactMaxDeferShift && zone.CompactConsidered >= 1 << zone.CompactDeferShift;
        }

        private static void TraceDefer(Zone zone, TraceEventId id, int order)
        {
            var node = zone.NodeRef;
            node.Trace.Record(node, id, zone.Idx, order, zone.CompactConsidered, zone.CompactDeferShift, zone.CompactOrderFailed);
        }

        // ----- skip hints and cached positions -----

        /// <summary>kernel: reset_cached_positions (mm/compaction.c, 4.14).</summary>
        internal static void ResetCachedPositions(Zone zone)
        {
            zone.CompactCachedMigratePfn[0] = zone.ZoneStartPfn;
            zone.CompactCachedMigratePfn[1] = zone.ZoneStartPfn;
            zone.CompactCachedFreePfn = PageblockStartPfn(zone.NodeRef, zone.ZoneEndPfn - 1);
        }

        /// <summary>kernel: __reset_isolation_suitable (mm/compaction.c, 4.14): clear every skip bit of the zone.</summary>
        internal static void ResetIsolationSuitableZone(Zone zone)
        {
            var node = zone.NodeRef;
            if (node.Kernel.SampledSkipHintReset)
            {
                ResetIsolationSampled(zone);
                return;
            }
            zone.CompactBlockskipFlush = false;
            int nrBlock = 1 << node.PbOrder;
            int start = node.ToIndex(zone.ZoneStartPfn), end = node.ToIndex(zone.ZoneEndPfn);
            for (int i = start; i < end; i += nrBlock) node.SetBlockSkip(i, false);
            ResetCachedPositions(zone);
        }

        /// <summary>kernel: __reset_isolation_suitable (mm/compaction.c, 6.1): see <see cref="KernelProfile.SampledSkipHintReset"/>.</summary>
        private static void ResetIsolationSampled(Zone zone)
        {
            if (!zone.CompactBlockskipFlush) return;
            zone.CompactBlockskipFlush = false;
            var node = zone.NodeRef;
            long nrBlock = 1L << node.PbOrder;
            long migratePfn = zone.ZoneStartPfn, freePfn = zone.ZoneEndPfn - 1;
            long resetMigrate = freePfn, resetFree = migratePfn;
            bool sourceSet = false, freeSet = false;
            for (; migratePfn < freePfn; migratePfn += nrBlock, freePfn -= nrBlock)
            {
                if (ResetIsolationPfn(zone, migratePfn, true, sourceSet) && migratePfn < resetMigrate)
                {
                    sourceSet = true;
                    resetMigrate = migratePfn;
                    zone.CompactInitMigratePfn = resetMigrate;
                    zone.CompactCachedMigratePfn[0] = resetMigrate;
                    zone.CompactCachedMigratePfn[1] = resetMigrate;
                }
                if (ResetIsolationPfn(zone, freePfn, freeSet, true) && freePfn > resetFree)
                {
                    freeSet = true;
                    resetFree = freePfn;
                    zone.CompactInitFreePfn = resetFree;
                    zone.CompactCachedFreePfn = resetFree;
                }
            }
            // Nothing worth restarting at: the scanners start where the walk met.
            if (resetMigrate >= resetFree)
            {
                zone.CompactCachedMigratePfn[0] = migratePfn;
                zone.CompactCachedMigratePfn[1] = migratePfn;
                zone.CompactCachedFreePfn = freePfn;
            }
        }

        /// <summary>kernel: __reset_isolation_pfn (mm/compaction.c, 6.1): whether <paramref name="pfn"/>'s pageblock is a place
        /// to restart a scanner, clearing its skip bit when a sample says so.</summary>
        private static bool ResetIsolationPfn(Zone zone, long pfn, bool checkSource, bool checkTarget)
        {
            var node = zone.NodeRef;
            var pages = node.Pages;
            int block = node.ToIndex(PageblockStartPfn(node, pfn));
            // pageblock_skip_persistent: a compound page of pageblock order or more (a hugetlb page) starts the block.
            if (pages.Has(block, PageFlags.Head) && pages.OrderOf(block) >= node.PbOrder) return false;
            if (checkSource && checkTarget && !node.BlockSkip(block)) return true;
            if (!checkSource && checkTarget && node.BlockMigratetype(block) != (int)MigrateType.Movable) return false;
            int end = block + (1 << node.PbOrder);
            for (int i = block; i < end; i += 1 << MmConstants.PageAllocCostlyOrder)
            {
                if ((checkSource && pages.Has(i, PageFlags.Lru)) || (checkTarget && pages.Has(i, PageFlags.Buddy)))
                {
                    node.SetBlockSkip(block, false);
                    return true;
                }
            }
            return false;
        }

        /// <summary>kernel: reset_isolation_suitable (mm/compaction.c, 4.14): zones whose flush flag a finished direct
        /// compaction raised (kswapd calls this when it goes to sleep).</summary>
        internal static void ResetIsolationSuitable(MemNode node)
        {
            foreach (var zone in node.ZoneArr)
            {
                if (!zone.IsPopulated) continue;
                if (zone.CompactBlockskipFlush) ResetIsolationSuitableZone(zone);
            }
        }

        /// <summary>kernel: update_pageblock_skip (mm/compaction.c, 4.14).</summary>
        private static void UpdatePageblockSkip(CompactControl cc, int validPage, int nrIsolated, bool migrateScanner)
        {
            var zone = cc.Zone;
            var node = zone.NodeRef;
            if (cc.IgnoreSkipHint) return;
            if (validPage < 0) return;
            if (nrIsolated != 0) return;
            node.SetBlockSkip(validPage, true);
            long pfn = node.NodeStartPfn + validPage;
            if (migrateScanner)
            {
                if (pfn > zone.CompactCachedMigratePfn[0]) zone.CompactCachedMigratePfn[0] = pfn;
                if (cc.Mode != MigrateMode.Async && pfn > zone.CompactCachedMigratePfn[1]) zone.CompactCachedMigratePfn[1] = pfn;
            }
            else if (pfn < zone.CompactCachedFreePfn) zone.CompactCachedFreePfn = pfn;
        }

        internal static long PageblockStartPfn(MemNode node, long pfn) => pfn & ~((1L << node.PbOrder) - 1);

        internal static long PageblockEndPfn(MemNode node, long pfn) => (pfn + 1 + (1L << node.PbOrder) - 1) & ~((1L << node.PbOrder) - 1);

        private static long BlockEndPfn(long pfn, int order) => (pfn + 1 + (1L << order) - 1) & ~((1L << order) - 1);

        /// <summary>fatal_signal_pending(current) for the simulated task: Ctrl+C from the cmdlet.</summary>
        private static bool FatalSignalPending(CompactControl cc) => cc.StopRequested != null && cc.StopRequested();
        internal static bool FatalSignalPendingOf(CompactControl cc) => FatalSignalPending(cc);

        /// <summary>need_resched() for the compacting task, in virtual time: true once the task has run
        /// <see cref="CostModel.SchedSliceNs"/> since compact_zone began or since it last yielded.</summary>
        private static bool NeedResched(CompactControl cc) => cc.Zone.NodeRef.Clock.NowNs - cc.RunSinceNs >= CostModel.SchedSliceNs;

        /// <summary>kernel: compact_should_abort and compact_unlock_should_abort (mm/compaction.c, 4.14): when the task
        /// should reschedule, async compaction gives up the zone as contended and sync compaction yields (cond_resched,
        /// which starts a new slice). A fatal signal — Ctrl+C from the cmdlet — also ends it as contended.</summary>
        private static bool CompactShouldAbort(CompactControl cc)
        {
            if (FatalSignalPending(cc)) { cc.Contended = true; return true; }
            if (NeedResched(cc))
            {
                if (cc.Mode == MigrateMode.Async) { cc.Contended = true; return true; }
                cc.RunSinceNs = cc.Zone.NodeRef.Clock.NowNs;
            }
            return false;
        }

        // ----- free scanner -----

        /// <summary>kernel: suitable_migration_target (mm/compaction.c, 4.14; 6.1 decides the same way).</summary>
        internal static bool SuitableMigrationTarget(CompactControl cc, int page)
        {
            var node = cc.Zone.NodeRef;
            var pages = node.Pages;
            // A free block already as large as a pageblock is what compaction is trying to build: never a target,
            // not even for the CMA/alloc_contig callers that ignore the block's migratetype.
            if ((pages.Flags[page] & (uint)PageFlags.Buddy) != 0 && pages.OrderOf(page) >= node.PbOrder) return false;
            if (cc.IgnoreBlockSuitable) return true;
            int mt = node.BlockMigratetype(page);
            return mt == (int)MigrateType.Movable || mt == (int)MigrateType.Cma;
        }

        /// <summary>kernel: isolate_freepages_block (mm/compaction.c, 4.14), non-strict: free blocks go whole onto the
        /// private list (order kept in page_private) until the free pages cover the pages to migrate. Kernels with
        /// <see cref="KernelProfile.FreeScannerStride"/> advance by <paramref name="stride"/> and leave the skip bit to
        /// their caller (<paramref name="updateSkip"/> false).</summary>
        private static int IsolateFreepagesBlock(CompactControl cc, ref int startIndex, int endIndex, int stride = 1, bool updateSkip = true)
        {
            var zone = cc.Zone;
            var node = zone.NodeRef;
            var pages = node.Pages;
            var flags = pages.Flags;
            int nrScanned = 0, totalIsolated = 0;
            int blockpfn = startIndex;
            int validPage = -1;
            for (; blockpfn < endIndex; blockpfn += stride)
            {
                if ((blockpfn % CompactClusterMax) == 0 && CompactShouldAbort(cc)) break;
                nrScanned++;
                if (validPage < 0) validPage = blockpfn;
                uint f = flags[blockpfn];
                if ((f & (uint)PageFlags.Allocated) != 0 && (f & (uint)PageFlags.Head) != 0)
                {
                    blockpfn += (1 << pages.OrderOf(blockpfn)) - 1;
                    continue;
                }
                if ((f & (uint)PageFlags.Buddy) == 0) continue;
                int order = pages.OrderOf(blockpfn);
                int isolated = BuddyAllocator.IsolateFreePage(zone, blockpfn, order);
                if (isolated == 0) break;
                pages.Flags[blockpfn] = PageMap.WithOrder((uint)PageFlags.Isolated, order);
                totalIsolated += isolated;
                cc.NrFreepages += isolated;
                pages.ListAddTail(blockpfn, cc.FreeList);
                if (cc.NrMigratepages <= cc.NrFreepages)
                {
                    blockpfn += isolated;
                    break;
                }
                blockpfn += isolated - 1;
            }
            if (blockpfn > endIndex) blockpfn = endIndex;
            node.Trace.Record(node, TraceEventId.mm_compaction_isolate_freepages, node.NodeStartPfn + startIndex, node.NodeStartPfn + blockpfn, nrScanned, totalIsolated);
            startIndex = blockpfn;
            if (blockpfn == endIndex && updateSkip) UpdatePageblockSkip(cc, validPage, totalIsolated, false);
            cc.TotalFreeScanned += nrScanned;
            node.Clock.Advance(nrScanned * CostModel.ScanPfnNs);
            if (totalIsolated != 0)
            {
                node.Counters.Count(VmEvent.CompactIsolated, totalIsolated);
                cc.FreeIsolated += totalIsolated;
            }
            return totalIsolated;
        }

        /// <summary>kernel: isolate_freepages (mm/compaction.c, 4.14): pageblocks downward from free_pfn to the block after
        /// the migrate scanner's, then map_pages splits what was taken into order-0 pages.</summary>
        private static void IsolateFreepages(CompactControl cc)
        {
            var zone = cc.Zone;
            var node = zone.NodeRef;
            if (node.Kernel.FreeScannerStride)
            {
                IsolateFreepagesStrided(cc);
                return;
            }
            long nrBlock = 1L << node.PbOrder;
            long isolateStartPfn = cc.FreePfn;
            long blockStartPfn = PageblockStartPfn(node, cc.FreePfn);
            long blockEndPfn = Math.Min(blockStartPfn + nrBlock, zone.ZoneEndPfn);
            long lowPfn = PageblockEndPfn(node, cc.MigratePfn);
            for (; blockStartPfn >= lowPfn;
                blockEndPfn = blockStartPfn, blockStartPfn -= nrBlock, isolateStartPfn = blockStartPfn)
            {
                if ((blockStartPfn % (CompactClusterMax * nrBlock)) == 0 && CompactShouldAbort(cc)) break;
                // pageblock_pfn_to_page: the block must lie within the zone (zones here are contiguous).
                if (blockStartPfn < zone.ZoneStartPfn) continue;
                int page = node.ToIndex(blockStartPfn);
                if (!SuitableMigrationTarget(cc, page)) continue;
                if (!cc.IgnoreSkipHint && node.BlockSkip(page)) continue;
                int start = node.ToIndex(isolateStartPfn);
                IsolateFreepagesBlock(cc, ref start, node.ToIndex(blockEndPfn));
                isolateStartPfn = node.NodeStartPfn + start;
                if (cc.NrFreepages >= cc.NrMigratepages || cc.Contended)
                {
                    if (isolateStartPfn >= blockEndPfn) isolateStartPfn = blockStartPfn - nrBlock;
                    break;
                }
                else if (isolateStartPfn < blockEndPfn) break;
            }
            MapPages(node, cc.FreeList);
            cc.FreePfn = isolateStartPfn;
        }

        /// <summary>kernel: map_pages (mm/compaction.c, 4.14): post_alloc_hook and split_page for each isolated block; each
        /// block's pages go to the head of a temporary list in pfn order, which is then spliced back.</summary>
        private static void MapPages(MemNode node, int list)
        {
            var pages = node.Pages;
            int tmp = node.SpareListBase + 2;
            int page = pages.Next(list);
            while (page != list)
            {
                int next = pages.Next(page);
                pages.ListDel(page);
                int nr = 1 << pages.OrderOf(page);
                for (int i = 0; i < nr; i++)
                {
                    pages.Flags[page + i] = (uint)PageFlags.Isolated;
                    pages.ListAdd(page + i, tmp);
                }
                page = next;
            }
            // list_splice(&tmp_list, list): list is empty here, so it simply takes tmp's entries.
            if (!pages.ListEmpty(tmp))
            {
                int first = pages.Next(tmp), last = pages.Prev(tmp);
                int at = pages.Next(list);
                pages.Next(list) = first; pages.Prev(first) = list;
                pages.Next(last) = at; pages.Prev(at) = last;
                pages.Next(tmp) = tmp; pages.Prev(tmp) = tmp;
            }
        }

        /// <summary>kernel: release_freepages (mm/compaction.c, 4.14): __free_page each unused target. Returns the highest
        /// pfn released.</summary>
        private static long ReleaseFreepages(CompactControl cc)
        {
            var node = cc.Zone.NodeRef;
            var pages = node.Pages;
            long highPfn = 0;
            int list = cc.FreeList;
            int page = pages.Next(list);
            while (page != list)
            {
                int next = pages.Next(page);
                pages.ListDel(page);
                pages.Flags[page] = 0;
                BuddyAllocator.FreeHotPage(node.ZoneOfIndex(page), cc.Cpu, page);
                long pfn = node.NodeStartPfn + page;
                if (pfn > highPfn) highPfn = pfn;
                page = next;
            }
            return highPfn;
        }

        /// <summary>kernel: compaction_alloc (mm/compaction.c, 4.14).</summary>
        internal static int CompactionAlloc(CompactControl cc)
        {
            var pages = cc.Zone.Pages;
            if (pages.ListEmpty(cc.FreeList))
            {
                if (!cc.Contended) IsolateFreepages(cc);
                if (pages.ListEmpty(cc.FreeList)) return -1;
            }
            int freepage = pages.Next(cc.FreeList);
            pages.ListDel(freepage);
            cc.NrFreepages--;
            return freepage;
        }

        /// <summary>kernel: compaction_free (mm/compaction.c, 4.14).</summary>
        internal static void CompactionFree(CompactControl cc, int page)
        {
            cc.Zone.Pages.ListAdd(page, cc.FreeList);
            cc.NrFreepages++;
        }

        // ----- migrate scanner -----

        /// <summary>kernel: too_many_isolated (mm/compaction.c, 4.14): isolated &gt; (inactive + active) / 2.</summary>
        private static bool TooManyIsolated(MemNode node)
        {
            var s = node.Counters;
            long active = s[NodeStatItem.NrActiveFile] + s[NodeStatItem.NrActiveAnon];
            long inactive = s[NodeStatItem.NrInactiveFile] + s[NodeStatItem.NrInactiveAnon];
            long isolated = s[NodeStatItem.NrIsolatedFile] + s[NodeStatItem.NrIsolatedAnon];
            return isolated > (inactive + active) / 2;
        }

        /// <summary>kernel: isolate_migratepages_block (mm/compaction.c, 4.14) with __isolate_lru_page (mm/vmscan.c, 4.14).
        /// Returns the index where scanning stopped, or -1 to abort.</summary>
        internal static int IsolateMigratepagesBlock(CompactControl cc, int lowPfn, int endPfn, bool isolateUnevictable, bool isolateAsyncMigrate)
        {
            var zone = cc.Zone;
            var node = zone.NodeRef;
            var pages = node.Pages;
            var flagsArr = pages.Flags;
            int nrScanned = 0, nrIsolated = 0;
            int validPage = -1;
            int startPfn = lowPfn;
            bool skipOnFailure = false;
            int nextSkipPfn = endPfn;
            long nodeStart = node.NodeStartPfn;
            var reasons = cc.Reasons;
            bool hasFs = (cc.GfpMask & GfpFlags.__GFP_FS) != 0;
            // 6.1 keeps the skip hint per block: checked at the block's first page, claimed when its first LRU page is taken.
            bool hintsPerBlock = node.Kernel.MigrateSkipHintsPerBlock;
            int blockMask = (1 << node.PbOrder) - 1;
            bool skipUpdated = false;

            // too_many_isolated: async aborts; sync would wait for isolated pages to come back, which cannot happen
            // while this task holds them, so it aborts too after the wait (congestion_wait then fatal check).
            if (TooManyIsolated(node))
            {
                if (cc.Mode == MigrateMode.Async) return -1;
                return -1;
            }
            if (CompactShouldAbort(cc)) return -1;
            if (cc.DirectCompaction && cc.Mode == MigrateMode.Async)
            {
                skipOnFailure = true;
                nextSkipPfn = (int)(BlockEndPfn(nodeStart + lowPfn, cc.Order) - nodeStart);
            }
            for (; lowPfn < endPfn; lowPfn++)
            {
                if (skipOnFailure && lowPfn >= nextSkipPfn)
                {
                    if (nrIsolated != 0) break;
                    nextSkipPfn = (int)(BlockEndPfn(nodeStart + lowPfn, cc.Order) - nodeStart);
                }
                if ((lowPfn % CompactClusterMax) == 0 && CompactShouldAbort(cc)) break;
                nrScanned++;
                if (validPage < 0 && (!hintsPerBlock || (lowPfn & blockMask) == 0))
                {
                    if (hintsPerBlock && !cc.IgnoreSkipHint && node.BlockSkip(lowPfn))
                    {
                        lowPfn = endPfn;
                        break;
                    }
                    validPage = lowPfn;
                }
                uint f = flagsArr[lowPfn];
                if ((f & (uint)PageFlags.Buddy) != 0)
                {
                    int freeOrder = PageMap.OrderOf(f);
                    if (freeOrder > 0 && freeOrder < node.MaxOrderValue) lowPfn += (1 << freeOrder) - 1;
                    continue;
                }
                if ((f & (uint)PageFlags.Allocated) != 0 && PageMap.OrderOf(f) > 0)
                {
                    // Compound pages (THP, hugetlb) are skipped by their order. A higher-order allocation without
                    // __GFP_COMP is not PageCompound: its first page fails as a non-LRU page and the scanner then meets
                    // each tail page on its own, scanning and failing them one by one.
                    if ((f & (uint)PageFlags.Head) != 0)
                    {
                        lowPfn += (1 << PageMap.OrderOf(f)) - 1;
                        reasons[(int)MigrateFailReason.Compound]++;
                    }
                    else reasons[(int)MigrateFailReason.NotMovable]++;
                    goto IsolateFail;
                }
                if ((f & (uint)PageFlags.Lru) == 0)
                {
                    if ((f & (uint)PageFlags.NonLruMovable) != 0 && (f & (uint)PageFlags.Isolated) == 0)
                    {
                        // isolate_movable_page
                        pages.Flags[lowPfn] = f | (uint)PageFlags.Isolated;
                        goto IsolateSuccess;
                    }
                    if ((f & (uint)PageFlags.Allocated) != 0) reasons[(int)MigrateFailReason.NotMovable]++;
                    goto IsolateFail;
                }
                var owner = (PageOwner)pages.Owner[lowPfn];
                // page_mapping: the file's mapping, or for a page in the swap cache the swap address space.
                bool swapCache = (f & (uint)PageFlags.SwapCache) != 0;
                bool hasMapping = owner == PageOwner.FileCache || owner == PageOwner.Shmem || swapCache;
                if (!hasMapping)
                {
                    // page_count > page_mapcount: one reference per mapping plus the pins.
                    int count = 1 + pages.ExtraRefs[lowPfn];
                    int mapcount = (f & (uint)PageFlags.Mapped) != 0 ? 1 : 0;
                    if (count > mapcount) { reasons[(int)MigrateFailReason.PinnedNotIsolated]++; goto IsolateFail; }
                }
                if (!hasFs && hasMapping) { reasons[(int)MigrateFailReason.FileWithoutGfpFs]++; goto IsolateFail; }
                // __isolate_lru_page
                if ((f & (uint)PageFlags.Unevictable) != 0 && !isolateUnevictable) { reasons[(int)MigrateFailReason.UnevictableNotAllowed]++; goto IsolateFail; }
                if (isolateAsyncMigrate)
                {
                    if ((f & (uint)PageFlags.Writeback) != 0) { reasons[(int)MigrateFailReason.WritebackNotIsolated]++; goto IsolateFail; }
                    if ((f & (uint)PageFlags.Dirty) != 0)
                    {
                        // shmem's and the swap cache's address_space_operations have ->migratepage.
                        bool migrateDirty = !hasMapping || owner == PageOwner.Shmem || swapCache || node.Compaction.FilesystemHasMigratepage;
                        if (!migrateDirty) { reasons[(int)MigrateFailReason.DirtyNotIsolated]++; goto IsolateFail; }
                    }
                }
                if (hintsPerBlock && !skipUpdated)
                {
                    skipUpdated = true;
                    if (TestAndSetSkip(cc, lowPfn)) break;
                }
                Lru.Del(node, lowPfn, 1);
                pages.Flags[lowPfn] |= (uint)PageFlags.Isolated;
                node.Counters.Mod(Migrate.IsolatedItem(f), node.ZoneIdOfIndex(lowPfn), 1);
            IsolateSuccess:
                pages.ListAdd(lowPfn, cc.MigrateList);
                cc.NrMigratepages++;
                nrIsolated++;
                if (!hintsPerBlock && cc.LastMigratedPfn == 0) cc.LastMigratedPfn = nodeStart + lowPfn; // 6.1 sets it per iteration (compact_zone)
                if (cc.NrMigratepages >= CompactClusterMax && !cc.Rescan) { ++lowPfn; break; }
                continue;
            IsolateFail:
                if (!skipOnFailure) continue;
                if (nrIsolated != 0)
                {
                    Migrate.PutbackMovablePages(node, cc.MigrateList, cc.Cpu);
                    cc.NrMigratepages = 0;
                    if (!hintsPerBlock) cc.LastMigratedPfn = 0;
                    nrIsolated = 0;
                }
                if (lowPfn < nextSkipPfn)
                {
                    lowPfn = nextSkipPfn - 1;
                    nextSkipPfn += 1 << cc.Order;
                }
            }
            if (lowPfn > endPfn) lowPfn = endPfn;
            if (!hintsPerBlock)
            {
                if (lowPfn == endPfn) UpdatePageblockSkip(cc, validPage, nrIsolated, true);
            }
            else if (lowPfn == endPfn && (nrIsolated == 0 || cc.Rescan))
            {
                // A block scanned to its end without taking anything, or scanned twice in a row.
                if (validPage >= 0 && !skipUpdated) node.SetBlockSkip(validPage, true);
                UpdateCachedMigrate(cc, nodeStart + lowPfn);
            }
            node.Trace.Record(node, TraceEventId.mm_compaction_isolate_migratepages, nodeStart + startPfn, nodeStart + lowPfn, nrScanned, nrIsolated);
            cc.TotalMigrateScanned += nrScanned;
            node.Clock.Advance(nrScanned * CostModel.ScanPfnNs);
            if (nrIsolated != 0)
            {
                node.Counters.Count(VmEvent.CompactIsolated, nrIsolated);
                cc.Isolated += nrIsolated;
            }
            return lowPfn;
        }

        /// <summary>kernel: suitable_migration_source (mm/compaction.c, 4.14): async direct compaction only scans blocks of
        /// the request's type (Movable or CMA for movable requests); 6.1 also passes over a block a hugetlb page fills.</summary>
        private static bool SuitableMigrationSource(CompactControl cc, int page)
        {
            var pages = cc.Zone.Pages;
            // pageblock_skip_persistent (6.1): a compound page of pageblock order or more (a hugetlb page) fills the block.
            if (cc.Zone.NodeRef.Kernel.MigrateSkipHintsPerBlock && pages.Has(page, PageFlags.Head) && pages.OrderOf(page) >= cc.Zone.NodeRef.PbOrder)
                return false;
            if (cc.Mode != MigrateMode.Async || !cc.DirectCompaction) return true;
            int blockMt = cc.Zone.NodeRef.BlockMigratetype(page);
            if (cc.Migratetype == (int)MigrateType.Movable) return blockMt == (int)MigrateType.Movable || blockMt == (int)MigrateType.Cma;
            return blockMt == cc.Migratetype;
        }

        /// <summary>kernel: isolate_migratepages (mm/compaction.c, 4.14): the next suitable pageblock below the free scanner.</summary>
        private static IsolateMigrateResult IsolateMigratepages(Zone zone, CompactControl cc)
        {
            var node = zone.NodeRef;
            long nrBlock = 1L << node.PbOrder;
            bool isolateUnevictable = node.Sysctl.CompactUnevictableAllowed != 0;
            bool isolateAsyncMigrate = cc.Mode != MigrateMode.Sync;
            if (node.Kernel.MigrateSkipHintsPerBlock) return IsolateMigratepages61(zone, cc, isolateUnevictable, isolateAsyncMigrate);
            long lowPfn = cc.MigratePfn;
            long blockStartPfn = PageblockStartPfn(node, lowPfn);
            if (blockStartPfn < zone.ZoneStartPfn) blockStartPfn = zone.ZoneStartPfn;
            long blockEndPfn = PageblockEndPfn(node, lowPfn);
            for (; blockEndPfn <= cc.FreePfn; lowPfn = blockEndPfn, blockStartPfn = blockEndPfn, blockEndPfn += nrBlock)
            {
                if ((lowPfn % (CompactClusterMax * nrBlock)) == 0 && CompactShouldAbort(cc)) break;
                if (blockEndPfn > zone.ZoneEndPfn) break;
                int page = node.ToIndex(blockStartPfn);
                if (!cc.IgnoreSkipHint && node.BlockSkip(page)) continue;
                if (!SuitableMigrationSource(cc, page)) continue;
                int r = IsolateMigratepagesBlock(cc, node.ToIndex(lowPfn), node.ToIndex(blockEndPfn), isolateUnevictable, isolateAsyncMigrate);
                if (r < 0 || cc.Contended) return IsolateMigrateResult.Abort;
                lowPfn = node.NodeStartPfn + r;
                break;
            }
            cc.MigratePfn = lowPfn;
            return cc.NrMigratepages != 0 ? IsolateMigrateResult.Success : IsolateMigrateResult.None;
        }

        // ----- suitability and finishing -----

        /// <summary>kernel: __compaction_suitable (mm/compaction.c, 4.14).</summary>
        private static CompactResult CompactionSuitableInner(Zone zone, int order, int allocFlags, int classzoneIdx, long wmarkTarget)
        {
            if (order == -1) return CompactResult.Continue;
            long watermark = zone.WmarkPages(allocFlags & AllocFlagBits.WmarkMask);
            if (ZoneWatermark.Ok(zone, order, watermark, classzoneIdx, allocFlags, zone.NrFreePages)) return CompactResult.Success;
            watermark = order > MmConstants.PageAllocCostlyOrder ? zone.WmarkPages(1) : zone.WmarkPages(0);
            watermark += MmConstants.CompactGap(order);
            if (!ZoneWatermark.Ok(zone, 0, watermark, classzoneIdx, AllocFlagBits.Cma, wmarkTarget)) return CompactResult.Skipped;
            return CompactResult.Continue;
        }

        /// <summary>__compaction_suitable with a caller's free-page estimate (compaction_zonelist_suitable).</summary>
        internal static CompactResult CompactionSuitableAvailable(Zone zone, int order, int allocFlags, int classzoneIdx, long available) =>
            CompactionSuitableInner(zone, order, allocFlags, classzoneIdx, available);

        /// <summary>kernel: compaction_suitable (mm/compaction.c, 4.14): for costly orders a fragmentation index in
        /// [0, extfrag_threshold] means low memory rather than fragmentation: NOT_SUITABLE_ZONE, reported as SKIPPED.</summary>
        internal static CompactResult CompactionSuitable(Zone zone, int order, int allocFlags, int classzoneIdx)
        {
            var ret = zone.NodeRef.Kernel.CompactionSuitablePartial
                ? ZoneCompaction44.CompactionSuitableInner(zone, order, allocFlags, classzoneIdx)
                : CompactionSuitableInner(zone, order, allocFlags, classzoneIdx, zone.NrFreePages);
            if (ret == CompactResult.Continue && order > MmConstants.PageAllocCostlyOrder)
            {
                int fragindex = Fragmentation.FragmentationIndex(zone.NrFree, order);
                if (fragindex >= 0 && fragindex <= zone.NodeRef.Sysctl.ExtfragThreshold) ret = CompactResult.NotSuitableZone;
            }
            var node = zone.NodeRef;
            node.Trace.Record(node, TraceEventId.mm_compaction_suitable, zone.Idx, order, (long)ret);
            if (ret == CompactResult.NotSuitableZone) ret = CompactResult.Skipped;
            return ret;
        }

        /// <summary>kernel: compact_scanners_met (mm/compaction.c, 4.14).</summary>
        private static bool CompactScannersMet(CompactControl cc)
        {
            int pb = cc.Zone.NodeRef.PbOrder;
            return (cc.FreePfn >> pb) <= (cc.MigratePfn >> pb);
        }

        /// <summary>kernel: __compact_finished (mm/compaction.c, 4.14), in the kernel's order of checks.</summary>
        private static CompactResult CompactFinishedInner(Zone zone, CompactControl cc)
        {
            var node = zone.NodeRef;
            int migratetype = cc.Migratetype;
            if (cc.Contended || FatalSignalPending(cc)) return CompactResult.Contended;
            if (CompactScannersMet(cc))
            {
                ResetCachedPositions(zone);
                if (cc.DirectCompaction) zone.CompactBlockskipFlush = true;
                return cc.WholeZone ? CompactResult.Complete : CompactResult.PartialSkipped;
            }
            if (cc.Order == -1) return CompactResult.Continue;
            if (cc.FinishingBlock)
            {
                if ((cc.MigratePfn & ((1L << node.PbOrder) - 1)) == 0) cc.FinishingBlock = false;
                else return CompactResult.Continue;
            }
            var pages = node.Pages;
            for (int order = cc.Order; order < node.MaxOrderValue; order++)
            {
                if (!pages.ListEmpty(zone.FreeListHead(order, migratetype))) return CompactResult.Success;
                if (migratetype == (int)MigrateType.Movable && !pages.ListEmpty(zone.FreeListHead(order, (int)MigrateType.Cma)))
                    return CompactResult.Success;
                if (BuddyAllocator.FindSuitableFallback(zone, order, migratetype, true, out _) != -1)
                {
                    if (migratetype == (int)MigrateType.Movable) return CompactResult.Success;
                    if (cc.Mode == MigrateMode.Async || (cc.MigratePfn & ((1L << node.PbOrder) - 1)) == 0) return CompactResult.Success;
                    cc.FinishingBlock = true;
                    return CompactResult.Continue;
                }
            }
            return CompactResult.NoSuitablePage;
        }

        /// <summary>kernel: __compact_finished (mm/compaction.c, 6.1), in its order of checks: scanners met; a proactive run
        /// stops when the zone's score is at or below the low wmark (or kswapd runs); order −1 continues; a request waits
        /// for the migrate scanner to reach a pageblock boundary, then any free page of its type, CMA for movable, or a
        /// fallback ends it; contention and a fatal signal are checked last.</summary>
        private static CompactResult CompactFinishedAtPageblockEnd(Zone zone, CompactControl cc)
        {
            var node = zone.NodeRef;
            int migratetype = cc.Migratetype;
            CompactResult ret;
            if (CompactScannersMet(cc))
            {
                ResetCachedPositions(zone);
                if (cc.DirectCompaction) zone.CompactBlockskipFlush = true;
                return cc.WholeZone ? CompactResult.Complete : CompactResult.PartialSkipped;
            }
            if (cc.ProactiveCompaction)
            {
                if (KswapdIsRunning(node)) return CompactResult.PartialSkipped;
                ret = FragmentationScoreZone(zone) > FragmentationScoreWmark(node, true) ? CompactResult.Continue : CompactResult.Success;
                goto Out;
            }
            if (cc.Order == -1) return CompactResult.Continue;
            if ((cc.MigratePfn & ((1L << node.PbOrder) - 1)) != 0) return CompactResult.Continue;
            ret = CompactResult.NoSuitablePage;
            var pages = node.Pages;
            for (int order = cc.Order; order < node.MaxOrderValue; order++)
            {
                if (!pages.ListEmpty(zone.FreeListHead(order, migratetype))) return CompactResult.Success;
                if (migratetype == (int)MigrateType.Movable && !pages.ListEmpty(zone.FreeListHead(order, (int)MigrateType.Cma)))
                    return CompactResult.Success;
                // The migrate scanner stands on a pageblock boundary here, so a steal needs no block finished first.
                if (BuddyAllocator.FindSuitableFallback(zone, order, migratetype, true, out _) != -1) return CompactResult.Success;
            }
        Out:
            if (cc.Contended || FatalSignalPending(cc)) ret = CompactResult.Contended;
            return ret;
        }

        /// <summary>kernel: compact_finished (mm/compaction.c, 4.14): traced; NO_SUITABLE_PAGE continues.</summary>
        internal static CompactResult CompactFinished(Zone zone, CompactControl cc)
        {
            var kernel = zone.NodeRef.Kernel;
            var ret = kernel.CompactFinishedAtPageblockEnd ? CompactFinishedAtPageblockEnd(zone, cc)
                : kernel.CompactionSuitablePartial ? ZoneCompaction44.CompactFinished(zone, cc)
                : CompactFinishedInner(zone, cc);
            var node = zone.NodeRef;
            node.Trace.Record(node, TraceEventId.mm_compaction_finished, zone.Idx, cc.Order, (long)ret);
            if (ret == CompactResult.NoSuitablePage) ret = CompactResult.Continue;
            return ret;
        }

        // ----- the zone loop -----

        private sealed class Target : IMigrationTarget
        {
            internal CompactControl Cc = null!;
            public int GetNewPage(int page) => CompactionAlloc(Cc);
            public void PutNewPage(int newPage) => CompactionFree(Cc, newPage);
            public void CountFailure(MigrateFailReason reason) => Cc.Reasons[(int)reason]++;
        }

        /// <summary>kernel: compact_zone (mm/compaction.c, 4.14), run to its end by the calling task.</summary>
        internal static CompactResult CompactZone(Zone zone, CompactControl cc)
        {
            var ret = CompactZoneBegin(zone, cc);
            if (ret != CompactResult.Continue) return ret;
            while ((ret = CompactZoneStep(zone, cc)) == CompactResult.Continue) { }
            return CompactZoneEnd(zone, cc, ret);
        }

        /// <summary>compact_zone up to its loop: the suitability check, the scanners' start and the drain. Continue means
        /// the loop runs (<see cref="CompactZoneStep"/>, then <see cref="CompactZoneEnd"/>); any other result is compact_zone's
        /// answer and nothing else happens. Split from the loop so kcompactd can run it a step at a time beside another task.</summary>
        internal static CompactResult CompactZoneBegin(Zone zone, CompactControl cc)
        {
            var node = zone.NodeRef;
            long startPfn = zone.ZoneStartPfn, endPfn = zone.ZoneEndPfn;
            bool sync = cc.Mode != MigrateMode.Async;
            cc.Zone = zone;
            cc.RunSinceNs = node.Clock.NowNs;
            if (node.Kernel.CompactZoneResetsScanCounts)
            {
                cc.TotalMigrateScanned = 0;
                cc.TotalFreeScanned = 0;
            }
            cc.Migratetype = (int)Gfp.ToMigratetype(cc.GfpMask, node.PageGroupByMobilityDisabled);
            if (cc.MigrateList == 0)
            {
                cc.MigrateList = node.SpareListBase;
                cc.FreeList = node.SpareListBase + 1;
            }
            var ret = CompactionSuitable(zone, cc.Order, cc.AllocFlags, cc.ClasszoneIdx);
            if (ret == CompactResult.Success || ret == CompactResult.Skipped) return ret;

            // 4.4's kswapd (the only compactor with ByKswapd) leaves the reset to its sleep (compact_zone, 4.4).
            if (CompactionRestarting(zone, cc.Order) && !cc.ByKswapd) ResetIsolationSuitableZone(zone);

            if (cc.WholeZone)
            {
                cc.MigratePfn = startPfn;
                cc.FreePfn = PageblockStartPfn(node, endPfn - 1);
            }
            else
            {
                cc.MigratePfn = zone.CompactCachedMigratePfn[sync ? 1 : 0];
                cc.FreePfn = zone.CompactCachedFreePfn;
                if (cc.FreePfn < startPfn || cc.FreePfn >= endPfn)
                {
                    cc.FreePfn = PageblockStartPfn(node, endPfn - 1);
                    zone.CompactCachedFreePfn = cc.FreePfn;
                }
                if (cc.MigratePfn < startPfn || cc.MigratePfn >= endPfn)
                {
                    cc.MigratePfn = startPfn;
                    zone.CompactCachedMigratePfn[0] = cc.MigratePfn;
                    zone.CompactCachedMigratePfn[1] = cc.MigratePfn;
                }
                if (node.Kernel.SampledSkipHintReset ? cc.MigratePfn <= zone.CompactInitMigratePfn : cc.MigratePfn == startPfn) cc.WholeZone = true;
            }
            cc.LastMigratedPfn = 0;
            cc.SearchOrder = cc.Order;
            cc.FastStartPfn = 0;
            // 6.1: until a block yields something, an async run keeps the sync cached pfn level with its own.
            cc.UpdateCached = node.Kernel.MigrateSkipHintsPerBlock && !sync && zone.CompactCachedMigratePfn[0] == zone.CompactCachedMigratePfn[1];
            node.Trace.Record(node, TraceEventId.mm_compaction_begin, startPfn, cc.MigratePfn, cc.FreePfn, endPfn, sync ? 1 : 0);
            LruCache.Drain(node, cc.Cpu); // migrate_prep_local: lru_add_drain on this cpu
            cc.Target ??= new Target { Cc = cc };
            cc.SpanAtBegin = cc.FreePfn - cc.MigratePfn;
            return CompactResult.Continue;
        }

        /// <summary>One pass of compact_zone's loop: __compact_finished, then one isolate_migratepages and migrate_pages,
        /// and the drain when the migrate scanner left the order-aligned block it migrated from. Returns Continue while the
        /// loop goes on, else the result to hand <see cref="CompactZoneEnd"/>.</summary>
        internal static CompactResult CompactZoneStep(Zone zone, CompactControl cc)
        {
            var node = zone.NodeRef;
            var ret = CompactFinished(zone, cc);
            if (ret != CompactResult.Continue) return ret;
            if (cc.Progress != null && (++cc.ProgressTick & 255) == 0 && cc.SpanAtBegin > 0)
                cc.Progress(zone, 1.0 - (double)(cc.FreePfn - cc.MigratePfn) / cc.SpanAtBegin);
            bool hintsPerBlock = node.Kernel.MigrateSkipHintsPerBlock;
            long iterationStartPfn = cc.MigratePfn;
            cc.Rescan = hintsPerBlock && cc.LastMigratedPfn != 0
                && PageblockStartPfn(node, cc.LastMigratedPfn) == PageblockStartPfn(node, iterationStartPfn);
            switch (IsolateMigratepages(zone, cc))
            {
                case IsolateMigrateResult.Abort:
                    Migrate.PutbackMovablePages(node, cc.MigrateList, cc.Cpu);
                    cc.NrMigratepages = 0;
                    return CompactResult.Contended;
                case IsolateMigrateResult.None:
                    if (cc.UpdateCached) zone.CompactCachedMigratePfn[1] = zone.CompactCachedMigratePfn[0];
                    goto CheckDrain;
                case IsolateMigrateResult.Success:
                    if (hintsPerBlock)
                    {
                        cc.UpdateCached = false;
                        cc.LastMigratedPfn = iterationStartPfn;
                    }
                    break;
            }
            int nrAll = cc.NrMigratepages;
            int err = Migrate.MigratePages(node, cc.MigrateList, cc.Target!, cc.Mode, cc.Cpu, out int ok, out int failed);
            cc.Migrated += ok;
            cc.MigrateFailed += failed;
            long traceFailed = err >= 0 ? err : node.Pages.ListCount(cc.MigrateList);
            node.Trace.Record(node, TraceEventId.mm_compaction_migratepages, nrAll - traceFailed, traceFailed);
            cc.NrMigratepages = 0;
            if (err != 0)
            {
                Migrate.PutbackMovablePages(node, cc.MigrateList, cc.Cpu);
                if (err == Migrate.ENOMEM && !CompactScannersMet(cc)) return CompactResult.Contended;
                if (cc.DirectCompaction && cc.Mode == MigrateMode.Async)
                {
                    cc.MigratePfn = BlockEndPfn(cc.MigratePfn - 1, cc.Order);
                    cc.LastMigratedPfn = 0;
                }
            }
        CheckDrain:
            if (cc.Order > 0 && cc.LastMigratedPfn != 0)
            {
                long currentBlockStart = cc.MigratePfn & ~((1L << cc.Order) - 1);
                if (cc.LastMigratedPfn < currentBlockStart)
                {
                    // lru_add_drain_cpu then drain_local_pages(zone): pages put back or migrated reach their LRU
                    // lists (isolatable again), and this CPU's pcp pages of the zone merge now.
                    LruCache.Drain(node, cc.Cpu);
                    BuddyAllocator.DrainPagesZone(zone, cc.Cpu);
                    cc.LastMigratedPfn = 0;
                }
            }
            // A task compacting directly has spent this step's time: kswapd and kcompactd on the other CPU catch up with it.
            if (cc.DirectCompaction) Time.Daemons.DaemonsCatchUp(node, cc.Cpu);
            // Stop if a page has been captured (6.1): the request has its block, whatever the scanners say.
            if (cc.Capc != null && cc.Capc.Page >= 0) return CompactResult.Success;
            return CompactResult.Continue;
        }

        /// <summary>compact_zone's end: free pages still isolated go back (the cached free pfn moves up to the highest
        /// returned), the scanned counts are added to vmstat, and the result is traced and returned.</summary>
        internal static CompactResult CompactZoneEnd(Zone zone, CompactControl cc, CompactResult ret)
        {
            var node = zone.NodeRef;
            if (cc.NrFreepages > 0)
            {
                long freePfn = ReleaseFreepages(cc);
                cc.NrFreepages = 0;
                freePfn = PageblockStartPfn(node, freePfn);
                if (freePfn > zone.CompactCachedFreePfn) zone.CompactCachedFreePfn = freePfn;
            }
            node.Counters.Count(VmEvent.CompactMigrateScanned, cc.TotalMigrateScanned);
            node.Counters.Count(VmEvent.CompactFreeScanned, cc.TotalFreeScanned);
            node.Trace.Record(node, TraceEventId.mm_compaction_end, zone.ZoneStartPfn, cc.MigratePfn, cc.FreePfn, zone.ZoneEndPfn,
                cc.Mode != MigrateMode.Async ? 1 : 0, (long)ret);
            return ret;
        }
    }
}
