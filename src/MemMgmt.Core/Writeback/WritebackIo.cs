using System;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Writeback
{
    /// <summary>Page writeback in virtual time: a write (file pageout, flusher, swap_writepage) sets PG_writeback and ends
    /// <see cref="LatencyNs"/> later at end_page_writeback, which rotates PG_reclaim pages to the inactive tail.</summary>
    internal static class WritebackIo
    {
        /// <summary>Modelled I/O latency from submission to completion (one request, any size): 10 ms.</summary>
        internal const long LatencyNs = 10_000_000;

        /// <summary>clear_page_dirty_for_io + set_page_writeback: the page goes under writeback.</summary>
        internal static void Start(MemNode node, int index) => Start(node, index, node.Clock.NowNs + LatencyNs);

        /// <summary>As <see cref="Start(MemNode, int)"/>, completing at <paramref name="doneNs"/> (the flusher's writes finish
        /// as the modelled device gets through its queue).</summary>
        internal static void Start(MemNode node, int index, long doneNs)
        {
            var pages = node.Pages;
            var c = node.Counters;
            int nr = 1 << pages.OrderOf(index);
            if (pages.Has(index, PageFlags.Dirty))
            {
                pages.Clear(index, PageFlags.Dirty);
                if (!pages.Has(index, PageFlags.SwapBacked)) c.Mod(NodeStatItem.NrFileDirty, node.ZoneIdOfIndex(index), -nr);
            }
            pages.Set(index, PageFlags.Writeback);
            c.Mod(NodeStatItem.NrWriteback, node.ZoneIdOfIndex(index), nr);
            c.Count(VmEvent.PgpgOut, nr);
            node.WritebackSt.QueueWriteback(index, nr, doneNs);
        }

        /// <summary>When the write queued for <paramref name="index"/> ends (virtual ns), or -1 when none is queued.</summary>
        internal static long QueuedDoneNs(MemNode node, int index)
        {
            var wbs = node.WritebackSt;
            long done = -1;
            for (int i = 0; i < wbs.WbCount; i++)
            {
                int k = (wbs.WbHead + i) % wbs.WbIndex.Length;
                if (wbs.WbIndex[k] == index) done = wbs.WbDoneNs[k];
            }
            return done;
        }

        /// <summary>Detaches the writes queued for <paramref name="index"/> from the page, which its owner is freeing: they
        /// still complete (and settle NR_WRITEBACK then) but touch no page. False when none is queued.</summary>
        internal static bool DetachQueued(MemNode node, int index)
        {
            var wbs = node.WritebackSt;
            bool found = false;
            for (int i = 0; i < wbs.WbCount; i++)
            {
                int k = (wbs.WbHead + i) % wbs.WbIndex.Length;
                if (wbs.WbIndex[k] == index) { wbs.WbIndex[k] = DetachedWrite(node.ZoneIdOfIndex(index)); found = true; }
            }
            return found;
        }

        /// <summary>The page index a queued write holds once its page was freed: negative, keeping the page's zone, whose
        /// NR_WRITEBACK and NR_WRITTEN the completion still moves.</summary>
        private static int DetachedWrite(int zid) => -1 - zid;

        /// <summary>kernel: end_page_writeback (mm/filemap.c, 4.14) for every write whose latency has passed.</summary>
        internal static int CompleteDue(MemNode node)
        {
            var wbs = node.WritebackSt;
            var pages = node.Pages;
            long now = node.Clock.NowNs;
            int done = 0;
            while (wbs.WbCount > 0 && wbs.WbDoneNs[wbs.WbHead] <= now)
            {
                int index = wbs.WbIndex[wbs.WbHead];
                int nr = wbs.WbPages[wbs.WbHead];
                wbs.WbHead = (wbs.WbHead + 1) % wbs.WbIndex.Length;
                wbs.WbCount--;
                done++;
                int zid = index < 0 ? -1 - index : node.ZoneIdOfIndex(index);
                node.Counters.Mod(NodeStatItem.NrWriteback, zid, -nr);
                node.Counters.Mod(NodeStatItem.NrWritten, zid, nr);
                if (index < 0) continue;
                if ((pages.Flags[index] & (uint)(PageFlags.Allocated | PageFlags.Writeback)) != (uint)(PageFlags.Allocated | PageFlags.Writeback))
                    continue; // freed by its owner while the write was in flight
                if ((pages.Flags[index] & (uint)PageFlags.SwapBacked) == 0) node.FlusherSt.BdiWritten += nr; // __wb_writeout_inc
                if (pages.Has(index, PageFlags.Reclaim))
                {
                    pages.Clear(index, PageFlags.Reclaim);
                    pages.Clear(index, PageFlags.Writeback);
                    LruCache.RotateReclaimable(node, 0, index);
                }
                else pages.Clear(index, PageFlags.Writeback);
            }
            return done;
        }

        /// <summary>Sleeps the reclaimer (congestion_wait, kswapd's nap): virtual time passes, the flusher works, writes
        /// complete and the workloads' accesses due meanwhile run (kswapd on the second CPU sleeps on its own time).</summary>
        internal static void Sleep(MemNode node, long ns) => Time.VirtualTime.Spend(node, ns);

        /// <summary>HZ/10 at CONFIG_HZ=250 (the arm64 default): the timeout reclaim passes to congestion_wait and
        /// wait_iff_congested.</summary>
        internal const long HzDiv10Ns = 100_000_000;

        /// <summary>kernel: congestion_wait (mm/backing-dev.c, 4.14): sleeps until clear_wb_congested wakes the queue or the
        /// timeout ends. The disk is a blk-mq device (virtio-blk), and blk-mq never marks a bdi congested nor clears it,
        /// so nothing wakes the sleeper early: it sleeps the whole timeout.</summary>
        internal static void CongestionWait(MemNode node, long timeoutNs) => Sleep(node, timeoutNs);

        /// <summary>kernel: wait_iff_congested (mm/backing-dev.c, 4.14): sleeps only while some bdi is congested
        /// (nr_wb_congested) and the node is flagged PGDAT_CONGESTED; otherwise it just yields. On the blk-mq disk no bdi is
        /// ever congested, so it returns at once.</summary>
        internal static void WaitIffCongested(MemNode node, long timeoutNs)
        {
            const int nrWbCongested = 0; // blk-mq: blk_set_congested is never called
            if (nrWbCongested == 0 || !node.WritebackSt.PgdatCongested) return;
            CongestionWait(node, timeoutNs);
        }

        /// <summary>NR_ZONE_WRITE_PENDING of a zone, counted from the page flags: page-cache pages dirtied with accounting
        /// (account_page_dirtied) and every page under writeback (test_set_page_writeback).</summary>
        internal static long ZoneWritePending(Zone zone)
        {
            var node = zone.NodeRef;
            var pages = node.Pages;
            var flags = pages.Flags;
            long n = 0;
            int end = node.ToIndex(zone.ZoneEndPfn - 1) + 1;
            for (int i = node.ToIndex(zone.ZoneStartPfn); i < end; i++)
            {
                uint f = flags[i];
                if ((f & (uint)PageFlags.Allocated) == 0) continue;
                int nr = 1 << pages.OrderOf(i);
                if ((f & (uint)PageFlags.Writeback) != 0 || (f & (uint)(PageFlags.Dirty | PageFlags.SwapBacked)) == (uint)PageFlags.Dirty) n += nr;
                i += nr - 1;
            }
            return n;
        }

        /// <summary>A dirty page-cache page with no write under way.</summary>
        private static bool IsDirtyPageCache(uint f) =>
            (f & (uint)PageFlags.Dirty) != 0 && (f & (uint)(PageFlags.Writeback | PageFlags.SwapBacked)) == 0;

        /// <summary>Starts writeback of up to <paramref name="max"/> dirty page-cache pages, as the flushers find them
        /// through the files' mappings: on each memcg's file and unevictable lists (from the tail, oldest first, when
        /// <paramref name="oldestFirst"/>), then those still queued in lru_add pagevecs. Each write completes after
        /// <see cref="LatencyNs"/>, or, <paramref name="throughDevice"/>, when the flusher's modelled device gets to it.
        /// Returns the pages started.</summary>
        internal static long StartDirtyPageCache(MemNode node, long max, bool oldestFirst, bool throughDevice)
        {
            var pages = node.Pages;
            long started = 0;
            for (int memcg = 0; memcg < MemNode.MaxLruvecs && started < max; memcg++)
            {
                if (memcg > 0 && node.MemcgSt.Memcgs[memcg] == null) continue;
                for (int lru = (int)LruList.InactiveFile; lru <= (int)LruList.Unevictable && started < max; lru++)
                {
                    int head = Lru.Head(node, memcg, lru);
                    for (int p = oldestFirst ? pages.Prev(head) : pages.Next(head); p != head && started < max; p = oldestFirst ? pages.Prev(p) : pages.Next(p))
                        if (IsDirtyPageCache(pages.Flags[p])) started += StartOne(node, p, throughDevice);
                }
            }
            const uint queued = (uint)(PageFlags.LruAddQueued | PageFlags.Allocated);
            foreach (var pv in node.LruvecSt.Pvecs)
                for (int i = 0; i < pv.AddN && started < max; i++)
                {
                    int p = pv.Add[i];
                    if (p >= 0 && (pages.Flags[p] & queued) == queued && IsDirtyPageCache(pages.Flags[p])) started += StartOne(node, p, throughDevice);
                }
            return started;
        }

        private static int StartOne(MemNode node, int page, bool throughDevice)
        {
            int nr = 1 << node.Pages.OrderOf(page);
            if (throughDevice) Start(node, page, Flusher.QueueOnDevice(node, nr));
            else Start(node, page);
            return nr;
        }

        /// <summary>kernel: wakeup_flusher_threads(WB_REASON_VMSCAN) (fs/fs-writeback.c, 4.14): the flushers write back
        /// every dirty page-cache page of the node (nr_pages 0 means all).</summary>
        internal static long WakeupFlusher(MemNode node)
        {
            if (node.Counters[NodeStatItem.NrFileDirty] <= 0) return 0;
            long started = StartDirtyPageCache(node, long.MaxValue, oldestFirst: false, throughDevice: false);
            node.FlusherSt.PagesVmscan += started;
            Flusher.Reconcile(node);
            return started;
        }
    }
}
