using System;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Compaction
{
    /// <summary>The migration scanner of kernels that search the free lists for a source block first and keep the skip hints
    /// per block as they scan (<see cref="KernelProfile.FastFindMigrateblock"/>, <see cref="KernelProfile.MigrateSkipHintsPerBlock"/>: 6.1).</summary>
    internal static partial class CompactionEngine
    {
        /// <summary>kernel: isolate_migratepages (mm/compaction.c, 6.1): the fast search may name a block to start in; a block
        /// is skipped by its hint only when scanning starts at its first page and the fast search did not pick it, and an
        /// unsuitable source moves the cached migrate pfn past it.</summary>
        private static IsolateMigrateResult IsolateMigratepages61(Zone zone, CompactControl cc, bool isolateUnevictable, bool isolateAsyncMigrate)
        {
            var node = zone.NodeRef;
            long nrBlock = 1L << node.PbOrder;
            long lowPfn = node.Kernel.FastFindMigrateblock ? FastFindMigrateblock(cc) : cc.MigratePfn;
            long blockStartPfn = Math.Max(PageblockStartPfn(node, lowPfn), zone.ZoneStartPfn);
            bool fastFindBlock = lowPfn != cc.MigratePfn && cc.FastSearchFail == 0;
            long blockEndPfn = PageblockEndPfn(node, lowPfn);
            for (; blockEndPfn <= cc.FreePfn;
                fastFindBlock = false, cc.MigratePfn = lowPfn = blockEndPfn, blockStartPfn = blockEndPfn, blockEndPfn += nrBlock)
            {
                if (blockEndPfn > zone.ZoneEndPfn) break;
                int page = node.ToIndex(blockStartPfn);
                if ((lowPfn & (nrBlock - 1)) == 0 && !fastFindBlock && !cc.IgnoreSkipHint && node.BlockSkip(page)) continue;
                if (!SuitableMigrationSource(cc, page))
                {
                    UpdateCachedMigrate(cc, blockEndPfn);
                    continue;
                }
                int r = IsolateMigratepagesBlock(cc, node.ToIndex(lowPfn), node.ToIndex(blockEndPfn), isolateUnevictable, isolateAsyncMigrate);
                if (r < 0 || cc.Contended) return IsolateMigrateResult.Abort;
                lowPfn = node.NodeStartPfn + r;
                break;
            }
            cc.MigratePfn = lowPfn;
            return cc.NrMigratepages != 0 ? IsolateMigrateResult.Success : IsolateMigrateResult.None;
        }

        /// <summary>kernel: fast_find_migrateblock (mm/compaction.c, 6.1): for a costly movable request, at the start of a
        /// pageblock, look through the Movable free lists from order − 1 down to PAGE_ALLOC_COSTLY_ORDER (at most
        /// freelist_scan_limit entries) for a free page below the first half of the scan space (an eighth once the scanner
        /// has left the zone's start) in a block without its skip hint; that block gets the hint and scanning starts there.
        /// A search that finds nothing counts a failure and restarts the linear scan at the lowest block found earlier.</summary>
        private static long FastFindMigrateblock(CompactControl cc)
        {
            var zone = cc.Zone;
            var node = zone.NodeRef;
            var pages = node.Pages;
            long pfn = cc.MigratePfn;
            if (cc.IgnoreSkipHint) return pfn;
            if (pfn != zone.ZoneStartPfn && pfn != PageblockStartPfn(node, pfn)) return pfn;
            if (cc.Order <= MmConstants.PageAllocCostlyOrder) return pfn;
            if (cc.DirectCompaction && cc.Migratetype != (int)MigrateType.Movable) return pfn;

            int limit = FreelistScanLimit(cc);
            int nrScanned = 0;
            bool found = false;
            long distance = (cc.FreePfn - cc.MigratePfn) >> 1;
            if (cc.MigratePfn != zone.ZoneStartPfn) distance >>= 2;
            long highPfn = PageblockStartPfn(node, cc.MigratePfn + distance);
            for (int order = cc.Order - 1; order >= MmConstants.PageAllocCostlyOrder && !found && nrScanned < limit; order--)
            {
                if (zone.NrFree[order] == 0) continue;
                int head = zone.FreeListHead(order, (int)MigrateType.Movable);
                for (int freepage = pages.Next(head); freepage != head; freepage = pages.Next(freepage))
                {
                    if (nrScanned++ >= limit)
                    {
                        MoveFreelistTail(pages, head, freepage);
                        break;
                    }
                    long freePfn = node.NodeStartPfn + freepage;
                    if (freePfn >= highPfn) continue;
                    if (node.BlockSkip(freepage)) continue;
                    MoveFreelistTail(pages, head, freepage);
                    UpdateFastStartPfn(cc, freePfn);
                    pfn = PageblockStartPfn(node, freePfn);
                    cc.FastSearchFail = 0;
                    found = true;
                    node.SetBlockSkip(freepage, true);
                    break;
                }
            }
            cc.TotalMigrateScanned += nrScanned;
            if (!found)
            {
                cc.FastSearchFail++;
                pfn = ReinitMigratePfn(cc);
            }
            return pfn;
        }

        /// <summary>kernel: move_freelist_tail (mm/compaction.c, 6.1): unless freepage is already last, the entries up to and
        /// including it move to the tail, so the next forward search starts with the ones not yet looked at. As in
        /// move_freelist_head, 6.1's list_is_first(freelist, &amp;freepage-&gt;lru) asks whether freelist's previous entry is
        /// freepage: a freepage at the head does rotate, to the tail.</summary>
        internal static void MoveFreelistTail(PageMap pages, int head, int freepage)
        {
            int first = pages.Next(head), last = pages.Prev(head);
            if (freepage == head || freepage == last) return;
            int after = pages.Next(freepage);
            pages.Next(head) = after; pages.Prev(after) = head;
            pages.Next(last) = first; pages.Prev(first) = last;
            pages.Next(freepage) = head; pages.Prev(head) = freepage;
        }

        /// <summary>kernel: update_fast_start_pfn (mm/compaction.c, 6.1): the lowest pfn the fast search picked.</summary>
        private static void UpdateFastStartPfn(CompactControl cc, long pfn)
        {
            if (cc.FastStartPfn == long.MaxValue) return;
            if (cc.FastStartPfn == 0 || pfn < cc.FastStartPfn) cc.FastStartPfn = pfn;
        }

        /// <summary>kernel: reinit_migrate_pfn (mm/compaction.c, 6.1): after a failed fast search the linear scan starts once
        /// at the lowest pfn a fast search picked.</summary>
        private static long ReinitMigratePfn(CompactControl cc)
        {
            if (cc.FastStartPfn == 0 || cc.FastStartPfn == long.MaxValue) return cc.MigratePfn;
            cc.MigratePfn = cc.FastStartPfn;
            cc.FastStartPfn = long.MaxValue;
            return cc.MigratePfn;
        }

        /// <summary>kernel: update_cached_migrate (mm/compaction.c, 6.1): the cached migrate pfns move to the end of the
        /// block, the sync one only for sync compaction.</summary>
        private static void UpdateCachedMigrate(CompactControl cc, long pfn)
        {
            var zone = cc.Zone;
            pfn = PageblockEndPfn(zone.NodeRef, pfn);
            if (pfn > zone.CompactCachedMigratePfn[0]) zone.CompactCachedMigratePfn[0] = pfn;
            if (cc.Mode != MigrateMode.Async && pfn > zone.CompactCachedMigratePfn[1]) zone.CompactCachedMigratePfn[1] = pfn;
        }

        /// <summary>kernel: test_and_set_skip (mm/compaction.c, 6.1): at a block's first page, claim the block by setting its
        /// skip hint; true when another scan had set it already.</summary>
        private static bool TestAndSetSkip(CompactControl cc, int page)
        {
            var node = cc.Zone.NodeRef;
            if (cc.IgnoreSkipHint) return false;
            if ((page & ((1 << node.PbOrder) - 1)) != 0) return false;
            bool skip = node.BlockSkip(page);
            if (!skip) node.SetBlockSkip(page, true);
            return skip;
        }
    }
}
