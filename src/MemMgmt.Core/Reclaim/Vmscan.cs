using System;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Watermarks;
using MemMgmt.Core.Writeback;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>enum scan_balance (mm/vmscan.c, 4.14).</summary>
    public enum ScanBalance
    {
        Equal,
        Fract,
        Anon,
        File,
    }

    /// <summary>What get_scan_count decided for one lruvec: the balance, the SCAN_FRACT fractions and nr[] per list.</summary>
    public sealed class ScanCount
    {
        public ScanBalance Balance { get; internal set; }
        public long AnonPrio { get; internal set; }
        public long FilePrio { get; internal set; }
        /// <summary>fraction[0] (ap) and fraction[1] (fp) of SCAN_FRACT.</summary>
        public long Ap { get; internal set; }
        public long Fp { get; internal set; }
        public long Denominator { get; internal set; }
        /// <summary>sc->anon_cost and sc->file_cost the 6.1 SCAN_FRACT used (0 on 4.14).</summary>
        public long AnonCost { get; internal set; }
        public long FileCost { get; internal set; }
        /// <summary>nr[lru] for the four evictable lists.</summary>
        public long[] Nr { get; } = new long[4];
        /// <summary>lru_pages: the sizes of the lists get_scan_count considered.</summary>
        public long LruPages { get; internal set; }
    }

    /// <summary>enum page_references (mm/vmscan.c, 4.14).</summary>
    internal enum PageReferences
    {
        Reclaim,
        ReclaimClean,
        Keep,
        Activate,
    }

    /// <summary>Page reclaim (mm/vmscan.c, 4.14): node-based LRU, shrink_node over each memcg's lruvec (shrink_node_memcg).</summary>
    public static class Vmscan
    {
        public const int SwapClusterMax = 32;
        public const int DefPriority = 12;
        /// <summary>Virtual time per page a shrink_*_list call scans (isolation, the rmap walk of page_referenced,
        /// unmapping) on a Cortex-A53: the window in which other CPUs' accesses reach the isolated pages.</summary>
        internal const long ScanPageCostNs = 500;

        // Transient list heads taken from the top of the node's spare heads (compaction uses them from the bottom).
        private const int PageListSlot = 63, SkippedSlot = 62, RetSlot = 61, HoldSlot = 60, ActiveSlot = 59, InactiveSlot = 58, FreeSlot = 57;
        /// <summary>Every spare list head reclaim takes for its transient lists; all empty between reclaim calls.</summary>
        internal static readonly int[] TransientListSlots = { FreeSlot, InactiveSlot, ActiveSlot, HoldSlot, RetSlot, SkippedSlot, PageListSlot };

        private static int Spare(MemNode node, int slot) => node.SpareListBase + slot;

        // ----------------------------------------------------------------- inactive_list_is_low

        /// <summary>kernel: inactive_list_is_low (mm/vmscan.c, 4.14): anon without swap is never low; in actual reclaim a file
        /// lruvec whose WORKINGSET_ACTIVATE moved since snapshot_refaults gets inactive_ratio 0 (a new workingset is
        /// forming: drop active-list protection); else int_sqrt(10·GiB of the two lists), 1 below 1 GiB; low when
        /// inactive·ratio &lt; active. <paramref name="trace"/> is 4.14's actual_reclaim.</summary>
        internal static bool InactiveListIsLow(MemNode node, int memcg, bool file, ScanControl sc, bool trace)
        {
            if (sc.ZoneIdx >= 0) return ZoneReclaim.InactiveListIsLow(node, node.ZoneArr[sc.ZoneIdx], memcg, file);
            if (!file && node.Swap.TotalPages == 0) return false;
            int inactiveLru = file ? (int)LruList.InactiveFile : (int)LruList.InactiveAnon;
            long inactive = Lru.LruvecLruSize(node, memcg, inactiveLru, sc.ReclaimIdx);
            long active = Lru.LruvecLruSize(node, memcg, inactiveLru + 1, sc.ReclaimIdx);
            long ratio = file && trace && ShadowRefault.RefaultsChanged(node, memcg) ? 0 : InactiveRatio(node, inactive + active);
            if (trace && node.Trace.Enabled)
                node.Trace.Record(node, TraceEventId.mm_vmscan_inactive_list_is_low, sc.ReclaimIdx, Lru.Size(node, memcg, (LruList)inactiveLru),
                    inactive, Lru.Size(node, memcg, (LruList)(inactiveLru + 1)), active, ratio, file ? 1 : 0);
            return inactive * ratio < active;
        }

        /// <summary>The inactive_ratio of inactive_list_is_low for lists holding <paramref name="pages"/> pages.</summary>
        public static long InactiveRatio(MemNode node, long pages)
        {
            long gb = pages >> (30 - node.Geometry.PageShift);
            return gb != 0 ? MmConstants.IntSqrt(10 * gb) : 1;
        }

        /// <summary>inactive_list_is_low for the node's lruvec of a memcg (0: root) at reclaim_idx = the highest zone.</summary>
        public static bool IsInactiveListLow(MemNode node, int memcg, bool file)
        {
            var sc = new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1 };
            return InactiveListIsLow(node, memcg, file, sc, false);
        }

        // ----------------------------------------------------------------- 6.1: target lruvec state, prepare_scan_count

        /// <summary>lruvec_page_state of one LRU list for a memcg's lruvec in 6.1, where memcg stats are hierarchical: the
        /// lists of the group and all its descendants (the root's: the whole node).</summary>
        internal static long SubtreeLruSize(MemNode node, int memcg, int lru)
        {
            var sizes = node.LruvecSt.LruSize;
            long n = 0;
            for (int m = memcg; m >= 0; m = MemCgroups.NextDescendantPre(node, m, memcg)) n += sizes[m * Lru.NrLruLists + lru];
            return n;
        }

        /// <summary>lruvec_page_state(lruvec, WORKINGSET_ACTIVATE_ANON/FILE) in 6.1, hierarchical: the node's count for the
        /// root, the subtree's for a group. Anon refault detection is not modelled, so the anon count stays 0.</summary>
        private static long SubtreeActivations(MemNode node, int memcg, bool file)
        {
            var st = node.ShadowRefaultStOrNull;
            if (!file || st == null) return 0;
            if (memcg == 0) return node.Counters[NodeStatItem.WorkingsetActivate];
            long n = 0;
            for (int m = memcg; m >= 0; m = MemCgroups.NextDescendantPre(node, m, memcg)) n += st.MemcgActivate[m];
            return n;
        }

        /// <summary>kernel: inactive_is_low (mm/vmscan.c, 6.1): on the lruvec's hierarchical list sizes over all zones, with
        /// inactive_ratio int_sqrt(10·GiB) (1 below 1 GiB); no swap or refault check here.</summary>
        internal static bool InactiveIsLow(MemNode node, int memcg, int inactiveLru)
        {
            long inactive = SubtreeLruSize(node, memcg, inactiveLru);
            long active = SubtreeLruSize(node, memcg, inactiveLru + Lru.LruActive);
            return inactive * InactiveRatio(node, inactive + active) < active;
        }

        /// <summary>kernel: prepare_scan_count (mm/vmscan.c, 6.1; the classic LRU, lru_gen_enabled() false): copy the reclaim
        /// target's anon/file cost into the scan control, decide may_deactivate per type (refaults since snapshot_refaults or
        /// inactive_is_low; all with force_deactivate), cache_trim_mode, and for global reclaim file_is_tiny.</summary>
        internal static void PrepareScanCount(MemNode node, ScanControl sc)
        {
            var k = node.Kernel;
            int target = sc.GlobalReclaim ? 0 : sc.TargetMemcg;
            var lv = node.LruvecSt;
            if (k.CostBasedScanBalance)
            {
                sc.AnonCost = lv.AnonCost[target];
                sc.FileCost = lv.FileCost[target];
            }
            if (!k.CacheTrimMode) return;
            if (!sc.ForceDeactivate)
            {
                if (SubtreeActivations(node, target, false) != lv.Refaults[target * 2] || InactiveIsLow(node, target, (int)LruList.InactiveAnon))
                    sc.MayDeactivate |= ScanControl.DeactivateAnon;
                else
                    sc.MayDeactivate &= ~ScanControl.DeactivateAnon;
                if (SubtreeActivations(node, target, true) != lv.Refaults[target * 2 + 1] || InactiveIsLow(node, target, (int)LruList.InactiveFile))
                    sc.MayDeactivate |= ScanControl.DeactivateFile;
                else
                    sc.MayDeactivate &= ~ScanControl.DeactivateFile;
            }
            else
            {
                sc.MayDeactivate = ScanControl.DeactivateAnon | ScanControl.DeactivateFile;
            }
            long file = SubtreeLruSize(node, target, (int)LruList.InactiveFile);
            sc.CacheTrimMode = (file >> sc.Priority) != 0 && (sc.MayDeactivate & ScanControl.DeactivateFile) == 0;
            if (sc.GlobalReclaim)
            {
                long free = 0, totalHigh = 0;
                foreach (var z in node.ZoneArr)
                {
                    free += z.NrFreePages;
                    if (z.ManagedPages != 0) totalHigh += z.Watermark[(int)WatermarkLevel.High];
                }
                file = node.Counters[NodeStatItem.NrActiveFile] + node.Counters[NodeStatItem.NrInactiveFile];
                long anon = node.Counters[NodeStatItem.NrInactiveAnon];
                sc.FileIsTiny = file + free <= totalHigh && (sc.MayDeactivate & ScanControl.DeactivateAnon) == 0 && (anon >> sc.Priority) != 0;
            }
        }

        /// <summary>kernel: lru_note_cost (mm/swap.c, 6.1): add <paramref name="nrPages"/> to the anon or file cost of the
        /// memcg's lruvec and each ancestor's; at each, halve both costs once they exceed a quarter of its (hierarchical)
        /// LRU pages, so the costs are a decaying average. Runs even for 0 pages (the decay check still applies).</summary>
        internal static void LruNoteCost(MemNode node, int memcg, bool file, long nrPages)
        {
            var lv = node.LruvecSt;
            for (int m = memcg; m >= 0; m = MemCgroups.ParentOf(node, m))
            {
                if (file) lv.FileCost[m] += nrPages;
                else lv.AnonCost[m] += nrPages;
                long lrusize = 0;
                for (int lru = 0; lru < 4; lru++) lrusize += SubtreeLruSize(node, m, lru);
                if (lv.FileCost[m] + lv.AnonCost[m] > lrusize / 4)
                {
                    lv.FileCost[m] /= 2;
                    lv.AnonCost[m] /= 2;
                }
            }
        }

        // ----------------------------------------------------------------- isolation

        /// <summary>kernel: isolate_lru_pages (mm/vmscan.c, 4.14): take pages from the list's tail until nr_to_scan eligible
        /// pages were looked at or taken; pages of zones above reclaim_idx are skipped and spliced back to the head.</summary>
        private static long IsolateLruPages(MemNode node, long nrToScan, int memcg, int dst, out long nrScanned, ScanControl sc, bool unmappedOnly, int lru)
        {
            if (sc.ZoneIdx >= 0) return ZoneReclaim.IsolateLruPages(node, node.ZoneArr[sc.ZoneIdx], nrToScan, memcg, dst, out nrScanned, sc, unmappedOnly, lru);
            var pages = node.Pages;
            int src = Lru.Head(node, memcg, lru);
            int skipped = Spare(node, SkippedSlot);
            var zoneTaken = sc.NrZoneTaken;
            var nrSkipped = sc.NrSkipped;
            int nrZones = node.ZoneArr.Length;
            for (int z = 0; z < nrZones; z++) { zoneTaken[z] = 0; nrSkipped[z] = 0; }
            long taken = 0, scan = 0, totalScan = 0;
            var flags = pages.Flags;
            for (; scan < nrToScan && taken < nrToScan && pages.Next(src) != src; totalScan++)
            {
                int page = pages.Prev(src);
                int zid = node.ZoneIdOfIndex(page);
                if (zid > sc.ReclaimIdx)
                {
                    pages.ListMove(page, skipped);
                    nrSkipped[zid]++;
                    continue;
                }
                scan++;
                if (unmappedOnly && (flags[page] & (uint)PageFlags.Mapped) != 0)
                {
                    pages.ListMove(page, src); // -EBUSY: back to the head
                    continue;
                }
                long nr = 1L << pages.OrderOf(page);
                taken += nr;
                zoneTaken[zid] += nr;
                flags[page] &= ~(uint)PageFlags.Lru;
                pages.ListMove(page, dst);
            }
            long nSkipped = 0;
            if (pages.Next(skipped) != skipped)
            {
                while (pages.Next(skipped) != skipped) pages.ListMove(pages.Prev(skipped), src);
                for (int z = 0; z < nrZones; z++)
                    if (nrSkipped[z] != 0) { node.Counters.Count(ZoneEvent.PgSkip, z, nrSkipped[z]); nSkipped += nrSkipped[z]; }
            }
            nrScanned = totalScan;
            if (node.Trace.Enabled)
                node.Trace.Record(node, TraceEventId.mm_vmscan_lru_isolate, unmappedOnly ? 2 : 0, sc.ReclaimIdx, sc.Order, nrToScan, totalScan, nSkipped, taken, lru);
            for (int z = 0; z < nrZones; z++)
                if (zoneTaken[z] != 0) Lru.UpdateSizeZone(node, memcg, z, lru, -zoneTaken[z]);
            return taken;
        }

        // ----------------------------------------------------------------- page references

        /// <summary>kernel: page_referenced (mm/rmap.c, 4.14) in the single-mapping model: a mapped page counts one
        /// reference when its PTE is young (cleared here); VM_LOCKED mappings report no reference.</summary>
        private static int PageReferenced(MemNode node, int page, out bool vmExec, out bool vmLocked)
        {
            var flags = node.Pages.Flags;
            uint f = flags[page];
            vmExec = false; vmLocked = false;
            if ((f & (uint)PageFlags.Mapped) == 0) return 0;
            if ((f & (uint)PageFlags.Mlocked) != 0) { vmLocked = true; return 0; }
            if ((f & (uint)PageFlags.PteYoung) == 0) return 0;
            flags[page] = f & ~(uint)PageFlags.PteYoung;
            vmExec = (f & (uint)PageFlags.Exec) != 0;
            return 1;
        }

        /// <summary>kernel: page_check_references (mm/vmscan.c, 4.14); folio_check_references (mm/vmscan.c, 6.1) with
        /// <see cref="KernelProfile.AnonWorkingsetProtection"/>.</summary>
        private static PageReferences PageCheckReferences(MemNode node, int page)
        {
            int referencedPtes = PageReferenced(node, page, out bool vmExec, out bool vmLocked);
            var flags = node.Pages.Flags;
            bool referencedPage = (flags[page] & (uint)PageFlags.Referenced) != 0;
            flags[page] &= ~(uint)PageFlags.Referenced;
            if (vmLocked) return PageReferences.Reclaim;
            bool swapBacked = (flags[page] & (uint)PageFlags.SwapBacked) != 0;
            if (referencedPtes != 0)
            {
                if (swapBacked && !node.Kernel.AnonWorkingsetProtection) return PageReferences.Activate;
                flags[page] |= (uint)PageFlags.Referenced;
                if (referencedPage || referencedPtes > 1) return PageReferences.Activate;
                if (vmExec && !swapBacked) return PageReferences.Activate;
                return PageReferences.Keep;
            }
            if (referencedPage && !swapBacked) return PageReferences.ReclaimClean;
            return PageReferences.Reclaim;
        }

        // ----------------------------------------------------------------- shrink_page_list

        private struct ReclaimStat
        {
            internal long NrDirty, NrUnqueuedDirty, NrCongested, NrWriteback, NrImmediate, NrActivate, NrRefKeep, NrPageout;
            /// <summary>try_to_unmap never fails in the model (no racing mapping).</summary>
            internal const long NrUnmapFail = 0;
        }

        /// <summary>kernel: shrink_page_list (mm/vmscan.c, 4.14) over the isolated pages of <paramref name="pageList"/>;
        /// pages kept go to <paramref name="retList"/>, freed pages to the node's free lists. Returns pages reclaimed.</summary>
        private static long ShrinkPageList(MemNode node, int pageList, int retList, ScanControl sc, ref ReclaimStat stat)
        {
            var pages = node.Pages;
            var flags = pages.Flags;
            var swap = node.Swap;
            int freeList = Spare(node, FreeSlot);
            long nrReclaimed = 0;
            var gfp = sc.GfpMask;
            while (pages.Next(pageList) != pageList)
            {
                int page = pages.Prev(pageList);
                pages.ListDel(page);
                uint f = flags[page];
                int nr = 1 << pages.OrderOf(page);
                sc.NrScanned++;
                var owner = (PageOwner)pages.Owner[page];
                bool isAnon = owner == PageOwner.Anon;

                if ((f & (uint)PageFlags.Mlocked) != 0) goto activate_locked; // !page_evictable
                if (!sc.MayUnmap && (f & (uint)PageFlags.Mapped) != 0) goto keep;
                if ((f & (uint)(PageFlags.Mapped | PageFlags.SwapCache)) != 0) sc.NrScanned++; // double slab pressure

                bool mayEnterFs = (gfp & GfpFlags.__GFP_FS) != 0 || ((f & (uint)PageFlags.SwapCache) != 0 && (gfp & GfpFlags.__GFP_IO) != 0);

                // page_check_dirty_writeback: swap-backed pages (anon, shmem, swap cache) are not the flushers' to write,
                // so reclaim does not stall on them: neither dirty nor writeback here.
                bool dirty = false, writeback = false;
                if ((f & (uint)PageFlags.SwapBacked) == 0)
                {
                    dirty = (f & (uint)PageFlags.Dirty) != 0;
                    writeback = (f & (uint)PageFlags.Writeback) != 0;
                }
                if (dirty || writeback) stat.NrDirty++;
                if (dirty && !writeback) stat.NrUnqueuedDirty++;
                if (writeback && (f & (uint)PageFlags.Reclaim) != 0) stat.NrCongested++;

                if ((f & (uint)PageFlags.Writeback) != 0)
                {
                    // Both cases move the page out of the way onto the active list until its write ends; PG_reclaim then
                    // makes end_page_writeback rotate it to the inactive tail (the legacy-memcg wait never applies here).
                    // Case 1: kswapd meets a page already marked for immediate reclaim on a node flagged for writeback.
                    if (sc.IsKswapd && (f & (uint)PageFlags.Reclaim) != 0 && node.WritebackSt.PgdatWriteback)
                    {
                        stat.NrImmediate++;
                        goto activate_locked;
                    }
                    // Case 2 (sane reclaim): mark it for immediate reclaim.
                    flags[page] |= (uint)PageFlags.Reclaim;
                    stat.NrWriteback++;
                    goto activate_locked;
                }

                var references = PageCheckReferences(node, page);
                f = flags[page];
                switch (references)
                {
                    case PageReferences.Activate: goto activate_locked;
                    case PageReferences.Keep: stat.NrRefKeep++; goto keep;
                }

                // Anonymous process memory has backing store?
                if (isAnon && (f & (uint)PageFlags.SwapBacked) != 0 && (f & (uint)PageFlags.SwapCache) == 0)
                {
                    if ((gfp & GfpFlags.__GFP_IO) == 0) goto keep;
                    // add_to_swap: a slot, the swap cache, and the page is dirtied for the write.
                    if (!swap.TryGetSlot()) goto activate_locked;
                    f |= (uint)(PageFlags.SwapCache | PageFlags.Dirty);
                    flags[page] = f;
                    mayEnterFs = true;
                }

                // try_to_unmap: every mapping goes (nothing here can refuse it).
                if ((f & (uint)PageFlags.Mapped) != 0)
                {
                    f &= ~(uint)(PageFlags.Mapped | PageFlags.PteYoung);
                    flags[page] = f;
                }

                if ((f & (uint)PageFlags.Dirty) != 0)
                {
                    bool fileCache = (f & (uint)PageFlags.SwapBacked) == 0;
                    if (fileCache && (!sc.IsKswapd || (f & (uint)PageFlags.Reclaim) == 0 || !node.WritebackSt.PgdatDirty))
                    {
                        node.Counters.Mod(NodeStatItem.NrVmscanImmediate, node.ZoneIdOfIndex(page), nr);
                        flags[page] = f | (uint)PageFlags.Reclaim;
                        goto activate_locked;
                    }
                    if (references == PageReferences.ReclaimClean) goto keep;
                    if (!mayEnterFs) goto keep;
                    if (!sc.MayWritepage) goto keep;
                    // pageout
                    if (pages.ExtraRefs[page] != 0) goto keep; // !is_page_cache_freeable → PAGE_KEEP
                    if (owner == PageOwner.Shmem && (f & (uint)PageFlags.SwapCache) == 0)
                    {
                        // shmem_writepage moves the page to swap, or redirties it (AOP_WRITEPAGE_ACTIVATE).
                        if (!swap.TryGetSlot()) goto activate_locked;
                        f |= (uint)PageFlags.SwapCache;
                    }
                    flags[page] = f | (uint)PageFlags.Reclaim;
                    WritebackIo.Start(node, page);
                    if ((f & (uint)PageFlags.SwapBacked) != 0)
                    {
                        swap.SwapOuts += nr;
                        node.Counters.Count(VmEvent.PswpOut, nr);
                    }
                    node.Counters.Mod(NodeStatItem.NrVmscanWrite, node.ZoneIdOfIndex(page), nr);
                    stat.NrPageout += nr;
                    goto keep; // PAGE_SUCCESS with the page under writeback
                }

                // __remove_mapping: a pinned page cannot be freed.
                if (pages.ExtraRefs[page] != 0) goto keep;
                // The page leaves the page cache or the swap cache (its slot stays with the swap entry in the PTE);
                // a page-cache page leaves a shadow entry behind (page_is_file_cache: workingset_eviction).
                if (owner == PageOwner.FileCache && (f & (uint)PageFlags.SwapBacked) == 0) ShadowRefault.OnReclaimedPageCache(node, page, sc.TargetMemcg);
                flags[page] = f & ~(uint)(PageFlags.SwapCache | PageFlags.Referenced | PageFlags.Reclaim | PageFlags.Active);
                nrReclaimed += nr;
                pages.ListAdd(page, freeList);
                continue;

            activate_locked:
                f = flags[page];
                if ((f & (uint)PageFlags.SwapCache) != 0 && (swap.Full || (f & (uint)PageFlags.Mlocked) != 0)
                    && (f & (uint)PageFlags.Writeback) == 0 && (f & (uint)PageFlags.Mapped) != 0)
                {
                    // try_to_free_swap: no PTE holds the swap entry, so the slot goes and the page is dirty again.
                    flags[page] = (f & ~(uint)PageFlags.SwapCache) | (uint)PageFlags.Dirty;
                    swap.FreeSlot();
                }
                if ((flags[page] & (uint)PageFlags.Mlocked) == 0)
                {
                    flags[page] |= (uint)PageFlags.Active;
                    stat.NrActivate++;
                }
            keep:
                pages.ListAdd(page, retList);
            }

            // free_hot_cold_page_list: in list order.
            while (pages.Next(freeList) != freeList)
            {
                int page = pages.Next(freeList);
                pages.ListDel(page);
                PageAllocator.FreeReclaimedPage(node, page, sc.Cpu);
            }
            node.Counters.Count(VmEvent.PgActivate, stat.NrActivate);
            return nrReclaimed;
        }

        // ----------------------------------------------------------------- putback

        /// <summary>kernel: putback_lru_page (mm/vmscan.c, 4.14) for a page that is not evictable: the unevictable list.</summary>
        private static void PutbackUnevictable(MemNode node, int page)
        {
            var pages = node.Pages;
            pages.Clear(page, PageFlags.Active);
            pages.Set(page, PageFlags.Unevictable);
            Lru.AddToList(node, page, 1 << pages.OrderOf(page));
            node.Counters.Count(VmEvent.UnevictablePgsCulled);
        }

        /// <summary>kernel: putback_inactive_pages (mm/vmscan.c, 4.14): back to the list the flags say; activated pages
        /// count as rotated.</summary>
        private static void PutbackInactivePages(MemNode node, int list)
        {
            var pages = node.Pages;
            var lruvecs = node.LruvecSt;
            while (pages.Next(list) != list)
            {
                int page = pages.Prev(list);
                pages.ListDel(page);
                uint f = pages.Flags[page];
                if ((f & (uint)PageFlags.Mlocked) != 0) { PutbackUnevictable(node, page); continue; }
                int nr = 1 << pages.OrderOf(page);
                Lru.AddToList(node, page, nr);
                int lru = (int)Lru.PageLru(f);
                if (Lru.IsActiveLru(lru)) lruvecs.Stat(node, pages.Memcg[page], page, Lru.IsFileLru(lru) ? 1 : 0, 0, nr);
            }
        }

        // ----------------------------------------------------------------- shrink_inactive_list

        /// <summary>NR_ISOLATED_ANON/FILE moved by <paramref name="sign"/>·<paramref name="nrTaken"/> in the zones the pages
        /// came from: the zone-based reclaim isolates from the one zone it shrinks, the node-based one from the zones
        /// isolate_lru_pages counted in nr_zone_taken.</summary>
        private static void ModIsolated(MemNode node, ScanControl sc, NodeStatItem item, long nrTaken, int sign)
        {
            var c = node.Counters;
            if (sc.ZoneIdx >= 0) { c.Mod(item, sc.ZoneIdx, sign * nrTaken); return; }
            var taken = sc.NrZoneTaken;
            for (int z = 0; z < node.ZoneArr.Length; z++)
                if (taken[z] != 0) c.Mod(item, z, sign * taken[z]);
        }

        /// <summary>kernel: too_many_isolated (mm/vmscan.c, 4.14).</summary>
        private static bool TooManyIsolated(MemNode node, bool file, ScanControl sc)
        {
            if (sc.IsKswapd) return false;
            var c = node.Counters;
            long inactive = file ? c[NodeStatItem.NrInactiveFile] : c[NodeStatItem.NrInactiveAnon];
            long isolated = file ? c[NodeStatItem.NrIsolatedFile] : c[NodeStatItem.NrIsolatedAnon];
            if ((sc.GfpMask & (GfpFlags.__GFP_IO | GfpFlags.__GFP_FS)) == (GfpFlags.__GFP_IO | GfpFlags.__GFP_FS)) inactive >>= 3;
            return isolated > inactive;
        }

        /// <summary>kernel: shrink_inactive_list (mm/vmscan.c, 4.14; the PGSCAN/PGSTEAL_ANON + file events as 6.1 counts them).</summary>
        internal static long ShrinkInactiveList(MemNode node, long nrToScan, int memcg, ScanControl sc, int lru)
        {
            int file = Lru.IsFileLru(lru) ? 1 : 0;
            var c = node.Counters;
            if (TooManyIsolated(node, file != 0, sc))
            {
                // msleep(100) once; nobody else holds isolated pages in the simulation, so the second look decides.
                WritebackIo.Sleep(node, 100_000_000);
                if (TooManyIsolated(node, file != 0, sc)) return 0;
            }
            LruCache.Drain(node, sc.Cpu);
            int pageList = Spare(node, PageListSlot);
            long nrTaken = IsolateLruPages(node, nrToScan, memcg, pageList, out long nrScanned, sc, !sc.MayUnmap, lru);
            ModIsolated(node, sc, NodeStatItem.NrIsolatedAnon + file, nrTaken, 1);
            node.LruvecSt.StatZone(memcg, sc.ZoneIdx, file, nrTaken, 0);
            if (sc.GlobalReclaim) c.Count(sc.IsKswapd ? VmEvent.PgScanKswapd : VmEvent.PgScanDirect, nrScanned);
            if (sc.GlobalReclaim && sc.ZoneIdx >= 0) c.Count(sc.IsKswapd ? ZoneEvent.PgScanKswapd : ZoneEvent.PgScanDirect, sc.ZoneIdx, nrScanned);
            c.Count(VmEvent.PgScanAnon + file, nrScanned);
            sc.ListScanned[lru] += nrScanned;
            sc.ListTaken[lru] += nrTaken;
            sc.TotalScanned += nrScanned;
            if (nrTaken == 0) return 0;
            // The scan takes time; other CPUs touching the isolated pages meanwhile is what page_check_references sees.
            Time.VirtualTime.Spend(node, nrScanned * ScanPageCostNs);

            var stat = new ReclaimStat();
            int retList = Spare(node, RetSlot);
            long nrReclaimed = ShrinkPageList(node, pageList, retList, sc, ref stat);
            if (sc.GlobalReclaim) c.Count(sc.IsKswapd ? VmEvent.PgStealKswapd : VmEvent.PgStealDirect, nrReclaimed);
            if (sc.GlobalReclaim && sc.ZoneIdx >= 0) c.Count(sc.IsKswapd ? ZoneEvent.PgStealKswapd : ZoneEvent.PgStealDirect, sc.ZoneIdx, nrReclaimed);
            c.Count(VmEvent.PgStealAnon + file, nrReclaimed);
            sc.ListReclaimed[lru] += nrReclaimed;
            sc.TotalReclaimed += nrReclaimed;
            sc.Activated += stat.NrActivate;
            PutbackInactivePages(node, retList);
            ModIsolated(node, sc, NodeStatItem.NrIsolatedAnon + file, nrTaken, -1);
            if (node.Kernel.CostBasedScanBalance) LruNoteCost(node, memcg, file != 0, stat.NrPageout);

            if (stat.NrWriteback != 0 && stat.NrWriteback == nrTaken) node.WritebackSt.PgdatWriteback = true;
            // sane_reclaim holds: global reclaim or the default (v2) hierarchy.
            if (stat.NrDirty != 0 && stat.NrDirty == stat.NrCongested) node.WritebackSt.PgdatCongested = true;
            if (stat.NrUnqueuedDirty == nrTaken)
            {
                WritebackIo.WakeupFlusher(node);
                node.WritebackSt.PgdatDirty = true;
            }
            if (stat.NrImmediate != 0) WritebackIo.CongestionWait(node, WritebackIo.HzDiv10Ns);
            if (!sc.IsKswapd) WritebackIo.WaitIffCongested(node, WritebackIo.HzDiv10Ns);
            if (node.Trace.Enabled)
            {
                if (sc.ZoneIdx >= 0) // the zone-based reclaim's event names the zone and no reclaim_stat counts
                    node.Trace.Record(node, TraceEventId.mm_vmscan_lru_shrink_inactive, nrScanned, nrReclaimed, sc.ZoneIdx, 0, 0, 0, 0,
                        TraceRecord.Pack(0, sc.Priority << 1 | (file != 0 ? 1 : 0)));
                else
                    node.Trace.Record(node, TraceEventId.mm_vmscan_lru_shrink_inactive, nrScanned, nrReclaimed, stat.NrDirty, stat.NrWriteback,
                        stat.NrCongested, stat.NrImmediate, stat.NrActivate, TraceRecord.Pack(stat.NrRefKeep, sc.Priority << 1 | (file != 0 ? 1 : 0)));
            }
            return nrReclaimed;
        }

        // ----------------------------------------------------------------- shrink_active_list

        /// <summary>kernel: move_active_pages_to_lru (mm/vmscan.c, 4.14).</summary>
        private static long MoveActivePagesToLru(MemNode node, int list, int lru)
        {
            var pages = node.Pages;
            long moved = 0;
            while (pages.Next(list) != list)
            {
                int page = pages.Prev(list);
                pages.ListDel(page);
                int nr = 1 << pages.OrderOf(page);
                Lru.AddToList(node, page, nr);
                moved += nr;
            }
            if (!Lru.IsActiveLru(lru)) node.Counters.Count(VmEvent.PgDeactivate, moved);
            return moved;
        }

        /// <summary>kernel: shrink_active_list (mm/vmscan.c, 4.14): referenced executable file pages stay active, the rest
        /// are deactivated (6.1 marks them PG_workingset, <see cref="KernelProfile.PageWorkingsetRefaults"/>); referenced
        /// pages count as rotated.</summary>
        internal static void ShrinkActiveList(MemNode node, long nrToScan, int memcg, ScanControl sc, int lru)
        {
            int file = Lru.IsFileLru(lru) ? 1 : 0;
            var pages = node.Pages;
            var c = node.Counters;
            LruCache.Drain(node, sc.Cpu);
            int hold = Spare(node, HoldSlot), lActive = Spare(node, ActiveSlot), lInactive = Spare(node, InactiveSlot);
            long nrTaken = IsolateLruPages(node, nrToScan, memcg, hold, out long nrScanned, sc, !sc.MayUnmap, lru);
            ModIsolated(node, sc, NodeStatItem.NrIsolatedAnon + file, nrTaken, 1);
            node.LruvecSt.StatZone(memcg, sc.ZoneIdx, file, nrTaken, 0);
            c.Count(VmEvent.PgRefill, nrScanned);
            if (sc.ZoneIdx >= 0) c.Count(ZoneEvent.PgRefill, sc.ZoneIdx, nrScanned);
            sc.ListScanned[lru] += nrScanned;
            sc.ListTaken[lru] += nrTaken;
            Time.VirtualTime.Spend(node, nrScanned * ScanPageCostNs);
            long nrRotated = 0;
            bool workingsetFlag = node.Kernel.PageWorkingsetRefaults;
            while (pages.Next(hold) != hold)
            {
                int page = pages.Prev(hold);
                pages.ListDel(page);
                if ((pages.Flags[page] & (uint)PageFlags.Mlocked) != 0) { PutbackUnevictable(node, page); continue; }
                if (PageReferenced(node, page, out bool vmExec, out _) != 0)
                {
                    nrRotated += 1 << pages.OrderOf(page);
                    if (vmExec && file != 0) { pages.ListAdd(page, lActive); continue; }
                }
                pages.Clear(page, PageFlags.Active);
                if (workingsetFlag) pages.Set(page, PageFlags.Workingset);
                pages.ListAdd(page, lInactive);
            }
            node.LruvecSt.StatZone(memcg, sc.ZoneIdx, file, 0, nrRotated);
            long nrActivate = MoveActivePagesToLru(node, lActive, lru);
            long nrDeactivate = MoveActivePagesToLru(node, lInactive, lru - Lru.LruActive);
            ModIsolated(node, sc, NodeStatItem.NrIsolatedAnon + file, nrTaken, -1);
            sc.Deactivated += nrDeactivate;
            sc.Rotated += nrRotated;
            if (node.Trace.Enabled && sc.ZoneIdx < 0) // 4.11 added this tracepoint; the zone-based reclaim (4.4) has none
                node.Trace.Record(node, TraceEventId.mm_vmscan_lru_shrink_active, nrTaken, nrActivate, nrDeactivate, nrRotated, sc.Priority, file != 0 ? 1 : 0);
        }

        /// <summary>kernel: shrink_list (mm/vmscan.c, 4.14; 6.1 with <see cref="KernelProfile.CacheTrimMode"/>).</summary>
        private static long ShrinkList(MemNode node, int lru, long nrToScan, int memcg, ScanControl sc)
        {
            if (Lru.IsActiveLru(lru))
            {
                if (node.Kernel.CacheTrimMode)
                {
                    // 6.1: prepare_scan_count decided for the whole reclaim target.
                    if ((sc.MayDeactivate & (1 << (Lru.IsFileLru(lru) ? 1 : 0))) != 0) ShrinkActiveList(node, nrToScan, memcg, sc, lru);
                    else sc.SkippedDeactivate = true;
                }
                else if (InactiveListIsLow(node, memcg, Lru.IsFileLru(lru), sc, true)) ShrinkActiveList(node, nrToScan, memcg, sc, lru);
                return 0;
            }
            return ShrinkInactiveList(node, nrToScan, memcg, sc, lru);
        }

        // ----------------------------------------------------------------- get_scan_count

        /// <summary>kernel: get_scan_count (mm/vmscan.c, 4.14, with the SCAN_ANON guard KERNEL.md gives; 6.1's order of checks
        /// and cost-based SCAN_FRACT where the profile says): how many pages of each evictable list to scan at this priority.</summary>
        internal static ScanCount GetScanCount(MemNode node, int memcg, ScanControl sc)
        {
            var result = new ScanCount();
            int swappiness = MemCgroups.SwappinessOf(node, memcg);
            ScanBalance balance;
            long ap = 0, fp = 0, denominator = 0;

            if (!sc.MaySwap || node.Swap.FreePages <= 0) { balance = ScanBalance.File; goto @out; }
            if (!sc.GlobalReclaim && swappiness == 0) { balance = ScanBalance.File; goto @out; }
            if (sc.Priority == 0 && swappiness != 0) { balance = ScanBalance.Equal; goto @out; }
            if (node.Kernel.CacheTrimMode)
            {
                // 6.1: prepare_scan_count decided both for the reclaim target; file_is_tiny is checked first.
                if (sc.FileIsTiny) { balance = ScanBalance.Anon; goto @out; }
                if (sc.CacheTrimMode) { balance = ScanBalance.File; goto @out; }
                goto fract;
            }
            if (sc.GlobalReclaim)
            {
                long pgdatFree = 0, totalHigh = 0;
                foreach (var z in node.ZoneArr)
                {
                    pgdatFree += z.NrFreePages;
                    if (z.ManagedPages != 0) totalHigh += z.WmarkPages((int)WatermarkLevel.High);
                }
                long pgdatFile = node.Counters[NodeStatItem.NrActiveFile] + node.Counters[NodeStatItem.NrInactiveFile];
                if (pgdatFile + pgdatFree <= totalHigh)
                {
                    if (!InactiveListIsLow(node, memcg, false, sc, false)
                        && (Lru.LruvecLruSize(node, memcg, (int)LruList.InactiveAnon, sc.ReclaimIdx) >> sc.Priority) != 0)
                    {
                        balance = ScanBalance.Anon;
                        goto @out;
                    }
                }
            }
            if (!InactiveListIsLow(node, memcg, true, sc, false)
                && (Lru.LruvecLruSize(node, memcg, (int)LruList.InactiveFile, sc.ReclaimIdx) >> sc.Priority) != 0)
            {
                balance = ScanBalance.File;
                goto @out;
            }
        fract:
            balance = ScanBalance.Fract;
            long anonPrio = swappiness, filePrio = 200 - swappiness;
            result.AnonPrio = anonPrio;
            result.FilePrio = filePrio;
            if (node.Kernel.CostBasedScanBalance)
            {
                // 6.1: each cost is weighed against the doubled total, so no list gets less than a third of the pressure
                // before swappiness; the denominator has no +1.
                result.AnonCost = sc.AnonCost;
                result.FileCost = sc.FileCost;
                long totalCost = sc.AnonCost + sc.FileCost;
                long anonCost = totalCost + sc.AnonCost;
                long fileCost = totalCost + sc.FileCost;
                totalCost = anonCost + fileCost;
                ap = anonPrio * (totalCost + 1) / (anonCost + 1);
                fp = filePrio * (totalCost + 1) / (fileCost + 1);
                denominator = ap + fp;
                goto @out;
            }
            int nrZones = node.ZoneArr.Length;
            long anon = Lru.LruvecLruSize(node, memcg, (int)LruList.ActiveAnon, nrZones) + Lru.LruvecLruSize(node, memcg, (int)LruList.InactiveAnon, nrZones);
            long fileSize = Lru.LruvecLruSize(node, memcg, (int)LruList.ActiveFile, nrZones) + Lru.LruvecLruSize(node, memcg, (int)LruList.InactiveFile, nrZones);
            int a = memcg * 2, f = memcg * 2 + 1;
            if (node.LruvecSt.RecentScanned[a] > anon / 4) { node.LruvecSt.RecentScanned[a] /= 2; node.LruvecSt.RecentRotated[a] /= 2; }
            if (node.LruvecSt.RecentScanned[f] > fileSize / 4) { node.LruvecSt.RecentScanned[f] /= 2; node.LruvecSt.RecentRotated[f] /= 2; }
            ap = anonPrio * (node.LruvecSt.RecentScanned[a] + 1);
            ap /= node.LruvecSt.RecentRotated[a] + 1;
            fp = filePrio * (node.LruvecSt.RecentScanned[f] + 1);
            fp /= node.LruvecSt.RecentRotated[f] + 1;
            denominator = ap + fp + 1;
        @out:
            result.Balance = balance;
            result.Ap = ap;
            result.Fp = fp;
            result.Denominator = denominator;
            long lruPages = 0;
            for (int lru = 0; lru < 4; lru++)
            {
                long size = Lru.LruvecLruSize(node, memcg, lru, sc.ReclaimIdx);
                long scan = BalanceScan(balance, Lru.IsFileLru(lru), size >> sc.Priority, ap, fp, denominator, ref size);
                lruPages += size;
                result.Nr[lru] = scan;
            }
            result.LruPages = lruPages;
            return result;
        }

        /// <summary>get_scan_count's last step for one list: the share of its scan target (size &gt;&gt; priority, possibly
        /// forced up by the caller) the balance gives it; a list the balance leaves out also drops out of the LRU pages
        /// counted (<paramref name="size"/> set to 0).</summary>
        internal static long BalanceScan(ScanBalance balance, bool file, long scan, long ap, long fp, long denominator, ref long size)
        {
            switch (balance)
            {
                case ScanBalance.Equal: return scan;
                case ScanBalance.Fract: return (long)((ulong)scan * (ulong)(file ? fp : ap) / (ulong)denominator);
                default:
                    if ((balance == ScanBalance.File) == file) return scan;
                    size = 0;
                    return 0;
            }
        }

        /// <summary>get_scan_count for a memcg's lruvec (0: root) under the given scan control, after prepare_scan_count on 6.1;
        /// reclaim_stat may be halved, exactly as a reclaim pass would.</summary>
        public static ScanCount GetScanCount(MemNode node, int memcg, int priority, int reclaimIdx = -1, bool maySwap = true, int targetMemcg = -1)
        {
            if (priority < 0 || priority > DefPriority)
                throw new MemMgmtException("PriorityOutOfRange", ErrorKind.OutOfRange, $"Priority {priority} is out of range; use 0 to {DefPriority}.", priority);
            if (memcg < 0 || memcg >= MemNode.MaxLruvecs || (memcg > 0 && node.MemcgSt.Memcgs[memcg] == null))
                throw new MemMgmtException("MemcgNotFound", ErrorKind.ObjectNotFound, $"Memcg id {memcg} does not exist on node '{node.Name}'.", memcg);
            var sc = new ScanControl
            {
                Priority = priority, ReclaimIdx = reclaimIdx < 0 ? node.ZoneArr.Length - 1 : reclaimIdx, MaySwap = maySwap, TargetMemcg = targetMemcg,
            };
            PrepareScanCount(node, sc);
            return GetScanCount(node, memcg, sc);
        }

        // ----------------------------------------------------------------- shrink_node_memcg

        /// <summary>kernel: shrink_node_memcg (mm/vmscan.c, 4.14; shrink_lruvec, 6.1): SWAP_CLUSTER_MAX chunks over
        /// the evictable lists; once nr_to_reclaim is met (except direct global reclaim at DEF_PRIORITY) the smaller of
        /// anon/file stops and the other is scaled to the remaining percentage; then age active anon if needed.</summary>
        internal static void ShrinkNodeMemcg(MemNode node, int memcg, ScanControl sc, out long lruPages)
        {
            var count = GetScanCount(node, memcg, sc);
            lruPages = count.LruPages;
            ShrinkLists(node, memcg, sc, count);
        }

        /// <summary>The body shrink_node_memcg (4.14) and shrink_lruvec (4.4) share once get_scan_count has decided:
        /// SWAP_CLUSTER_MAX chunks, proportional stop, then age active anon if its inactive list is low.</summary>
        internal static void ShrinkLists(MemNode node, int memcg, ScanControl sc, ScanCount count)
        {
            var nr = new long[4];
            var targets = new long[4];
            for (int i = 0; i < 4; i++) { nr[i] = count.Nr[i]; targets[i] = count.Nr[i]; }
            long nrReclaimed = 0;
            long nrToReclaim = sc.NrToReclaim;
            bool scanAdjusted = sc.GlobalReclaim && !sc.IsKswapd && sc.Priority == DefPriority;
            while (nr[(int)LruList.InactiveAnon] != 0 || nr[(int)LruList.ActiveFile] != 0 || nr[(int)LruList.InactiveFile] != 0)
            {
                for (int lru = 0; lru < 4; lru++)
                {
                    if (nr[lru] != 0)
                    {
                        long nrToScan = Math.Min(nr[lru], SwapClusterMax);
                        nr[lru] -= nrToScan;
                        nrReclaimed += ShrinkList(node, lru, nrToScan, memcg, sc);
                    }
                }
                if (nrReclaimed < nrToReclaim || scanAdjusted) continue;

                long nrFile = nr[(int)LruList.InactiveFile] + nr[(int)LruList.ActiveFile];
                long nrAnon = nr[(int)LruList.InactiveAnon] + nr[(int)LruList.ActiveAnon];
                if (nrFile == 0 || nrAnon == 0) break;
                int stop;
                long percentage;
                if (nrFile > nrAnon)
                {
                    long scanTarget = targets[(int)LruList.InactiveAnon] + targets[(int)LruList.ActiveAnon] + 1;
                    stop = 0;
                    percentage = nrAnon * 100 / scanTarget;
                }
                else
                {
                    long scanTarget = targets[(int)LruList.InactiveFile] + targets[(int)LruList.ActiveFile] + 1;
                    stop = Lru.LruFile;
                    percentage = nrFile * 100 / scanTarget;
                }
                nr[stop] = 0;
                nr[stop + Lru.LruActive] = 0;
                int other = stop == Lru.LruFile ? 0 : Lru.LruFile;
                for (int k = other; k <= other + Lru.LruActive; k++)
                {
                    long nrScanned = targets[k] - nr[k];
                    nr[k] = targets[k] * (100 - percentage) / 100;
                    nr[k] -= Math.Min(nr[k], nrScanned);
                }
                // 6.1 keeps re-checking, so the next pass finds the stopped side empty and ends the loop.
                if (!node.Kernel.ProportionalReclaimStopsAtOnce) scanAdjusted = true;
            }
            sc.NrReclaimed += nrReclaimed;
            bool ageAnon = node.Kernel.HierarchicalAnonAging
                ? node.Swap.TotalPages > 0 && InactiveIsLow(node, memcg, (int)LruList.InactiveAnon)
                : InactiveListIsLow(node, memcg, false, sc, true);
            if (ageAnon) ShrinkActiveList(node, SwapClusterMax, memcg, sc, (int)LruList.ActiveAnon);
        }

        // ----------------------------------------------------------------- shrink_node

        /// <summary>kernel: in_reclaim_compaction (mm/vmscan.c, 4.14).</summary>
        internal static bool InReclaimCompaction(ScanControl sc) =>
            sc.Order != 0 && (sc.Order > MmConstants.PageAllocCostlyOrder || sc.Priority < DefPriority - 2);

        /// <summary>kernel: should_continue_reclaim (mm/vmscan.c, 4.14).</summary>
        internal static bool ShouldContinueReclaim(MemNode node, long nrReclaimed, long nrScanned, ScanControl sc)
        {
            if (!InReclaimCompaction(sc)) return false;
            if ((sc.GfpMask & GfpFlags.__GFP_RETRY_MAYFAIL) != 0)
            {
                if (nrReclaimed == 0 && nrScanned == 0) return false;
            }
            else if (nrReclaimed == 0) return false;
            long pagesForCompaction = MmConstants.CompactGap(sc.Order);
            long inactiveLruPages = node.Counters[NodeStatItem.NrInactiveFile];
            if (node.Swap.FreePages > 0) inactiveLruPages += node.Counters[NodeStatItem.NrInactiveAnon];
            if (sc.NrReclaimed < pagesForCompaction && inactiveLruPages > pagesForCompaction) return true;
            for (int z = 0; z <= sc.ReclaimIdx && z < node.ZoneArr.Length; z++)
            {
                var zone = node.ZoneArr[z];
                if (zone.ManagedPages == 0) continue;
                var s = CompactionEngine.CompactionSuitable(zone, sc.Order, 0, sc.ReclaimIdx);
                if (s == CompactResult.Success || s == CompactResult.Continue) return false;
            }
            return true;
        }

        /// <summary>kernel: snapshot_refaults (mm/vmscan.c, 4.14; 6.1 also sets the target lruvec's refaults[]): every lruvec in the subtree under the reclaim root (−1: the
        /// whole tree), in mem_cgroup_iter's pre-order without a reclaim cookie, records its WORKINGSET_ACTIVATE count.</summary>
        internal static void SnapshotRefaults(MemNode node, int rootMemcg)
        {
            int root = rootMemcg < 0 ? 0 : rootMemcg;
            for (int memcg = root; memcg >= 0; memcg = MemCgroups.NextDescendantPre(node, memcg, root))
                ShadowRefault.SnapshotRefaults(node, memcg);
            if (node.Kernel.CacheTrimMode)
            {
                // 6.1 records only the target's lruvec, from its hierarchical counts.
                node.LruvecSt.Refaults[root * 2] = SubtreeActivations(node, root, false);
                node.LruvecSt.Refaults[root * 2 + 1] = SubtreeActivations(node, root, true);
            }
        }

        /// <summary>kernel: shrink_node (mm/vmscan.c, 4.14; shrink_node, shrink_node_memcgs, 6.1, see
        /// <see cref="KernelProfile.FullMemcgWalk"/>): every lruvec in the memcg subtree under the reclaim root, pre-order (memory.low
        /// groups skipped unless may_thrash), slab in proportion, vmpressure, and the reclaim/compaction loop.</summary>
        internal static bool ShrinkNode(MemNode node, ScanControl sc)
        {
            bool reclaimable = false;
            long nrReclaimed, nrScanned;
            do
            {
                int root = sc.GlobalReclaim ? 0 : sc.TargetMemcg;
                long nodeLruPages = 0;
                nrReclaimed = sc.NrReclaimed;
                nrScanned = sc.NrScanned;
                if (node.Kernel.CostBasedScanBalance || node.Kernel.CacheTrimMode) PrepareScanCount(node, sc);
                // mem_cgroup_iter: pre-order over the subtree under the reclaim root; 4.14 resumes where the last walk at
                // this priority stopped, 6.1 starts at the root every time.
                bool fullWalk = node.Kernel.FullMemcgWalk;
                for (int memcg = fullWalk ? root : MemCgroups.Iter(node, root, -1, sc.Priority); memcg >= 0;
                     memcg = fullWalk ? MemCgroups.NextDescendantPre(node, memcg, root) : MemCgroups.Iter(node, root, memcg, sc.Priority))
                {
                    if (MemCgroups.IsLow(node, root, memcg))
                    {
                        if (!sc.MayThrash) { sc.MemcgLowSkipped = true; continue; }
                        node.MemcgSt.Memcgs[memcg]!.LowEvents++;
                    }
                    long reclaimed = sc.NrReclaimed, scanned = sc.NrScanned;
                    ShrinkNodeMemcg(node, memcg, sc, out long lruPages);
                    nodeLruPages += lruPages;
                    // Memcg-aware shrinkers are not simulated: per-group shrink_slab has nothing to call.
                    VmPressure.Record(node, sc.GfpMask, memcg, false, sc.NrScanned - scanned, sc.NrReclaimed - reclaimed, sc);
                    if (!fullWalk && !sc.GlobalReclaim && sc.NrReclaimed >= sc.NrToReclaim) break;
                }
                if (sc.GlobalReclaim)
                {
                    long pagesFreed = 0;
                    sc.SlabObjectsFreed += Shrinkers.ShrinkSlab(node, sc.GfpMask, sc.NrScanned - nrScanned, nodeLruPages, ref pagesFreed);
                    sc.SlabPagesFreed += pagesFreed;
                    if (sc.HasReclaimState) sc.ReclaimedSlab += pagesFreed;
                }
                if (sc.HasReclaimState)
                {
                    sc.NrReclaimed += sc.ReclaimedSlab;
                    sc.ReclaimedSlab = 0;
                }
                VmPressure.Record(node, sc.GfpMask, sc.TargetMemcg, true, sc.NrScanned - nrScanned, sc.NrReclaimed - nrReclaimed, sc);
                if (sc.NrReclaimed - nrReclaimed != 0) reclaimable = true;
            } while (ShouldContinueReclaim(node, sc.NrReclaimed - nrReclaimed, sc.NrScanned - nrScanned, sc));
            if (reclaimable) node.KswapdSt.KswapdFailures = 0;
            return reclaimable;
        }

        // ----------------------------------------------------------------- direct reclaim

        /// <summary>kernel: compaction_ready (mm/vmscan.c, 4.14).</summary>
        internal static bool CompactionReady(MemNode node, Zone zone, ScanControl sc)
        {
            var suitable = CompactionEngine.CompactionSuitable(zone, sc.Order, 0, sc.ReclaimIdx);
            if (suitable == CompactResult.Success) return true;
            if (suitable != CompactResult.Continue && suitable != CompactResult.NotSuitableZone) return false;
            long watermark = zone.WmarkPages((int)WatermarkLevel.High) + MmConstants.CompactGap(sc.Order);
            return ZoneWatermark.Ok(zone, 0, watermark, sc.ReclaimIdx, 0, zone.NrFreePages);
        }

        /// <summary>kernel: shrink_zones (mm/vmscan.c, 4.14): costly orders skip zones ready for compaction; the node is
        /// shrunk once.</summary>
        private static void ShrinkZones(MemNode node, ScanControl sc)
        {
            bool shrunk = false;
            var zl = node.Zonelist;
            for (int i = 0; i < zl.Length; i++)
            {
                var zone = zl[i];
                if (zone.Idx > sc.ReclaimIdx) continue;
                if (sc.GlobalReclaim)
                {
                    if (sc.Order > MmConstants.PageAllocCostlyOrder && CompactionReady(node, zone, sc))
                    {
                        sc.CompactionReady = true;
                        continue;
                    }
                }
                if (shrunk) continue;
                shrunk = true;
                ShrinkNode(node, sc);
            }
        }

        /// <summary>kernel: do_try_to_free_pages (mm/vmscan.c, 4.14; 6.1's force_deactivate retry): the priority loop;
        /// allocstall; when nothing was reclaimed retry with force_deactivate (6.1, if an active list was skipped), then once
        /// with may_thrash.</summary>
        internal static long DoTryToFreePages(MemNode node, ScanControl sc)
        {
            if (node.Kernel.ZoneBasedReclaim) return ZoneReclaim.DoTryToFreePages(node, sc);
            int initialPriority = sc.Priority;
        retry:
            if (sc.GlobalReclaim) node.Counters.Count(ZoneEvent.AllocStall, sc.ReclaimIdx);
            do
            {
                VmPressure.Prio(node, sc.GfpMask, sc.TargetMemcg, sc.Priority, sc);
                sc.NrScanned = 0;
                long before = sc.NrReclaimed;
                ShrinkZones(node, sc);
                sc.LowestPriority = sc.Priority;
                sc.Steps.Add($"priority {sc.Priority}: scanned {sc.NrScanned}, reclaimed {sc.NrReclaimed - before}{(sc.CompactionReady ? ", compaction ready" : "")}");
                sc.Progress?.Invoke(sc.NrReclaimed, sc.NrToReclaim);
                if (sc.NrReclaimed >= sc.NrToReclaim) break;
                if (sc.CompactionReady) break;
                if (sc.Cancel.IsCancellationRequested) break;
                if (sc.Priority < DefPriority - 2) sc.MayWritepage = true;
            } while (--sc.Priority >= 0);
            if (sc.Priority < 0) sc.Priority = 0;
            SnapshotRefaults(node, sc.TargetMemcg);
            if (sc.NrReclaimed != 0) return sc.NrReclaimed;
            if (sc.CompactionReady) return 1;
            if (sc.SkippedDeactivate && !sc.Cancel.IsCancellationRequested)
            {
                // 6.1: an active list was left alone by the node-wide ratios; retry once deactivating everywhere.
                sc.Priority = initialPriority;
                sc.ForceDeactivate = true;
                sc.SkippedDeactivate = false;
                sc.Steps.Add("nothing reclaimed, active lists skipped: retry with force_deactivate");
                goto retry;
            }
            if (!sc.MayThrash && !sc.Cancel.IsCancellationRequested && (sc.MemcgLowSkipped || !node.Kernel.MemcgLowRetryOnlyWhenSkipped))
            {
                sc.MemcgLowSkipped = false;
                sc.Priority = initialPriority;
                sc.ForceDeactivate = false;
                sc.MayThrash = true;
                sc.Steps.Add("nothing reclaimed: retry with may_thrash (memory.low no longer protects)");
                goto retry;
            }
            return 0;
        }

        private static void ValidateRequest(MemNode node, int order, int cpu)
        {
            if (order < 0 || order >= node.Geometry.MaxOrder)
                throw new MemMgmtException("OrderOutOfRange", ErrorKind.OutOfRange,
                    $"Order {order} is out of range; allowed 0 to {node.Geometry.MaxOrder - 1}.", order);
            if (cpu < 0 || cpu >= node.NrCpus)
                throw new MemMgmtException("CpuOutOfRange", ErrorKind.OutOfRange, $"Cpu {cpu} is out of range; the node has CPUs 0 to {node.NrCpus - 1}.", cpu);
        }

        /// <summary>kernel: allow_direct_reclaim (mm/vmscan.c, 4.14): free pages above half the min watermarks of the
        /// zones up to Normal that have reclaimable pages, or kswapd is hopeless.</summary>
        private static bool AllowDirectReclaim(MemNode node)
        {
            var ks = node.KswapdSt;
            if (ks.KswapdFailures >= MmConstants.MaxReclaimRetries) return true;
            long reserve = 0, free = 0;
            int normal = node.Kernel.ZoneIndex(ZoneType.Normal);
            for (int i = 0; i <= normal && i < node.ZoneArr.Length; i++)
            {
                var z = node.ZoneArr[i];
                if (z.ManagedPages == 0 || ZoneReclaimablePages(node, z) == 0) continue;
                reserve += z.WmarkPages((int)WatermarkLevel.Min);
                free += z.NrFreePages;
            }
            if (reserve == 0) return true;
            return free > reserve / 2;
        }

        /// <summary>kernel: zone_reclaimable_pages (mm/vmscan.c, 4.14): file LRU pages, plus anon while swap has room.</summary>
        public static long ZoneReclaimablePages(MemNode node, Zone zone)
        {
            long nr = zone.Stat[(int)ZoneStatItem.NrZoneInactiveFile] + zone.Stat[(int)ZoneStatItem.NrZoneActiveFile];
            if (node.Swap.FreePages > 0)
                nr += zone.Stat[(int)ZoneStatItem.NrZoneInactiveAnon] + zone.Stat[(int)ZoneStatItem.NrZoneActiveAnon];
            return nr;
        }

        /// <summary>kernel: try_to_free_pages (mm/vmscan.c, 4.14): direct reclaim for an allocation of 2^order pages with
        /// this GFP mask: nr_to_reclaim 32, reclaim_idx gfp_zone(gfp), priority 12 down to 0. The entry point the
        /// allocator's slow path calls (__perform_reclaim).</summary>
        public static ReclaimReport TryToFreePages(MemNode node, int order, GfpFlags gfp, int cpu = 0) =>
            DirectReclaim(node, order, gfp, SwapClusterMax, cpu);

        /// <summary>Direct reclaim aiming at <paramref name="nrPages"/> pages instead of SWAP_CLUSTER_MAX (Invoke-Reclaim -Pages).</summary>
        public static ReclaimReport ReclaimPages(MemNode node, long nrPages, GfpFlags gfp = GfpFlags.GFP_KERNEL, int cpu = 0,
            System.Threading.CancellationToken cancel = default, Action<long, long>? progress = null)
        {
            if (nrPages < 1 || nrPages > node.SpannedPages)
                throw new MemMgmtException("ReclaimPagesOutOfRange", ErrorKind.OutOfRange,
                    $"Pages {nrPages} is out of range; ask for 1 to {node.SpannedPages} pages (the node's size).", nrPages);
            return DirectReclaim(node, 0, gfp, nrPages, cpu, cancel, progress);
        }

        private static ReclaimReport DirectReclaim(MemNode node, int order, GfpFlags gfp, long nrToReclaim, int cpu,
            System.Threading.CancellationToken cancel = default, Action<long, long>? progress = null)
        {
            ValidateRequest(node, order, cpu);
            using var taskCpu = node.Trace.OnTaskCpu(cpu);
            var sc = new ScanControl
            {
                Cancel = cancel, Progress = progress,
                NrToReclaim = nrToReclaim, GfpMask = gfp, ReclaimIdx = node.Kernel.ZoneIndex(Gfp.ToZone(gfp, node.Kernel)), Order = order,
                Priority = DefPriority, MayWritepage = true, MayUnmap = true, MaySwap = true, Cpu = cpu, HasReclaimState = true,
            };
            var report = new ReclaimReport(node, ReclaimKind.Direct) { Order = order, Gfp = gfp };
            // throttle_direct_reclaim: the task waits on pfmemalloc_wait until kswapd restores the reserve.
            if (!AllowDirectReclaim(node))
            {
                node.Counters.Count(VmEvent.PgScanDirectThrottle);
                var ks = node.KswapdSt;
                int normal = node.Kernel.ZoneIndex(ZoneType.Normal);
                ks.KswapdClasszoneIdx = ks.KswapdClasszoneIdx < 0 ? normal : Math.Min(ks.KswapdClasszoneIdx, normal);
                report.Throttled = true;
                sc.Steps.Add("throttle_direct_reclaim: pfmemalloc reserve low; kswapd runs first");
                Kswapd.RunOnce(node, report);
            }
            if (node.Trace.Enabled)
                node.Trace.Record(node, TraceEventId.mm_vmscan_direct_reclaim_begin, order, (long)gfp, sc.ReclaimIdx);
            long reclaimed = DoTryToFreePages(node, sc);
            node.Trace.Record(node, TraceEventId.mm_vmscan_direct_reclaim_end, reclaimed);
            report.Fill(sc, reclaimed);
            return report;
        }

        /// <summary>kernel: try_to_free_mem_cgroup_pages (mm/vmscan.c, 4.14): limit reclaim of one group.</summary>
        internal static ReclaimReport TryToFreeMemCgroupPages(MemNode node, int memcg, long nrPages, GfpFlags gfp, bool maySwap)
        {
            const GfpFlags reclaimMask = GfpFlags.__GFP_RECLAIM | GfpFlags.__GFP_HIGH | GfpFlags.__GFP_IO | GfpFlags.__GFP_FS
                | GfpFlags.__GFP_NOWARN | GfpFlags.__GFP_RETRY_MAYFAIL | GfpFlags.__GFP_NOFAIL | GfpFlags.__GFP_NORETRY
                | GfpFlags.__GFP_MEMALLOC | GfpFlags.__GFP_NOMEMALLOC | GfpFlags.__GFP_ATOMIC;
            var sc = new ScanControl
            {
                NrToReclaim = Math.Max(nrPages, SwapClusterMax),
                GfpMask = (gfp & reclaimMask) | (GfpFlags.GFP_HIGHUSER_MOVABLE & ~reclaimMask),
                ReclaimIdx = node.ZoneArr.Length - 1, TargetMemcg = memcg, Priority = DefPriority,
                MayWritepage = true, MayUnmap = true, MaySwap = maySwap,
            };
            var report = new ReclaimReport(node, ReclaimKind.MemcgLimit) { Gfp = sc.GfpMask };
            long reclaimed = DoTryToFreePages(node, sc);
            report.Fill(sc, reclaimed);
            return report;
        }
    }
}
