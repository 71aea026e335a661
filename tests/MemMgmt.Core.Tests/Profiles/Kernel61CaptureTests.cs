using System;
using System.Linq;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Workloads;
using MemMgmt.Core.Tests.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>The 6.1 profile against the real arm64 6.1 kernel's captures in tests/captures/arm64-6.1-qemu (the QEMU
    /// harness's phases: frag, hugepages1, released, compacted, hugepages2), and 4.14 on the same scenarios.</summary>
    public class Kernel61CaptureTests
    {
        private static readonly Lazy<HarnessScenario> Odd61 = new Lazy<HarnessScenario>(() => HarnessScenario.Run(KernelProfile.Linux61, PressurePattern.Frag, PageParity.Odd));
        private static readonly Lazy<HarnessScenario> Odd414 = new Lazy<HarnessScenario>(() => HarnessScenario.Run(KernelProfile.Linux414, PressurePattern.Frag, PageParity.Odd));
        private static readonly Lazy<HarnessScenario> Even61 = HarnessScenario.Unbooted61EvenState;
        private static readonly Lazy<HarnessScenario> Rand61 = new Lazy<HarnessScenario>(() => HarnessScenario.Run(KernelProfile.Linux61, PressurePattern.FragRandom, null));

        private static string Capture(string scenario, string phase, string file) => ProcCaptures.HarnessFile(scenario, phase, file);

        private static long[] CaptureBlocks(string scenario, string phase) =>
            PageTypeInfo.Parse(Capture(scenario, phase, "pagetypeinfo.txt")).BlockRows[0].Blocks.ToArray();

        private static long CaptureHuge(string scenario, string phase, string key = "granted") =>
            HarnessScenario.CapturedHugepages(ProcCaptures.HarnessRun(scenario), phase, key);

        private static long CaptureDelta(string scenario, string from, string to, string counter) =>
            HarnessScenario.CapturedDelta(ProcCaptures.HarnessRun(scenario), from, to, counter);

        [Fact]
        public void Frag_LeavesTheCapturedBuddyinfoShape_AlmostAllOrderZeroAndAboutFiftyMaxOrderBlocks()
        {
            var real = BuddyInfo.Parse(Capture("odd", "frag", "buddyinfo.txt")).Rows[0].FreeBlocks;
            var sim = Odd61.Value.FragBuddy;
            Assert.InRange(sim[0], real[0] * 0.95, real[0] * 1.05);            // 191411 order-0 blocks on the real kernel
            Assert.InRange(sim[10], real[10] - 5, real[10] + 5);                // 49 order-10 blocks
            long middle = 0, realMiddle = 0;
            for (int o = 1; o < 10; o++) { middle += sim[o]; realMiddle += real[o]; }
            Assert.InRange(middle, 0, 4 * realMiddle);                            // a few dozen blocks of orders 1 to 9
        }

        [Fact]
        public void Frag_AddsTheCapturedUnmovableAndReclaimablePageblocks()
        {
            // The simulated node starts without the booted kernel's allocations, so compare what frag adds.
            long[] boot = CaptureBlocks("odd", "boot"), frag = CaptureBlocks("odd", "frag"), sim = Odd61.Value.FragBlocks;
            long realUnmovable = frag[0] - boot[0], realReclaimable = frag[2] - boot[2];   // +36 and +2 on the real kernel
            Assert.InRange(sim[0], realUnmovable - 4, realUnmovable + 4);
            Assert.InRange(sim[2], realReclaimable, realReclaimable + 3);
            Assert.Equal(frag[4], sim[4]);                                        // 32 CMA blocks
        }

        private static double PbmapOddShare(string scenario) => HarnessScenario.CapturedOddShare(ProcCaptures.HarnessRun(scenario));

        [Fact]
        public void Frag_Parity_FreesOddOrEvenPfnsAsTheCapturedRuns()
        {
            Assert.True(PbmapOddShare("odd") > 0.85, $"odd capture odd share {PbmapOddShare("odd")}");
            Assert.True(PbmapOddShare("even") < 0.25, $"even capture odd share {PbmapOddShare("even")}");
            Assert.True(Odd61.Value.FragOddShare > 0.85, $"simulated odd share {Odd61.Value.FragOddShare}");
            Assert.True(Even61.Value.FragOddShare < 0.15, $"simulated even-parity odd share {Even61.Value.FragOddShare}");
        }

        [Fact]
        public void Kernel414_GrantsTheWholeRequest_WithEitherParity_BeforeAndAfterCompactMemory()
        {
            foreach (var s in new[] { Odd414.Value, HarnessScenario.Run(KernelProfile.Linux414, PressurePattern.Frag, PageParity.Even) })
            {
                Assert.Equal(s.Requested, s.Granted1);
                Assert.Equal(s.Requested, s.Granted2);
            }
        }

        [Fact]
        public void Kernel61_Rand_GrantsAboutTheCapturedCount_AndEvenParityAllOfItAfterCompactMemory_AsTheCapturedRuns()
        {
            // Real kernel: rand 356 and 356 of 356; even 308 of 356 before compact_memory, 356 after.
            Assert.Equal(356, CaptureHuge("rand", "hugepages1"));
            Assert.Equal(356, CaptureHuge("rand", "hugepages2"));
            Assert.Equal(356, CaptureHuge("even", "hugepages2"));
            // The simulated request is 366 (75 % of its MemFree). Before compact_memory it grants 365: within 15 of the
            // real 356 since the free scanner's fast search follows 6.1 when it finds nothing in the top half (the
            // highest block only at or above min_pfn, else min_pfn for direct compaction, and fast_isolate_around on that
            // block). With a low highest taken as the restart point the scanners met early and it stopped at 317.
            long real1 = CaptureHuge("rand", "hugepages1");
            Assert.InRange(Rand61.Value.Granted1, real1 - 15, real1 + 15);
            Assert.Equal(Rand61.Value.Requested, Rand61.Value.Granted2);
            Assert.Equal(Even61.Value.Requested, Even61.Value.Granted2);
        }

        [Fact]
        public void Kernel61_EvenParity_BeforeCompactMemory_GrantsBetweenTheDetCaptureAndTheWholeRequest_AsTheRealRunsSpread()
        {
            // Real even-parity runs before compact_memory: this DET=1 capture 308 of 356 (the harness's own DET=1 run 309);
            // the harness's two non-DET even runs granted all of theirs (355 of 355, 358 of 358). Which it is depends on
            // when a direct compaction's scanners meet with nothing freed (the allocation then fails, compact_blockskip_flush
            // stays set and kswapd's short sleep restarts the free scanner high, where kcompactd's proactive run takes
            // pages): tests/captures/arm64-6.1-qemu/README.md.
            long detGranted = CaptureHuge("even", "hugepages1");
            var s = Even61.Value;
            Assert.InRange(s.Granted1, detGranted, s.Requested);
        }

        [Theory]
        [InlineData("rand", 15)]
        [InlineData("odd", 15)]
        [InlineData("even", 45)]
        public void Kernel61_FromTheCapturedFragState_TheHugepageRequestGrantsAboutWhatTheRealKernelGranted(string scenario, int below)
        {
            // The node New-MemNode -FromCapture builds from the real kernel's frag state (buddyinfo, pagetypeinfo, zoneinfo and
            // pbmap's per-block free pages, parity and owners), then the harness's request for the real run's N huge pages.
            // Real: rand 356, odd 101, even 308 of 356. Simulated: rand 356, odd 105, even 269; the previous model (a highest
            // block below min_pfn restarting the free scanner) gave 321, 102 and 114.
            // Even stays about 40 short (so its bound is real - 45): the builder puts the capture's one order-8 Movable free
            // block at 0x7d200, below half the zone, so the simulated first async run starts there (fast_find_migrateblock),
            // while the real one started at the zone start (it ended at migrate_pfn=0x40200 free_pfn=0x7fc6f). pbmap gives
            // each block's free pages but not the orders of its free blocks, so where the few mid-order blocks go is a
            // guess, and from that first run on the scanners meet in other places.
            long requested = CaptureHuge(scenario, "hugepages1", "requested"), real = CaptureHuge(scenario, "hugepages1");
            var node = CaptureBuilder.Build(ProcCaptures.Harness(scenario, "frag"), new CaptureOptions { Name = scenario, Kernel = KernelProfile.Linux61 },
                new System.Collections.Generic.List<string>());
            MemMgmt.Core.Sysctl.VmSysctl.Write(node, "nr_hugepages", requested.ToString());
            long granted = long.Parse(node.Sysctl.Read("nr_hugepages"));
            Assert.InRange(granted, real - below, real + 15);
        }

        [Fact]
        public void Kernel61_OddParity_GrantsFarFewerHugepagesThan414_BeforeAndAfterCompactMemory()
        {
            // The real kernel granted 101 of 356 before and 100 after compact_memory: the stride-32 free scanner probes only
            // pfns that are multiples of 32, and every freed page is at an odd pfn.
            long real1 = CaptureHuge("odd", "hugepages1"), real2 = CaptureHuge("odd", "hugepages2");
            var s = Odd61.Value;
            Assert.InRange(s.Granted1, real1 - 15, real1 + 15);
            Assert.InRange(s.Granted2, real2 - 15, real2 + 15);
            Assert.Equal(Odd414.Value.Requested, Odd414.Value.Granted1);
        }

        [Fact]
        public void Kernel61_OddParity_CompactMemoryMigratesAlmostNothing_While414MigratesTensOfThousands()
        {
            long realMigrated = CaptureDelta("odd", "released", "compacted", "pgmigrate_success");
            long realFreeScanned = CaptureDelta("odd", "released", "compacted", "compact_free_scanned");
            var s = Odd61.Value;
            Assert.InRange(s.Cm["pgmigrate_success"], realMigrated, realMigrated + 1000);          // real: 0
            Assert.InRange(s.Cm["compact_free_scanned"], realFreeScanned / 2, realFreeScanned * 2); // real: 14992
            Assert.True(Odd414.Value.Cm["pgmigrate_success"] > 10000);
        }

        [Theory]
        [InlineData("compact_migrate_scanned")]
        [InlineData("compact_isolated")]
        [InlineData("pgmigrate_success")]
        [InlineData("compact_stall")]
        [InlineData("compact_success")]
        [InlineData("compact_free_scanned")]
        public void Kernel61_Rand_HugepageRequestCompactsWithinAFactorOfTwoOfTheCapture(string counter)
        {
            long real = CaptureDelta("rand", "frag", "hugepages1", counter);
            long sim = Rand61.Value.Hp1[counter];
            Assert.InRange(sim, real / 2, real * 2);
        }

        private static HarnessScenario Booted61(string capture)
        {
            // Booted nodes (New-MemNode -Booted) end frag with the capture's pageblock counts.
            var s = (capture == "rand" ? HarnessScenario.Booted61Rand : capture == "odd" ? HarnessScenario.Booted61OddState : HarnessScenario.Booted61EvenState).Value;
            double share = s.FragOddShare, real = PbmapOddShare(capture);
            Assert.True(Math.Abs(share - real) < 0.15, $"{capture}: simulated odd share {share:F2}, captured {real:F2}");
            return s;
        }

        /// <summary>The compaction counters of <paramref name="s"/>'s phase (hugepages1 or compacted) that are not within a
        /// factor of two of the same phase's delta in the DET=1 capture <paramref name="capture"/>.</summary>
        private static System.Collections.Generic.List<string> OutsideAFactorOfTwoOfTheCapture(HarnessScenario s, string capture, string phase)
        {
            string from = phase == "hugepages1" ? "frag" : "released";
            var sim = phase == "hugepages1" ? s.Hp1 : s.Cm;
            var outside = new System.Collections.Generic.List<string>();
            foreach (var counter in HarnessScenario.CompactCounters)
            {
                long real = CaptureDelta(capture, from, phase, counter);
                if (2 * sim[counter] < real || sim[counter] > real * 2) outside.Add($"{counter} simulated {sim[counter]}, real {real}");
            }
            return outside;
        }

        /// <summary>The unbooted node's even-state harness run: every delta of both phases within a factor of two of the
        /// DET=1 capture, compact_fail included (simulated stalls / fails / successes 151 / 8 / 143 before compact_memory,
        /// real 158 / 10 / 148). compaction_capture ends a run at a meet with its block taken and the cached pfns left
        /// where the scanners met, so the next run starts met and fails, as the real ones do
        /// (tests/captures/arm64-6.1-qemu/README.md).</summary>
        [Theory]
        [InlineData("hugepages1")]
        [InlineData("compacted")]
        public void Kernel61_EvenParity_UnbootedNode_PhaseDeltas_AreWithinAFactorOfTwoOfTheCapture_CompactFailIncluded(string phase)
        {
            Assert.Empty(OutsideAFactorOfTwoOfTheCapture(Even61.Value, "even", phase));
            if (phase == "hugepages1") Assert.True(Even61.Value.Hp1["compact_fail"] > 0);
        }

        /// <summary>Each phase's deltas as the harness took them, on the booted node in the same parity state: frag →
        /// hugepages1 (the request, then kcompactd until the counters settle) and released → compacted (compact_memory).</summary>
        [Theory]
        [InlineData("rand", "hugepages1")]
        [InlineData("rand", "compacted")]
        [InlineData("even", "hugepages1")]
        [InlineData("even", "compacted")]
        [InlineData("odd", "hugepages1")]
        [InlineData("odd", "compacted")]
        public void Kernel61_BootedNode_PhaseDeltas_AreWithinAFactorOfTwoOfTheCapture(string capture, string phase) =>
            Assert.Empty(OutsideAFactorOfTwoOfTheCapture(Booted61(capture), capture, phase));

        /// <summary>Run by run against the DET=1 even capture, whose request starts on CPU 1, where kernel_init's freed pages
        /// wait: the booted node's direct compactions of the hugepages1 request begin where the real ones do. The first two
        /// at the same pfns, the next four within two blocks (the first frag block is 0x44800 in the DET=1 run, 0x44400
        /// here), the free pfn within six. The sixth is the first to fail in both, beginning with its scanners at most a
        /// block apart, and the seventh is the SYNC_LIGHT compaction of the retry loop (DEF_COMPACT_PRIORITY) at migrate pfn
        /// 0x40200, with the free pfn kswapd's sampled __reset_isolation_suitable leaves (zone_end - 1 - k pageblocks).
        /// From the eighth to the 74th both climb a block a run, the migrate pfns within two blocks, the simulated free pfn
        /// up to ten blocks above the real one; the 75th starts again at the zone's ends in both.</summary>
        [Fact]
        public void Kernel61_BootedNode_EvenState_DirectCompactionsBeginWhereTheDet1Runs_Do()
        {
            var sim = Booted61("even").Hp1DirectBegins;
            var real = HarnessScenario.CapturedDirectBegins(ProcCaptures.HarnessRun("even"), "hugepages1");
            Assert.True(sim.Count >= 75 && real.Count >= 75, $"{sim.Count} simulated, {real.Count} real direct compactions");
            const long block = 512, zoneEnd = 0xc0000;
            for (int run = 1; run <= 2; run++) Assert.Equal(real[run - 1], sim[run - 1]);
            var far = new System.Collections.Generic.List<string>();
            for (int run = 3; run <= 6; run++)
            {
                var (sm, sf, _) = sim[run - 1];
                var (rm, rf, _) = real[run - 1];
                if (Math.Abs(sm - rm) > 2 * block || Math.Abs(sf - rf) > 6 * block)
                    far.Add($"run {run}: simulated 0x{sm:x} / 0x{sf:x}, real 0x{rm:x} / 0x{rf:x}");
            }
            int realSync = real.FindIndex(b => b.Sync), simSync = sim.FindIndex(b => b.Sync);
            Assert.Equal((7, 7), (realSync + 1, simSync + 1));
            foreach (var (list, at) in new[] { (real, realSync), (sim, simSync) })
            {
                Assert.Equal(0x40200, list[at].Migrate);
                Assert.Equal(0, (zoneEnd - 1 - list[at].Free) % block);
                var failed = list[at - 1];
                Assert.True(!failed.Sync && failed.Free - failed.Migrate <= block, $"0x{failed.Migrate:x} / 0x{failed.Free:x}");
            }
            for (int run = 8; run <= 74; run++)
            {
                var (sm, sf, _) = sim[run - 1];
                var (rm, rf, _) = real[run - 1];
                if (Math.Abs(sm - rm) > 2 * block || sf < rf || sf - rf > 10 * block)
                    far.Add($"run {run}: simulated 0x{sm:x} / 0x{sf:x}, real 0x{rm:x} / 0x{rf:x}");
            }
            foreach (var list in new[] { real, sim }) Assert.Equal((0x40000L, zoneEnd - block), (list[74].Migrate, list[74].Free));
            Assert.Empty(far);
        }

        [Fact]
        public void Kernel61_BootedNode_GrantsTheCapturedHugepagesInTheOddState_AndUpToTheWholeRequestInTheOthers()
        {
            // Real: rand 356 and 356; odd 101 and 100; even 308 (DET=1; the harness's non-DET even runs all) and 356.
            var odd = Booted61("odd");
            Assert.InRange(odd.Granted1, CaptureHuge("odd", "hugepages1") - 15, CaptureHuge("odd", "hugepages1") + 15);
            Assert.InRange(odd.Granted2, CaptureHuge("odd", "hugepages2") - 15, CaptureHuge("odd", "hugepages2") + 15);
            var rand = Booted61("rand");
            Assert.Equal(rand.Requested, rand.Granted1);
            Assert.Equal(rand.Requested, rand.Granted2);
            var even = Booted61("even");
            Assert.InRange(even.Granted1, CaptureHuge("even", "hugepages1"), even.Requested);
            Assert.Equal(even.Requested, even.Granted2);
        }

        [Fact]
        public void Kernel61_Rand_CompactMemoryScansWithinAFactorOfTwoOfTheCapture()
        {
            long real = CaptureDelta("rand", "released", "compacted", "compact_migrate_scanned");
            Assert.InRange(Rand61.Value.Cm["compact_migrate_scanned"], real / 2, real * 2);
        }
    }
}
