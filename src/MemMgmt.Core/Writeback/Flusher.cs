using System;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Writeback;

namespace MemMgmt.Core.Writeback
{
    /// <summary>What the flusher is doing: the work wb_do_writeback picked (kernel names of the writeback reasons).</summary>
    public enum FlusherWork
    {
        /// <summary>Asleep, or woken with nothing picked yet.</summary>
        None,
        /// <summary>wb_check_old_data_flush: kupdate-style writeback of pages dirtied longer than dirty_expire_centisecs ago.</summary>
        Periodic,
        /// <summary>wb_check_background_flush: writeback until dirty page cache is below the background threshold.</summary>
        Background,
    }

    /// <summary>State of the bdi_writeback and its delayed work (wb->dwork).</summary>
    internal sealed class FlusherState
    {
        /// <summary>wb_workfn is queued or running (WB_writeback_running for writeback_in_progress).</summary>
        internal bool Running;
        /// <summary>wb_wakeup_delayed armed the delayed work for TimerNs.</summary>
        internal bool TimerArmed;
        internal long TimerNs;
        /// <summary>wb->last_old_flush (boot: 0).</summary>
        internal long LastOldFlushNs;
        internal FlusherWork Work;
        /// <summary>When the flusher may submit its next chunk (the device queue holds at most about one chunk).</summary>
        internal long NextSubmitNs;
        /// <summary>When the device finishes the writes queued so far.</summary>
        internal long DeviceFreeNs;

        /// <summary>The b_dirty list in dirtied_when order, kept as epochs (time a batch of dirty pages was first seen,
        /// pages still dirty from it). Pages cleaned by anyone are taken from the oldest epoch.</summary>
        internal long[] EpochNs = new long[64];
        internal long[] EpochPages = new long[64];
        internal int EpochHead, EpochCount;
        internal long EpochTotal;

        internal long Wakeups, BackgroundStarts, PagesBackground, PagesPeriodic, PagesVmscan;
        /// <summary>WB_WRITTEN: page-cache pages whose writeback completed (swap writes go to the swap device's bdi).</summary>
        internal long BdiWritten;
        /// <summary>nr_dirty when a background writeback run began last (−1 never).</summary>
        internal long LastBackgroundStartDirty = -1;

        internal FlusherState Clone()
        {
            var c = (FlusherState)MemberwiseClone();
            c.EpochNs = (long[])EpochNs.Clone();
            c.EpochPages = (long[])EpochPages.Clone();
            return c;
        }

        internal void Write(SnapshotWriter w)
        {
            w.Bool(Running); w.Bool(TimerArmed); w.Long(TimerNs); w.Long(LastOldFlushNs); w.Int((int)Work); w.Long(NextSubmitNs);
            w.Long(DeviceFreeNs); w.Array(EpochNs); w.Array(EpochPages); w.Int(EpochHead); w.Int(EpochCount); w.Long(EpochTotal);
            w.Long(Wakeups); w.Long(BackgroundStarts); w.Long(PagesBackground); w.Long(PagesPeriodic); w.Long(PagesVmscan);
            w.Long(BdiWritten); w.Long(LastBackgroundStartDirty);
        }

        internal static FlusherState Read(SnapshotReader r)
        {
            var s = new FlusherState
            {
                Running = r.Bool(), TimerArmed = r.Bool(), TimerNs = r.Long(), LastOldFlushNs = r.Long(),
                Work = (FlusherWork)r.Int(0, (int)FlusherWork.Background), NextSubmitNs = r.Long(), DeviceFreeNs = r.Long(),
                EpochNs = r.Array<long>(), EpochPages = r.Array<long>(),
            };
            if (s.EpochPages.Length != s.EpochNs.Length || s.EpochNs.Length == 0)
                throw new SnapshotFormatException("flusher epoch arrays differ in length");
            s.EpochHead = r.Int(0, s.EpochNs.Length - 1); s.EpochCount = r.Int(0, s.EpochNs.Length); s.EpochTotal = r.Long();
            s.Wakeups = r.Long(); s.BackgroundStarts = r.Long(); s.PagesBackground = r.Long(); s.PagesPeriodic = r.Long();
            s.PagesVmscan = r.Long(); s.BdiWritten = r.Long(); s.LastBackgroundStartDirty = r.Long();
            return s;
        }
    }

    /// <summary>What the flusher has done on a node (read-only snapshot).</summary>
    public sealed class FlusherStats
    {
        internal FlusherStats(MemNode node, FlusherState s)
        {
            Node = node;
            Running = s.Running;
            Work = s.Work;
            TimerArmed = s.TimerArmed;
            TimerNs = s.TimerNs;
            Wakeups = s.Wakeups;
            BackgroundStarts = s.BackgroundStarts;
            PagesBackground = s.PagesBackground;
            PagesPeriodic = s.PagesPeriodic;
            PagesVmscan = s.PagesVmscan;
            LastBackgroundStartDirty = s.LastBackgroundStartDirty;
        }

