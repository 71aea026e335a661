using System;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Sysctl;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Workloads;

namespace MemMgmt.Core.Writeback
{
    /// <summary>The dirty limits and the throttling of writers (mm/page-writeback.c, 4.14). The simulated machine has one
    /// backing device with one bdi_writeback and no cgroup writeback domains, so the global domain is the node's and
    /// the per-wb share of every threshold is the whole threshold.</summary>
    public static class PageWriteback
    {
        /// <summary>Write bandwidth of the modelled backing device (an eMMC-class flash): the flusher's writes complete at
        /// this rate, and balance_dirty_pages uses it as the wb's dirty_ratelimit (the steady state of one dirtier).</summary>
        public const long DeviceWriteBandwidthBytes = 50L << 20;
        /// <summary>MAX_PAUSE: a writer sleeps at most HZ/5 at a time.</summary>
        public const long MaxPauseNs = 200_000_000;
        /// <summary>One jiffy at CONFIG_HZ=250 (the arm64 default): the shortest pause worth sleeping.</summary>
        public const long JiffyNs = 4_000_000;
        /// <summary>RATELIMIT_CALC_SHIFT: the fixed-point shift of pos_ratio.</summary>
        public const int RatelimitCalcShift = 10;

        /// <summary>kernel: global_dirtyable_memory (mm/page-writeback.c, 4.14): free pages less totalreserve_pages (never
        /// below 0), plus the file LRUs, plus one so it is never 0 (no highmem on arm64, so nothing is excluded).</summary>
        public static long GlobalDirtyableMemory(MemNode node)
        {
            if (node == null) throw new ArgumentNullException(nameof(node));
            long x = node.FreePages;
            x -= Math.Min(x, NodeViews.TotalReservePages(node));
            x += node.Counters[NodeStatItem.NrInactiveFile];
            x += node.Counters[NodeStatItem.NrActiveFile];
            return x + 1;
        }

        /// <summary>kernel: domain_dirty_limits (mm/page-writeback.c, 4.14) for the global domain: bytes settings win over
        /// ratios (rounded up to pages); ratios are first turned into parts per PAGE_SIZE, as the kernel does for
        /// precision; background is halved from the limit when it reaches it. The rt-task boost does not apply.</summary>
        public static void DomainDirtyLimits(long available, int dirtyRatio, int backgroundRatio, long dirtyBytes,
            long backgroundBytes, int pageSize, out long backgroundThresh, out long thresh)
        {
            long ratio = (long)dirtyRatio * pageSize / 100;
            long bgRatio = (long)backgroundRatio * pageSize / 100;
            thresh = dirtyBytes != 0 ? DivRoundUp(dirtyBytes, pageSize) : ratio * available / pageSize;
            backgroundThresh = backgroundBytes != 0 ? DivRoundUp(backgroundBytes, pageSize) : bgRatio * available / pageSize;
            if (backgroundThresh >= thresh) backgroundThresh = thresh / 2;
        }

        /// <summary>kernel: global_dirty_limits (mm/page-writeback.c, 4.14): the thresholds /proc/vmstat shows as
        /// nr_dirty_background_threshold and nr_dirty_threshold.</summary>
        public static void GlobalDirtyLimits(MemNode node, out long backgroundThresh, out long thresh)
        {
            var s = node.Sysctl;
            DomainDirtyLimits(GlobalDirtyableMemory(node), s.DirtyRatio, s.DirtyBackgroundRatio, s.DirtyBytes,
                s.DirtyBackgroundBytes, node.Geometry.PageSize, out backgroundThresh, out thresh);
        }

        /// <summary>kernel: wb_over_bg_thresh (mm/page-writeback.c, 4.14): dirty page cache (not counting pages already
        /// under writeback) above the background threshold. With a single wb its share of the threshold is all of it,
        /// so the per-wb test gives the same answer.</summary>
        public static bool WbOverBgThresh(MemNode node)
        {
            GlobalDirtyLimits(node, out long bg, out _);
            return node.Counters[NodeStatItem.NrFileDirty] > bg;
        }

        /// <summary>kernel: dirty_freerun_ceiling (mm/page-writeback.c, 4.14): below the midpoint of the two thresholds
        /// writers are never throttled.</summary>
        public static long DirtyFreerunCeiling(long thresh, long backgroundThresh) => (thresh + backgroundThresh) / 2;

        /// <summary>kernel: pos_ratio_polynom (mm/page-writeback.c, 4.14): 1 + ((setpoint − dirty)/(limit − setpoint))³ in
        /// 1/1024 units, clamped to 0..2.</summary>
        public static long PosRatioPolynom(long setpoint, long dirty, long limit)
        {
            long x = ((setpoint - dirty) << RatelimitCalcShift) / ((limit - setpoint) | 1);
            long pos = x;
            pos = pos * x >> RatelimitCalcShift;
            pos = pos * x >> RatelimitCalcShift;
            pos += 1 << RatelimitCalcShift;
            return Math.Max(0, Math.Min(pos, 2L << RatelimitCalcShift));
        }

