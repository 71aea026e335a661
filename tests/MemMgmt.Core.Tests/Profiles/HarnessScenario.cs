using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Sysctl;
using MemMgmt.Core.Workloads;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>The arm64-qemu harness's phases on a simulated node: frag, hugepages1, released, compacted, hugepages2.</summary>
    internal sealed class HarnessScenario
    {
        internal static readonly string[] CompactCounters =
        {
            "compact_stall", "compact_fail", "compact_success", "compact_migrate_scanned", "compact_free_scanned",
            "compact_isolated", "pgmigrate_success",
        };

        internal MemNode Node = null!;
        internal long[] FragBlocks = null!;
        /// <summary>Every pageblock's census when frag is done (Get-Pageblock), to set beside the capture's pbmap.</summary>
        internal IReadOnlyList<PageblockInfo> FragCensus = null!;
        internal long[] FragBuddy = null!;
        internal double FragOddShare;
        internal long Requested, Granted1, Granted2;
        /// <summary>Where each direct compaction of the hugepages1 request began (mm_compaction_begin's migrate_pfn and
        /// free_pfn, in order; kcompactd's runs left out).</summary>
        internal List<(long Migrate, long Free, bool Sync)> Hp1DirectBegins = new List<(long, long, bool)>();
        /// <summary>Counter deltas: frag → hugepages1, released → compacted.</summary>
        internal Dictionary<string, long> Hp1 = new Dictionary<string, long>(), Cm = new Dictionary<string, long>();

        /// <summary>The harness on a booted 6.1 node, run once per test process and only read: the random half, and the two
        /// parity states of the alt pattern. Which pfn parity frag's freed pages get follows the order the allocator hands
        /// pages out in, so on a booted node -Parity Even leaves mostly odd pfns free (the odd state) and -Parity Odd even ones.</summary>
        internal static readonly Lazy<HarnessScenario> Booted61Rand = new Lazy<HarnessScenario>(() => Run(KernelProfile.Linux61, PressurePattern.FragRandom, null, booted: true));
        internal static readonly Lazy<HarnessScenario> Booted61OddState = new Lazy<HarnessScenario>(() => Run(KernelProfile.Linux61, PressurePattern.Frag, PageParity.Even, booted: true));
        internal static readonly Lazy<HarnessScenario> Booted61EvenState = new Lazy<HarnessScenario>(() => Run(KernelProfile.Linux61, PressurePattern.Frag, PageParity.Odd, booted: true));

        /// <summary>The harness on an unbooted 6.1 node in the even state (there -Parity Even leaves even pfns free), run once
        /// per test process and only read.</summary>
        internal static readonly Lazy<HarnessScenario> Unbooted61EvenState = new Lazy<HarnessScenario>(() => Run(KernelProfile.Linux61, PressurePattern.Frag, PageParity.Even));

        /// <summary>The CPU the harness's /init (pid 1) writes the sysctls from: the DET=1 traces show init-1 on CPU 1 when
        /// each hugepage request begins, and frag, its child, on CPU 0 (where Pressure.Run's default places it).</summary>
        internal const int InitCpu = 1;

        internal static HarnessScenario Run(KernelProfile kernel, PressurePattern pattern, PageParity? parity, bool booted = false)
        {
            var s = new HarnessScenario();
            var node = s.Node = new MemNode(new NodeConfig { Kernel = kernel, Booted = booted });
            Pressure.Run(node, new PressureOptions { Pattern = pattern, Parity = parity });
            Settle(node);
            s.FragBlocks = BlockCounts(node);
            s.FragCensus = PageblockCensus.TakeAll(node);
            s.FragBuddy = ToArray(NodeViews.BuddyInfo(node).Rows[0].FreeBlocks);
            s.FragOddShare = OddShare(node);
            long memFreeKb = NodeViews.MemInfo(node)["MemFree"]!.Value;
            s.Requested = memFreeKb * 75 / 100 / 2048;
            var before = Counters(node);
            long traced = node.Trace.Written;
            VmSysctl.Write(node, "nr_hugepages", s.Requested.ToString(), InitCpu);
            s.Granted1 = long.Parse(node.Sysctl.Read("nr_hugepages"));
            s.Hp1DirectBegins = DirectBegins(node, traced);
            Settle(node);
            s.Hp1 = Delta(before, Counters(node));
            VmSysctl.Write(node, "nr_hugepages", "0", InitCpu);
            Settle(node);
            before = Counters(node);
            VmSysctl.Write(node, "compact_memory", "1", InitCpu);
            Settle(node);
            s.Cm = Delta(before, Counters(node));
            VmSysctl.Write(node, "nr_hugepages", s.Requested.ToString(), InitCpu);
            s.Granted2 = long.Parse(node.Sysctl.Read("nr_hugepages"));
            return s;
        }

        /// <summary>mm_compaction_begin of the allocating task's direct compactions recorded since event
        /// <paramref name="since"/>, oldest first, while the ring still holds them all.</summary>
        private static List<(long Migrate, long Free, bool Sync)> DirectBegins(MemNode node, long since)
        {
            var list = new List<(long, long, bool)>();
            if (node.Trace.Written - since > node.Trace.Capacity) return list;
            foreach (var e in node.Trace.Events(node))
                if (e.Sequence >= since && e.Event == MemMgmt.Core.Trace.TraceEventId.mm_compaction_begin && e.Task != "kcompactd0")
                    list.Add(((long)e.Fields["migrate_pfn"], (long)e.Fields["free_pfn"], (bool)e.Fields["sync"]));
            return list;
        }

        /// <summary>A captured trace's mm_compaction_begin lines of the allocating task (not kcompactd0), oldest first:
        /// (migrate_pfn, free_pfn, whether the run is sync).</summary>
        internal static List<(long Migrate, long Free, bool Sync)> CapturedDirectBegins(string run, string phase)
        {
            var list = new List<(long, long, bool)>();
            foreach (var line in CapturedFile(run, phase, "trace.txt").Split('\n'))
            {
                if (!line.Contains("mm_compaction_begin:") || line.TrimStart().StartsWith("kcompactd0")) continue;
                list.Add((HexField(line, "migrate_pfn="), HexField(line, "free_pfn="), line.Contains("mode=sync")));
            }
            return list;
        }

        private static long HexField(string line, string key)
        {
            int at = line.IndexOf(key, StringComparison.Ordinal) + key.Length + 2;   // past "0x"
            int end = at;
            while (end < line.Length && Uri.IsHexDigit(line[end])) end++;
            return Convert.ToInt64(line.Substring(at, end - at), 16);
        }

        /// <summary>The harness's settle() before each capture: one-second sleeps until pgmigrate_success and the
        /// compact_(daemon_)migrate/free_scanned counters stayed the same over one (at most 60), so kcompactd's
        /// proactive runs that fall due after a phase are in that phase's capture.</summary>
        internal static void Settle(MemNode node)
        {
            string[] watched = { "pgmigrate_success", "compact_migrate_scanned", "compact_free_scanned", "compact_daemon_migrate_scanned", "compact_daemon_free_scanned" };
            string Read()
            {
                var v = NodeViews.VmStat(node);
                var parts = new List<string>();
                foreach (var n in watched) parts.Add((v[n] ?? 0).ToString());
                return string.Join(" ", parts);
            }
            string prev = "";
            for (int i = 0; i < 60; i++)
            {
                string cur = Read();
                if (cur == prev) break;
                prev = cur;
                Time.Daemons.Step(node, 1_000_000_000);
            }
        }

        private static long[] ToArray(IReadOnlyList<long> l)
        {
            var a = new long[l.Count];
            for (int i = 0; i < a.Length; i++) a[i] = l[i];
            return a;
        }

        /// <summary>Unmovable, Movable, Reclaimable, HighAtomic, CMA, Isolate pageblocks of the populated zones.</summary>
        internal static long[] BlockCounts(MemNode node)
        {
            var t = NodeViews.PageTypeInfo(node);
            var sum = new long[t.MigrateTypeNames.Count];
            foreach (var row in t.BlockRows) for (int i = 0; i < sum.Length; i++) sum[i] += row.Blocks[i];
            return sum;
        }

        /// <summary>Share of the buddy allocator's free pages that sit at odd pfns (pbmap's free_odd over free).</summary>
        internal static double OddShare(MemNode node)
        {
            long free = 0, odd = 0;
            var pages = node.Pages;
            for (int i = 0; i < node.SpannedPages; i++)
            {
                if ((pages.Flags[i] & (uint)PageFlags.Buddy) == 0) continue;
                long n = 1L << pages.OrderOf(i);
                free += n;
                long pfn = node.NodeStartPfn + i;
                odd += n == 1 ? (pfn & 1) : n / 2;
            }
            return free == 0 ? 0 : (double)odd / free;
        }

        private static string CapturedFile(string run, string phase, string file) => File.ReadAllText(Path.Combine(run, phase, file));

        /// <summary>A key of a captured run's hugepages.txt (requested, granted) in <paramref name="phase"/>.</summary>
        internal static long CapturedHugepages(string run, string phase, string key = "granted") =>
            long.Parse(CapturedFile(run, phase, "hugepages.txt").Split('\n').First(l => l.StartsWith(key + "=")).Substring(key.Length + 1));

        /// <summary>A captured run's vmstat counter in <paramref name="to"/> less its value in <paramref name="from"/>.</summary>
        internal static long CapturedDelta(string run, string from, string to, string counter) =>
            VmStat.Parse(CapturedFile(run, to, "vmstat.txt"))[counter]!.Value - VmStat.Parse(CapturedFile(run, from, "vmstat.txt"))[counter]!.Value;

        /// <summary>A captured run's share of free pages at odd pfns after frag: pbmap's free_odd over free, over the pageblocks.</summary>
        internal static double CapturedOddShare(string run)
        {
            long free = 0, odd = 0;
            foreach (var line in CapturedFile(run, "frag", "pbmap.txt").Split('\n').Skip(1))
            {
                var t = line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                if (t.Length < 11 || !char.IsDigit(t[0][0])) continue;
                free += long.Parse(t[1]);
                odd += long.Parse(t[10]);
            }
            return (double)odd / free;
        }

        internal static Dictionary<string, long> Counters(MemNode node)
        {
            var v = NodeViews.VmStat(node);
            var d = new Dictionary<string, long>();
            foreach (var n in CompactCounters) d[n] = v[n] ?? 0;
            return d;
        }

        internal static Dictionary<string, long> Delta(Dictionary<string, long> a, Dictionary<string, long> b)
        {
            var d = new Dictionary<string, long>();
            foreach (var kv in b) d[kv.Key] = kv.Value - a[kv.Key];
            return d;
        }

        public override string ToString()
        {
            string D(Dictionary<string, long> d) { var l = new List<string>(); foreach (var kv in d) l.Add(kv.Key + "=" + kv.Value); return string.Join(" ", l); }
            return $"kernel {Node.Kernel} blocks {string.Join("/", FragBlocks)} buddy {string.Join(" ", FragBuddy)} odd {FragOddShare:F3} "
                + $"req {Requested} hp1 {Granted1} hp2 {Granted2}\n  hp1: {D(Hp1)}\n  cm: {D(Cm)}";
        }
    }
}