        public MemNode Node { get; }
        public bool Running { get; }
        public FlusherWork Work { get; }
        public bool TimerArmed { get; }
        public long TimerNs { get; }
        /// <summary>wb_workfn runs.</summary>
        public long Wakeups { get; }
        /// <summary>Background writeback runs begun (WB_REASON_BACKGROUND).</summary>
        public long BackgroundStarts { get; }
        public long PagesBackground { get; }
        /// <summary>Pages written by kupdate-style writeback (WB_REASON_PERIODIC).</summary>
        public long PagesPeriodic { get; }
        /// <summary>Pages written after wakeup_flusher_threads(WB_REASON_VMSCAN).</summary>
        public long PagesVmscan { get; }
        /// <summary>nr_dirty when the last background run began; −1 if none has.</summary>
        public long LastBackgroundStartDirty { get; }
    }

    /// <summary>The flusher (fs/fs-writeback.c wb_workfn, 4.14) in virtual time: woken by balance_dirty_pages over the
    /// background threshold, and every dirty_writeback_centisecs while dirty pages exist (wb_wakeup_delayed). It writes
    /// in MIN_WRITEBACK_PAGES chunks as the modelled device accepts them. Dirty age is kept per batch of dirtying
    /// (like inode->dirtied_when), not per page, so the page map stays at its size.</summary>
    public static class Flusher
    {
        public static FlusherStats GetStats(MemNode node)
        {
            if (node == null) throw new ArgumentNullException(nameof(node));
            return new FlusherStats(node, node.FlusherSt);
        }

        /// <summary>MIN_WRITEBACK_PAGES: 4 MiB of pages.</summary>
        internal static int ChunkPages(MemNode node) => Math.Max(1, (4 << 20) / node.Geometry.PageSize);

        private static long PageNs(MemNode node) => 1_000_000_000L / PageWriteback.BandwidthPages(node);

        private static long IntervalNs(MemNode node) => node.Sysctl.DirtyWritebackCentisecs * 10_000_000L;

        /// <summary>kernel: writeback_in_progress (include/linux/backing-dev.h, 4.14).</summary>
        internal static bool WritebackInProgress(MemNode node) => node.FlusherSt.Running;

        /// <summary>kernel: wb_start_background_writeback (fs/fs-writeback.c, 4.14): wake the flusher; it decides in
        /// wb_check_background_flush.</summary>
        internal static void StartBackgroundWriteback(MemNode node)
        {
            Reconcile(node);
            var s = node.FlusherSt;
            if (s.Running) return;
            s.Running = true;
            s.Wakeups++;
            s.NextSubmitNs = Math.Max(s.NextSubmitNs, node.Clock.NowNs);
        }

        /// <summary>Brings the dirtied_when epochs in line with nr_dirty: new dirty pages join an epoch stamped now; pages
        /// cleaned since leave the oldest ones. The first dirty page arms the periodic wakeup (__mark_inode_dirty's
        /// wb_wakeup_delayed).</summary>
        internal static void Reconcile(MemNode node)
        {
            var s = node.FlusherSt;
            long dirty = node.Counters[NodeStatItem.NrFileDirty];
            long now = node.Clock.NowNs;
            if (dirty > s.EpochTotal)
            {
                long add = dirty - s.EpochTotal;
                int last = (s.EpochHead + s.EpochCount - 1) % s.EpochNs.Length;
                if (s.EpochCount > 0 && (s.EpochNs[last] == now || s.EpochCount == s.EpochNs.Length)) s.EpochPages[last] += add;
                else
                {
                    int slot = (s.EpochHead + s.EpochCount) % s.EpochNs.Length;
                    s.EpochNs[slot] = now;
                    s.EpochPages[slot] = add;
                    s.EpochCount++;
                }
                s.EpochTotal = dirty;
            }
            while (s.EpochTotal > dirty)
            {
                long take = Math.Min(s.EpochPages[s.EpochHead], s.EpochTotal - dirty);
                s.EpochPages[s.EpochHead] -= take;
                s.EpochTotal -= take;
                if (s.EpochPages[s.EpochHead] == 0) { s.EpochHead = (s.EpochHead + 1) % s.EpochNs.Length; s.EpochCount--; }
            }
            if (dirty > 0 && !s.Running && !s.TimerArmed && node.Sysctl.DirtyWritebackCentisecs != 0)
            {
                s.TimerArmed = true;
                s.TimerNs = now + IntervalNs(node);
            }
        }

        /// <summary>Dirty pages first seen at or before <paramref name="cutoffNs"/> (inodes the kupdate pass would pick).</summary>
        internal static long ExpiredPages(MemNode node, long cutoffNs)
        {
            var s = node.FlusherSt;
            long n = 0;
            for (int i = 0; i < s.EpochCount; i++)
            {
                int slot = (s.EpochHead + i) % s.EpochNs.Length;
                if (s.EpochNs[slot] > cutoffNs) break;
                n += s.EpochPages[slot];
            }
            return n;
        }

