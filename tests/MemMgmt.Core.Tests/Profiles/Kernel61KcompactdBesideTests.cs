using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using MemMgmt.Core.Sysctl;
using MemMgmt.Core.Tests.Stats;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>kcompactd's proactive compaction (proactive_compact_node, mm/compaction.c, 6.1) on the node's other CPU while
    /// a hugepage pool request compacts directly, as in the real arm64 6.1 run of tests/captures/arm64-6.1-qemu/even.</summary>
    public class Kernel61KcompactdBesideTests
    {
        /// <summary>A compaction run as the trace shows it: who ran it, when it began and ended, and its mode.</summary>
        private sealed class Run
        {
            internal string Task = "";
            internal double Begin, End = double.NaN;
            internal string Mode = "";
        }

        /// <summary>Pairs each task's mm_compaction_begin with its next mm_compaction_end (a task runs one compact_zone at a time).</summary>
        private static List<Run> Runs(IEnumerable<(string task, double t, string evt, string text)> events)
        {
            var runs = new List<Run>();
            var open = new Dictionary<string, Run>();
            foreach (var (task, t, evt, text) in events)
            {
                if (evt == "mm_compaction_begin")
                {
                    var r = new Run { Task = task, Begin = t, Mode = text.Contains("mode=async") ? "async" : "sync" };
                    runs.Add(r);
                    open[task] = r;
                }
                else if (evt == "mm_compaction_end" && open.TryGetValue(task, out var r))
                {
                    r.End = t;
                    open.Remove(task);
                }
            }
            return runs;
        }

        private static IEnumerable<(string, double, string, string)> ParseFtrace(string text)
        {
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith("#") || line.Trim().Length == 0) continue;
                var t = line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                // TASK-PID [CPU] flags TIMESTAMP: event: fields
                string task = t[0].Substring(0, t[0].LastIndexOf('-'));
                double ts = double.Parse(t[3].TrimEnd(':'), CultureInfo.InvariantCulture);
                yield return (task, ts, t[4].TrimEnd(':'), line);
            }
        }

        private static MemNode EvenFragNode(KernelProfile kernel, int cpus = 2)
        {
            var node = new MemNode(new NodeConfig { Kernel = kernel, Cpus = cpus });
            Pressure.Run(node, new PressureOptions { Pattern = PressurePattern.Frag, Parity = PageParity.Even });
            return node;
        }

        private static long Request(MemNode node) => MemMgmt.Core.Stats.NodeViews.MemInfo(node)["MemFree"]!.Value * 75 / 100 / 2048;

        private static List<Run> RequestRuns(MemNode node)
        {
            long seen = node.Trace.Events(node).Count == 0 ? -1 : node.Trace.Events(node).Max(e => e.Sequence);
            VmSysctl.Write(node, "nr_hugepages", Request(node).ToString(CultureInfo.InvariantCulture));
            return Runs(node.Trace.Events(node).Where(e => e.Sequence > seen)
                .Select(e => (e.Task, e.Timestamp, e.Event.ToString(), e.Text)));
        }

        [Fact]
        public void TheRealRequest_HasKcompactdsProactiveRunBeginInsideIt_AndEndAfterItsLastDirectCompaction()
        {
            // What the simulated runs below are compared with: in the real even-parity run kcompactd0 began a whole-zone
            // sync compaction 0.17 s into the request and ended after the request's last direct compaction.
            var runs = Runs(ParseFtrace(ProcCaptures.HarnessFile("even", "hugepages1", "trace.txt")));
            var direct = runs.Where(r => r.Task == "init").ToList();
            var kcompactd = runs.Where(r => r.Task == "kcompactd0").ToList();
            Assert.Single(kcompactd);
            Assert.Equal("sync", kcompactd[0].Mode);
            Assert.InRange(kcompactd[0].Begin, direct.First().Begin, direct.Last().End);
            Assert.True(kcompactd[0].End > direct.Last().End);
            Assert.Contains(direct, d => d.Begin > kcompactd[0].Begin && d.End < kcompactd[0].End);
        }

        [Fact]
        public void Linux61_KcompactdsProactiveRun_BeginsInsideTheRequest_AndDirectCompactionsRunBesideIt_AsInTheRealRun()
        {
            var node = EvenFragNode(KernelProfile.Linux61);
            long runsBefore = node.Compaction.ProactiveRunCount;
            var runs = RequestRuns(node);
            var direct = runs.Where(r => r.Task != "kcompactd0").ToList();
            var kcompactd = runs.Where(r => r.Task == "kcompactd0").ToList();
            Assert.NotEmpty(direct);
            Assert.Single(kcompactd);
            Assert.Equal("sync", kcompactd[0].Mode);
            Assert.InRange(kcompactd[0].Begin, direct.First().Begin, direct.Last().End);
            // Direct compactions begin and end while kcompactd's run is in progress: the two take pages by turns.
            Assert.Contains(direct, d => d.Begin > kcompactd[0].Begin && d.End < kcompactd[0].End);
            // The burst finished kcompactd's run before returning: it ended (after the request, as in the real run) and
            // was counted, and nothing is left isolated.
            Assert.False(double.IsNaN(kcompactd[0].End));
            Assert.Equal(runsBefore + 1, node.Compaction.ProactiveRunCount);
            Assert.Empty(InvariantChecker.Check(node));
            // kcompactd sleeps one check interval from where its run ended on its own CPU.
            Assert.Equal((long)Math.Round(kcompactd[0].End * 1e9) + 500_000_000, node.Compaction.ProactiveWakeNsValue);
        }

        [Fact]
        public void Linux61_KcompactdsEventsBesideTheRequest_AreOnTheOtherCpu()
        {
            // As in the real trace, where kcompactd0's events show the CPU the requesting task was not on.
            var node = EvenFragNode(KernelProfile.Linux61);
            long seen = node.Trace.Events(node).Max(e => e.Sequence);
            VmSysctl.Write(node, "nr_hugepages", Request(node).ToString(CultureInfo.InvariantCulture));
            var events = node.Trace.Events(node).Where(e => e.Sequence > seen).ToList();
            var kcompactd = events.Where(e => e.Task == "kcompactd0").ToList();
            Assert.NotEmpty(kcompactd);
            Assert.All(kcompactd, e => Assert.Equal(1, e.Cpu));
            Assert.All(events.Where(e => e.Task != "kcompactd0" && e.Task != "kswapd0"), e => Assert.Equal(0, e.Cpu));
            Assert.Contains("[001]", kcompactd[0].ToFtraceLine());
        }

        [Fact]
        public void Linux61_ProactivenessZero_LeavesKcompactdAsleep_ThroughTheRequest()
        {
            var node = EvenFragNode(KernelProfile.Linux61);
            VmSysctl.Write(node, "compaction_proactiveness", "0");
            var runs = RequestRuns(node);
            Assert.DoesNotContain(runs, r => r.Task == "kcompactd0");
            Assert.Equal(0, node.Compaction.ProactiveRunCount);
        }

        [Fact]
        public void Linux61_OneCpu_HasNoOtherCpuForKcompactd_DuringTheRequest()
        {
            var node = EvenFragNode(KernelProfile.Linux61, cpus: 1);
            var runs = RequestRuns(node);
            Assert.NotEmpty(runs);
            Assert.DoesNotContain(runs, r => r.Task == "kcompactd0");
        }

        [Fact]
        public void Linux414_HasNoProactiveCompaction_DuringTheRequest()
        {
            var node = EvenFragNode(KernelProfile.Linux414);
            var runs = RequestRuns(node);
            Assert.DoesNotContain(runs, r => r.Task == "kcompactd0");
        }

        [Fact]
        public void TraceEvents_AreInTimestampOrder_WithKcompactdsEventsMergedBetweenTheTasks()
        {
            var node = EvenFragNode(KernelProfile.Linux61);
            VmSysctl.Write(node, "nr_hugepages", Request(node).ToString(CultureInfo.InvariantCulture));
            var events = node.Trace.Events(node);
            for (int i = 1; i < events.Count; i++) Assert.True(events[i].TimeNs >= events[i - 1].TimeNs, $"event {i} goes back in time");
            // kcompactd's events were recorded after the task's later ones; merged by time they sit among them.
            var seqOutOfOrder = events.Where((e, i) => i > 0 && e.Sequence < events[i - 1].Sequence).Count();
            Assert.True(seqOutOfOrder > 0);
        }
    }
}
