using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Time;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Reclaim
{
    /// <summary>kswapd on the second CPU during a burst (Daemons.AfterRequest): it keeps up with a stream slower than its
    /// reclaim and lets a faster one fall through to direct reclaim.</summary>
    public class KswapdAlongsideTests
    {
        private const long StreamPages = 40_000;

        /// <summary>A 512 MiB node whose free pages stand 1000 pages above the low watermark, the rest clean inactive page
        /// cache that kswapd reclaims at one page per Vmscan.ScanPageCostNs.</summary>
        private static MemNode PageCacheNode(int cpus = 2, KernelProfile? kernel = null)
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 512 * NodeConfig.MiB, Cpus = cpus, Kernel = kernel ?? KernelProfile.Linux414 });
            var dma = node.GetZone(ZoneType.DMA);
            // Above the low watermark all the way, on cpu 0 (the one-CPU node has no other).
            for (long i = dma.FreePages - dma.WatermarkLow - 1000; i > 0; i--)
                Assert.True(PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0, PageOwner.FileCache).Success);
            LruCache.DrainAll(node);
            Assert.Equal(KswapdState.Sleeping, Kswapd.GetState(node));
            return node;
        }

        private static long AllocStalls(MemNode node)
        {
            long n = 0;
            for (int z = 0; z < node.ZoneArr.Length; z++) n += node.Counters.Get(ZoneEvent.AllocStall, z);
            return n;
        }

        /// <summary>Page faults (WorkloadCost.PageFaultNs, 1 µs) come at half the rate kswapd reclaims clean page cache
        /// (2 pages per µs): once the first fault below the low watermark wakes it, kswapd holds the zone above min for the
        /// whole stream, and no fault enters direct reclaim.</summary>
        [Fact]
        public void AFaultStreamAboveMinIsServedByKswapd()
        {
            var node = PageCacheNode();
            var dma = node.GetZone(ZoneType.DMA);
            long t0 = node.Clock.NowNs;
            var p = Processes.Start(node, new ProcessOptions { Name = "stream", AnonPages = StreamPages });

            Assert.Null(p.FaultFailure);
            Assert.Equal(StreamPages, p.Mapped);
            Assert.Equal(0, AllocStalls(node));
            Assert.Equal(0, node.Counters[VmEvent.PgScanDirect]);
            Assert.True(node.Counters[VmEvent.PgScanKswapd] > 0);
            // kswapd freed what the stream took beyond the 1000 pages of headroom above low.
            Assert.True(node.Counters[VmEvent.PgStealKswapd] >= StreamPages - 1000, $"pgsteal_kswapd {node.Counters[VmEvent.PgStealKswapd]}");
            Assert.True(node.Counters[VmEvent.PageOutRun] >= 1);
            Assert.True(dma.FreePages > dma.WatermarkMin);
            // kswapd's scanning ran on its own CPU: the task's clock moved by its faults alone.
            Assert.Equal(StreamPages * WorkloadCost.PageFaultNs, node.Clock.NowNs - t0);
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>The same stream on a one-CPU node: there is no second CPU for kswapd, which is woken but runs only when
        /// time is stepped, so the stream falls below min and reclaims directly — what the previous test's assertions tell
        /// apart.</summary>
        [Fact]
        public void WithoutASecondCpuTheSameStreamStallsInDirectReclaim()
        {
            var node = PageCacheNode(cpus: 1);
            var p = Processes.Start(node, new ProcessOptions { Name = "stream", AnonPages = StreamPages });

            Assert.Null(p.FaultFailure);
            Assert.True(AllocStalls(node) > 0);
            Assert.True(node.Counters[VmEvent.PgScanDirect] > 0);
            Assert.Equal(0, node.Counters[VmEvent.PgScanKswapd]);
            Assert.NotEqual(KswapdState.Sleeping, Kswapd.GetState(node));
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>Bare alloc_pages calls (WorkloadCost.AllocPagesNs, 250 ns: four pages per µs) outrun kswapd's two: it
        /// reclaims alongside, but the zone reaches min and part of the stream reclaims directly.</summary>
        [Fact]
        public void AFasterStreamOutrunsKswapdAndStalls()
        {
            var node = PageCacheNode();
            for (int i = 0; i < StreamPages; i++)
            {
                var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0, PageOwner.Anon);
                Assert.True(r.Success);
                Daemons.AfterAllocationRequest(node, 0);
            }

            Assert.True(node.Counters[VmEvent.PgScanKswapd] > 0);
            Assert.True(AllocStalls(node) > 0);
            Assert.True(node.Counters[VmEvent.PgStealDirect] > 0);
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>Order-3 requests on a node of anonymous memory without swap: kswapd runs alongside but has nothing
        /// to reclaim, so every request that finds the zone at min stalls in direct reclaim.</summary>
        [Fact]
        public void HighOrderRequestsWithNothingToReclaimStall()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 512 * NodeConfig.MiB });
            var dma = node.GetZone(ZoneType.DMA);
            ReclaimTestKit.Fill(node, PageOwner.Anon, dma.FreePages - dma.WatermarkLow - 64);
            var rep = Pressure.Run(node, new PressureOptions { Order = 3, Percent = 0.001, Pattern = PressurePattern.Fill, Requests = 2000 });

            Assert.True(rep.Failures > 0 || AllocStalls(node) > 0);
            Assert.True(AllocStalls(node) > 0);
            Assert.True(node.Counters[VmEvent.PageOutRun] > 0, "kswapd ran alongside the requests");
            Assert.Equal(0, node.Counters[VmEvent.PgStealKswapd]);
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>A stream that wakes kswapd and then stays above the low watermark: after its balance_pgdat run kswapd
        /// naps, and once the stream's time passes the HZ/10 nap it goes fully to sleep, with the stream still running.</summary>
        [Fact]
        public void KswapdSleepsAgainWhenTheStreamLeavesItNothingToDo()
        {
            var node = PageCacheNode();
            Processes.Start(node, new ProcessOptions { Name = "wake", AnonPages = 2000 });
            Assert.NotEqual(KswapdState.Sleeping, Kswapd.GetState(node));
            long runs = node.Counters[VmEvent.PageOutRun];
            Assert.True(runs >= 1);
            // 150 ms of allocations at 1 µs that stay above low (each page given back): the nap ends and kswapd sleeps.
            var dma = node.GetZone(ZoneType.DMA);
            Assert.True(dma.FreePages - dma.WatermarkLow > 1000);
            for (long i = 0; i < 150_000; i++)
            {
                var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0, PageOwner.Anon);
                Assert.True(r.Success);
                PageAllocator.Free(node, r.Handle);
                Daemons.AfterRequest(node, 0, WorkloadCost.PageFaultNs);
            }
            Assert.Equal(KswapdState.Sleeping, Kswapd.GetState(node));
            Assert.Equal(runs, node.Counters[VmEvent.PageOutRun]);
        }

        /// <summary>6.1: kswapd's balance_pgdat beside the task lands at once but ends later on its own CPU; until the task's
        /// time passes that end the zone stays ZONE_RECLAIM_ACTIVE, so the task's frees flush its pcp at
        /// min(4·batch, high) (nr_pcp_high, mm/page_alloc.c, 6.1), and then the flush point is pcp->high again.</summary>
        [Fact]
        public void Kernel61_KswapdBesideTheTask_KeepsTheZoneReclaimActiveForTheTasksFrees_UntilItsRunEnds()
        {
            var node = PageCacheNode(kernel: KernelProfile.Linux61);
            var dma = node.GetZone(ZoneType.DMA);
            var pcp = dma.GetPageset(0);
            Assert.Equal(pcp.HighField, pcp.FreeHighField);
            while (Kswapd.GetState(node) == KswapdState.Sleeping)
                Assert.True(PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0, PageOwner.Anon).Success);

            Daemons.DaemonsCatchUp(node, 0);

            var ks = node.KswapdSt;
            Assert.True(node.Counters[VmEvent.PgStealKswapd] > 0);
            Assert.True(ks.ReclaimActiveUntilNs > node.Clock.NowNs, $"kswapd's run ends at {ks.ReclaimActiveUntilNs}, the task is at {node.Clock.NowNs}");
            Assert.True(dma.ReclaimActive);
            Assert.Equal(System.Math.Min(4 * pcp.BatchField, pcp.HighField), pcp.FreeHighField);

            VirtualTime.Pass(node, ks.ReclaimActiveUntilNs - node.Clock.NowNs);

            Assert.False(dma.ReclaimActive);
            Assert.Equal(0, ks.ReclaimActiveUntilNs);
            Assert.Equal(pcp.HighField, pcp.FreeHighField);
        }

        /// <summary>Same commands, same state: two nodes driven alike, and a copy taken mid-stream (kswapd awake, its CPU
        /// busy) that continues alike, end with the same counters, clocks and free pages.</summary>
        [Fact]
        public void BurstsWithKswapdAlongsideAreDeterministic()
        {
            var a = PageCacheNode();
            var b = PageCacheNode();
            Processes.Start(a, new ProcessOptions { Name = "s", AnonPages = 20_000 });
            Processes.Start(b, new ProcessOptions { Name = "s", AnonPages = 20_000 });
            var c = a.Clone("copy");
            foreach (var n in new[] { a, b, c })
                Pressure.Run(n, new PressureOptions { Order = 2, Percent = 1, Pattern = PressurePattern.Fill, FileFraction = 0.5, Requests = 3000, Seed = 7 });
            foreach (var n in new[] { b, c })
            {
                Assert.Equal(a.Clock.NowNs, n.Clock.NowNs);
                Assert.Equal(a.FreePages, n.FreePages);
                Assert.Equal(Kswapd.GetState(a), Kswapd.GetState(n));
                foreach (VmEvent e in System.Enum.GetValues(typeof(VmEvent)))
                    if (e != VmEvent.Count) Assert.Equal(a.Counters[e], n.Counters[e]);
                for (int z = 0; z < a.ZoneArr.Length; z++) Assert.Equal(a.Counters.Get(ZoneEvent.AllocStall, z), n.Counters.Get(ZoneEvent.AllocStall, z));
            }
            Assert.True(a.Counters[VmEvent.PgScanKswapd] > 0);
        }
    }
}
