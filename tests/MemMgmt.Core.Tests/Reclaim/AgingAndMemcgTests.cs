using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using Xunit;
using MemMgmt.Core.Swap;

namespace MemMgmt.Core.Tests.Reclaim
{
    public class AgingScenarioTests
    {
        /// <summary>The allocator's part, as the slow path will do it: on a fast-path miss wake kswapd and let it run,
        /// then fall back to direct reclaim.</summary>
        private static AllocationResult AllocWithReclaim(MemNode node, PageOwner owner)
        {
            var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0, owner);
            if (r.Success) return r;
            Kswapd.Wakeup(node, 0, node.Kernel.ZoneIndex(ZoneType.Movable));
            Kswapd.Advance(node, 1_000_000);
            r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0, owner);
            if (r.Success) return r;
            Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE);
            return PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0, owner);
        }

        /// <summary>Second-chance aging: a hot anon set touched through its mappings and a hot file set read repeatedly both
        /// survive a streaming read of a file larger than memory; the stream is what gets reclaimed, nothing is swapped.</summary>
        [Fact]
        public void StreamingReadDoesNotEvictHotSets()
        {
            var node = ReclaimTestKit.NewNode(1 * NodeConfig.GiB, 512 * NodeConfig.MiB);
            var hotAnon = ReclaimTestKit.Fill(node, PageOwner.Anon, 40000);
            var hotFile = ReclaimTestKit.Fill(node, PageOwner.FileCache, 15000);
            foreach (var h in hotFile) { PageAccess.MarkAccessed(node, h); PageAccess.MarkAccessed(node, h); }
            LruCache.DrainAll(node);
            long managed = node.ManagedPages;
            long streamed = 0;
            for (long i = 0; i < managed * 3 / 2; i++)
            {
                var r = AllocWithReclaim(node, PageOwner.FileCache);
                Assert.True(r.Success, $"allocation {i} failed");
                PageAccess.MarkAccessed(node, r.Handle); // read once
                streamed++;
                if (i % 4096 == 0)
                {
                    foreach (var h in hotAnon) PageAccess.TouchMapped(node, h);
                    foreach (var h in hotFile) PageAccess.MarkAccessed(node, h);
                }
                if (i % 100000 == 0) ReclaimTestKit.AssertClean(node);
            }
            Assert.Equal(hotAnon.Count, ReclaimTestKit.LiveCount(node, hotAnon));
            Assert.Equal(hotFile.Count, ReclaimTestKit.LiveCount(node, hotFile));
            Assert.Equal(0, node.Counters[VmEvent.PswpOut]);
            long stolen = node.Counters[VmEvent.PgStealKswapd] + node.Counters[VmEvent.PgStealDirect];
            Assert.True(stolen > streamed - managed, $"reclaimed {stolen} of {streamed} streamed pages");
            ReclaimTestKit.AssertClean(node);
        }
    }

    public class MemcgTests
    {
        /// <summary>memory.low above usage: global reclaim skips the group while another has pages; once only protected
        /// groups are left, the may_thrash retry reclaims them and counts the low event.</summary>
        [Fact]
        public void MemoryLowProtectsUntilNothingElseIsLeft()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var a = MemCgroups.Create(node, "a", low: 100000);
            var b = MemCgroups.Create(node, "b");
            for (int i = 0; i < 3000; i++)
            {
                Assert.True(MemCgroups.Allocate(node, "a", 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.FileCache).Success);
                Assert.True(MemCgroups.Allocate(node, "b", 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.FileCache).Success);
            }
            var rep = Vmscan.ReclaimPages(node, 1000);
            Assert.True(rep.NrReclaimed >= 1000, string.Join("\n", rep.Steps) + " " + rep);
            Assert.Equal(3000, a.Usage);
            Assert.True(b.Usage <= 2000);
            Assert.Equal(0, a.LowEvents);
            var drain = Vmscan.ReclaimPages(node, 5000); // drains b; it reclaimed something, so no may_thrash retry
            Assert.Equal(0, b.Usage);
            Assert.Equal(3000, a.Usage);
            Assert.DoesNotContain(drain.Steps, s => s.Contains("may_thrash"));
            var thrash = Vmscan.ReclaimPages(node, 100); // only protected pages left: nothing, then the retry
            Assert.Contains(thrash.Steps, s => s.Contains("may_thrash"));
            Assert.True(thrash.NrReclaimed >= 100);
            Assert.True(a.Usage < 3000);
            Assert.True(a.LowEvents > 0);
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>memory.max: charges past the limit reclaim from that group only; lowering the limit reclaims down to it.</summary>
        [Fact]
        public void MemoryMaxTriggersLimitReclaimInThatGroupOnly()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var other = ReclaimTestKit.Fill(node, PageOwner.FileCache, 2000);
            var c = MemCgroups.Create(node, "c", max: 1000);
            for (int i = 0; i < 1500; i++)
            {
                var r = MemCgroups.Allocate(node, "c", 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.FileCache);
                Assert.True(r.Success, r.FailureReason);
                Assert.True(c.Usage <= 1000);
            }
            Assert.True(c.MaxEvents > 0);
            Assert.Equal(2000, ReclaimTestKit.LiveCount(node, other));
            Assert.Equal(0, node.Counters[VmEvent.PgStealDirect]); // limit reclaim is not global: no pgsteal_direct
            Assert.Equal(0, node.Counters.Get(ZoneEvent.AllocStall, node.Kernel.ZoneIndex(ZoneType.Normal)));
            long reclaimed = MemCgroups.Set(node, "c", max: 500);
            Assert.True(reclaimed >= 500 - 32);
            Assert.True(c.Usage <= 500);
            Assert.Equal(2000, ReclaimTestKit.LiveCount(node, other));
            ReclaimTestKit.AssertClean(node);
        }

        [Fact]
        public void BadMemcgInputIsRejectedWithoutChanges()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var e = Assert.Throws<MemMgmtException>(() => MemCgroups.Create(node, "x", low: 2000, max: 1000));
            Assert.Equal("MemcgLowAboveMax", e.ErrorId);
            Assert.Contains("2000", e.Message);
            Assert.Empty(MemCgroups.GetAll(node));
            var g = MemCgroups.Create(node, "g", max: 1000);
            Assert.Equal("MemcgLowAboveMax", Assert.Throws<MemMgmtException>(() => MemCgroups.Set(node, "g", low: 1500)).ErrorId);
            Assert.Equal("SwappinessOutOfRange", Assert.Throws<MemMgmtException>(() => MemCgroups.Set(node, "g", low: 10, swappiness: 101)).ErrorId);
            Assert.Equal(0, g.Low);
            Assert.Equal(60, g.Swappiness);
            Assert.Equal("MemcgExists", Assert.Throws<MemMgmtException>(() => MemCgroups.Create(node, "g")).ErrorId);
            Assert.Equal("MemcgNotFound", Assert.Throws<MemMgmtException>(() => MemCgroups.Get(node, "nope")).ErrorId);
        }
    }

    public class DropCachesAndInputTests
    {
        [Fact]
        public void DropCachesFreesCleanPageCacheThenSlab()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var f = ReclaimTestKit.Fill(node, PageOwner.FileCache, 1000);
            for (int i = 0; i < 10; i++) PageAccess.SetDirty(node, f[i]);
            for (int i = 10; i < 20; i++) PageAccess.TouchMapped(node, f[i]);
            var anon = ReclaimTestKit.Fill(node, PageOwner.Anon, 100);
            Shrinkers.GrowCache(node, "dentry", 2100);
            var r1 = DropCaches.Drop(node, 1);
            Assert.Equal(980, r1.PagesDropped);
            Assert.Equal(20, r1.PagesDeactivated);
            Assert.Equal(20, ReclaimTestKit.LiveCount(node, f));
            Assert.Equal(100, ReclaimTestKit.LiveCount(node, anon));
            Assert.Equal(1, node.Counters[VmEvent.DropPagecache]);
            Assert.Equal(100, node.Counters[NodeStatItem.NrSlabReclaimable]);
            MemMgmt.Core.Sysctl.VmSysctl.Write(node, "vm.drop_caches", "2");
            Assert.Equal("2", node.Sysctl.Read("vm.drop_caches"));
            Assert.Equal(0, Shrinkers.Get(node)[0].Dentries);
            Assert.Equal(0, node.Counters[NodeStatItem.NrSlabReclaimable]);
            Assert.Equal(1, node.Counters[VmEvent.DropSlab]);
            ReclaimTestKit.AssertClean(node);
        }

        [Fact]
        public void BadInputIsRejectedBeforeAnythingChanges()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, 100);
            var e = Assert.Throws<MemMgmtException>(() => MemMgmt.Core.Sysctl.VmSysctl.Write(node, "vm.drop_caches", "5"));
            Assert.Equal("SysctlValueOutOfRange", e.ErrorId);
            Assert.Equal("DropCachesOutOfRange", Assert.Throws<MemMgmtException>(() => DropCaches.Drop(node, 0)).ErrorId);
            Assert.Equal(0, node.Counters[VmEvent.DropPagecache]);
            Assert.Equal(100, Lru.Size(node, 0, LruList.InactiveFile));
            Assert.Equal("SysctlValueOutOfRange", Assert.Throws<MemMgmtException>(() => MemMgmt.Core.Sysctl.VmSysctl.Write(node, "vm.swappiness", "101")).ErrorId);
            Assert.Equal("60", node.Sysctl.Read("vm.swappiness"));
            var big = Assert.Throws<MemMgmtException>(() => SwapDevice.Configure(node, (SwapDevice.MaxPages + 1) * 4096));
            Assert.Equal("SwapSizeTooLarge", big.ErrorId);
            Assert.Equal("SwapSizeInvalid", Assert.Throws<MemMgmtException>(() => SwapDevice.Configure(node, 4097)).ErrorId);
            Assert.Equal(0, node.Swap.TotalPages);
            Assert.Equal("ZoneIndexOutOfRange", Assert.Throws<MemMgmtException>(() => Kswapd.Wakeup(node, 0, 7)).ErrorId);
        }

        [Fact]
        public void CloneCarriesReclaimStateIndependently()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB, 64 * NodeConfig.MiB);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, 500);
            var copy = node.Clone();
            DropCaches.Drop(copy, 1);
            Assert.Equal(500, Lru.Size(node, 0, LruList.InactiveFile));
            Assert.Equal(0, Lru.Size(copy, 0, LruList.InactiveFile));
            Assert.Equal(copy.Swap.TotalPages, node.Swap.TotalPages);
            Assert.Equal(16384, node.SwapTotalPages); // 64 MiB of 4 KiB slots, as /proc/meminfo's SwapTotal shows
            Assert.Equal(16384, node.SwapFreePages);
            ReclaimTestKit.AssertClean(node);
            ReclaimTestKit.AssertClean(copy);
        }
    }
}
