using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using Xunit;
using MemMgmt.Core.Writeback;

namespace MemMgmt.Core.Tests.Reclaim
{
    public class OomTests
    {
        /// <summary>oom_badness (4.14): rss + swapents + nr_ptes + nr_pmds; CAP_SYS_ADMIN −3%; + adj·(totalpages/1000).</summary>
        [Fact]
        public void BadnessFollowsTheKernelArithmetic()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var root = Processes.Spawn(node, "sshd", 0, root: true);
            var user = Processes.Spawn(node, "app", 500);
            var shielded = Processes.Spawn(node, "init", -1000);
            for (int i = 0; i < 10000; i++) { Processes.Allocate(node, root); Processes.Allocate(node, user); Processes.Allocate(node, shielded); }
            long total = 20000;
            Assert.Equal(20, root.PageTables); // 10000 pages / 512 per table, rounded up
            Assert.Equal(1, root.PmdTables); // one PMD table covers 512·512 pages
            Assert.Equal(10021 - 300, OomKiller.OomBadness(root, total)); // 10021·3/100 = 300
            Assert.Equal(10021 + 500 * 20, OomKiller.OomBadness(user, total)); // adj·(20000/1000)
            Assert.Equal(0, OomKiller.OomBadness(shielded, total));
            var neg = Processes.Spawn(node, "tiny", -999);
            Processes.Allocate(node, neg);
            Assert.Equal(1, OomKiller.OomBadness(neg, total)); // 1 + 1 + 1 − 999·20 < 0 → 1
            Assert.Equal("OomScoreAdjOutOfRange", Assert.Throws<MemMgmtException>(() => Processes.Spawn(node, "x", 1001)).ErrorId);
        }

