using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;

namespace MemMgmt.Bench
{
    /// <summary>The DESIGN.md figures, each measured with warm-up and several samples.</summary>
    internal static class Figures
    {
        private static void Progress(string s) => Console.WriteLine("  " + s);

        private static void Settle()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }

        public static Row BytesPerPage()
        {
            int b = PageMap.BytesPerPage;
            Progress($"bytes per page: {b} (PageMap arrays, list heads excluded)");
            return new Row { Figure = "bytes per simulated page", Measured = b.ToString(CultureInfo.InvariantCulture), Target = "<= 24", Pass = b <= 24 };
        }

        public static List<Row> NewNode64G(Options o)
        {
            int samples = o.Samples ?? (o.Quick ? 3 : 7);
            var config = new NodeConfig { SizeBytes = 64 * NodeConfig.GiB };
            var times = new List<double>();
            long allocated = 0;
            long pages = 0;
            // The first 64 GiB node is built cold (nothing JIT-compiled yet, fresh memory), as a new pwsh session would;
            // it is reported on its own line. The timed samples follow.
            double cold = BuildOnce(config);
            Progress($"new MemNode 64 GiB, cold (first in process): {cold:0} ms");
            for (int s = 0; s < samples; s++)
            {
                Settle();
                long before = GC.GetTotalAllocatedBytes(true);
                double ms = BuildOnce(config, check: s == 0 && !o.Quick, pages: out pages);
                allocated = GC.GetTotalAllocatedBytes(true) - before;
                times.Add(ms);
                Progress($"new MemNode 64 GiB sample {s + 1}/{samples}: {ms:0} ms");
            }
            var rows = new List<Row>();
            var st = Stats.Of(times, higherIsBetter: false);
            long peak = Process.GetCurrentProcess().PeakWorkingSet64;
            rows.Add(new Row
            {
                Figure = "new MemNode 64 GiB",
                Measured = $"{Fmt.Ms(st.Best)} / {Fmt.Ms(st.Median)} (n={st.N})",
                Target = "< 1000 ms",
                Pass = st.Best < 1000,
            });
            rows.Add(new Row
            {
                Figure = "  first 64 GiB node in the process (cold JIT)",
                Measured = Fmt.Ms(cold),
                Target = "< 1000 ms",
                Pass = cold < 1000,
            });
            rows.Add(new Row
            {
                Figure = "  64 GiB node: managed heap allocated",
                Measured = $"{Fmt.MiB(allocated)} ({(double)allocated / pages:0.0} B/page incl. pageblock and list heads)",
                Target = "about 1.5 GiB",
                Pass = allocated <= 1536L << 20,
            });
            rows.Add(new Row
            {
                Figure = "  process peak working set",
                Measured = Fmt.MiB(peak),
                Target = "(information)",
                Pass = true,
            });
            return rows;
        }

        /// <summary>Builds one node and lets it go (a separate method, so nothing keeps it alive afterwards).</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static double BuildOnce(NodeConfig config, bool check, out long pages)
        {
            var sw = Stopwatch.StartNew();
            var node = new MemNode(config);
            sw.Stop();
            pages = node.SpannedPages;
            if (check)
            {
                var v = InvariantChecker.Check(node);
                if (v.Count != 0) throw new InvalidOperationException("64 GiB node fails the invariant checker: " + v[0]);
            }
            return sw.Elapsed.TotalMilliseconds;
        }

        private static double BuildOnce(NodeConfig config) => BuildOnce(config, false, out _);

