using System;
using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Sysctl;
using MemMgmt.Core.Time;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Compaction
{
    /// <summary>Compaction scenarios on the Core: pressure, compaction runs, kcompactd and the slow path.</summary>
    public class CompactionScenarioTests
    {
        /// <summary>Takes every page (ALLOC_NO_WATERMARKS) without waking kswapd: a fill that woke it would have kswapd
        /// reclaim alongside it (or, with nothing to reclaim, give up as hopeless), and these scenarios start from a node
        /// kswapd has not touched.</summary>
        private const GfpFlags FillAll = (GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_KSWAPD_RECLAIM) | GfpFlags.__GFP_MEMALLOC;
        private const GfpFlags HugeGfp = GfpFlags.GFP_HIGHUSER_MOVABLE | GfpFlags.__GFP_COMP | GfpFlags.__GFP_THISNODE
            | GfpFlags.__GFP_RETRY_MAYFAIL | GfpFlags.__GFP_NOWARN;

        [Fact]
        public void ThreeQuartersFreedBecomesHugeBlocksAfterSyncFullCompaction()
        {
            var node = Scenario.Node(512);
            var rep = Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.ThreeQuarters, Gfp = FillAll, Seed = 3 });
            var zone = Scenario.MainZone(node);
            // Every pageblock keeps pfn % 4 == 0 in use: no free block reaches order 2, so order 9 is 100% unusable.
            Assert.Equal(1000, Fragmentation.UnusableFreeIndex(zone.NrFree, 9));
            long live = rep.PagesAllocated - rep.PagesFreed;
            Assert.Equal(rep.PagesAllocated / 4, live);

            long migrated0 = node.Counters[VmEvent.PgMigrateSuccess];
            var run = CompactionCommands.Compact(node, CompactPriority.SyncFull);
            var z = Assert.Single(run.Zones);
            Assert.Equal(CompactResult.Complete, z.Result);
            Assert.Equal(MigrateMode.Sync, z.Mode);
            long free = Scenario.BuddyFreePages(node);
            Assert.True(Scenario.FreePagesAtOrAbove(node, 9) >= free * 95 / 100,
                $"{Scenario.FreePagesAtOrAbove(node, 9)} of {free} free pages in order ≥ 9 blocks");
            // Migrated ≈ the in-use pages of the blocks below the meeting point: one page in four of those blocks.
            long meetBlock = (z.FreePfnEnd - node.NodeStartPfn) >> node.PbOrder;
            long firstBlock = (zone.ZoneStartPfn - node.NodeStartPfn) >> node.PbOrder;
            long inUseBelow = 0;
            for (long b = firstBlock; b <= meetBlock; b++) inUseBelow += 128;
            Assert.InRange(z.Migrated, inUseBelow * 85 / 100, inUseBelow);
            Assert.Equal(z.Migrated, node.Counters[VmEvent.PgMigrateSuccess] - migrated0);
            Assert.Equal(0, z.MigrateFailed);
            Assert.Equal(z.MigrateScanned, node.Counters[VmEvent.CompactMigrateScanned]);
            Assert.Equal(z.FreeScanned, node.Counters[VmEvent.CompactFreeScanned]);
            Assert.Equal(z.MigrateIsolated + z.FreeIsolated, node.Counters[VmEvent.CompactIsolated]);
            Scenario.AssertConsistent(node);
        }

        private static (long Free, int Granted) SelftestRun(int unevictableAllowed)
        {
            var node = Scenario.Node(512);
            VmSysctl.Write(node, "vm.compact_unevictable_allowed", unevictableAllowed.ToString());
            Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.RandomHalf, MlockedFraction = 1, Gfp = FillAll, Seed = 1 });
            Assert.True(node.Counters[NodeStatItem.NrUnevictable] > 0);
            long free = node.FreePages;
            int granted = 0;
            for (int i = 0; i < 100000; i++)
            {
                var a = PageAllocator.Allocate(node, 9, HugeGfp, 0, PageOwner.HugeTlb);
                if (!a.Success) break;
                granted++;
            }
            Scenario.AssertConsistent(node);
            return (free, granted);
        }

        [Fact]
        public void SelftestCompactionTestGrantsHugePagesOnlyWhenUnevictableMayMove()
        {
            var (free1, granted1) = SelftestRun(1);
            Assert.True(granted1 * 512L > free1 / 5, $"granted {granted1} huge pages of {free1} free pages");
            var (_, granted0) = SelftestRun(0);
            Assert.True(granted0 < granted1 / 4, $"unevictable not allowed: {granted0}, allowed: {granted1}");
        }

        private static int HugePagesAfterCompaction(bool disableGrouping)
        {
            var node = Scenario.Node(512, disableGrouping: disableGrouping);
            Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.RandomHalf, UnmovableFraction = 0.05, Seed = 5 });
            CompactionCommands.CompactMemory(node);
            int granted = 0;
            while (PageAllocator.Allocate(node, 9, HugeGfp, 0, PageOwner.HugeTlb).Success) granted++;
            Scenario.AssertConsistent(node);
            return granted;
        }

        [Fact]
        public void MobilityGroupingMakesCompactionWork()
        {
            int grouped = HugePagesAfterCompaction(false);
            int ungrouped = HugePagesAfterCompaction(true);
            Assert.True(grouped >= 5 * Math.Max(1, ungrouped), $"grouped {grouped}, ungrouped {ungrouped}");
        }

        [Fact]
        public void AsyncDirectCompactionScansOnlyMovableBlocksAndSyncFullReachesTheWholeZone()
        {
            var node = Scenario.Node(256);
            Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.EveryOther, UnmovableFraction = 0.2, ReclaimableFraction = 0.1, Seed = 9,
                ExtraGfp = GfpFlags.__GFP_MEMALLOC });
            var zone = Scenario.MainZone(node);
            int unmovableBlocks = 0;
            for (long pfn = zone.ZoneStartPfn; pfn < zone.ZoneEndPfn; pfn += 1L << node.PbOrder)
                if (node.GetPageblockMigratetype(pfn) != MigrateType.Movable && node.GetPageblockMigratetype(pfn) != MigrateType.Cma) unmovableBlocks++;
            Assert.True(unmovableBlocks > 0);

            var copy = node.Clone();
            node.Trace.Clear();
            CompactionCommands.Compact(node, CompactPriority.Async, 9, null, GfpFlags.GFP_HIGHUSER_MOVABLE);
            var isolations = node.Trace.Events(node).Where(e => e.Event == TraceEventId.mm_compaction_isolate_migratepages).ToList();
            Assert.True(isolations.Count > 0, node.Trace.RenderFtrace(node));
            foreach (var e in isolations)
            {
                var mt = node.GetPageblockMigratetype((long)e.Fields["start_pfn"]);
                Assert.True(mt == MigrateType.Movable || mt == MigrateType.Cma, $"async scanned a {mt} block at {e.Text}");
            }

            Scenario.AssertConsistent(node);
            // SyncFull (on the state before the async run): whole zone from its first pfn, skip bits ignored.
            node = copy;
            zone = Scenario.MainZone(node);
            for (long pfn = zone.ZoneStartPfn; pfn < zone.ZoneEndPfn; pfn += 1L << node.PbOrder) node.SetBlockSkip(node.ToIndex(pfn), true);
            node.Trace.Clear();
            var run = CompactionCommands.Compact(node, CompactPriority.SyncFull, 9, null, GfpFlags.GFP_HIGHUSER_MOVABLE);
            var events = node.Trace.Events(node);
            var begin = events.First(e => e.Event == TraceEventId.mm_compaction_begin);
            Assert.Equal(zone.ZoneStartPfn, (long)begin.Fields["migrate_pfn"]);
            Assert.Equal((zone.ZoneEndPfn - 1) & ~((1L << node.PbOrder) - 1), (long)begin.Fields["free_pfn"]);
            var iso = events.Where(e => e.Event == TraceEventId.mm_compaction_isolate_migratepages).ToList();
            Assert.NotEmpty(iso);
            Assert.Equal(zone.ZoneStartPfn, (long)iso[0].Fields["start_pfn"]);
            // Every block carried the skip bit, yet SyncFull isolated pages from them.
            Assert.True(iso.Sum(e => (long)e.Fields["nr_taken"]) > 0);
            Assert.Equal(CompactResult.Success, run.Zones[0].Result);
            Scenario.AssertConsistent(node);
        }

        [Fact]
        public void DesignCardPipelineRaisesOrder3Availability()
        {
            var node = new MemNode(new NodeConfig());
            var rep = Pressure.Run(node, new PressureOptions { Order = 3 });
            Assert.Equal(PressurePattern.EveryOther, rep.Pattern);
            long Suitable3() { long s = 0; foreach (var z in node.Zones) for (int o = 3; o < node.Geometry.MaxOrder; o++) s += z.GetNrFree(o) << (o - 3); return s; }
            long before = Suitable3();
            var run = CompactionCommands.Compact(node, CompactPriority.SyncLight);
            Assert.Equal(MigrateMode.SyncLight, run.Zones[0].Mode);
            long after = Suitable3();
            Assert.True(after > before * 2, $"order-3 suitable free blocks before {before}, after {after}");
            Scenario.AssertConsistent(node);
        }

        [Fact]
        public void KswapdThatReclaimsNothingDoesNotWakeKcompactdFor414()
        {
            // 4.14 kswapd(): balance_pgdat(order 9) reclaims nothing (anon without swap), returns order 9, so kswapd loops back
            // and naps with pgdat->kswapd_order already reset to 0: wakeup_kcompactd(order 0) returns at once.
            var node = Scenario.Node(256);
            Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.EveryOther, Gfp = FillAll });
            var a = PageAllocator.Allocate(node, 9, GfpFlags.GFP_TRANSHUGE_LIGHT | GfpFlags.__GFP_KSWAPD_RECLAIM);
            Assert.False(a.Success);
            var step = Daemons.Step(node, 100_000_000);
            Assert.NotNull(step.Kswapd);
            Assert.Equal(9, step.Kswapd!.AllocOrder);
            Assert.Equal(1, node.KswapdFailures);
            Assert.False(step.KcompactdRan);
            Assert.Equal(0, node.Counters[VmEvent.CompactDaemonWake]);
            Scenario.AssertConsistent(node);
        }

        [Fact]
        public void KcompactdRunsWhenVirtualTimeAdvancesAfterAFailedHighOrderRequest()
        {
            // Half the pages are clean page cache: kswapd reclaims compact_gap(9) = 1024 pages, drops to order 0
            // (reclaim_order < alloc_order) and kswapd_try_to_sleep wakes kcompactd at order 9 before its nap.
            var node = Scenario.Node(256);
            Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.EveryOther, Gfp = FillAll, FileFraction = 0.5, Seed = 5 });
            // GFP_TRANSHUGE_LIGHT has no direct reclaim: the slow path only wakes kswapd and fails.
            var a = PageAllocator.Allocate(node, 9, GfpFlags.GFP_TRANSHUGE_LIGHT | GfpFlags.__GFP_KSWAPD_RECLAIM);
            Assert.False(a.Success);
            Assert.Contains(a.Steps, s => s.Step == "wake_all_kswapds");
            Assert.Equal(0, node.Counters[VmEvent.CompactDaemonWake]);
            var step = Daemons.Step(node, 100_000_000);
            Assert.NotNull(step.Kswapd);
            Assert.True(step.Kswapd!.NrReclaimed >= 1024, $"kswapd reclaimed {step.Kswapd.NrReclaimed}");
            Assert.True(step.KcompactdRan, $"kswapd: {string.Join(" | ", step.Kswapd.Steps)}");
            Assert.Equal(1, node.Counters[VmEvent.CompactDaemonWake]);
            Assert.True(node.Counters[VmEvent.CompactDaemonMigrateScanned] > 0);
            Assert.Equal(node.Counters[VmEvent.CompactDaemonMigrateScanned], node.Counters[VmEvent.CompactMigrateScanned]);
            var z = Assert.Single(step.Compactions);
            Assert.Equal(CompactResult.Success, z.Result);
            Assert.True(step.EndNs - step.StartNs >= 100_000_000);
            var names = node.Trace.Events(node).Select(e => e.Event).ToList();
            Assert.Contains(TraceEventId.mm_compaction_wakeup_kcompactd, names);
            Assert.Contains(TraceEventId.mm_compaction_kcompactd_wake, names);
            Assert.Equal(TraceEventId.mm_compaction_kcompactd_sleep, names[names.Count - 1]);
            // kcompactd_do_work resets kcompactd_max_order; a second step does nothing.
            Assert.False(Daemons.Step(node, 1).KcompactdRan);
            // The allocation now succeeds from the fast path.
            Assert.True(PageAllocator.Allocate(node, 9, GfpFlags.GFP_TRANSHUGE_LIGHT).Success);
            Scenario.AssertConsistent(node);
        }

        [Fact]
        public void CompactMemorySysctlCompactsEveryZone()
        {
            var node = Scenario.Node(256);
            Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.EveryOther, Gfp = FillAll });
            long before = Scenario.FreePagesAtOrAbove(node, 9);
            VmSysctl.Write(node, "vm.compact_memory", "1");
            var last = node.Compaction.LastCompactMemory;
            Assert.NotNull(last);
            Assert.Equal("compact_node", last!.Trigger);
            Assert.All(last.Zones, z => Assert.Equal(CompactResult.Complete, z.Result));
            Assert.True(Scenario.FreePagesAtOrAbove(node, 9) > before + 10000);
            Scenario.AssertConsistent(node);
        }

        [Fact]
        public void StoppingMidCompactionLeavesTheNodeConsistent()
        {
            var node = Scenario.Node(256);
            Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.EveryOther, Gfp = FillAll });
            int calls = 0;
            var reports = new System.Collections.Generic.List<ZoneCompactionReport>();
            CompactionEngine.CompactNode(node, 0, () => ++calls > 400, reports, null);
            var z = Assert.Single(reports);
            Assert.Equal(CompactResult.Contended, z.Result);
            Assert.True(z.Migrated > 0);
            Scenario.AssertConsistent(node);
            Assert.Equal(0, node.Counters[NodeStatItem.NrIsolatedAnon]);
            // A later full run completes from there.
            Assert.Equal(CompactResult.Complete, CompactionCommands.CompactMemory(node).Zones[0].Result);
            Scenario.AssertConsistent(node);
        }

        [Fact]
        public void StoppingAddPressureReturnsAConsistentNode()
        {
            var node = Scenario.Node(256);
            using var cts = new System.Threading.CancellationTokenSource();
            cts.Cancel();
            var rep = Pressure.Run(node, new PressureOptions { Percent = 50 }, cts.Token);
            Assert.True(rep.Stopped);
            Scenario.AssertConsistent(node);
        }
    }
}
