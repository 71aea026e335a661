using System;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Sysctl;
using MemMgmt.Core.Time;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Compaction
{
    /// <summary>Proactive compaction of the 6.1 profile: extfrag_for_order, the fragmentation score and its wmarks, and
    /// kcompactd's timed runs in virtual time.</summary>
    public class ProactiveCompactionTests
    {
        private static MemNode Node61(long sizeMiB = 512, ulong seed = 1) =>
            new MemNode(new NodeConfig { SizeBytes = sizeMiB << 20, CmaBytes = 0, Kernel = KernelProfile.Linux61, Seed = seed });

        private static MemNode Node414(long sizeMiB = 512, ulong seed = 1) =>
            new MemNode(new NodeConfig { SizeBytes = sizeMiB << 20, CmaBytes = 0, Kernel = KernelProfile.Linux414, Seed = seed });

        private static long Vm(MemNode node, string name) => NodeViews.VmStat(node)[name] ?? 0;

        // ----- extfrag_for_order: (free_pages − suitable·2^order)·100 / free_pages, integer division -----

        [Theory]
        // 10 order-0, 4 order-2, 1 order-9: free 10 + 16 + 512 = 538, suitable at order 9: 1 block → (538 − 512)·100/538 = 4.83 → 4
        [InlineData(new long[] { 10, 0, 4, 0, 0, 0, 0, 0, 0, 1, 0 }, 9, 4)]
        // the same lists at order 2: suitable 4 + 1·128 = 132 blocks of 4 = 528 pages → (538 − 528)·100/538 = 1.85 → 1
        [InlineData(new long[] { 10, 0, 4, 0, 0, 0, 0, 0, 0, 1, 0 }, 2, 1)]
        // only order-0 pages: everything is fragmented at order 9
        [InlineData(new long[] { 1000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 9, 100)]
        // 3 order-8 and one order-10: free 768 + 1024 = 1792, suitable at 9: 2 → (1792 − 1024)·100/1792 = 42.857 → 42
        [InlineData(new long[] { 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 1 }, 9, 42)]
        // no free pages: 0, not a division by zero
        [InlineData(new long[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 9, 0)]
        // an order beyond the lists (64 KiB pages without THP: PMD order 13 of 11 orders): nothing is suitable
        [InlineData(new long[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5 }, 13, 100)]
        public void ExtfragForOrder_Vectors(long[] nrFree, int order, int expected) =>
            Assert.Equal(expected, Fragmentation.ExtfragForOrder(nrFree, order));

        [Theory]
        [InlineData(20, 80, 90)]   // the default
        [InlineData(0, 100, 100)]
        [InlineData(90, 10, 20)]
        [InlineData(95, 5, 15)]    // low is capped at 5 …
        [InlineData(100, 5, 15)]   // … so 100 cannot compact without end
        [InlineData(1, 99, 100)]   // high is capped at 100
        public void FragmentationScoreWmark_Vectors(int proactiveness, int low, int high)
        {
            var node = Node61(512);
            VmSysctl.Write(node, "compaction_proactiveness", proactiveness.ToString());
            Assert.Equal(low, CompactionCommands.FragmentationScoreWmark(node, true));
            Assert.Equal(high, CompactionCommands.FragmentationScoreWmark(node, false));
        }

        [Fact]
        public void FragmentationScore_IsTheZonesExtfragAtOrder9_WeightedByPresentPagesOverNodePresentPlusOne()
        {
            var node = Node61(512);
            Pressure.Run(node, new PressureOptions { Pattern = PressurePattern.EveryOther, Percent = 100 });
            Assert.Equal(9, CompactionCommands.CompactionHpageOrder(node));
            long nodePresent = 0;
            foreach (var z in node.Zones) nodePresent += z.PresentPages;
            long expectedNode = 0;
            foreach (var z in node.Zones)
            {
                if (!z.IsPopulated) continue;
                long free = 0, suitable = 0;
                for (int o = 0; o < node.Geometry.MaxOrder; o++)
                {
                    free += z.GetNrFree(o) << o;
                    if (o >= 9) suitable += z.GetNrFree(o) << (o - 9);
                }
                int zoneScore = free == 0 ? 0 : (int)((free - suitable * 512) * 100 / free);
                Assert.Equal(zoneScore, CompactionCommands.FragmentationScoreZone(z));
                expectedNode += z.PresentPages * zoneScore / (nodePresent + 1);
            }
            Assert.Equal(expectedNode, CompactionCommands.FragmentationScoreNode(node));
            Assert.True(expectedNode > 50, $"an every-other node is fragmented at order 9; got {expectedNode}");
        }

        [Fact]
        public void EveryOtherNode_ZoneScore91_WeighsIn90_NotAboveTheDefaultHighWmark_SoOnlyAHigherProactivenessCompactsIt()
        {
            // One populated zone: its score 91 times present/(present + 1) truncates to 90, which is not above 90.
            var node = Node61(512);
            Pressure.Run(node, new PressureOptions { Pattern = PressurePattern.EveryOther, Percent = 100 });
            var zone = Scenario.MainZone(node);
            // 6.1's pcp lists hold up to pcp->high (the low watermark split over the CPUs) freed pages the score does not
            // see; return them so the score is the buddy lists' every-other pattern alone (the pcp share would lower it to 90).
            PageAllocator.DrainAllPages(node);
            Assert.Equal(91, CompactionCommands.FragmentationScoreZone(zone));
            Assert.Equal(90, CompactionCommands.FragmentationScoreNode(node));
            Assert.False(CompactionEngine.ShouldProactiveCompactNode(node));
            Assert.Equal(0, Daemons.Step(node, 2000L * 1000 * 1000).ProactiveRuns);
            VmSysctl.Write(node, "compaction_proactiveness", "21");   // high wmark 89
            Assert.True(CompactionEngine.ShouldProactiveCompactNode(node));
            Assert.Equal(1, Daemons.Step(node, 1).ProactiveRuns);
            Assert.Equal(1, node.Compaction.ProactiveRunCount);
        }

        [Fact]
        public void Kernel61_FragmentedNode_IsCompactedProactively_BelowTheLowWmark_WithinASecondOfVirtualTime()
        {
            var node = Node61(1024);
            Pressure.Run(node, new PressureOptions { Pattern = PressurePattern.RandomHalf, Percent = 100 });
            int before = CompactionCommands.FragmentationScoreNode(node);
            Assert.True(before > CompactionCommands.FragmentationScoreWmark(node, false));
            long wake0 = Vm(node, "compact_daemon_wake"), scanned0 = Vm(node, "compact_migrate_scanned");
            long daemonScanned0 = Vm(node, "compact_daemon_migrate_scanned"), migrated0 = Vm(node, "pgmigrate_success");

            var step = Daemons.Step(node, 3000L * 1000 * 1000);

            int after = CompactionCommands.FragmentationScoreNode(node);
            Assert.True(after <= CompactionCommands.FragmentationScoreWmark(node, true), $"score {before} → {after}");
            Assert.True(step.ProactiveRuns >= 1);
            Assert.Equal(step.ProactiveRuns, node.Compaction.ProactiveRunCount);
            Assert.True(Vm(node, "compact_migrate_scanned") > scanned0);
            Assert.True(Vm(node, "pgmigrate_success") > migrated0);
            // 6.1's proactive_compact_node counts no compact_daemon_* event (the scanned counts came in 6.3).
            Assert.Equal(wake0, Vm(node, "compact_daemon_wake"));
            Assert.Equal(daemonScanned0, Vm(node, "compact_daemon_migrate_scanned"));
            // Each zone stopped once its own score reached the low wmark: it did not compact to the end.
            foreach (var r in step.Compactions)
                Assert.True(r.Result == CompactResult.Success || r.Result == CompactResult.Complete, r.ToString());
            Scenario.AssertConsistent(node);
        }

        [Fact]
        public void Kernel61_ChecksEvery500ms_AndRunsOnlyWhileTheScoreIsAboveTheHighWmark()
        {
            var node = Node61(1024);
            Pressure.Run(node, new PressureOptions { Pattern = PressurePattern.RandomHalf, Percent = 100 });
            var st = node.Compaction;
            long t0 = node.Clock.NowNs;
            // The first timed wake is 500 ms after boot (the clock may already be past it after the workload).
            long firstWake = Math.Max(CompactionEngine.HpageFragCheckIntervalNs, t0);
            var step = Daemons.Step(node, firstWake - t0 + CompactionEngine.HpageFragCheckIntervalNs / 2);
            Assert.Equal(1, step.ProactiveRuns);
            // After a run that lowered the score kcompactd sleeps one interval again; below the wmark nothing more runs.
            Assert.InRange(st.ProactiveWakeNsValue, node.Clock.NowNs, node.Clock.NowNs + CompactionEngine.HpageFragCheckIntervalNs);
            var later = Daemons.Step(node, 5L * CompactionEngine.HpageFragCheckIntervalNs);
            Assert.Equal(0, later.ProactiveRuns);
            Assert.Equal(1, st.ProactiveRunCount);
            Assert.Equal(0, st.ProactiveNoProgressCount);
        }

        [Fact]
        public void Kernel61_RunThatCannotLowerTheScore_SleepsSixtyFourIntervals()
        {
            // Every other page free, all at odd pfns: 6.1's free scanner samples pfns that are multiples of its stride (up
            // to 32) and finds no target, so the run migrates nothing and the score stays (as the real kernel's odd-parity
            // compact_memory migrated nothing).
            var node = Node61(1024);
            Pressure.Run(node, new PressureOptions { Pattern = PressurePattern.EveryOther, Percent = 100 });
            int before = CompactionCommands.FragmentationScoreNode(node);
            Assert.True(before > CompactionCommands.FragmentationScoreWmark(node, false), $"score {before}");
            var st = node.Compaction;
            Daemons.Step(node, Math.Max(CompactionEngine.HpageFragCheckIntervalNs, node.Clock.NowNs) - node.Clock.NowNs + 1);
            Assert.Equal(1, st.ProactiveRunCount);
            Assert.Equal(1, st.ProactiveNoProgressCount);
            long wake = st.ProactiveWakeNsValue;
            long expectedSleep = CompactionEngine.HpageFragCheckIntervalNs << 6;   // 32 s
            Assert.InRange(wake - node.Clock.NowNs, expectedSleep - CompactionEngine.HpageFragCheckIntervalNs, expectedSleep);
            // Nothing more for the 32 s of the long sleep, then one more attempt.
            var s = Daemons.Step(node, wake - node.Clock.NowNs - 1);
            Assert.Equal(0, s.ProactiveRuns);
            s = Daemons.Step(node, 2);
            Assert.Equal(1, s.ProactiveRuns);
            Assert.Equal(CompactionCommands.FragmentationScoreNode(node), before);
        }

        [Fact]
        public void Kernel61_ProactivenessZero_NeverCompactsProactively_AndWritingItBackTriggersACheckAtOnce()
        {
            var node = Node61(1024);
            VmSysctl.Write(node, "compaction_proactiveness", "0");
            Pressure.Run(node, new PressureOptions { Pattern = PressurePattern.RandomHalf, Percent = 100 });
            int before = CompactionCommands.FragmentationScoreNode(node);
            var step = Daemons.Step(node, 5000L * 1000 * 1000);
            Assert.Equal(0, step.ProactiveRuns);
            Assert.Equal(before, CompactionCommands.FragmentationScoreNode(node));
            Assert.Equal(long.MaxValue, node.Compaction.ProactiveWakeNsValue);

            VmSysctl.Write(node, "compaction_proactiveness", "20");
            step = Daemons.Step(node, 1);
            Assert.Equal(1, step.ProactiveRuns);
            Assert.True(CompactionCommands.FragmentationScoreNode(node) <= 80);
        }

        [Fact]
        public void Kernel414_SameFragmentedNode_IsNotCompactedByTime_AndHasNoProactivenessSysctl()
        {
            var node = Node414(1024);
            Pressure.Run(node, new PressureOptions { Pattern = PressurePattern.RandomHalf, Percent = 100 });
            int before = CompactionCommands.FragmentationScoreNode(node);
            long scanned0 = Vm(node, "compact_migrate_scanned");
            var step = Daemons.Step(node, 5000L * 1000 * 1000);
            Assert.Equal(0, step.ProactiveRuns);
            Assert.Empty(step.Compactions);
            Assert.Equal(before, CompactionCommands.FragmentationScoreNode(node));
            Assert.Equal(scanned0, Vm(node, "compact_migrate_scanned"));
            var e = Assert.Throws<MemMgmtException>(() => VmSysctl.Write(node, "compaction_proactiveness", "20"));
            Assert.Equal("SysctlNotInKernel", e.ErrorId);
        }

        [Fact]
        public void Kernel61_KswapdRunning_HoldsProactiveCompactionBack()
        {
            var node = Node61(1024);
            Pressure.Run(node, new PressureOptions { Pattern = PressurePattern.RandomHalf, Percent = 100 });
            node.KswapdSt.KState = MemMgmt.Core.Reclaim.KswapdState.Runnable;
            Assert.False(CompactionEngine.ShouldProactiveCompactNode(node));
            node.KswapdSt.KState = MemMgmt.Core.Reclaim.KswapdState.Sleeping;
            Assert.True(CompactionEngine.ShouldProactiveCompactNode(node));
        }
            private static CompactResult Finished(KernelProfile k, long offsetInBlock, bool contended)
        {
            // A fresh node: free pages of every order exist, so a movable order-3 request can be satisfied.
            var node = new MemNode(new NodeConfig { SizeBytes = 512L << 20, CmaBytes = 0, Kernel = k, Seed = 1 });
            var zone = Scenario.MainZone(node);
            var cc = new CompactControl
            {
                Zone = zone,
                Order = 3,
                Migratetype = (int)MemMgmt.Core.Buddy.MigrateType.Movable,
                Mode = MigrateMode.SyncLight,
                DirectCompaction = true,
                MigratePfn = zone.ZoneStartPfn + (1L << node.PbOrder) + offsetInBlock,
                FreePfn = CompactionEngine.PageblockStartPfn(node, zone.ZoneEndPfn - 1),
                Contended = contended,
            };
            return CompactionEngine.CompactFinished(zone, cc);
        }

        [Fact]
        public void CompactFinished_61KeepsScanningToTheEndOfThePageblock_414StopsAtOnce()
        {
            Assert.Equal(CompactResult.Continue, Finished(KernelProfile.Linux61, 100, false));
            Assert.Equal(CompactResult.Success, Finished(KernelProfile.Linux414, 100, false));
            Assert.Equal(CompactResult.Success, Finished(KernelProfile.Linux61, 0, false));
            Assert.Equal(CompactResult.Success, Finished(KernelProfile.Linux414, 0, false));
        }

        [Fact]
        public void CompactFinished_61ChecksContentionLast_414First()
        {
            // 4.14 ends a contended run before anything else; 6.1 returns success when the page is there, and inside a
            // pageblock it continues (the isolation step then aborts).
            Assert.Equal(CompactResult.Contended, Finished(KernelProfile.Linux414, 0, true));
            Assert.Equal(CompactResult.Success, Finished(KernelProfile.Linux61, 0, true));
            Assert.Equal(CompactResult.Continue, Finished(KernelProfile.Linux61, 100, true));
        }
            [Fact]
        public void CompactMemory_61CountsEachZonesScanningOnce_414CountsEarlierZonesAgain()
        {
            // 4 GiB from 1 GiB: DMA below 4 GiB and Normal above, two populated zones on both profiles.
            long Excess(KernelProfile k)
            {
                var node = new MemNode(new NodeConfig { SizeBytes = 4L << 30, CmaBytes = 0, Kernel = k, Seed = 1 });
                Assert.Equal(2, node.PopulatedZones.Count);
                long before = Vm(node, "compact_migrate_scanned");
                var run = CompactionCommands.CompactMemory(node);
                long sum = 0;
                foreach (var z in run.Zones) { Assert.True(z.MigrateScanned > 0); sum += z.MigrateScanned; }
                return Vm(node, "compact_migrate_scanned") - before - sum;
            }
            Assert.Equal(0, Excess(KernelProfile.Linux61));
            Assert.True(Excess(KernelProfile.Linux414) > 0);
        }

        [Fact]
        public void Kcompactd_61HonoursSkipHints_414IgnoresThem()
        {
            long Scanned(KernelProfile k)
            {
                var node = new MemNode(new NodeConfig { SizeBytes = 1L << 30, CmaBytes = 0, Kernel = k, Seed = 1 });
                Pressure.Run(node, new PressureOptions { Pattern = PressurePattern.RandomHalf, Percent = 100 });
                // Take the blocks of order 9 and up that the fill left, without compacting, so order 9 needs compaction.
                for (int o = node.Geometry.MaxOrder - 1; o >= 9; o--)
                    while (PageAllocator.Allocate(node, o, GfpFlags.GFP_TRANSHUGE_LIGHT, 0, PageOwner.HugeTlb).Success) { }
                var zone = Scenario.MainZone(node);
                for (long pfn = zone.ZoneStartPfn; pfn < zone.ZoneEndPfn; pfn += 1L << node.PbOrder) node.SetBlockSkip(node.ToIndex(pfn), true);
                var run = CompactionCommands.Kcompactd(node, 9);
                Assert.True(run.Trigger == "kcompactd", $"{k}: {run.Trigger}, suitable {CompactionCommands.Suitable(zone, 9)}, free {string.Join(" ", zone.NrFree)}, idx {CompactionCommands.FragmentationIndex(zone, 9)}");
                long s = 0;
                foreach (var z in run.Zones) s += z.MigrateScanned;
                return s;
            }
            // 6.1 scans no block: compact_migrate_scanned counts only fast_find_migrateblock's look at the free lists, which
            // stops at freelist_scan_limit (COMPACT_CLUSTER_MAX + 1 = 33) after counting the entry that reached it.
            Assert.Equal(34, Scanned(KernelProfile.Linux61));
            Assert.True(Scanned(KernelProfile.Linux414) > 34);
        }
    }
}