        public static Row Order0Pairs(Options o)
        {
            int samples = o.Samples ?? (o.Quick ? 5 : 15);
            int pairsPerSample = o.Quick ? 5_000_000 : 20_000_000;
            var w = new Order0Workload();
            w.Run(pairsPerSample / 2); // warm-up: tiered JIT reaches the optimised code
            Thread0();
            w.Run(pairsPerSample / 2);
            var rates = new List<double>();
            var cpuRates = new List<double>();
            for (int s = 0; s < samples; s++)
            {
                var (wall, cpu) = Timed(() => w.Run(pairsPerSample));
                rates.Add(pairsPerSample / wall);
                cpuRates.Add(pairsPerSample / cpu);
                Progress($"order-0 pairs sample {s + 1}/{samples}: {Fmt.Rate(rates[s])} wall, {Fmt.Rate(cpuRates[s])} per CPU second");
            }
            var v = InvariantChecker.Check(w.Node);
            if (v.Count != 0) throw new InvalidOperationException("order-0 workload broke an invariant: " + v[0]);
            return RateRow("order-0 alloc+free pairs, full fast path, 1 core", rates, cpuRates, 50e6);
        }

        public static Row MixedOrders(Options o)
        {
            int samples = o.Samples ?? (o.Quick ? 5 : 15);
            int opsPerSample = o.Quick ? 4_000_000 : 10_000_000;
            var w = new MixedWorkload();
            w.Run(opsPerSample); // warm-up, and lets the pageblock types settle
            long fallbacks = 0;
            w.Node.Hooks.PageAllocExtfrag = (z, page, order, fallbackOrder, startMt, fallbackMt) => fallbacks++;
            Thread0();
            var rates = new List<double>();
            var cpuRates = new List<double>();
            long failuresBefore = w.Failures;
            for (int s = 0; s < samples; s++)
            {
                var (wall, cpu) = Timed(() => w.Run(opsPerSample));
                rates.Add(opsPerSample / wall);
                cpuRates.Add(opsPerSample / cpu);
                Progress($"mixed orders sample {s + 1}/{samples}: {Fmt.Rate(rates[s])} wall, {Fmt.Rate(cpuRates[s])} per CPU second, {w.LiveAllocations} live allocations, " +
                         $"{100.0 * w.LivePages / w.Node.ManagedPages:0}% of managed pages in use");
            }
            var v = InvariantChecker.Check(w.Node);
            if (v.Count != 0) throw new InvalidOperationException("mixed workload broke an invariant: " + v[0]);
            double failRate = (double)(w.Failures - failuresBefore) / ((long)samples * opsPerSample / 2);
            Progress($"mixed orders: {failRate:P2} of timed allocations failed the fast path (counted as operations); " +
                     $"{(double)fallbacks / ((long)samples * opsPerSample / 2):P2} took a fallback (__rmqueue_fallback)");
            w.Node.Hooks.PageAllocExtfrag = null;
            return RateRow("mixed orders 0..10 at half occupancy", rates, cpuRates, 20e6);
        }

        /// <summary>Wall-clock seconds and CPU seconds (user + system of the whole process) of one sample. On a
        /// shared machine the CPU-time rate shows what the code does when it gets the core; the wall rate is the figure.</summary>
        private static (double Wall, double Cpu) Timed(Action run)
        {
            var proc = Process.GetCurrentProcess();
            var cpu0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            run();
            sw.Stop();
            proc.Refresh();
            double cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
            return (sw.Elapsed.TotalSeconds, Math.Max(cpu, 1e-6));
        }

        /// <summary>A rate row: the wall-clock best decides pass/fail (the sample least disturbed by other load),
        /// the median and the CPU-time rate are shown beside it.</summary>
        private static Row RateRow(string figure, List<double> wall, List<double> cpu, double target)
        {
            var st = Stats.Of(wall, higherIsBetter: true);
            var sc = Stats.Of(cpu, higherIsBetter: true);
            return new Row
            {
                Figure = figure,
                Measured = $"{Fmt.Rate(st.Best)} / {Fmt.Rate(st.Median)} (n={st.N}; per CPU-s {Fmt.Rate(sc.Best)} / {Fmt.Rate(sc.Median)})",
                Target = ">= " + Fmt.Rate(target),
                Pass = st.Best >= target,
            };
        }

        /// <summary>A short pause so the JIT's background tier-up finishes before timing starts.</summary>
        private static void Thread0() => System.Threading.Thread.Sleep(200);
    }
}
