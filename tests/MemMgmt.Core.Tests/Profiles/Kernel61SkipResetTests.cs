using System.Collections.Generic;
using System.IO;
using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Hugetlb;
using MemMgmt.Core.Node;
using MemMgmt.Core.Tests.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>6.1's sampled __reset_isolation_suitable and should_compact_retry for withdrawn results, against the real arm64
    /// 6.1 kernel's trace in tests/captures/arm64-6.1-qemu/odd/hugepages1/trace.txt, and the 4.14 behaviour they replace.</summary>
    public class Kernel61SkipResetTests
    {
        private static string Capture(string scenario, string phase) => ProcCaptures.Harness(scenario, phase);

        private static MemNode Frag(string scenario, KernelProfile? kernel = null) =>
            CaptureBuilder.Build(Capture(scenario, "frag"), new CaptureOptions { Name = "frag", Kernel = kernel }, new List<string>());

        [Fact]
        public void OddParityFreePages_LeaveNoRestartPoint_SoTheScannersRestartWhereTheWalkMet_AsTheRealTrace()
        {
            // The real kernel's third compaction of the odd run, after kswapd went to sleep (reset_isolation_suitable):
            // "mm_compaction_begin: zone_start=0x40000 migrate_pfn=0x80000 free_pfn=0x7ffff zone_end=0xc0000, mode=sync".
            string trace = File.ReadAllText(Path.Combine(Capture("odd", "hugepages1"), "trace.txt"));
            Assert.Contains("migrate_pfn=0x80000 free_pfn=0x7ffff zone_end=0xc0000, mode=sync", trace);
            // The harness's odd run on a simulated node: frag, then the huge page pool takes every free block of pageblock
            // order and above (and compaction gives up, as there).
            var node = new MemNode(new NodeConfig { Kernel = KernelProfile.Linux61 });
            MemMgmt.Core.Workloads.Pressure.Run(node, new MemMgmt.Core.Workloads.PressureOptions { Pattern = MemMgmt.Core.Workloads.PressurePattern.Frag, Parity = MemMgmt.Core.Workloads.PageParity.Odd });
            HugetlbPool.SetMaxHugePages(node, 356);
            var zone = node.GetZone(ZoneType.DMA);
            zone.CompactBlockskipFlush = true; // a direct compaction's scanners met
            CompactionEngine.ResetIsolationSuitable(node);
            // Every other page is free, at odd pfns; the walk samples pfns 0, 8, 16 … of each block and finds no free block
            // head in a Movable block of the upper half, so no restart pair exists.
            Assert.Equal(0x80000, zone.CompactCachedMigratePfn[0]);
            Assert.Equal(0x80000, zone.CompactCachedMigratePfn[1]);
            Assert.Equal(0x7ffff, zone.CompactCachedFreePfn);
            Assert.False(zone.CompactBlockskipFlush);
        }

        [Fact]
        public void OddRun_TheFailingHugePageRequest_TracesTheRealKernelsThreeCompactions()
        {
            // Real: async success; async partial_skipped (scanners met); kswapd, woken by the request, naps on the other CPU
            // and resets the skip hints (kswapd_try_to_sleep); sync-light begins at migrate_pfn=0x80000 free_pfn=0x7ffff, ends at once and
            // defers; the request gives up.
            var node = new MemNode(new NodeConfig { Kernel = KernelProfile.Linux61 });
            MemMgmt.Core.Workloads.Pressure.Run(node, new MemMgmt.Core.Workloads.PressureOptions { Pattern = MemMgmt.Core.Workloads.PressurePattern.Frag, Parity = MemMgmt.Core.Workloads.PageParity.Odd });
            node.Trace.Clear();
            HugetlbPool.SetMaxHugePages(node, 356);
            var lines = node.Trace.RenderFtrace(node).Split('\n')
                .Where(l => l.Contains("mm_compaction_begin") || l.Contains("mm_compaction_end") || l.Contains("try_to_compact_pages")
                    || l.Contains("mm_compaction_defer_compaction") || l.Contains("mm_vmscan_kswapd_wake")).ToList();
            int last = lines.FindLastIndex(l => l.Contains("priority=1"));
            Assert.True(last > 0, string.Join("\n", lines));
            Assert.Contains("migrate_pfn=0x80000 free_pfn=0x7ffff zone_end=0xc0000, mode=sync", lines[last + 1]);
            Assert.Contains("status=partial_skipped", lines[last + 2]);
            Assert.Contains("mm_compaction_defer_compaction", lines[last + 3]);
            // kswapd ran between the async and the sync-light attempt (its nap is what reset the hints).
            Assert.Contains("mm_vmscan_kswapd_wake", lines[last - 1]);
            Assert.Contains("status=partial_skipped", lines[last - 2]);
        }

        [Fact]
        public void EvenParityFreePages_RestartTheScannersAtTheFirstSampledLruAndFreePages()
        {
            var node = Frag("even");
            var zone = node.GetZone(ZoneType.DMA);
            zone.CompactBlockskipFlush = true;
            CompactionEngine.ResetIsolationSuitable(node);
            long migrate = zone.CompactInitMigratePfn, free = zone.CompactInitFreePfn;
            Assert.True(migrate < free, $"migrate restart 0x{migrate:x}, free restart 0x{free:x}");
            Assert.Equal(migrate, zone.CompactCachedMigratePfn[0]);
            Assert.Equal(free, zone.CompactCachedFreePfn);
            // The free restart is the highest Movable block whose every-eighth-page sample hits a free block's head.
            long block = free & ~511L;
            Assert.Equal(MigrateType.Movable, node.GetPageblockMigratetype(block));
            Assert.Contains(Enumerable.Range(0, 64).Select(k => block + 8 * k), pfn => (node.GetPageFlags(pfn) & PageFlags.Buddy) != 0);
            for (long higher = block + 512; higher < zone.ZoneEndPfn; higher += 512)
                if (node.GetPageblockMigratetype(higher) == MigrateType.Movable)
                    Assert.DoesNotContain(Enumerable.Range(0, 64).Select(k => higher + 8 * k), pfn => (node.GetPageFlags(pfn) & PageFlags.Buddy) != 0);
        }

        [Fact]
        public void WithoutTheFlushFlag_61DoesNothing_While414ClearsEverySkipBitAndRestartsAtTheZoneEnds()
        {
            var n61 = Frag("odd");
            var z61 = n61.GetZone(ZoneType.DMA);
            z61.CompactCachedMigratePfn[0] = 0x50000;
            CompactionEngine.ResetIsolationSuitableZone(z61);
            Assert.Equal(0x50000, z61.CompactCachedMigratePfn[0]);

            var n414 = Frag("odd", KernelProfile.Linux414);
            var z414 = n414.GetZone(ZoneType.DMA);
            n414.SetBlockSkip(n414.ToIndex(0x60000), true);
            z414.CompactCachedMigratePfn[0] = 0x50000;
            CompactionEngine.ResetIsolationSuitableZone(z414);
            Assert.Equal(0x40000, z414.CompactCachedMigratePfn[0]);
            Assert.Equal(0xbfe00, z414.CompactCachedFreePfn);
            Assert.False(n414.BlockSkip(n414.ToIndex(0x60000)));
        }

        [Theory]
        [InlineData("6.1", CompactPriority.SyncLight, false, CompactPriority.SyncLight)]
        [InlineData("6.1", CompactPriority.Async, true, CompactPriority.SyncLight)]
        [InlineData("4.14", CompactPriority.SyncLight, true, CompactPriority.SyncLight)]
        public void CostlyRequest_PartialSkipped_61RaisesThePriorityOrGivesUp_414RetriesWhileTheZonelistIsSuitable(
            string kernel, CompactPriority before, bool retry, CompactPriority after)
        {
            // kernel: should_compact_retry (mm/page_alloc.c, 6.1): compaction_withdrawn → check_priority, where a costly order
            // stops at MIN_COMPACT_COSTLY_PRIORITY (SYNC_LIGHT); 4.14: compaction_withdrawn → compaction_zonelist_suitable.
            var node = new MemNode(new NodeConfig { Kernel = KernelProfile.Find(kernel) });
            var gfp = HugetlbPool.FreshHugePageGfp;
            var prio = before;
            int retries = 0;
            Assert.Equal(retry, PageAllocator.ShouldCompactRetry(node, 9, gfp, Gfp.ToAllocFlags(gfp), CompactResult.PartialSkipped, ref prio, ref retries));
            Assert.Equal(after, prio);
        }

        [Fact]
        public void Kernel61_Skipped_StillRetriesWhileReclaimCouldHelp()
        {
            var node = new MemNode(new NodeConfig { Kernel = KernelProfile.Linux61 });
            var gfp = HugetlbPool.FreshHugePageGfp;
            var prio = CompactPriority.SyncLight;
            int retries = 0;
            Assert.True(PageAllocator.ShouldCompactRetry(node, 9, gfp, Gfp.ToAllocFlags(gfp), CompactResult.Skipped, ref prio, ref retries));
            Assert.Equal(CompactPriority.SyncLight, prio);
        }
    }
}
