using System;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Watermarks;
using MemMgmt.Core.Writeback;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>
    /// The zone-based page reclaim of Linux 4.4 (<see cref="KernelProfile.ZoneBasedReclaim"/>): every zone has its own
    /// lruvec per memcg. The node keeps one list per memcg and LRU type, and a zone's lruvec is the sub-list of its pages
    /// in that list's order: pages join at the head or the tail of the node list, which is the head or tail of their
    /// zone's sub-list too, and isolation walks from the tail past the other zones' pages without moving them, so each
    /// zone sees exactly the order a list of its own would hold. Sizes per zone are the lruvec's lru_zone_size, and
    /// reclaim_stat is kept per zone (<see cref="LruvecState.ZoneRecentScanned"/>).
    /// </summary>
    public static class ZoneReclaim
    {
        /// <summary>KSWAPD_ZONE_BALANCE_GAP_RATIO (include/linux/swap.h, 4.4): the balance gap is at most 1% of the zone.</summary>
        public const int KswapdZoneBalanceGapRatio = 100;

        /// <summary>kernel: calculate_zone_inactive_ratio (mm/page_alloc.c, 4.4): int_sqrt(10·GiB of managed pages), 1 below 1 GiB.</summary>
        public static long ZoneInactiveRatio(MemNode node, Zone zone) => CalculateZoneInactiveRatio(zone.ManagedPages, node.Geometry.PageShift);

        /// <summary>calculate_zone_inactive_ratio's arithmetic for a zone of <paramref name="managedPages"/> pages.</summary>
        public static long CalculateZoneInactiveRatio(long managedPages, int pageShift)
        {
            long gb = managedPages >> (30 - pageShift);
            return gb != 0 ? MmConstants.IntSqrt(10 * gb) : 1;
        }

        /// <summary>kernel: zone_reclaimable (mm/vmscan.c, 4.4): the zone has been scanned less than six times its
        /// reclaimable pages since a page was last freed to it.</summary>
        public static bool ZoneReclaimable(MemNode node, Zone zone) => zone.PagesScanned < Vmscan.ZoneReclaimablePages(node, zone) * 6;

        /// <summary>get_lru_size (mm/vmscan.c, 4.4): one list of a memcg's lruvec in one zone.</summary>
        public static long LruSize(MemNode node, Zone zone, int memcg, LruList lru) => LruSize(node, zone.Idx, memcg, (int)lru);

        internal static long LruSize(MemNode node, int zid, int memcg, int lru)
        {
            var l = node.LruvecSt;
            return l.LruZoneSize[(memcg * l.NrZones + zid) * Lru.NrLruLists + lru];
        }

        /// <summary>kernel: inactive_anon_is_low, inactive_file_is_low (mm/vmscan.c, 4.4): file is low when the active list is
        /// larger than the inactive one; anon never without swap, otherwise — memcg being enabled, so the root lruvec
        /// too — by mem_cgroup_inactive_anon_is_low (include/linux/memcontrol.h, 4.4): the lruvec's own two anon lists
        /// with ratio int_sqrt(10·GiB of those lists), 1 below 1 GiB. The zone's inactive_ratio
        /// (inactive_anon_is_low_global) is only used when memcg is disabled, which a node here never is.</summary>
        public static bool InactiveListIsLow(MemNode node, Zone zone, int memcg, bool file)
        {
            if (file)
                return LruSize(node, zone.Idx, memcg, (int)LruList.ActiveFile) > LruSize(node, zone.Idx, memcg, (int)LruList.InactiveFile);
            if (node.Swap.TotalPages == 0) return false;
            long ia = LruSize(node, zone.Idx, memcg, (int)LruList.InactiveAnon), aa = LruSize(node, zone.Idx, memcg, (int)LruList.ActiveAnon);
            return ia * Vmscan.InactiveRatio(node, ia + aa) < aa;
        }

        /// <summary>kernel: isolate_lru_pages (mm/vmscan.c, 4.4) on the zone's list: from its tail, nr_to_scan pages looked
        /// at (a page that may not be isolated goes back to the head and still counts); the zone's pages_scanned grows by
        /// what was scanned in global reclaim (shrink_inactive_list and shrink_active_list do that right after).</summary>
        internal static long IsolateLruPages(MemNode node, Zone zone, long nrToScan, int memcg, int dst, out long nrScanned, ScanControl sc,
            bool unmappedOnly, int lru)
        {
            var pages = node.Pages;
            int src = Lru.Head(node, memcg, lru);
            var flags = pages.Flags;
            int zid = zone.Idx;
            long taken = 0, scan = 0;
            int cursor = src;
            bool seenInPass = false;
            while (scan < nrToScan)
            {
                int page = pages.Prev(cursor);
                if (page == src)
                {
                    // End of the node list: the zone's list is empty unless pages went back to its head this pass.
                    if (!seenInPass) break;
                    seenInPass = false;
                    cursor = src;
                    continue;
                }
                if (node.ZoneIdOfIndex(page) != zid) { cursor = page; continue; }
                seenInPass = true;
                scan++;
                if (unmappedOnly && (flags[page] & (uint)PageFlags.Mapped) != 0)
                {
                    pages.ListMove(page, src); // -EBUSY: to the head
                    continue;
                }
                taken += 1L << pages.OrderOf(page);
                flags[page] &= ~(uint)PageFlags.Lru;
                pages.ListMove(page, dst);
            }
            nrScanned = scan;
            if (node.Trace.Enabled)
                node.Trace.Record(node, TraceEventId.mm_vmscan_lru_isolate, unmappedOnly ? 2 : 0, zid, sc.Order, nrToScan, scan, 0, taken, lru);
            if (taken != 0) Lru.UpdateSizeZone(node, memcg, zid, lru, -taken);
            if (sc.GlobalReclaim) zone.PagesScanned += scan;
            return taken;
        }

        /// <summary>kernel: get_scan_count (mm/vmscan.c, 4.4) for a memcg's lruvec in one zone: kswapd on an unreclaimable
        /// zone and limit reclaim force a minimum scan on a second pass; SCAN_ANON when the zone's file and free pages are
        /// at or below its high watermark; SCAN_FILE while the zone's inactive file list is not low and has pages at this
        /// priority; otherwise SCAN_FRACT from the zone lruvec's reclaim_stat.</summary>
        internal static ScanCount GetScanCount(MemNode node, Zone zone, int memcg, ScanControl sc)
        {
            var result = new ScanCount();
            var l = node.LruvecSt;
            int zid = zone.Idx;
            int swappiness = MemCgroups.SwappinessOf(node, memcg);
            bool forceScan = (sc.IsKswapd && !ZoneReclaimable(node, zone)) || !sc.GlobalReclaim;
            ScanBalance balance;
            long ap = 0, fp = 0, denominator = 0;

            if (!sc.MaySwap || node.Swap.FreePages <= 0) { balance = ScanBalance.File; goto @out; }
            if (!sc.GlobalReclaim && swappiness == 0) { balance = ScanBalance.File; goto @out; }
            if (sc.Priority == 0 && swappiness != 0) { balance = ScanBalance.Equal; goto @out; }
            if (sc.GlobalReclaim)
            {
                long zoneFile = zone.Stat[(int)ZoneStatItem.NrZoneActiveFile] + zone.Stat[(int)ZoneStatItem.NrZoneInactiveFile];
                if (zoneFile + zone.NrFreePages <= zone.Watermark[(int)WatermarkLevel.High]) { balance = ScanBalance.Anon; goto @out; }
            }
            if (!InactiveListIsLow(node, zone, memcg, true) && (LruSize(node, zid, memcg, (int)LruList.InactiveFile) >> sc.Priority) != 0)
            {
                balance = ScanBalance.File;
                goto @out;
            }
            balance = ScanBalance.Fract;
            long anonPrio = swappiness, filePrio = 200 - swappiness;
            result.AnonPrio = anonPrio;
            result.FilePrio = filePrio;
            long anon = LruSize(node, zid, memcg, (int)LruList.ActiveAnon) + LruSize(node, zid, memcg, (int)LruList.InactiveAnon);
            long file = LruSize(node, zid, memcg, (int)LruList.ActiveFile) + LruSize(node, zid, memcg, (int)LruList.InactiveFile);
            int a = (memcg * l.NrZones + zid) * 2, f = a + 1;
            var scanned = l.ZoneRecentScanned;
            var rotated = l.ZoneRecentRotated;
            if (scanned[a] > anon / 4) { scanned[a] /= 2; rotated[a] /= 2; }
            if (scanned[f] > file / 4) { scanned[f] /= 2; rotated[f] /= 2; }
            ap = anonPrio * (scanned[a] + 1);
            ap /= rotated[a] + 1;
            fp = filePrio * (scanned[f] + 1);
            fp /= rotated[f] + 1;
            denominator = ap + fp + 1;
        @out:
            result.Balance = balance;
            result.Ap = ap;
            result.Fp = fp;
            result.Denominator = denominator;
            bool someScanned = false;
            for (int pass = 0; !someScanned && pass < 2; pass++)
            {
                long lruPages = 0;
                for (int lru = 0; lru < 4; lru++)
                {
                    long size = LruSize(node, zid, memcg, lru);
                    long scan = size >> sc.Priority;
                    if (scan == 0 && pass != 0 && forceScan) scan = Math.Min(size, Vmscan.SwapClusterMax);
                    scan = Vmscan.BalanceScan(balance, Lru.IsFileLru(lru), scan, ap, fp, denominator, ref size);
                    lruPages += size;
                    result.Nr[lru] = scan;
                    someScanned |= scan != 0;
                }
                result.LruPages = lruPages;
            }
            return result;
        }

        /// <summary>get_scan_count of one zone's lruvec (memcg 0: root) at a priority; reclaim_stat may be halved, exactly
        /// as a reclaim pass would. Only for nodes with <see cref="KernelProfile.ZoneBasedReclaim"/>.</summary>
        public static ScanCount GetScanCount(MemNode node, ZoneType zone, int memcg, int priority, bool maySwap = true)
        {
            if (!node.Kernel.ZoneBasedReclaim)
                throw new MemMgmtException("NotZoneBasedReclaim", ErrorKind.InvalidOperation,
                    $"Node '{node.Name}' runs kernel {node.Kernel.Version}, whose lruvecs are per node; per-zone scan counts need -Kernel 4.4.", node.Kernel.Version);
            if (priority < 0 || priority > Vmscan.DefPriority)
                throw new MemMgmtException("PriorityOutOfRange", ErrorKind.OutOfRange, $"Priority {priority} is out of range; use 0 to {Vmscan.DefPriority}.", priority);
            if (memcg < 0 || memcg >= MemNode.MaxLruvecs || (memcg > 0 && node.MemcgSt.Memcgs[memcg] == null))
                throw new MemMgmtException("MemcgNotFound", ErrorKind.ObjectNotFound, $"Memcg id {memcg} does not exist on node '{node.Name}'.", memcg);
            var z = node.GetZone(zone);
            var sc = new ScanControl { Priority = priority, ReclaimIdx = z.Idx, MaySwap = maySwap, ZoneIdx = z.Idx };
            return GetScanCount(node, z, memcg, sc);
        }

        /// <summary>kernel: shrink_lruvec (mm/vmscan.c, 4.4): get_scan_count for the zone's lruvec, then the chunked scan
        /// shared with 4.14's shrink_node_memcg (<see cref="Vmscan.ShrinkLists"/>).</summary>
        internal static void ShrinkLruvec(MemNode node, Zone zone, int memcg, ScanControl sc, out long lruPages)
        {
            var count = GetScanCount(node, zone, memcg, sc);
            lruPages = count.LruPages;
            Vmscan.ShrinkLists(node, memcg, sc, count);
        }

        /// <summary>kernel: should_continue_reclaim (mm/vmscan.c, 4.4): in reclaim/compaction mode only; __GFP_REPEAT keeps
        /// going until a pass neither reclaimed nor scanned, other requests stop at a pass that reclaimed nothing; continue
        /// while fewer than 2^(order+1) pages were reclaimed and the zone's inactive lists hold more; otherwise stop once
        /// compaction_suitable(zone, order, 0, 0) says PARTIAL or CONTINUE.</summary>
        public static bool ShouldContinueReclaim(MemNode node, Zone zone, long nrReclaimed, long nrScanned, ScanControl sc)
        {
            if (!Vmscan.InReclaimCompaction(sc)) return false;
            // __GFP_REPEAT has __GFP_RETRY_MAYFAIL's bit (0x400).
            if ((sc.GfpMask & GfpFlags.__GFP_RETRY_MAYFAIL) != 0)
            {
                if (nrReclaimed == 0 && nrScanned == 0) return false;
            }
            else if (nrReclaimed == 0) return false;
            long pagesForCompaction = MmConstants.CompactGap(sc.Order);
            long inactiveLruPages = zone.Stat[(int)ZoneStatItem.NrZoneInactiveFile];
            if (node.Swap.FreePages > 0) inactiveLruPages += zone.Stat[(int)ZoneStatItem.NrZoneInactiveAnon];
            if (sc.NrReclaimed < pagesForCompaction && inactiveLruPages > pagesForCompaction) return true;
            var s = CompactionEngine.CompactionSuitable(zone, sc.Order, 0, 0);
            return s != CompactResult.Success && s != CompactResult.Continue;
        }

        /// <summary>kernel: shrink_zone (mm/vmscan.c, 4.4): each memcg's lruvec in the zone (memory.low groups skipped unless
        /// may_thrash), slab in proportion when this is the classzone, vmpressure, and the reclaim/compaction loop.</summary>
        internal static bool ShrinkZone(MemNode node, Zone zone, ScanControl sc, bool isClasszone)
        {
            bool reclaimable = false;
            long nrReclaimed, nrScanned;
            int savedZone = sc.ZoneIdx;
            sc.ZoneIdx = zone.Idx;
            try
            {
                do
                {
                    int root = sc.GlobalReclaim ? 0 : sc.TargetMemcg;
                    long zoneLruPages = 0;
                    nrReclaimed = sc.NrReclaimed;
                    nrScanned = sc.NrScanned;
                    for (int memcg = MemCgroups.Iter(node, root, -1, sc.Priority); memcg >= 0; memcg = MemCgroups.Iter(node, root, memcg, sc.Priority))
                    {
                        if (MemCgroups.IsLow(node, root, memcg))
                        {
                            if (!sc.MayThrash) continue;
                            node.MemcgSt.Memcgs[memcg]!.LowEvents++;
                        }
                        ShrinkLruvec(node, zone, memcg, sc, out long lruPages);
                        zoneLruPages += lruPages;
                        // Memcg-aware shrinkers are not simulated: the per-group shrink_slab has nothing to call.
                        if (!sc.GlobalReclaim && sc.NrReclaimed >= sc.NrToReclaim) break;
                    }
                    if (sc.GlobalReclaim && isClasszone)
                    {
                        long pagesFreed = 0;
                        sc.SlabObjectsFreed += Shrinkers.ShrinkSlab(node, sc.GfpMask, sc.NrScanned - nrScanned, zoneLruPages, ref pagesFreed);
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
                } while (ShouldContinueReclaim(node, zone, sc.NrReclaimed - nrReclaimed, sc.NrScanned - nrScanned, sc));
            }
            finally
            {
                sc.ZoneIdx = savedZone;
            }
            return reclaimable;
        }

        /// <summary>kernel: compaction_ready (mm/vmscan.c, 4.4): the zone has free pages above high + balance gap +
        /// 2^(order+1) at order 0; a deferred zone answers that alone, otherwise compaction must not be SKIPPED.</summary>
        internal static bool CompactionReady(MemNode node, Zone zone, int order)
        {
            long balanceGap = Math.Min(zone.Watermark[(int)WatermarkLevel.Low], (zone.ManagedPages + KswapdZoneBalanceGapRatio - 1) / KswapdZoneBalanceGapRatio);
            long watermark = zone.Watermark[(int)WatermarkLevel.High] + balanceGap + MmConstants.CompactGap(order);
            bool watermarkOk = ZoneWatermark.Ok(zone, 0, watermark, 0, 0, zone.NrFreePages);
            if (CompactionEngine.CompactionDeferred(zone, order)) return watermarkOk;
            if (CompactionEngine.CompactionSuitable(zone, order, 0, 0) == CompactResult.Skipped) return false;
            return watermarkOk;
        }

        /// <summary>kernel: shrink_zones (mm/vmscan.c, 4.4): every populated zone of the zonelist up to the request's zone;
        /// after the first priority global reclaim leaves unreclaimable zones to kswapd, and costly orders skip zones ready
        /// for compaction. Returns whether some zone was reclaimable.</summary>
        private static bool ShrinkZones(MemNode node, ScanControl sc)
        {
            bool reclaimable = false;
            int requestedHighIdx = sc.ReclaimIdx;
            int classzoneIdx = requestedHighIdx;
            while (classzoneIdx > 0 && !node.ZoneArr[classzoneIdx].IsPopulated) classzoneIdx--;
            foreach (var zone in node.Zonelist)
            {
                if (zone.Idx > requestedHighIdx || !zone.IsPopulated) continue;
                if (sc.GlobalReclaim)
                {
                    if (sc.Priority != Vmscan.DefPriority && !ZoneReclaimable(node, zone)) continue;
                    if (sc.Order > MmConstants.PageAllocCostlyOrder && CompactionReady(node, zone, sc.Order))
                    {
                        sc.CompactionReady = true;
                        continue;
                    }
                }
                if (ShrinkZone(node, zone, sc, zone.Idx == classzoneIdx)) reclaimable = true;
                if (sc.GlobalReclaim && !reclaimable && ZoneReclaimable(node, zone)) reclaimable = true;
            }
            return reclaimable;
        }

        /// <summary>kernel: do_try_to_free_pages (mm/vmscan.c, 4.4): the priority loop over shrink_zones; writeback is woken
        /// once 1.5 × nr_to_reclaim pages were scanned; nothing reclaimed retries once with may_thrash; a zone still
        /// reclaimable or ready for compaction answers 1 so the caller does not go to the OOM killer.</summary>
        internal static long DoTryToFreePages(MemNode node, ScanControl sc)
        {
            int initialPriority = sc.Priority;
            long totalScanned = 0;
            bool zonesReclaimable;
        retry:
            if (sc.GlobalReclaim) node.Counters.Count(ZoneEvent.AllocStall, sc.ReclaimIdx);
            do
            {
                VmPressure.Prio(node, sc.GfpMask, sc.TargetMemcg, sc.Priority, sc);
                sc.NrScanned = 0;
                long before = sc.NrReclaimed;
                zonesReclaimable = ShrinkZones(node, sc);
                totalScanned += sc.NrScanned;
                sc.LowestPriority = sc.Priority;
                sc.Steps.Add($"priority {sc.Priority}: scanned {sc.NrScanned}, reclaimed {sc.NrReclaimed - before}{(sc.CompactionReady ? ", compaction ready" : "")}");
                sc.Progress?.Invoke(sc.NrReclaimed, sc.NrToReclaim);
                if (sc.NrReclaimed >= sc.NrToReclaim) break;
                if (sc.CompactionReady) break;
                if (sc.Cancel.IsCancellationRequested) break;
                if (sc.Priority < Vmscan.DefPriority - 2) sc.MayWritepage = true;
                if (totalScanned > sc.NrToReclaim + sc.NrToReclaim / 2)
                {
                    WritebackIo.WakeupFlusher(node);
                    sc.MayWritepage = true;
                }
            } while (--sc.Priority >= 0);
            if (sc.Priority < 0) sc.Priority = 0;
            if (sc.NrReclaimed != 0) return sc.NrReclaimed;
            if (sc.CompactionReady) return 1;
            if (!sc.MayThrash && !sc.Cancel.IsCancellationRequested)
            {
                sc.Priority = initialPriority;
                sc.MayThrash = true;
                sc.Steps.Add("nothing reclaimed: retry with may_thrash (memory.low no longer protects)");
                goto retry;
            }
            if (zonesReclaimable)
            {
                sc.Steps.Add("nothing reclaimed, but a zone is still reclaimable: report progress");
                return 1;
            }
            return 0;
        }

        /// <summary>kernel: age_active_anon (mm/vmscan.c, 4.4) for one zone: every memcg's lruvec there whose inactive anon
        /// list is low loses SWAP_CLUSTER_MAX pages from its active list.</summary>
        internal static void AgeActiveAnon(MemNode node, Zone zone, ScanControl sc)
        {
            if (node.Swap.TotalPages == 0) return;
            int saved = sc.ZoneIdx;
            sc.ZoneIdx = zone.Idx;
            try
            {
                for (int memcg = MemCgroups.NextDescendantPre(node, -1, 0); memcg >= 0; memcg = MemCgroups.NextDescendantPre(node, memcg, 0))
                    if (InactiveListIsLow(node, zone, memcg, false))
                        Vmscan.ShrinkActiveList(node, Vmscan.SwapClusterMax, memcg, sc, (int)LruList.ActiveAnon);
            }
            finally
            {
                sc.ZoneIdx = saved;
            }
        }
    }
}
