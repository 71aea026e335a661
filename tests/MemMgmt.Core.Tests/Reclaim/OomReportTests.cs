using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Swap;
using MemMgmt.Core.Trace;
using Xunit;

namespace MemMgmt.Core.Tests.Reclaim
{
    /// <summary>Simulated processes started with pages, the 4.14 OOM report in the kernel log, /proc/pid/oom_score, and
    /// the memcg OOM killer.</summary>
    public class OomReportTests
    {
        private static List<string> LogTexts(MemNode node) => OomKiller.KernelLog(node).Entries(node).Select(e => e.Text).ToList();

        private static SimProcess Start(MemNode node, string name, long anon, int adj = 0, string? cgroup = null, long file = 0, long shmem = 0) =>
            Processes.Start(node, new ProcessOptions { Name = name, AnonPages = anon, OomScoreAdj = adj, Cgroup = cgroup, FilePages = file, ShmemPages = shmem });

        [Fact]
        public void StartMapsPagesByKindAndCountsPageTables()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var p = Start(node, "db", 1000, file: 300, shmem: 200);
            Assert.Null(p.FaultFailure);
            Assert.Equal(Processes.FirstPid, p.Pid);
            Assert.Equal(1000, p.AnonRss);
            Assert.Equal(300, p.FileRss);
            Assert.Equal(200, p.ShmemRss);
            Assert.Equal(1500, p.Rss);
            Assert.Equal(1500, p.TotalVm);
            Assert.Equal(3, p.PageTables); // ceil(1500 / 512)
            Assert.Equal(1, p.PmdTables);
            Assert.Equal(1000, node.Counters[NodeStatItem.NrAnonMapped]);
            Assert.Equal(200, node.Counters[NodeStatItem.NrShmem]);
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>proc_oom_score: oom_badness against RAM + swap, times 1000 / (RAM + swap).</summary>
        /// <summary>Exit frees the swap slots of the process's swapped-out shmem as well as its anon swap entries: the
        /// anonymous shared mapping dies with its last user. Shmem swap is not in MM_SWAPENTS.</summary>
        [Fact]
        public void ExitReleasesTheSwapSlotsOfSwappedOutShmem()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            SwapDevice.Configure(node, 256 * NodeConfig.MiB);
            var p = Start(node, "shm", 0, shmem: 8192);
            LruCache.DrainAll(node);
            for (int i = 0; i < 200 && node.Swap.UsedPages < 1000; i++) Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL);
            long used = node.Swap.UsedPages;
            Assert.True(used >= 1000, $"swap used {used}");
            Assert.Equal(0, p.SwapEntries); // shmem swap lives in the mapping, not in the page tables
            Processes.Exit(node, p.Pid);
            Assert.Equal(0, node.Swap.UsedPages);
            ReclaimTestKit.AssertClean(node);
        }

        [Fact]
        public void OomScoreIsBadnessScaledToAThousand()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB, 64 * NodeConfig.MiB);
            var p = Start(node, "app", 20000, adj: 100);
            long total = node.ManagedPages + node.SwapTotalPages;
            long points = 20000 + 40 + 1 + 100 * (total / 1000);
            Assert.Equal(points * 1000 / total, p.OomScore);
            var shielded = Start(node, "sshd", 20000, adj: -1000);
            Assert.Equal(0, shielded.OomScore);
        }

        /// <summary>The four kinds of bad input change nothing: no process, no pid used, no page allocated.</summary>
        [Fact]
        public void BadInputIsRejectedBeforeAnythingChanges()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            long free = node.FreePages;
            Assert.Equal("MemcgNotFound", Assert.Throws<MemMgmtException>(() => Start(node, "x", 10, cgroup: "nope")).ErrorId);
            Assert.Equal("OomScoreAdjOutOfRange", Assert.Throws<MemMgmtException>(() => Start(node, "x", 10, adj: -1001)).ErrorId);
            Assert.Equal("ProcessSizeOutOfRange", Assert.Throws<MemMgmtException>(() => Start(node, "x", node.ManagedPages + 1)).ErrorId);
            Assert.Equal("ProcessSizeOutOfRange", Assert.Throws<MemMgmtException>(() => Start(node, "x", node.ManagedPages / 2 + 1, file: node.ManagedPages / 2)).ErrorId);
            Assert.Equal("ProcessNotFound", Assert.Throws<MemMgmtException>(() => Processes.Exit(node, 4242)).ErrorId);
            Assert.Empty(Processes.GetProcesses(node));
            Assert.Equal(free, node.FreePages);
            Assert.Equal(Processes.FirstPid, Start(node, "ok", 1).Pid);
        }

        /// <summary>do_exit: anon and shmem pages are freed, page-cache pages stay cached but unmapped.</summary>
        [Fact]
        public void ExitFreesAnonAndShmemAndLeavesPageCache()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            PageAllocator.DrainAllPages(node);
            long free = node.FreePages;
            var p = Start(node, "job", 700, file: 100, shmem: 50);
            Assert.Equal(750, Processes.Exit(node, p.Pid));
            PageAllocator.DrainAllPages(node);
            Assert.Equal(ProcessState.Exited, p.State);
            Assert.Empty(Processes.GetProcesses(node));
            Assert.Equal(free - 100, node.FreePages);
            Assert.Equal(100, node.Counters[NodeStatItem.NrFilePages]);
            Assert.Equal(0, node.Counters[NodeStatItem.NrAnonMapped]);
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>A GFP_KERNEL allocation on a node filled by process faults ends in the OOM killer; the dmesg lines are
        /// the 4.14 ones, with dump_tasks' columns and the victim's sizes at the kill.</summary>
        [Fact]
        public void TheKillIsLoggedAsFourteenLogsIt()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 128 * NodeConfig.MiB, CmaBytes = 0 });
            long managed = node.ManagedPages;
            var small = Start(node, "small", managed / 10);
            var shielded = Start(node, "init-like", managed / 10 * 3, adj: -1000);
            var big = Start(node, "big", managed / 2);
            Assert.Null(big.FaultFailure);
            long bigAnon = big.AnonRss, bigFile = big.FileRss, bigVm = big.TotalVm;
            long bigPtes = big.PageTables, bigPmds = big.PmdTables, smallRss = small.Rss;
            long before = node.Counters[VmEvent.OomKill];
            PageAllocationLoop(node, managed / 10 + 1000);
            Assert.Equal(before + 1, node.Counters[VmEvent.OomKill]);
            Assert.True(big.Killed);
            Assert.False(small.Killed);
            Assert.False(shielded.Killed);
            Assert.DoesNotContain(big, Processes.GetProcesses(node));

            var log = LogTexts(node);
            long total = node.ManagedPages + node.SwapTotalPages;
            long score = (bigAnon + bigFile + bigPtes + bigPmds) * 1000 / total;
            int i = log.FindIndex(l => l.StartsWith("memsh invoked oom-killer: ", System.StringComparison.Ordinal));
            Assert.True(i >= 0, string.Join("\n", log));
            Assert.Equal("memsh invoked oom-killer: gfp_mask=0x14000c0(GFP_KERNEL), nodemask=(null),  order=0, oom_score_adj=0", log[i]);
            Assert.Equal("[ pid ]   uid  tgid total_vm      rss nr_ptes nr_pmds swapents oom_score_adj name", log[i + 1]);
            Assert.Equal(string.Format(CultureInfo.InvariantCulture, "[ {0}]  1000  {0} {1,8} {2,8} {3,7} {4,7}        0             0 small",
                small.Pid, small.TotalVm, smallRss, small.PageTables, small.PmdTables), log[i + 2]);
            Assert.EndsWith("         -1000 init-like", log[i + 3]);
            Assert.EndsWith("             0 big", log[i + 4]);
            Assert.Equal($"Out of memory: Kill process {big.Pid} (big) score {score} or sacrifice child", log[i + 5]);
            Assert.Equal($"Killed process {big.Pid} (big) total-vm:{bigVm * 4}kB, anon-rss:{bigAnon * 4}kB, file-rss:{bigFile * 4}kB, shmem-rss:0kB", log[i + 6]);
            var entry = OomKiller.KernelLog(node).Entries(node)[i + 5];
            Assert.Equal(KernLevel.Err, entry.Level);
            Assert.Matches(@"^\[ +\d+\.\d{6}\] Out of memory: Kill process", entry.Line);
            ReclaimTestKit.AssertClean(node);
        }

        private static void PageAllocationLoop(MemNode node, long count)
        {
            for (long n = 0; n < count; n++)
                Assert.True(PageAllocator.Allocate(node, 0, GfpFlags.GFP_KERNEL).Success);
        }

        /// <summary>oom_score_adj moves the choice: +500 makes the smaller process the victim.</summary>
        [Fact]
        public void OomScoreAdjChangesTheVictim()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 128 * NodeConfig.MiB, CmaBytes = 0 });
            long managed = node.ManagedPages;
            var big = Start(node, "big", managed / 2);
            var favoured = Start(node, "batch", managed / 5, adj: 500);
            long vm = favoured.TotalVm;
            var oom = OomKiller.OutOfMemory(node, GfpFlags.GFP_KERNEL, 0);
            Assert.Same(favoured, oom.Victim);
            long total = managed;
            Assert.Equal(vm + (managed / 5 + 511) / 512 + 1 + 500 * (total / 1000), oom.Points);
            Assert.False(big.Killed);
        }

        /// <summary>The faulting task can be its own victim: the fault fails and the task is gone.</summary>
        [Fact]
        public void TheFaultingProcessCanBeTheVictim()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 64 * NodeConfig.MiB, CmaBytes = 0 });
            var small = Start(node, "small", node.ManagedPages / 10);
            var hog = Start(node, "hog", node.ManagedPages);
            Assert.True(hog.Killed);
            Assert.Contains("killed by the OOM killer", hog.FaultFailure);
            Assert.False(small.Killed);
            Assert.Contains(LogTexts(node), l => l.StartsWith("hog invoked oom-killer: gfp_mask=0x14200ca(GFP_HIGHUSER_MOVABLE)", System.StringComparison.Ordinal));
            Assert.Equal(1, node.Counters[VmEvent.OomKill]);
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>mem_cgroup_out_of_memory: a group over memory.max kills the largest of its own tasks — not the bigger
        /// task outside it — with totalpages = the group's limit; memory.events oom and oom_kill and vmstat oom_kill count.</summary>
        [Fact]
        public void MemcgOomKillsOnlyInsideTheGroup()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var cg = MemCgroups.Create(node, "grp", max: 4096);
            var a = Start(node, "a", 1000, cgroup: "grp");
            var b = Start(node, "b", 2500, cgroup: "grp");
            var outsider = Start(node, "outsider", 20000);
            var c = Start(node, "c", 1000, cgroup: "/grp");
            Assert.Null(c.FaultFailure);
            Assert.True(b.Killed);
            Assert.False(a.Killed);
            Assert.False(outsider.Killed);
            Assert.Equal(1000, c.Rss);
            Assert.Equal(1, cg.OomKillEvents);
            Assert.True(cg.OomEvents >= 1);
            Assert.Equal(1, node.Counters[VmEvent.OomKill]);
            Assert.Equal(2000, cg.Usage);

            var log = LogTexts(node);
            long score = (2500 + 5 + 1) * 1000 / 4096;
            int k = log.FindIndex(l => l.StartsWith("Memory cgroup out of memory: ", System.StringComparison.Ordinal));
            Assert.Equal($"Memory cgroup out of memory: Kill process {b.Pid} (b) score {score} or sacrifice child", log[k]);
            Assert.StartsWith("c invoked oom-killer: gfp_mask=0x14200ca(GFP_HIGHUSER_MOVABLE)", log[k - 7]);
            Assert.Equal("Task in /grp killed as a result of limit of /grp", log[k - 6]);
            Assert.StartsWith("memory: usage 16384kB, limit 16384kB, failcnt ", log[k - 5]);
            Assert.Equal(OomKiller.DumpTasksHeader, log[k - 4]);
            Assert.EndsWith(" a", log[k - 3]);
            Assert.EndsWith(" b", log[k - 2]);
            Assert.EndsWith(" c", log[k - 1]); // the outsider is not listed
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>memory_max_write: lowering memory.max under unreclaimable usage kills in the group until it fits.</summary>
        [Fact]
        public void LoweringMemoryMaxKillsUntilUsageFits()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var cg = MemCgroups.Create(node, "grp");
            var a = Start(node, "a", 1500, cgroup: "grp");
            var b = Start(node, "b", 1000, cgroup: "grp");
            var d = Start(node, "d", 500, cgroup: "grp");
            MemCgroups.Set(node, "grp", max: 1200);
            Assert.True(a.Killed);
            Assert.True(b.Killed);
            Assert.False(d.Killed);
            Assert.Equal(2, cg.OomKillEvents);
            Assert.Equal(2, node.Counters[VmEvent.OomKill]);
            Assert.Equal(500, cg.Usage);
        }

        /// <summary>Nobody to kill in the group (only an oom_score_adj −1000 task): the charge fails, nothing dies.</summary>
        [Fact]
        public void MemcgWithOnlyUnkillableTasksFailsTheFault()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            var cg = MemCgroups.Create(node, "grp", max: 1000);
            var p = Start(node, "guarded", 1500, adj: -1000, cgroup: "grp");
            Assert.False(p.Killed);
            Assert.Equal(1000, p.Rss);
            Assert.Contains("no killable process", p.FaultFailure);
            Assert.Equal(0, node.Counters[VmEvent.OomKill]);
            Assert.Equal(0, cg.OomKillEvents);
        }

        /// <summary>Copy-MemNode carries the processes and the kernel log.</summary>
        [Fact]
        public void CloneCarriesProcessesAndLog()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 64 * NodeConfig.MiB, CmaBytes = 0 });
            Start(node, "small", 100);
            Start(node, "hog", node.ManagedPages);
            var copy = node.Clone("c");
            Assert.Equal(LogTexts(node), LogTexts(copy));
            var p = Assert.Single(Processes.GetProcesses(copy));
            Assert.Equal(100, p.Rss);
            Assert.Same(copy, p.Node);
        }
    }
}