        /// <summary>No swap, memory all anon: direct reclaim frees nothing, the OOM killer picks the largest process, frees
        /// its pages and counts oom_kill; the allocation then succeeds.</summary>
        [Fact]
        public void AllAnonWithoutSwapEndsInTheOomKiller()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var small = Processes.Spawn(node, "small");
            var big = Processes.Spawn(node, "big");
            var mid = Processes.Spawn(node, "mid");
            // Fill without __GFP_RECLAIM: with reclaim the filler's own slow path would reach the OOM killer first.
            const GfpFlags fill = GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_RECLAIM;
            for (int i = 0; i < 5000; i++) Assert.True(Processes.Allocate(node, small, 0, fill).Success);
            for (int i = 0; i < 20000; i++) Assert.True(Processes.Allocate(node, mid, 0, fill).Success);
            while (Processes.Allocate(node, big, 0, fill).Success) { }
            long bigRss = big.Rss;
            Assert.True(bigRss > 20000);
            var reclaim = Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE);
            Assert.Equal(0, reclaim.NrReclaimed);
            var oom = OomKiller.OutOfMemory(node, GfpFlags.GFP_HIGHUSER_MOVABLE, 0);
            Assert.Same(big, oom.Victim);
            Assert.Equal(bigRss + (bigRss + 511) / 512 + 1, oom.Points);
            Assert.Equal(oom.Points * 1000 / (node.ManagedPages + node.SwapTotalPages), oom.Score);
            Assert.Equal(bigRss, oom.PagesFreed);
            Assert.True(big.Killed);
            Assert.Equal(1, node.Counters[VmEvent.OomKill]);
            Assert.True(PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE).Success);
            Assert.Equal(5000, small.Rss);
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>Swapped-out pages still count (MM_SWAPENTS) and their slots are freed by the kill.</summary>
        [Fact]
        public void SwapEntriesCountAndAreFreedOnKill()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB, 64 * NodeConfig.MiB);
            var p = Processes.Spawn(node, "p");
            for (int i = 0; i < 100; i++) Processes.Allocate(node, p);
            var sc = new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1 };
            Vmscan.ShrinkActiveList(node, 100, 0, sc, (int)LruList.ActiveAnon);
            Vmscan.ShrinkInactiveList(node, 100, 0, sc, (int)LruList.InactiveAnon);
            WritebackIo.Sleep(node, WritebackIo.LatencyNs);
            Assert.Equal(100, Vmscan.ShrinkInactiveList(node, 100, 0, sc, (int)LruList.InactiveAnon));
            Assert.Equal(1 + 1 + 100, OomKiller.OomBadness(p, 1000)); // rss 0, 100 swap entries, 1 PTE table, 1 PMD table
            var oom = OomKiller.OutOfMemory(node, GfpFlags.GFP_KERNEL, 0);
            Assert.Same(p, oom.Victim);
            Assert.Equal(100, oom.SwapFreed);
            Assert.Equal(0, node.Swap.UsedPages);
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>The slow path ends in __alloc_pages_may_oom: all memory anon, no swap, so direct reclaim makes no
        /// progress for MAX_RECLAIM_RETRIES loops; out_of_memory kills the largest process and the retry succeeds.</summary>
        [Fact]
        public void AnOrderZeroKernelAllocationEndsInTheOomKillerThenSucceeds()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 128 * NodeConfig.MiB, CmaBytes = 0 });
            var big = Processes.Spawn(node, "big");
            var small = Processes.Spawn(node, "small");
            const GfpFlags noReclaim = GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_RECLAIM;
            for (int i = 0; i < 1000; i++) Assert.True(Processes.Allocate(node, small, 0, noReclaim).Success);
            while (Processes.Allocate(node, big, 0, noReclaim).Success) { }
            var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_KERNEL);
            Assert.True(r.Success, r.FailureReason);
            Assert.Equal(1, node.Counters[VmEvent.OomKill]);
            Assert.True(big.Killed);
            Assert.False(small.Killed);
            var oomSteps = new System.Collections.Generic.List<string>();
            foreach (var step in r.Steps) if (step.Step == "__alloc_pages_may_oom") oomSteps.Add(step.Detail);
            Assert.Single(oomSteps);
            Assert.Contains("killed process", oomSteps[0]);
            Assert.Contains(r.Steps, st => st.Step == "should_reclaim_retry" && st.Detail.Contains("give up"));
            Assert.Empty(MemMgmt.Core.Debug.InvariantChecker.Check(node));
        }

        /// <summary>Costly orders never reach out_of_memory (order > PAGE_ALLOC_COSTLY_ORDER).</summary>
        [Fact]
        public void CostlyOrdersSkipTheOomKiller()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 128 * NodeConfig.MiB, CmaBytes = 0 });
            var big = Processes.Spawn(node, "big");
            const GfpFlags noReclaim = GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_RECLAIM;
            while (Processes.Allocate(node, big, 0, noReclaim).Success) { }
            var r = PageAllocator.Allocate(node, 4, GfpFlags.GFP_KERNEL | GfpFlags.__GFP_RETRY_MAYFAIL);
            Assert.False(r.Success);
            Assert.Equal(0, node.Counters[VmEvent.OomKill]);
            Assert.False(big.Killed);
        }

        /// <summary>4.14 out_of_memory kills nothing for a request without __GFP_FS but reports progress, so GFP_NOFS keeps
        /// retrying (a livelock in the kernel); the simulation stops after MaxSlowpathLoops passes and says so.</summary>
        [Fact]
        public void GfpNofsNeverKillsAndKeepsRetrying()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 64 * NodeConfig.MiB, CmaBytes = 0 });
            var big = Processes.Spawn(node, "big");
            const GfpFlags noReclaim = GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_RECLAIM;
            while (Processes.Allocate(node, big, 0, noReclaim).Success) { }
            var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_NOFS);
            Assert.False(r.Success);
            Assert.Contains("retry loop limit", r.FailureReason);
            Assert.Equal(0, node.Counters[VmEvent.OomKill]);
            Assert.False(big.Killed);
        }
    }
}
