using System;
using System.Linq;
using System.Text;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Swap;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Workloads
{
    /// <summary>One seeded scenario with every kind of working set, compaction (migration of their pages), Copy-MemNode,
    /// a snapshot round trip, a stopped set whose pages are freed by handle and a set added after it. Its /proc/vmstat,
    /// /proc/buddyinfo, LRU sizes and set counters must stay byte for byte what the build before the working sets'
    /// bookkeeping changed produced (TestData/working-set-scenario.txt), so the representation changes nothing the
    /// simulation decides.</summary>
    public sealed class WorkingSetScenarioTests : IDisposable
    {
        private readonly RecordedScenario _scenario = new RecordedScenario("memmgmt-ws-");

        public void Dispose() => _scenario.Dispose();

        private static void Step(MemNode node, int rounds) => RecordedScenario.Step(node, rounds);

        private static void Record(StringBuilder sb, string phase, MemNode node)
        {
            sb.Append("## ").Append(phase).Append('\n');
            foreach (var ws in WorkingSets.Get(node))
                sb.Append($"{ws.Name} {ws.Pattern} {ws.Owner} rounds {ws.Rounds} accesses {ws.Accesses} skipped {ws.Skipped} refaults {ws.Refaults} " +
                          $"activated {ws.RefaultsActivated} read {ws.PagesRead} resident {ws.ResidentPages} failures {ws.AllocationFailures} " +
                          $"dirtied {ws.PagesDirtied} throttled {ws.ThrottledRounds}\n");
            RecordedScenario.AppendLruSizes(sb, node);
            sb.Append($"clock {node.Clock.NowNs} free {node.FreePages}\n");
            RecordedScenario.AssertInvariants(node, phase);
        }

        internal string Run()
        {
            var sb = new StringBuilder();
            var node = new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB, Seed = 7 });
            SwapDevice.Configure(node, 256 * NodeConfig.MiB);
            var hot = WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.Anon, Percent = 20 });
            WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.Random, Owner = PageOwner.Shmem, Percent = 10, AccessFraction = 0.3, Seed = 11 });
            WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.FileCache, Percent = 25 });
            WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.Random, Owner = PageOwner.FileCache, Percent = 15, Seed = 5, Write = true });
            WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.Streaming, Owner = PageOwner.FileCache, Percent = 120, PagesPerRound = 256 });
            Record(sb, "added", node);
            Step(node, 150);
            Record(sb, "stepped", node);
            CompactionCommands.CompactMemory(node);
            Record(sb, "compacted", node);
            Step(node, 60);
            Record(sb, "after compaction", node);

            var copy = node.Clone("copy");
            Step(copy, 60);
            Record(sb, "copy stepped", copy);

            var loaded = _scenario.SnapshotRoundTrip(copy);
            Step(loaded, 60);
            Record(sb, "loaded stepped", loaded);

            // The anon set stops; half its pages are freed by handle, the rest age out; then a new set is added.
            var stopped = WorkingSets.Get(loaded).First(w => w.Name == hot.Name);
            Assert.True(WorkingSets.Remove(loaded, stopped));
            var handles = stopped.Handles.ToArray();
            int freed = 0;
            for (int i = 0; i < handles.Length; i += 2)
                if (PageAllocator.TryGetAllocation(loaded, handles[i], out _, out _)) { PageAllocator.Free(loaded, handles[i]); freed++; }
            sb.Append($"freed {freed} of {handles.Length}\n");
            WorkingSets.Add(loaded, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.Anon, Percent = 10, Name = "late" });
            Step(loaded, 60);
            CompactionCommands.CompactMemory(loaded);
            Step(loaded, 30);
            Record(sb, "end", loaded);
            sb.Append("## vmstat\n").Append(NodeViews.VmStat(loaded).ToKernelText());
            sb.Append("## buddyinfo\n").Append(NodeViews.BuddyInfo(loaded).ToKernelText());
            return sb.ToString().Replace("\r\n", "\n");
        }

        [Fact]
        public void A_seeded_working_set_scenario_gives_the_recorded_vmstat_buddyinfo_and_set_counters()
        {
            RecordedScenario.AssertMatchesRecording(Run(), "working-set-scenario.txt", "MEMMGMT_RECORD_WS_SCENARIO");
        }
    }
}
