using System;
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

        /// <summary>A Streaming read that has read its whole file packs its ring once kswapd sleeps: one slot a resident
        /// page, the slots beyond given back to the table (whose arrays shrink when the ring was their top). Nothing the
        /// simulation decides changes: against the same read left unpacked, the same pages in the same order, the same page
        /// flags and owners, LRU sizes, /proc/vmstat and buddyinfo, after the pack and after later reclaim drops some pages. A handle
        /// a moved page had before is refused; a snapshot round trip keeps the packed ring. <paramref name="above"/>: 1, other
        /// slots are made above the ring while it grows (it goes on in a range above them); 2, just before the read ends
        /// (the slots the pack gives back are not the table's top, so they join its free list and nothing shrinks).</summary>
        [Theory]
        [InlineData(0)]
        [InlineData(1)]
        [InlineData(2)]
        public void A_finished_streaming_read_packs_its_ring_and_decides_nothing_differently(int above)
        {
            var packed = NewNode();
            var plain = NewNode();
            var a = StartRead(packed, true, above == 1);
            var b = StartRead(plain, false, above == 1);
            IReadOnlyList<long> before = new long[0];
            var pagesBefore = new List<long>();
            for (int i = 0; i < 100_000 && !a.Finished; i++)
            {
                if (a.TargetPages - a.PagesRead <= a.PagesPerRound && before.Count == 0)
                {
                    before = a.Handles;
                    foreach (long h in before) { Assert.True(PageAllocator.TryGetAllocation(packed, h, out long pfn, out _)); pagesBefore.Add(pfn); }
                    if (above == 2) { AllocateKernelPages(packed); AllocateKernelPages(plain); }
                }
                Daemons.Step(packed, Ms10);
                Daemons.Step(plain, Ms10);
            }
            Assert.True(a.Finished && b.Finished, $"read {a.PagesRead} and {b.PagesRead} of {a.TargetPages}");
            Assert.NotEmpty(before);
            for (int i = 0; i < 1000 && !a.RingPacked; i++)
            {
                Daemons.Step(packed, Ms10);
                Daemons.Step(plain, Ms10);
            }
            Assert.True(a.RingPacked, $"kswapd {Kswapd.GetState(packed)}");
            Assert.False(b.RingPacked);

            Assert.True(b.RingSlots > b.ResidentPages, $"the unpacked ring has {b.RingSlots} slots for {b.ResidentPages} pages");
            Assert.Equal(a.ResidentPages, a.RingSlots);
            if (above == 2) Assert.Equal(plain.Allocations.SlotCount, packed.Allocations.SlotCount);
            else
            {
                Assert.Equal(plain.Allocations.SlotCount - (b.RingSlots - a.RingSlots), packed.Allocations.SlotCount);
                Assert.Equal(packed.Allocations.SlotCount, packed.Allocations.Capacity);
            }
            AssertSameDecisions(packed, a, plain, b);

            // The handles taken before the last round: those of pages the pack moved are refused, and freeing by one
            // changes nothing; the page answers to its new handle.
            var now = new Dictionary<long, long>();
            foreach (long h in a.Handles) { PageAllocator.TryGetAllocation(packed, h, out long pfn, out _); now[pfn] = h; }
            var stale = new List<long>();
            for (int i = 0; i < before.Count; i++)
                if (now.ContainsKey(pagesBefore[i]) && !PageAllocator.TryGetAllocation(packed, before[i], out _, out _)) stale.Add(before[i]);
            Assert.NotEmpty(stale);
            int live = packed.Allocations.LiveCount;
            var e = Assert.Throws<MemMgmtException>(() => PageAllocator.Free(packed, stale[0]));
            Assert.Equal("AllocationNotLive", e.ErrorId);
            Assert.Equal(live, packed.Allocations.LiveCount);

            // A snapshot round trip keeps the packed ring and its handles.
            using (var scenario = new RecordedScenario("memmgmt-pack-"))
            {
                var loaded = scenario.SnapshotRoundTrip(packed);
                var la = WorkingSets.Get(loaded)[1];
                Assert.Equal(a.Handles, la.Handles);
                Assert.Equal(a.RingSlots, la.RingSlots);
                RecordedScenario.Step(loaded, 20);
                RecordedScenario.Step(packed, 20);
                RecordedScenario.Step(plain, 20);
                AssertSameDecisions(loaded, la, plain, b);
            }

            // Later memory users make reclaim drop some of the read's pages, the same ones with or without the pack.
            WorkingSets.Add(packed, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.Anon, Percent = 40 });
            WorkingSets.Add(plain, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.Anon, Percent = 40 });
            RecordedScenario.Step(packed, 50);
            RecordedScenario.Step(plain, 50);
            Assert.True(a.ResidentPages < now.Count, $"resident {a.ResidentPages} of {now.Count}");
            AssertSameDecisions(packed, a, plain, b);
            foreach (long h in stale) Assert.False(PageAllocator.TryGetAllocation(packed, h, out _, out _));
            AssertClean(packed);
        }

        private static WorkingSet StartRead(MemNode node, bool pack, bool allocateEarly)
        {
            WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.FileCache, Percent = 10 });
            var stream = WorkingSets.Add(node, new WorkingSetOptions
            {
                Pattern = WorkingSetPattern.Streaming, Owner = PageOwner.FileCache, Percent = 150, PagesPerRound = 256,
            });
            stream.PackRingAtEnd = pack;
            if (allocateEarly)
            {
                for (int i = 0; i < 5; i++) Daemons.Step(node, Ms10);
                AllocateKernelPages(node);
            }
            return stream;
        }

        private static void AllocateKernelPages(MemNode node)
        {
            for (int i = 0; i < 32; i++) Assert.True(PageAllocator.Allocate(node, 0, GfpFlags.GFP_KERNEL, 0, PageOwner.Kernel).Success);
        }

        private static void AssertSameDecisions(MemNode x, WorkingSet xs, MemNode y, WorkingSet ys)
        {
            Assert.Equal(ys.PagesRead, xs.PagesRead);
            Assert.Equal(ys.ResidentPages, xs.ResidentPages);
            Assert.Equal(Pfns(y, ys.Handles), Pfns(x, xs.Handles));
            Assert.Equal(y.Pages.Flags, x.Pages.Flags);
            Assert.Equal(y.Pages.Owner, x.Pages.Owner);
            Assert.Equal(NodeViews.VmStat(y).ToKernelText(), NodeViews.VmStat(x).ToKernelText());
            Assert.Equal(NodeViews.BuddyInfo(y).ToKernelText(), NodeViews.BuddyInfo(x).ToKernelText());
            var sx = new System.Text.StringBuilder();
            var sy = new System.Text.StringBuilder();
            RecordedScenario.AppendLruSizes(sx, x);
            RecordedScenario.AppendLruSizes(sy, y);
            Assert.Equal(sy.ToString(), sx.ToString());
            Assert.Equal(y.Clock.NowNs, x.Clock.NowNs);
            AssertClean(x);
        }

        private static List<long> Pfns(MemNode node, IReadOnlyList<long> handles)
        {
            var p = new List<long>(handles.Count);
            foreach (long h in handles) { Assert.True(PageAllocator.TryGetAllocation(node, h, out long pfn, out _)); p.Add(pfn); }
            return p;
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