        /// <summary>Runs the flusher and completes writeback while the node's clock moves to <paramref name="untilNs"/>
        /// (WritebackIo.Sleep goes through here, so every wait in virtual time lets the flusher work).</summary>
        internal static void Advance(MemNode node, long untilNs)
        {
            var s = node.FlusherSt;
            var clock = node.Clock;
            for (int guard = 0; guard < 1_000_000; guard++)
            {
                Reconcile(node);
                long now = clock.NowNs;
                if (s.Running && s.NextSubmitNs <= now)
                {
                    DoWork(node);
                    continue;
                }
                // Completions in between need no stop of their own: the flusher looks at the counters only when it
                // runs, and everything due is completed before it does.
                long e = s.Running ? s.NextSubmitNs : s.TimerArmed ? s.TimerNs : long.MaxValue;
                if (e > untilNs) break;
                if (e > now) clock.Advance(e - now);
                WritebackIo.CompleteDue(node);
                if (!s.Running && s.TimerArmed && s.TimerNs <= clock.NowNs)
                {
                    // The delayed work fires: wb_workfn.
                    s.TimerArmed = false;
                    s.Running = true;
                    s.Wakeups++;
                    s.NextSubmitNs = clock.NowNs;
                }
            }
            if (clock.NowNs < untilNs) clock.Advance(untilNs - clock.NowNs);
            WritebackIo.CompleteDue(node);
        }

        /// <summary>kernel: wb_do_writeback (fs/fs-writeback.c, 4.14), one chunk at a time: the periodic check
        /// (wb_check_old_data_flush) first, then the background check (wb_check_background_flush); when neither has
        /// work, wb_workfn ends and re-arms the delayed work if dirty pages remain.</summary>
        private static void DoWork(MemNode node)
        {
            var s = node.FlusherSt;
            long now = node.Clock.NowNs;
            int chunk = ChunkPages(node);
            if (s.Work == FlusherWork.None)
            {
                long interval = IntervalNs(node);
                if (interval != 0 && now >= s.LastOldFlushNs + interval)
                {
                    s.LastOldFlushNs = now;
                    if (node.Counters[NodeStatItem.NrFileDirty] > 0) s.Work = FlusherWork.Periodic;
                }
                if (s.Work == FlusherWork.None && PageWriteback.WbOverBgThresh(node))
                {
                    s.Work = FlusherWork.Background;
                    s.BackgroundStarts++;
                    s.LastBackgroundStartDirty = node.Counters[NodeStatItem.NrFileDirty];
                }
                if (s.Work == FlusherWork.None) { Finish(node); return; }
            }
            long nr = chunk;
            if (s.Work == FlusherWork.Periodic)
                nr = Math.Min(nr, ExpiredPages(node, now - node.Sysctl.DirtyExpireCentisecs * 10_000_000L));
            else if (!PageWriteback.WbOverBgThresh(node)) nr = 0;
            if (nr <= 0)
            {
                // This work is done; the next call checks for the other kind (kupdate is not due again).
                bool wasPeriodic = s.Work == FlusherWork.Periodic;
                s.Work = FlusherWork.None;
                if (!wasPeriodic) Finish(node);
                return;
            }
            long written = WritePages(node, nr);
            if (s.Work == FlusherWork.Periodic) s.PagesPeriodic += written; else s.PagesBackground += written;
            if (written == 0) { s.Work = FlusherWork.None; Finish(node); return; }
            s.NextSubmitNs = Math.Max(now + 1, s.DeviceFreeNs - chunk * PageNs(node));
        }

        /// <summary>End of wb_workfn: wb_wakeup_delayed when the wb still has dirty pages and periodic writeback is on.</summary>
        private static void Finish(MemNode node)
        {
            var s = node.FlusherSt;
            s.Running = false;
            s.Work = FlusherWork.None;
            if (node.Counters[NodeStatItem.NrFileDirty] > 0 && node.Sysctl.DirtyWritebackCentisecs != 0)
            {
                s.TimerArmed = true;
                s.TimerNs = node.Clock.NowNs + IntervalNs(node);
            }
            else s.TimerArmed = false;
        }

        /// <summary>Starts writeback of up to <paramref name="max"/> dirty page-cache pages, oldest first, each completing
        /// when the device has written it.</summary>
        private static long WritePages(MemNode node, long max) => WritebackIo.StartDirtyPageCache(node, max, oldestFirst: true, throughDevice: true);

        /// <summary>Queues <paramref name="nrPages"/> on the modelled device behind the writes already there; returns when
        /// they are written (never sooner than the write latency).</summary>
        internal static long QueueOnDevice(MemNode node, int nrPages)
        {
            var s = node.FlusherSt;
            long now = node.Clock.NowNs;
            s.DeviceFreeNs = Math.Max(now, s.DeviceFreeNs) + nrPages * PageNs(node);
            return Math.Max(now + WritebackIo.LatencyNs, s.DeviceFreeNs);
        }
    }
}
