using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Swap;
using MemMgmt.Core.Tests.Reclaim;
using MemMgmt.Core.Time;
using MemMgmt.Core.Workloads;
using Xunit;
using MemMgmt.Core.Writeback;

namespace MemMgmt.Core.Tests.Workloads
{
    public class WorkingSetTests
    {
        private const long Ms10 = 10_000_000;

        private static MemNode NewNode(long size = 256 * NodeConfig.MiB, long swap = 256 * NodeConfig.MiB)
        {
            var node = new MemNode(new NodeConfig { SizeBytes = size, Seed = 7 });
            if (swap > 0) SwapDevice.Configure(node, swap);
            return node;
        }

        private static void AssertClean(MemNode node) => ReclaimTestKit.AssertClean(node);

        private static int Live(MemNode node, IReadOnlyList<long> handles) => ReclaimTestKit.LiveCount(node, handles);

        private static void RunUntilFinished(MemNode node, WorkingSet stream)
        {
            for (int i = 0; i < 100_000 && !stream.Finished; i++) Daemons.Step(node, Ms10);
            Assert.True(stream.Finished, $"the stream read {stream.PagesRead} of {stream.TargetPages} pages");
        }

        /// <summary>A hot anon set of 25% of memory, touched (PTE young) every 10 ms, stays resident while a sequential read
        /// of twice memory streams through: the streamed pages are reclaimed once used, the hot set is not swapped out.</summary>
        [Fact]
        public void HotAnonSetSurvivesAStreamingReadOfTwiceMemory()
        {
            var node = NewNode();
            var hot = WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.Anon, Percent = 25 });
            long hotPages = hot.Handles.Count;
            Assert.Equal(hot.TargetPages, hotPages);
            var stream = WorkingSets.Add(node, new WorkingSetOptions
            {
                Pattern = WorkingSetPattern.Streaming, Owner = PageOwner.FileCache, Percent = 200, PagesPerRound = 256,
            });
            Assert.Equal(0, stream.PagesRead);
            long steal0 = node.Counters[VmEvent.PgStealKswapd] + node.Counters[VmEvent.PgStealDirect];

            RunUntilFinished(node, stream);

