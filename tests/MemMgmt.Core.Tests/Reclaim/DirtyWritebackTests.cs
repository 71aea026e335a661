using System;
using System.Collections.Generic;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Sysctl;
using MemMgmt.Core.Time;
using MemMgmt.Core.Workloads;
using Xunit;
using MemMgmt.Core.Writeback;

namespace MemMgmt.Core.Tests.Reclaim
{
    /// <summary>domain_dirty_limits, global_dirtyable_memory and pos_ratio_polynom against the kernel's integer arithmetic.</summary>
    public class DirtyLimitFormulaTests
    {
        [Theory]
        // avail, ratio, bg ratio, bytes, bg bytes, page size → bg thresh, thresh
        // Ratios become parts per PAGE_SIZE first: 20% of 4096 is 819, so the limit is 819·avail/4096, not avail/5.
        [InlineData(100000, 20, 10, 0, 0, 4096, 9985, 19995)]
        [InlineData(100000, 20, 10, 0, 0, 65536, 9999, 19999)]
        [InlineData(100000, 20, 10, 0, 0, 16384, 9997, 19995)]
        // Bytes win over the ratio, rounded up to whole pages.
        [InlineData(100000, 0, 10, 104857600, 0, 4096, 9985, 25600)]
        [InlineData(100000, 20, 0, 0, 10000, 4096, 3, 19995)]
        // A background threshold at or above the limit is halved from the limit.
        [InlineData(100000, 10, 50, 0, 0, 4096, 4992, 9985)]
        [InlineData(100000, 0, 10, 40960, 0, 4096, 5, 10)]
        [InlineData(100000, 0, 0, 0, 0, 4096, 0, 0)]
        [InlineData(1, 20, 10, 0, 0, 4096, 0, 0)]
        public void DomainDirtyLimitsVectors(long avail, int ratio, int bgRatio, long bytes, long bgBytes, int pageSize, long bg, long thresh)
        {
            PageWriteback.DomainDirtyLimits(avail, ratio, bgRatio, bytes, bgBytes, pageSize, out long b, out long t);
            Assert.Equal(thresh, t);
            Assert.Equal(bg, b);
        }

        [Theory]
        [InlineData(1000, 1000, 1100, 1024)]   // at the setpoint: 1.0
        [InlineData(1000, 900, 1100, 2015)]    // x = 102400/101 = 1013; 1013³ >> 20 = 991; + 1024
        [InlineData(1000, 1050, 1100, 900)]    // x = −506; (−506)³ >> 20 rounds down to −124
        [InlineData(1000, 0, 1100, 2048)]      // clamped at 2.0
        [InlineData(1000, 1099, 1100, 62)]     // x = −1003; 1003² >> 10 = 982; 982·−1003 >> 10 = −962; + 1024
        [InlineData(1000, 1300, 1100, 0)]      // beyond the limit the cube passes −1.0: clamped at 0
        public void PosRatioPolynomVectors(long setpoint, long dirty, long limit, long expected)
        {
            Assert.Equal(expected, PageWriteback.PosRatioPolynom(setpoint, dirty, limit));
        }

        [Fact]
        public void PositionRatioIsZeroAtTheLimitAndOneAtTheSetpoint()
        {
            // thresh 1000, bg 500: freerun 750, setpoint (750 + 1000) / 2 = 875.
            Assert.Equal(750, PageWriteback.DirtyFreerunCeiling(1000, 500));
            Assert.Equal(0, PageWriteback.PositionRatio(1000, 1000, 500));
            Assert.Equal(0, PageWriteback.PositionRatio(1200, 1000, 500));
            Assert.Equal(1024, PageWriteback.PositionRatio(875, 1000, 500));
            Assert.True(PageWriteback.PositionRatio(800, 1000, 500) > 1024);
        }

        /// <summary>global_dirtyable_memory is free less totalreserve_pages plus the file LRUs plus one, and the vmstat gauges
        /// show global_dirty_limits of it, in 4.14's order right after nr_written.</summary>
        [Fact]
        public void DirtyableMemoryAndTheVmstatGauges()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, 20000);
            ReclaimTestKit.Fill(node, PageOwner.Anon, 10000);
            long free = node.FreePages;
            long reserve = NodeViews.TotalReservePages(node);
            Assert.True(reserve > 0);
            long file = node.Counters[NodeStatItem.NrInactiveFile] + node.Counters[NodeStatItem.NrActiveFile];
            Assert.True(file >= 20000 - 64); // pagevecs may hold a few
            long expected = free - Math.Min(free, reserve) + file + 1;
            Assert.Equal(expected, PageWriteback.GlobalDirtyableMemory(node));