        /// <summary>kernel: wb_position_ratio (mm/page-writeback.c, 4.14), its global control line only: 0 at or above the
        /// limit, else the cubic around setpoint = (freerun + limit) / 2. The per-wb line is 1 with a single wb.</summary>
        public static long PositionRatio(long dirty, long thresh, long backgroundThresh)
        {
            long freerun = DirtyFreerunCeiling(thresh, backgroundThresh);
            long limit = thresh; // hard_dirty_limit: the domain's dirty_limit follows thresh in the model
            if (dirty >= limit) return 0;
            long setpoint = (freerun + limit) / 2;
            return PosRatioPolynom(setpoint, dirty, limit);
        }

        /// <summary>Dirty plus writeback pages at or above the dirty limit (pos_ratio 0: the writer may not continue).</summary>
        internal static bool OverDirtyLimit(MemNode node)
        {
            GlobalDirtyLimits(node, out _, out long thresh);
            return node.Counters[NodeStatItem.NrFileDirty] + node.Counters[NodeStatItem.NrWriteback] >= thresh;
        }

        private static long DivRoundUp(long n, long d) => (n + d - 1) / d;

        /// <summary>The device bandwidth in pages per second.</summary>
        internal static long BandwidthPages(MemNode node) => DeviceWriteBandwidthBytes / node.Geometry.PageSize;

        /// <summary>kernel: balance_dirty_pages (mm/page-writeback.c, 4.14), simplified rate model: after a writer dirtied
        /// pages, below the freerun ceiling nothing happens; above it background writeback is started if it is not
        /// running, and the writer pauses for pages_dirtied / task_ratelimit (dirty_ratelimit scaled by pos_ratio), less the
        /// time since its last pause, at most MAX_PAUSE; at or above the limit it pauses MAX_PAUSE. Finally background
        /// writeback starts once dirty page cache exceeds the background threshold. Returns the pause in ns.</summary>
        internal static long BalanceDirtyPages(MemNode node, WorkingSet ws)
        {
            var c = node.Counters;
            long now = node.Clock.NowNs;
            long nrReclaimable = c[NodeStatItem.NrFileDirty];
            GlobalDirtyLimits(node, out long bg, out long thresh);
            long dirty = nrReclaimable + c[NodeStatItem.NrWriteback];
            long pause = 0;
            if (dirty <= DirtyFreerunCeiling(thresh, bg))
            {
                ws.DirtyPausedWhenNs = now;
                ws.NrDirtied = 0;
            }
            else
            {
                if (!Flusher.WritebackInProgress(node)) Flusher.StartBackgroundWriteback(node);
                long posRatio = PositionRatio(dirty, thresh, bg);
                long dirtyRatelimit = BandwidthPages(node); // pages per second
                long taskRatelimit = dirtyRatelimit * posRatio >> RatelimitCalcShift;
                long period;
                if (taskRatelimit == 0)
                {
                    period = pause = MaxPauseNs;
                }
                else
                {
                    period = ws.NrDirtied * 1_000_000_000L / taskRatelimit;
                    pause = period;
                    if (ws.DirtyPausedWhenNs != 0) pause -= now - ws.DirtyPausedWhenNs;
                    if (pause < JiffyNs)
                    {
                        // Too short to sleep: credit the period to the writer's clock instead (or restart it when the
                        // writer was idle for over a second).
                        Trace(node, thresh, bg, dirty, dirtyRatelimit, taskRatelimit, ws, period, 0);
                        if (pause < -1_000_000_000L) { ws.DirtyPausedWhenNs = now; ws.NrDirtied = 0; }
                        else if (period != 0) { ws.DirtyPausedWhenNs += period; ws.NrDirtied = 0; }
                        pause = 0;
                        goto done;
                    }
                    if (pause > MaxPauseNs) pause = MaxPauseNs;
                }
                Trace(node, thresh, bg, dirty, dirtyRatelimit, taskRatelimit, ws, period, pause);
                ws.DirtyPausedWhenNs = now + pause;
                ws.NrDirtied = 0;
                ws.BalanceDirtyPagesPauses++;
                ws.ThrottledNs += pause;
            }
        done:
            if (!Flusher.WritebackInProgress(node) && nrReclaimable > bg) Flusher.StartBackgroundWriteback(node);
            return pause;
        }

        /// <summary>The balance_dirty_pages tracepoint (include/trace/events/writeback.h, 4.14); ratelimits in KB/s, times
        /// in ms. With one wb the bdi columns repeat the global ones.</summary>
        private static void Trace(MemNode node, long thresh, long bg, long dirty, long dirtyRatelimit, long taskRatelimit,
            WorkingSet ws, long periodNs, long pauseNs)
        {
            if (!node.Trace.Enabled) return;
            long freerun = DirtyFreerunCeiling(thresh, bg);
            long setpoint = (freerun + thresh) / 2;
            long kb = node.Geometry.PageSize / 1024;
            long thinkMs = ws.DirtyPausedWhenNs == 0 ? 0 : (node.Clock.NowNs - ws.DirtyPausedWhenNs) / 1_000_000;
            node.Trace.Record(node, TraceEventId.balance_dirty_pages, thresh, setpoint, dirty, dirtyRatelimit * kb, taskRatelimit * kb,
                ws.NrDirtied, TraceRecord.Pack(pauseNs / 1_000_000, periodNs / 1_000_000), thinkMs);
        }
    }
}