            Assert.Equal(stream.TargetPages, stream.PagesRead);
            Assert.True(stream.TargetPages > node.ManagedPages);
            // Most of the file was reclaimed behind the read.
            long stolen = node.Counters[VmEvent.PgStealKswapd] + node.Counters[VmEvent.PgStealDirect] - steal0;
            Assert.True(stolen >= stream.TargetPages - node.ManagedPages, $"reclaimed {stolen}");
            Assert.True(stream.ResidentPages < node.ManagedPages - hotPages);
            // The hot set stayed: every handle is live and (almost) nothing went to swap.
            Assert.Equal(hotPages, Live(node, hot.Handles));
            Assert.Equal(hotPages, hot.ResidentPages);
            Assert.Equal(0, hot.Skipped);
            Assert.True(node.Counters[VmEvent.PswpOut] < hotPages / 100, $"pswpout {node.Counters[VmEvent.PswpOut]}");
            Assert.True(hot.Rounds >= stream.Rounds - 1);
            AssertClean(node);
        }

        /// <summary>A hot file set (mark_page_accessed every round) is promoted to the active list and survives a one-time
        /// scan of 1.5× memory; a cold file set of the same size, read once and never again, is evicted by it.</summary>
        [Fact]
        public void HotFileSetSurvivesAOneTimeScanThatEvictsAColdOne()
        {
            var node = NewNode(swap: 0);
            var hot = WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.FileCache, Percent = 20 });
            var cold = new List<long>();
            for (long i = 0; i < hot.TargetPages; i++)
            {
                var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0, PageOwner.FileCache);
                Assert.True(r.Success);
                cold.Add(r.Handle);
            }
            // Two rounds: the second mark_page_accessed activates each hot page (PG_referenced, then PG_active).
            Daemons.Step(node, 2 * Ms10);
            var stream = WorkingSets.Add(node, new WorkingSetOptions
            {
                Pattern = WorkingSetPattern.Streaming, Owner = PageOwner.FileCache, Percent = 150, PagesPerRound = 512,
            });

            RunUntilFinished(node, stream);

            Assert.Equal(hot.TargetPages, hot.ResidentPages);
            Assert.True(Live(node, cold) < cold.Count / 10, $"cold pages left: {Live(node, cold)} of {cold.Count}");
            AssertClean(node);
        }

        /// <summary>A Streaming read keeps its pages' handles in a ring of reserved slots: about one slot per page resident
        /// at its peak (the ring grows only when it has fewer dead slots than a round reads), every resident page's handle among
        /// <see cref="WorkingSet.Handles"/>, the same in a copy; stopped, its pages keep their handles as ordinary ones and
        /// can be freed by them.</summary>
        [Fact]
        public void A_streaming_read_keeps_its_resident_pages_in_a_ring_of_about_one_slot_a_page()
        {
            var node = NewNode();
            var stream = WorkingSets.Add(node, new WorkingSetOptions
            {
                Pattern = WorkingSetPattern.Streaming, Owner = PageOwner.FileCache, Percent = 300, PagesPerRound = 256,
            });
            for (int i = 0; i < 400; i++) Daemons.Step(node, Ms10);
            Assert.True(stream.PagesRead > node.ManagedPages, $"read {stream.PagesRead}");
            long resident = stream.ResidentPages;
            var handles = stream.Handles;
            Assert.Equal(resident, handles.Count);
            Assert.Equal(resident, Live(node, handles));
            Assert.True(resident > node.ManagedPages / 2, $"resident {resident}");
            var table = node.Allocations;
            Assert.Equal(resident, table.LiveCount);
            // The ring holds a slot for each page the read had resident at its peak: the pages resident now plus about the
            // free memory kswapd's last batch left above the watermarks.
            Assert.True(table.SlotCount <= resident + node.FreePages + 1024, $"{table.SlotCount} slots for {resident} pages, {node.FreePages} free");
            var copy = node.Clone();
            var copied = WorkingSets.Get(copy)[0];
            Assert.Equal(resident, copied.ResidentPages);
            Assert.Equal(handles, copied.Handles);
            Daemons.Step(copy, 20 * Ms10);
            Assert.Equal(copied.ResidentPages, copy.Allocations.LiveCount);
            AssertClean(copy);

            Assert.True(WorkingSets.Remove(node, stream));
            Assert.Equal(resident, stream.ResidentPages);
            Assert.Equal(handles, stream.Handles);
            foreach (long h in handles) PageAllocator.Free(node, h);
            Assert.Equal(0, stream.ResidentPages);
            Assert.Equal(0, node.Allocations.LiveCount);
            AssertClean(node);
        }

        /// <summary>A hot anon set against cold anon and no page cache: a third set faulting in 20% of memory forces
        /// reclaim of anon. Reclaim and the faults take virtual time, during which the hot set's rounds touch its pages
        /// (PTE young), so page_check_references activates them and the cold pages go to swap instead (second chance).</summary>
        [Fact]
        public void HotAnonSetKeepsItsPagesAgainstColdAnonWhileReclaimRuns()
        {
            var node = NewNode(swap: 512 * NodeConfig.MiB);
            var hot = WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.Anon, Percent = 25 });
            Daemons.Step(node, 100_000_000);
            var cold = WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.Anon, Percent = 60 });
            WorkingSets.Remove(node, cold); // its pages stay mapped, never touched again
            Daemons.Step(node, 100_000_000);
            long t0 = node.Clock.NowNs;
            var more = WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.Anon, Percent = 20 });
            Assert.True(node.Counters[VmEvent.PgStealDirect] + node.Counters[VmEvent.PgStealKswapd] > 0, "the fault-in had to reclaim");
            // Faulting in 20% of memory took time, and the hot set's rounds ran inside it.
            Assert.True(node.Clock.NowNs - t0 >= more.TargetPages * 1_000);
            for (int i = 0; i < 100; i++) Daemons.Step(node, Ms10);

            Assert.Equal(more.TargetPages, more.ResidentPages);
            Assert.Equal(hot.TargetPages, hot.ResidentPages);
            long coldLive = cold.ResidentPages;
            Assert.True(coldLive < cold.TargetPages - more.TargetPages / 2, $"cold pages left: {coldLive} of {cold.TargetPages}");
            Assert.True(node.Counters[VmEvent.PswpOut] >= more.TargetPages / 2);
            AssertClean(node);
        }

        /// <summary>A round that falls due while reclaim waits (congestion_wait, a scan) runs at its own time inside the
        /// wait, not after it; a Streaming read, which allocates, waits for the next slice of Step instead.</summary>
        [Fact]
        public void AccessRoundsRunInsideTimePassingButStreamingWaits()
        {
            var node = NewNode(swap: 0);
            var hot = WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.Shmem, Percent = 5, IntervalNs = 5_000_000 });
            var stream = WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.Streaming, Owner = PageOwner.FileCache, Percent = 50, PagesPerRound = 16, IntervalNs = 5_000_000 });
            long rounds0 = hot.Rounds;
            WritebackIo.Sleep(node, 100_000_000); // congestion_wait(HZ/10) in reclaim
            Assert.Equal(rounds0 + 20, hot.Rounds);
            Assert.Equal(0, stream.Rounds);
            Assert.Equal(0, stream.PagesRead);
            Daemons.Step(node, 0); // the overdue reads run at the start of the next Step
            Assert.True(stream.Rounds >= 19, $"stream rounds {stream.Rounds}");
            Assert.Equal(stream.Rounds * 16, stream.PagesRead);
            AssertClean(node);
        }

        /// <summary>Random touches a seeded fraction per round; a copy of the node carries its workloads and replays the
        /// same accesses, independently of the original.</summary>
        [Fact]
        public void RandomSetIsSeededAndCopiedWithTheNode()
        {
            var node = NewNode(swap: 0);
            var ws = WorkingSets.Add(node, new WorkingSetOptions
            {
                Pattern = WorkingSetPattern.Random, Owner = PageOwner.Shmem, Percent = 10, AccessFraction = 0.3, Seed = 42,
                IntervalNs = 5_000_000,
            });
            Daemons.Step(node, 7_000_000); // one round, 2 ms pending
            Assert.Equal(1, ws.Rounds);
            Assert.Equal(2_000_000, ws.PendingNs);
            double share = ws.Accesses / (double)ws.TargetPages;
            Assert.InRange(share, 0.27, 0.33);

            var copy = node.Clone();
            var cws = WorkingSets.Get(copy)[0];
            Assert.NotSame(ws, cws);
            Assert.Same(copy, cws.Node);
            Daemons.Step(copy, 8_000_000); // rounds at +3 ms and +8 ms
            Assert.Equal(3, cws.Rounds);
            Assert.Equal(1, ws.Rounds);
            Daemons.Step(node, 8_000_000);
            Assert.Equal(cws.Accesses, ws.Accesses);
            Assert.Equal(3, ws.Rounds);
            AssertClean(node);
            AssertClean(copy);
        }

        [Theory]
        [InlineData("PercentOutOfRange", WorkingSetPattern.HotSet, PageOwner.Anon, 150.0)]
        [InlineData("PercentOutOfRange", WorkingSetPattern.Streaming, PageOwner.FileCache, 7000.0)]
        [InlineData("ContradictoryWorkingSetOptions", WorkingSetPattern.Streaming, PageOwner.Anon, 50.0)]
        [InlineData("WorkingSetOwnerNotSupported", WorkingSetPattern.HotSet, PageOwner.SlabUnmovable, 10.0)]
        public void BadOptionsAreRejectedBeforeAnythingChanges(string id, WorkingSetPattern pattern, PageOwner owner, double percent)
        {
            var node = NewNode(swap: 0);
            long free = node.FreePages;
            var e = Assert.Throws<MemMgmtException>(() =>
                WorkingSets.Add(node, new WorkingSetOptions { Pattern = pattern, Owner = owner, Percent = percent }));
            Assert.Equal(id, e.ErrorId);
            Assert.Empty(WorkingSets.Get(node));
            Assert.Equal(free, node.FreePages);
        }

        [Fact]
        public void PagesPerRoundOnlyForStreaming()
        {
            var node = NewNode(swap: 0);
            var e = Assert.Throws<MemMgmtException>(() => WorkingSets.Add(node, new WorkingSetOptions { PagesPerRound = 8 }));
            Assert.Equal("ContradictoryWorkingSetOptions", e.ErrorId);
            e = Assert.Throws<MemMgmtException>(() => WorkingSets.Add(node,
                new WorkingSetOptions { Pattern = WorkingSetPattern.Streaming, Owner = PageOwner.FileCache, PagesPerRound = 0 }));
            Assert.Equal("PagesPerRoundOutOfRange", e.ErrorId);
            Assert.Contains("allowed 1 to", e.Message);
        }
    }
}