            long ratio = 20 * 4096 / 100, bgRatio = 10 * 4096 / 100;
            var vm = NodeViews.VmStat(node);
            long Value(string name) { foreach (var e in vm.Entries) if (e.Name == name) return e.Value; throw new KeyNotFoundException(name); }
            Assert.Equal(ratio * expected / 4096, Value("nr_dirty_threshold"));
            Assert.Equal(bgRatio * expected / 4096, Value("nr_dirty_background_threshold"));
            var names = new List<string>();
            foreach (var e in vm.Entries) names.Add(e.Name);
            int i = names.IndexOf("nr_dirty_threshold");
            Assert.Equal("nr_written", names[i - 1]);
            Assert.Equal("nr_dirty_background_threshold", names[i + 1]);
            Assert.Equal("pgpgin", names[i + 2]);
        }
    }

    /// <summary>The vm.dirty_* sysctls: kernel ranges and the handlers that zero the ratio/bytes partner.</summary>
    public class DirtySysctlTests
    {
        private static MemNode Node() => new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB });

        [Fact]
        public void DefaultsAreTheKernels()
        {
            var n = Node();
            Assert.Equal("20", n.Sysctl.Read("vm.dirty_ratio"));
            Assert.Equal("10", n.Sysctl.Read("vm.dirty_background_ratio"));
            Assert.Equal("0", n.Sysctl.Read("vm.dirty_bytes"));
            Assert.Equal("0", n.Sysctl.Read("vm.dirty_background_bytes"));
            Assert.Equal("3000", n.Sysctl.Read("vm.dirty_expire_centisecs"));
            Assert.Equal("500", n.Sysctl.Read("vm.dirty_writeback_centisecs"));
        }

        [Fact]
        public void BytesAndRatioZeroEachOther()
        {
            var n = Node();
            VmSysctl.Write(n, "vm.dirty_bytes", "104857600");
            Assert.Equal("0", n.Sysctl.Read("dirty_ratio"));
            PageWriteback.GlobalDirtyLimits(n, out _, out long t);
            Assert.Equal(25600, t);
            // dirty_ratio_handler zeroes the bytes only when the ratio changes: writing the current 0 keeps them.
            VmSysctl.Write(n, "vm.dirty_ratio", "0");
            Assert.Equal("104857600", n.Sysctl.Read("dirty_bytes"));
            VmSysctl.Write(n, "vm.dirty_ratio", "30");
            Assert.Equal("0", n.Sysctl.Read("dirty_bytes"));
            Assert.Equal("30", n.Sysctl.Read("dirty_ratio"));
            VmSysctl.Write(n, "vm.dirty_bytes", "8192");
            Assert.Equal("0", n.Sysctl.Read("dirty_ratio"));
            PageWriteback.GlobalDirtyLimits(n, out long bg2, out long t2);
            Assert.Equal(2, t2);
            Assert.Equal(1, bg2); // 10% of dirtyable memory is far above 2 pages: halved from the limit
            // The background pair zero each other on every write.
            VmSysctl.Write(n, "vm.dirty_background_bytes", "1048576");
            Assert.Equal("0", n.Sysctl.Read("dirty_background_ratio"));
            VmSysctl.Write(n, "vm.dirty_background_ratio", "0");
            Assert.Equal("0", n.Sysctl.Read("dirty_background_bytes"));
        }

        [Theory]
        [InlineData("vm.dirty_ratio", "101", "SysctlValueOutOfRange")]
        [InlineData("vm.dirty_ratio", "-1", "SysctlValueOutOfRange")]
        [InlineData("vm.dirty_background_ratio", "101", "SysctlValueOutOfRange")]
        [InlineData("vm.dirty_bytes", "8191", "SysctlValueOutOfRange")]
        [InlineData("vm.dirty_bytes", "0", "SysctlValueOutOfRange")]
        [InlineData("vm.dirty_background_bytes", "0", "SysctlValueOutOfRange")]
        [InlineData("vm.dirty_expire_centisecs", "-1", "SysctlValueOutOfRange")]
        [InlineData("vm.dirty_writeback_centisecs", "-5", "SysctlValueOutOfRange")]
        [InlineData("vm.dirty_writeback_centisecs", "5s", "SysctlValueInvalid")]
        [InlineData("vm.dirty_bytes", "1 2", "SysctlValueInvalid")]
        public void BadValuesAreRejectedAndChangeNothing(string name, string value, string errorId)
        {
            var n = Node();
            VmSysctl.Write(n, "vm.dirty_background_bytes", "4096");
            var before = new List<string>();
            foreach (var e in VmSysctl.Entries) if (e.Name.StartsWith("dirty", StringComparison.Ordinal)) before.Add(n.Sysctl.Read(e.Name));
            var ex = Assert.Throws<MemMgmtException>(() => VmSysctl.Write(n, name, value));
            Assert.Equal(errorId, ex.ErrorId);
            Assert.Contains(name, ex.Message);
            int i = 0;
            foreach (var e in VmSysctl.Entries) if (e.Name.StartsWith("dirty", StringComparison.Ordinal)) Assert.Equal(before[i++], n.Sysctl.Read(e.Name));
        }

        [Fact]
        public void DirtyBytesMinimumIsTwoPagesOfTheNodesPageSize()
        {
            var n = new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB, PageSize = 16384 });
            var ex = Assert.Throws<MemMgmtException>(() => VmSysctl.Write(n, "vm.dirty_bytes", "16384"));
            Assert.Contains("32768", ex.Message);
            VmSysctl.Write(n, "vm.dirty_bytes", "32768");
            PageWriteback.GlobalDirtyLimits(n, out _, out long t);
            Assert.Equal(2, t);
        }
    }

    /// <summary>The flusher and balance_dirty_pages in virtual time.</summary>
    public class FlusherScenarioTests
    {
        private const long Ms10 = 10_000_000;

        private static MemNode Node()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 512 * NodeConfig.MiB, Seed = 3 });
            return node;
        }

        private static long Dirty(MemNode n) => n.Counters[NodeStatItem.NrFileDirty];
        private static long Wb(MemNode n) => n.Counters[NodeStatItem.NrWriteback];

        /// <summary>wait_iff_congested sleeps only while a device has writes in flight, and only until the first one
        /// completes: a node left flagged congested (kswapd has not balanced it) with nothing under writeback must not
        /// cost each direct reclaim HZ/10 of virtual time.</summary>
        [Fact]
        public void WaitIffCongestedSleepsOnlyWhileWritesAreInFlight()
        {
            var node = Node();
            ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            node.WritebackSt.PgdatCongested = true;
            long t0 = node.Clock.NowNs;
            for (int i = 0; i < 10; i++) Vmscan.TryToFreePages(node, 0, Allocation.GfpFlags.GFP_KERNEL);
            Assert.True(node.Clock.NowNs - t0 < 100_000_000, $"ten direct reclaims took {(node.Clock.NowNs - t0) / 1e6} ms");

            var r = Allocation.PageAllocator.Allocate(node, 0, Allocation.GfpFlags.GFP_HIGHUSER_MOVABLE | Allocation.GfpFlags.__GFP_MEMALLOC, 0, PageOwner.FileCache);
            Assert.True(r.Success);
            int page = node.Allocations.IndexOf(node.Allocations.Resolve(r.Handle));
            PageAccess.SetDirtyIndex(node, page);
            WritebackIo.Start(node, page); // done after LatencyNs
            long t1 = node.Clock.NowNs;
            WritebackIo.WaitCongested(node, 100_000_000);
            Assert.Equal(WritebackIo.LatencyNs, node.Clock.NowNs - t1);
            Assert.False(node.Pages.Has(page, PageFlags.Writeback));
        }

        /// <summary>A pageout queued after a flusher write the device will finish late completes at its own time: the
        /// writeback queue stays in completion order (end_page_writeback is per page, not FIFO across writers).</summary>
        [Fact]
        public void PageoutCompletesBeforeALaterFlusherWriteQueuedAheadOfIt()
        {
            var node = Node();
            var table = node.Allocations;
            int Page()
            {
                var r = Allocation.PageAllocator.Allocate(node, 0, Allocation.GfpFlags.GFP_HIGHUSER_MOVABLE, 0, PageOwner.FileCache);
                Assert.True(r.Success);
                int index = table.IndexOf(table.Resolve(r.Handle));
                PageAccess.SetDirtyIndex(node, index);
                return index;
            }
            int slow = Page(), fast = Page();
            WritebackIo.Start(node, slow, node.Clock.NowNs + 500_000_000); // behind a long device queue
            WritebackIo.Start(node, fast);                                   // pageout: done after LatencyNs
            WritebackIo.Sleep(node, 5 * Ms10);
            Assert.False(node.Pages.Has(fast, PageFlags.Writeback));
            Assert.True(node.Pages.Has(slow, PageFlags.Writeback));
            Assert.Equal(1, Wb(node));
            WritebackIo.Sleep(node, 50 * Ms10);
            Assert.False(node.Pages.Has(slow, PageFlags.Writeback));
            Assert.Equal(0, Wb(node));
        }

        /// <summary>Writing 30% of memory with the defaults: nothing is written while dirty pages stay at or below the
        /// background threshold, background writeback begins just above it, the writer runs free up to the freerun
        /// ceiling, is paused above it, and dirty plus writeback never pass the dirty limit.</summary>
        [Fact]
        public void WritingThirtyPercentStartsBackgroundAtTenAndThrottlesBelowTwenty()
        {
            var node = Node();
            var w = WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.Streaming, Owner = PageOwner.FileCache, Percent = 30, Write = true });
            bool started = false;
            long maxSum = 0, maxThresh = 0;
            for (int i = 0; i < 2000 && !w.Finished; i++)
            {
                PageWriteback.GlobalDirtyLimits(node, out long bg0, out long th0);
                long dirtyBefore = Dirty(node), pausesBefore = w.BalanceDirtyPagesPauses;
                long sumBefore = dirtyBefore + Wb(node);
                Daemons.Step(node, Ms10);
                PageWriteback.GlobalDirtyLimits(node, out long bg, out long th);
                if (!started)
                {
                    if (node.Counters[NodeStatItem.NrWritten] + Wb(node) > 0)
                    {
                        started = true;
                        // The step that started it took dirty pages past the background threshold.
                        Assert.True(Dirty(node) + Wb(node) > bg, $"writeback began at {Dirty(node) + Wb(node)} dirty, background threshold {bg}");
                        Assert.True(dirtyBefore <= bg0);
                        Assert.Equal(1, Flusher.GetStats(node).BackgroundStarts);
                        Assert.True(Flusher.GetStats(node).LastBackgroundStartDirty > bg);
                    }
                }
                if (sumBefore <= PageWriteback.DirtyFreerunCeiling(th0, bg0) - 256)
                    Assert.Equal(pausesBefore, w.BalanceDirtyPagesPauses); // free run
                maxSum = Math.Max(maxSum, Dirty(node) + Wb(node));
                maxThresh = Math.Max(maxThresh, th);
            }
            Assert.True(w.Finished);
            Assert.True(started);
            Assert.True(w.BalanceDirtyPagesPauses > 10, $"{w.BalanceDirtyPagesPauses} pauses");
            Assert.True(w.ThrottledNs > 0);
            Assert.True(w.ThrottledRounds > 0);
            PageWriteback.GlobalDirtyLimits(node, out long bgEnd, out long thEnd);
            Assert.True(maxSum <= maxThresh, $"dirty + writeback reached {maxSum}, limit {maxThresh}");
            Assert.True(maxSum > PageWriteback.DirtyFreerunCeiling(thEnd, bgEnd), $"the writer was throttled at {maxSum}");
            Assert.Equal(w.TargetPages, w.PagesDirtied);
            Assert.Equal(w.PagesDirtied, node.Counters[NodeStatItem.NrDirtied]);
            ReclaimTestKit.AssertClean(node);
        }

        private static long FirstWritebackNs(MemNode node, WorkingSet w)
        {
            long start = node.Clock.NowNs;
            for (int i = 0; i < 2000 && !w.Finished; i++)
            {
                Daemons.Step(node, Ms10);
                if (node.Counters[NodeStatItem.NrWritten] + Wb(node) > 0) return node.Clock.NowNs - start;
            }
            return long.MaxValue;
        }

        /// <summary>vm.dirty_background_ratio 5 starts background writeback at about half the dirty pages.</summary>
        [Fact]
        public void LowerBackgroundRatioStartsEarlier()
        {
            var a = Node();
            var wa = WorkingSets.Add(a, new WorkingSetOptions { Pattern = WorkingSetPattern.Streaming, Owner = PageOwner.FileCache, Percent = 30, Write = true });
            var b = Node();
            VmSysctl.Write(b, "vm.dirty_background_ratio", "5");
            var wb = WorkingSets.Add(b, new WorkingSetOptions { Pattern = WorkingSetPattern.Streaming, Owner = PageOwner.FileCache, Percent = 30, Write = true });
            long ta = FirstWritebackNs(a, wa), tb = FirstWritebackNs(b, wb);
            Assert.True(tb < ta, $"{tb} ns with 5%, {ta} ns with 10%");
            PageWriteback.GlobalDirtyLimits(b, out long bg, out _);
            Assert.True(Flusher.GetStats(b).LastBackgroundStartDirty > bg);
            Assert.True(Flusher.GetStats(b).LastBackgroundStartDirty < bg * 2);
        }

        /// <summary>Below the background threshold, pages are written by the periodic (kupdate) pass once older than
        /// dirty_expire_centisecs; with dirty_writeback_centisecs 0 never.</summary>
        [Fact]
        public void KupdateWritesExpiredPagesAfterThirtySeconds()
        {
            var node = Node();
            var w = WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.Streaming, Owner = PageOwner.FileCache, SizeBytes = 8 * NodeConfig.MiB, Write = true });
            Daemons.Step(node, 1_000_000_000);
            Assert.True(w.Finished);
            Assert.Equal(2048, Dirty(node));
            Daemons.Step(node, 28_000_000_000);
            Assert.Equal(0, node.Counters[NodeStatItem.NrWritten]);
            Assert.True(Flusher.GetStats(node).Wakeups >= 5); // every 5 s, nothing expired yet
            Daemons.Step(node, 7_000_000_000);
            Assert.Equal(2048, node.Counters[NodeStatItem.NrWritten]);
            Assert.Equal(0, Dirty(node));
            Assert.Equal(2048, Flusher.GetStats(node).PagesPeriodic);
            Assert.Equal(0, Flusher.GetStats(node).PagesBackground);
            Assert.False(Flusher.GetStats(node).TimerArmed); // clean: nothing re-arms the delayed work

            var off = Node();
            VmSysctl.Write(off, "vm.dirty_writeback_centisecs", "0");
            WorkingSets.Add(off, new WorkingSetOptions { Pattern = WorkingSetPattern.Streaming, Owner = PageOwner.FileCache, SizeBytes = 8 * NodeConfig.MiB, Write = true });
            Daemons.Step(off, 60_000_000_000);
            Assert.Equal(2048, Dirty(off));
            Assert.Equal(0, off.Counters[NodeStatItem.NrWritten]);
        }

        /// <summary>Write applies only to page cache.</summary>
        [Fact]
        public void WriteNeedsFileCache()
        {
            var node = Node();
            var ex = Assert.Throws<MemMgmtException>(() => WorkingSets.Add(node, new WorkingSetOptions { Owner = PageOwner.Anon, Percent = 1, Write = true }));
            Assert.Equal("ContradictoryWorkingSetOptions", ex.ErrorId);
            Assert.Empty(WorkingSets.Get(node));
            Assert.Equal(0, node.Counters[NodeStatItem.NrFilePages]);
        }

        /// <summary>A HotSet writer rewrites its pages each round: dirtying an already dirty page counts nothing.</summary>
        [Fact]
        public void HotSetWriterDirtiesEachPageOnce()
        {
            var node = Node();
            var w = WorkingSets.Add(node, new WorkingSetOptions { Owner = PageOwner.FileCache, SizeBytes = 4 * NodeConfig.MiB, Write = true });
            Daemons.Step(node, 100_000_000);
            Assert.Equal(1024, w.PagesDirtied);
            Assert.Equal(1024, Dirty(node));
            Assert.Equal(0, w.BalanceDirtyPagesPauses);
        }

        /// <summary>shrink_inactive_list on a node full of dirty page cache: every taken page is dirty and unqueued, so
        /// the flushers are woken (WB_REASON_VMSCAN) and PGDAT_DIRTY is set.</summary>
        [Fact]
        public void ReclaimOnDirtyPageCacheWakesTheFlusher()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            var f = ReclaimTestKit.Fill(node, PageOwner.FileCache, 1_000_000);
            foreach (var h in f) PageAccess.SetDirty(node, h);
            Assert.Equal(0, Flusher.GetStats(node).PagesVmscan);
            var r = Vmscan.TryToFreePages(node, 0, Allocation.GfpFlags.GFP_KERNEL);
            Assert.True(node.WritebackSt.PgdatDirty);
            Assert.True(Flusher.GetStats(node).PagesVmscan > 0);
            Assert.True(node.Counters[NodeStatItem.NrVmscanImmediate] > 0);
            Assert.True(Wb(node) + node.Counters[NodeStatItem.NrWritten] > 0);
            ReclaimTestKit.AssertClean(node);
        }
    }
}
