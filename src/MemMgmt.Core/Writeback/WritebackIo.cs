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
            int nr = 1 << pages.Order[index];
            if (pages.Has(index, PageFlags.Dirty))
            {
                pages.Clear(index, PageFlags.Dirty);
                if (!pages.Has(index, PageFlags.SwapBacked)) c.Mod(NodeStatItem.NrFileDirty, -nr);
            }
            pages.Set(index, PageFlags.Writeback);
            c.Mod(NodeStatItem.NrWriteback, nr);
            c.Count(VmEvent.PgpgOut, nr);
            node.WritebackSt.QueueWriteback(index, nr, doneNs);
        }

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
                node.Counters.Mod(NodeStatItem.NrWriteback, -nr);
                node.Counters.Mod(NodeStatItem.NrWritten, nr);
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
        /// complete and the workloads' accesses due meanwhile run.</summary>
        internal static void Sleep(MemNode node, long ns) => Time.VirtualTime.Pass(node, ns);

        /// <summary>kernel: congestion_wait / wait_iff_congested (mm/backing-dev.c, 4.14): the reclaimer sleeps until the
        /// device makes progress (clear_wb_congested wakes the waiters as writes complete) or the timeout ends. With no
        /// write in flight no device is congested (nr_wb_congested is 0), so there is nothing to wait for.</summary>
        internal static void WaitCongested(MemNode node, long timeoutNs)
        {
            var wbs = node.WritebackSt;
            if (wbs.WbCount == 0) return;
            long now = node.Clock.NowNs;
            long until = Math.Min(now + timeoutNs, wbs.WbDoneNs[wbs.WbHead]);
            if (until > now) Sleep(node, until - now);
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
                    for (int p = oldestFirst ? pages.Prev[head] : pages.Next[head]; p != head && started < max; p = oldestFirst ? pages.Prev[p] : pages.Next[p])
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
            int nr = 1 << node.Pages.Order[page];
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
