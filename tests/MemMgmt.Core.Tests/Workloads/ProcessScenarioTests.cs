using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Swap;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Workloads
{
    /// <summary>One seeded scenario with simulated processes of every kind of mapping and several sizes: faults one by one
    /// and in bulk, pages freed by handle, kswapd and direct reclaim to swap, compaction (migration of their pages),
    /// Copy-MemNode, a snapshot round trip, a memcg OOM kill, a global OOM kill and an exit. Its /proc/vmstat,
    /// /proc/buddyinfo, LRU sizes, the processes' RSS and swap counts and the kernel log must stay byte for byte what the
    /// build before the processes' bookkeeping changed produced (TestData/process-scenario.txt), so the representation
    /// changes nothing the simulation decides.</summary>
    public sealed class ProcessScenarioTests : IDisposable
    {
        private readonly RecordedScenario _scenario = new RecordedScenario("memmgmt-proc-");

        public void Dispose() => _scenario.Dispose();

        private static void Step(MemNode node, int rounds) => RecordedScenario.Step(node, rounds);

        private static void Record(StringBuilder sb, string phase, MemNode node)
        {
            sb.Append("## ").Append(phase).Append('\n');
            foreach (var p in Processes.GetProcesses(node))
                sb.Append($"{p.Pid} {p.Name} {p.State} vm {p.TotalVm} rss {p.Rss} anon {p.AnonRss} file {p.FileRss} shmem {p.ShmemRss} " +
                          $"swap {p.SwapEntries} ptes {p.PageTables} score {p.OomScore} asked {p.RequestedPages} failure {p.FaultFailure ?? "-"}\n");
            RecordedScenario.AppendLruSizes(sb, node);
            sb.Append($"clock {node.Clock.NowNs} free {node.FreePages} swap used {node.Swap.UsedPages} live {node.Allocations.LiveCount}\n");
            RecordedScenario.AssertInvariants(node, phase);
        }

        internal string Run()
        {
            var sb = new StringBuilder();
            var node = new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB, Seed = 7 });
            SwapDevice.Configure(node, 48 * NodeConfig.MiB);
            MemCgroups.Create(node, "box", max: 6000);
            var hot = WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.FileCache, Percent = 10, Seed = 3 });
            var db = Processes.Start(node, new ProcessOptions { Name = "db", AnonPages = 12000, FilePages = 3000 });
            var web = Processes.Start(node, new ProcessOptions { Name = "web", OomScoreAdj = 300, AnonPages = 6000, FilePages = 5000, ShmemPages = 2500 });
            Processes.Start(node, new ProcessOptions { Name = "reader", FilePages = 9000, Root = true });
            // A task faulting by hand: kinds and orders interleaved, some of its pages freed again by handle.
            var tool = Processes.Spawn(node, "tool", 100);
            var handles = new List<long>();
            for (int i = 0; i < 1200; i++)
            {
                var owner = (i % 7) switch { 0 => PageOwner.FileCache, 3 => PageOwner.Shmem, _ => PageOwner.Anon };
                int order = i % 50 == 49 ? 2 : 0;
                var r = Processes.Allocate(node, tool, order, GfpFlags.GFP_HIGHUSER_MOVABLE, owner);
                Assert.True(r.Success, r.FailureReason);
                handles.Add(r.Handle);
                if (owner == PageOwner.Shmem) PageAccess.SetDirtyIndex(node, PageAccess.Resolve(node, r.Handle));
            }
            for (int i = 5; i < handles.Count; i += 11)
                if (PageAllocator.TryGetAllocation(node, handles[i], out _, out _)) PageAllocator.Free(node, handles[i]);
            Record(sb, "started", node);

            Step(node, 80);
            Record(sb, "stepped", node);
            // Memory pressure: a large process faults until reclaim swaps and drops pages of the others.
            var hog = Processes.Start(node, new ProcessOptions { Name = "hog", AnonPages = 30000, FilePages = 4000 });
            Step(node, 40);
            Record(sb, "pressure", node);
            CompactionCommands.CompactMemory(node);
            Record(sb, "compacted", node);

            var copy = node.Clone("copy");
            Step(copy, 30);
            Record(sb, "copy stepped", copy);

            var loaded = _scenario.SnapshotRoundTrip(copy);
            Step(loaded, 30);
            Record(sb, "loaded stepped", loaded);

            // A process in a small cgroup faults past memory.max: the memcg OOM killer kills it.
            var boxed = Processes.Start(loaded, new ProcessOptions { Name = "boxed", Cgroup = "box", AnonPages = 7000 });
            sb.Append($"boxed {boxed.State} failure {boxed.FaultFailure ?? "-"}\n");
            Record(sb, "memcg oom", loaded);
            // One exit, then a process larger than memory and swap together: the global OOM killer.
            long freed = Processes.Exit(loaded, Processes.GetProcesses(loaded).First(p => p.Name == "web").Pid);
            sb.Append($"web exit freed {freed}\n");
            Record(sb, "exited", loaded);
            var huge = Processes.Start(loaded, new ProcessOptions { Name = "huge", OomScoreAdj = -500, AnonPages = 55000 });
            Step(loaded, 40);
            Record(sb, "oom", loaded);
            CompactionCommands.CompactMemory(loaded);
            Step(loaded, 20);
            Record(sb, "end", loaded);
            foreach (var e in OomKiller.KernelLog(loaded).Entries(loaded)) sb.Append(e.Line).Append('\n');
            sb.Append("## vmstat\n").Append(NodeViews.VmStat(loaded).ToKernelText());
            sb.Append("## buddyinfo\n").Append(NodeViews.BuddyInfo(loaded).ToKernelText());
            GC.KeepAlive(db); GC.KeepAlive(web); GC.KeepAlive(hog); GC.KeepAlive(hot); GC.KeepAlive(huge);
            return sb.ToString().Replace("\r\n", "\n");
        }

        [Fact]
        public void A_seeded_process_scenario_gives_the_recorded_vmstat_buddyinfo_rss_and_kernel_log()
        {
            RecordedScenario.AssertMatchesRecording(Run(), "process-scenario.txt", "MEMMGMT_RECORD_PROCESS_SCENARIO");
        }
    }
}
