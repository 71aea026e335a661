using System.Collections.Generic;
using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Compaction
{
    public class DeferralTests
    {
        [Fact]
        public void DeferCompactionVectors()
        {
            var zone = Scenario.MainZone(Scenario.Node(64));
            Assert.Equal(0, zone.CompactOrderFailed);
            // Shift 0: limit 1, the first attempt is not deferred and considered saturates at 1.
            Assert.False(CompactionEngine.CompactionDeferred(zone, 5));
            Assert.Equal(1, zone.CompactConsidered);
            CompactionEngine.DeferCompaction(zone, 5);
            Assert.Equal((0, 1, 0), (zone.CompactConsidered, zone.CompactDeferShift, zone.CompactOrderFailed));
            // order_failed stays at min(0, 5) = 0, so every order is checked: limit 2.
            Assert.True(CompactionEngine.CompactionDeferred(zone, 3));
            Assert.False(CompactionEngine.CompactionDeferred(zone, 3));
            Assert.Equal(2, zone.CompactConsidered);
            for (int i = 0; i < 10; i++) CompactionEngine.DeferCompaction(zone, 7);
            Assert.Equal(6, zone.CompactDeferShift);
            // Success without an allocation only raises order_failed to order + 1.
            CompactionEngine.CompactionDeferReset(zone, 7, false);
            Assert.Equal((0, 6, 8), (zone.CompactConsidered, zone.CompactDeferShift, zone.CompactOrderFailed));
            Assert.False(CompactionEngine.CompactionDeferred(zone, 7)); // 7 < order_failed 8
            Assert.Equal(0, zone.CompactConsidered);
            Assert.True(CompactionEngine.CompactionDeferred(zone, 8));
            CompactionEngine.CompactionDeferReset(zone, 3, true);
            Assert.Equal((0, 0, 8), (zone.CompactConsidered, zone.CompactDeferShift, zone.CompactOrderFailed));
            // compaction_restarting: shift 6 and considered at the limit.
            for (int i = 0; i < 6; i++) CompactionEngine.DeferCompaction(zone, 2);
            Assert.Equal(2, zone.CompactOrderFailed);
            for (int i = 0; i < 63; i++) Assert.True(CompactionEngine.CompactionDeferred(zone, 4));
            Assert.False(CompactionEngine.CompactionRestarting(zone, 4));
            Assert.False(CompactionEngine.CompactionDeferred(zone, 4));
            Assert.Equal(64, zone.CompactConsidered);
            Assert.True(CompactionEngine.CompactionRestarting(zone, 4));
            Assert.False(CompactionEngine.CompactionRestarting(zone, 1));
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void DeferredDirectCompaction_CountsAStallAndAFailOn61Only(bool linux61)
        {
            // __alloc_pages_direct_compact: 4.14 returns before compact_stall for anything up to COMPACT_INACTIVE
            // (DEFERRED); 6.1 (5.12+) only for COMPACT_SKIPPED, so a deferred attempt counts a stall, tries the free
            // lists and counts a fail.
            var node = new MemNode(new NodeConfig
            {
                SizeBytes = 256 * NodeConfig.MiB, CmaBytes = 0,
                Kernel = linux61 ? KernelProfile.Linux61 : KernelProfile.Linux414,
            });
            Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.EveryOther, PinnedFraction = 1,
                ExtraGfp = GfpFlags.__GFP_MEMALLOC });
            var zone = Scenario.MainZone(node);
            CompactionEngine.DeferCompaction(zone, 9); // the next attempt is deferred (considered 1 < 2^1)
            var stall = node.Counters[VmEvent.CompactStall];
            var fail = node.Counters[VmEvent.CompactFail];
            node.Trace.Clear();
            var a = PageAllocator.Allocate(node, 9, GfpFlags.GFP_HIGHUSER_MOVABLE | GfpFlags.__GFP_COMP | GfpFlags.__GFP_NORETRY);
            Assert.False(a.Success);
            Assert.Contains(node.Trace.Events(node), e => e.Event == TraceEventId.mm_compaction_deferred);
            Assert.DoesNotContain(node.Trace.Events(node), e => e.Event == TraceEventId.mm_compaction_begin);
            long n = linux61 ? 1 : 0;
            Assert.Equal((n, n), (node.Counters[VmEvent.CompactStall] - stall, node.Counters[VmEvent.CompactFail] - fail));
            Assert.Equal(linux61, a.CompactStalled);
        }

        [Fact]
        public void RepeatedFailingSyncCompactionDefers1To64AttemptsAndSuccessResets()
        {
            var node = Scenario.Node(256);
            var rep = Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.EveryOther, PinnedFraction = 1,
                ExtraGfp = GfpFlags.__GFP_MEMALLOC });
            var zone = Scenario.MainZone(node);
            node.Trace.Clear();
            var ran = new List<int>();
            for (int call = 1; call <= 200; call++)
            {
                var run = CompactionCommands.Compact(node, CompactPriority.SyncLight, 9, null, GfpFlags.GFP_HIGHUSER_MOVABLE);
                var z = Assert.Single(run.Zones);
                if (!z.WasDeferred)
                {
                    ran.Add(call);
                    Assert.Equal(CompactResult.Complete, z.Result);
                    Assert.True(call > 1 || z.FailReasons[MigrateFailReason.PinnedNotIsolated] > 0);
                }
                else Assert.Equal(CompactResult.Deferred, run.Result);
            }
            // After each failure, 2^shift − 1 attempts are deferred (shift 1 … 6, capped): runs at 1, 3, 7, 15, 31, 63, 127, 191.
            Assert.Equal(new[] { 1, 3, 7, 15, 31, 63, 127, 191 }, ran);
            var events = node.Trace.Events(node);
            var limits = events.Where(e => e.Event == TraceEventId.mm_compaction_defer_compaction).Select(e => 1 << (int)e.Fields["defer_shift"]).ToArray();
            Assert.Equal(new[] { 2, 4, 8, 16, 32, 64, 64, 64 }, limits);
            Assert.Equal(200 - 8, events.Count(e => e.Event == TraceEventId.mm_compaction_deferred));
            Assert.Contains(events, e => e.Text == "node=0 zone=DMA      order=9 order_failed=0 consider=0 limit=2");

            // Unpin everything: the next allocation that gets past the deferral compacts successfully and resets it.
            for (int i = 0; i < node.Pages.NrPages; i++) node.Pages.ExtraRefs[i] = 0;
            node.Trace.Clear();
            AllocationResult? ok = null;
            for (int i = 0; i < 200 && ok == null; i++)
            {
                var a = PageAllocator.Allocate(node, 9, GfpFlags.GFP_HIGHUSER_MOVABLE | GfpFlags.__GFP_COMP | GfpFlags.__GFP_RETRY_MAYFAIL);
                if (a.Success) ok = a;
            }
            Assert.NotNull(ok);
            Assert.True(ok!.CompactStalled);
            Assert.Equal((0, 0), (zone.CompactDeferShift, zone.CompactConsidered));
            Assert.Equal(10, zone.CompactOrderFailed);
            Assert.Contains(node.Trace.Events(node), e => e.Event == TraceEventId.mm_compaction_defer_reset);
            Scenario.AssertConsistent(node);
        }
    }
}
