using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Reclaim
{
    public class KswapdTests
    {
        private static int MovableIdx(MemNode node) => node.Kernel.ZoneIndex(ZoneType.Movable);

        /// <summary>A node full of clean, never-touched page cache driven below min. kswapd scans inactive_file &gt;&gt;
        /// priority per pass (SCAN_FILE: no swap), reclaims every page it scans, lowers the priority while it scans less
        /// than its target Σ max(high, 32), and stops as soon as the zone passes its high watermark.</summary>
        [Fact]
        public void KswapdTakesANodeFromBelowMinToHigh()
        {
            var node = ReclaimTestKit.NewNode();
            var dma = node.GetZone(ZoneType.DMA);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            ReclaimTestKit.FillNoWatermarks(node, PageOwner.FileCache, dma.FreePages - dma.WatermarkMin + 200);
            Assert.True(dma.FreePages < dma.WatermarkMin);
            Assert.Equal(KswapdState.Sleeping, Kswapd.GetState(node));
            Kswapd.Wakeup(node, 0, MovableIdx(node));
            Assert.Equal(KswapdState.Runnable, Kswapd.GetState(node));
            long i0 = Lru.Size(node, 0, LruList.InactiveFile);
            var rep = Kswapd.Advance(node, 1_000_000_000);

            Assert.Equal(KswapdState.Sleeping, rep.State);
            Assert.True(rep.Balanced);
            Assert.True(dma.FreePages > dma.WatermarkHigh);
            Assert.Equal(1, rep.Runs);
            Assert.Equal(1, node.Counters[VmEvent.PageOutRun]);
            long target = dma.WatermarkHigh;
            long inactive = i0, total = 0;
            for (int p = 12, k = 0; k < 3; p--, k++)
            {
                long r = inactive >> p;
                Assert.Equal($"balance_pgdat priority {p}: order 0, scanned {r}, reclaimed {r} (target {target})", rep.Steps[k]);
                inactive -= r;
                total += r;
            }
            Assert.Equal(rep.NrReclaimed, node.Counters[VmEvent.PgStealKswapd]);
            Assert.Equal(node.Counters[VmEvent.PgScanKswapd], node.Counters[VmEvent.PgStealKswapd]);
            Assert.Equal(0, node.Counters[VmEvent.KswapdLowWmarkHitQuickly]);
            Assert.Equal(0, node.Counters[VmEvent.KswapdHighWmarkHitQuickly]);
            Assert.Single(rep.KcompactdWakeups);
            ReclaimTestKit.AssertClean(node);
        }

        [Fact]
        public void WakeupIsIgnoredWhenBalancedOrHopeless()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            Kswapd.Wakeup(node, 0, MovableIdx(node));
            Assert.Equal(KswapdState.Sleeping, Kswapd.GetState(node)); // plenty free: balanced
            Assert.Equal(0, Kswapd.GetOrder(node));
            Assert.Equal(MovableIdx(node), Kswapd.GetClasszoneIdx(node)); // recorded even so
        }

        /// <summary>No swap and nothing but anon: every balance_pgdat reclaims nothing, kswapd_failures climbs to 16, the
        /// node is hopeless and kswapd sleeps; wakeups are then ignored.</summary>
        [Fact]
        public void AnonOnlyWithoutSwapMakesKswapdHopeless()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            ReclaimTestKit.Fill(node, PageOwner.Anon, long.MaxValue);
            var dma = node.GetZone(ZoneType.DMA);
            ReclaimTestKit.FillNoWatermarks(node, PageOwner.Anon, dma.FreePages - dma.WatermarkMin + 10);
            Kswapd.Wakeup(node, 0, MovableIdx(node));
            var rep = Kswapd.Advance(node, 1_000_000_000);
            Assert.Equal(MmConstants.MaxReclaimRetries, rep.KswapdFailures);
            Assert.True(rep.Hopeless);
            Assert.Equal(16, node.KswapdFailures); // zoneinfo's node_unreclaimable reads this
            Assert.Equal(KswapdState.Sleeping, rep.State);
            Assert.Equal(16, rep.Runs);
            Assert.Equal(15, rep.HighWmarkHitQuickly); // each failed run loops straight back, until the 16th
            Kswapd.Wakeup(node, 0, MovableIdx(node));
            Assert.Equal(KswapdState.Sleeping, Kswapd.GetState(node));
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>An order-3 wakeup: once 2^(3+1) pages are reclaimed kswapd drops to order 0, finishes at order 0 and
        /// wakes kcompactd for the original order when it naps.</summary>
        [Fact]
        public void HighOrderWakeupDropsToOrderZeroAndWakesKcompactd()
        {
            var node = ReclaimTestKit.NewNode();
            var dma = node.GetZone(ZoneType.DMA);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            ReclaimTestKit.FillNoWatermarks(node, PageOwner.FileCache, dma.FreePages - dma.WatermarkMin + 100);
            Kswapd.Wakeup(node, 3, MovableIdx(node));
            var rep = Kswapd.Advance(node, 0);
            Assert.Equal(3, rep.AllocOrder);
            Assert.Equal(0, rep.ReclaimOrder);
            Assert.Contains("order 3,", rep.Steps[0]);
            Assert.Contains("order 0,", rep.Steps[1]);
            Assert.Equal(new List<(int, int)> { (3, MovableIdx(node)) }, rep.KcompactdWakeups);
            Assert.Equal(KswapdState.Napping, rep.State);
            var later = Kswapd.Advance(node, Kswapd.NapNs);
            Assert.Equal(KswapdState.Sleeping, later.State);
            ReclaimTestKit.AssertClean(node);
        }

        [Fact]
        public void WakeDuringTheNapCountsLowWatermarkHitQuickly()
        {
            var node = ReclaimTestKit.NewNode();
            var dma = node.GetZone(ZoneType.DMA);
            var files = ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            Kswapd.Wakeup(node, 0, MovableIdx(node));
            Kswapd.Advance(node, 0);
            Assert.Equal(KswapdState.Napping, Kswapd.GetState(node));
            ReclaimTestKit.FillNoWatermarks(node, PageOwner.FileCache, dma.FreePages - dma.WatermarkLow + 10);
            Kswapd.Wakeup(node, 0, MovableIdx(node));
            var rep = Kswapd.Advance(node, 0);
            Assert.Equal(1, node.Counters[VmEvent.KswapdLowWmarkHitQuickly]);
            Assert.Equal(1, rep.Runs);
            ReclaimTestKit.AssertClean(node);
        }
    }

    public class DirectReclaimTests
    {
        /// <summary>try_to_free_pages at DEF_PRIORITY in global direct reclaim does not stop at nr_to_reclaim (scan_adjusted):
        /// it reclaims all inactive_file &gt;&gt; 12 pages, counts allocstall in gfp_zone(GFP_KERNEL) (Normal) and pgsteal_direct.</summary>
        [Fact]
        public void DirectReclaimAtDefPriority()
        {
            var node = ReclaimTestKit.NewNode();
            ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            long i0 = Lru.Size(node, 0, LruList.InactiveFile);
            var rep = Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL);
            Assert.Equal(i0 >> 12, rep.NrReclaimed);
            Assert.Equal(i0 >> 12, rep.ReclaimedFile);
            Assert.Equal(12, rep.PriorityReached);
            Assert.Equal(1, node.Counters.Get(ZoneEvent.AllocStall, node.Kernel.ZoneIndex(ZoneType.Normal)));
            Assert.Equal(i0 >> 12, node.Counters[VmEvent.PgStealDirect]);
            Assert.Equal(i0 >> 12, node.Counters[VmEvent.PgScanDirect]);
            Assert.Equal(0, node.Counters[VmEvent.PgStealKswapd]);
            Assert.Equal(VmPressureLevel.Low, rep.PressureLevel);
            ReclaimTestKit.AssertClean(node);
        }

        [Fact]
        public void RejectedRequestChangesNothing()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, 1000);
            var e = Assert.Throws<MemMgmtException>(() => Vmscan.TryToFreePages(node, 11, GfpFlags.GFP_KERNEL));
            Assert.Equal("OrderOutOfRange", e.ErrorId);
            Assert.Contains("11", e.Message);
            Assert.Equal(0, node.Counters.Get(ZoneEvent.AllocStall, node.Kernel.ZoneIndex(ZoneType.Normal)));
            Assert.Equal(1000, Lru.Size(node, 0, LruList.InactiveFile));
            Assert.Equal("ReclaimPagesOutOfRange", Assert.Throws<MemMgmtException>(() => Vmscan.ReclaimPages(node, 0)).ErrorId);
        }

        /// <summary>Nothing reclaimable (anon, no swap): the priority loop runs 12..0, retries once with may_thrash
        /// (allocstall counted twice, as 4.14's retry label precedes it) and returns 0; vmpressure goes critical.</summary>
        [Fact]
        public void NothingReclaimableRunsEveryPriorityAndRetriesOnce()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            ReclaimTestKit.Fill(node, PageOwner.Anon, 5000);
            var rep = Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL);
            Assert.Equal(0, rep.NrReclaimed);
            Assert.Equal(0, rep.PriorityReached);
            Assert.Equal(2, node.Counters.Get(ZoneEvent.AllocStall, node.Kernel.ZoneIndex(ZoneType.Normal)));
            Assert.Contains(rep.PressureEvents, e => e.Level == VmPressureLevel.Critical);
            ReclaimTestKit.AssertClean(node);
        }
    }
}
