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

        public static IEnumerable<Row> NewNode64G(Options o)
        {
            int samples = o.Samples ?? (o.Quick ? 3 : 7);
            var config = new NodeConfig { SizeBytes = 64 * NodeConfig.GiB };
            var times = new List<double>();
            long allocated = 0;
            long pages = 0;
            // Warm-up: a small node JITs the constructor and boot path.
            _ = new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB });
            for (int s = 0; s < samples; s++)
            {
                Settle();
                long before = GC.GetTotalAllocatedBytes(true);
                var sw = Stopwatch.StartNew();
                var node = new MemNode(config);
                sw.Stop();
                allocated = GC.GetTotalAllocatedBytes(true) - before;
                pages = node.SpannedPages;
                times.Add(sw.Elapsed.TotalMilliseconds);
                if (s == 0 && !o.Quick)
                {
                    var v = InvariantChecker.Check(node);
                    if (v.Count != 0) throw new InvalidOperationException("64 GiB node fails the invariant checker: " + v[0]);
                }
                GC.KeepAlive(node);
                node = null;
                Progress($"new MemNode 64 GiB sample {s + 1}/{samples}: {sw.Elapsed.TotalMilliseconds:0} ms");
            }
            var st = Stats.Of(times, higherIsBetter: false);
            long peak = Process.GetCurrentProcess().PeakWorkingSet64;
            yield return new Row
            {
                Figure = "new MemNode 64 GiB",
                Measured = $"{Fmt.Ms(st.Best)} / {Fmt.Ms(st.Median)} (n={st.N})",
                Target = "< 1000 ms",
                Pass = st.Median < 1000,
            };
            yield return new Row
            {
                Figure = "  64 GiB node: managed heap allocated",
                Measured = $"{Fmt.MiB(allocated)} ({(double)allocated / pages:0.0} B/page incl. pageblock and list heads)",
                Target = "about 1.5 GiB",
                Pass = allocated <= 1536L << 20,
            };
            yield return new Row
            {
                Figure = "  process peak working set",
                Measured = Fmt.MiB(peak),
                Target = "(information)",
                Pass = true,
            };
        }

        public static Row Order0Pairs(Options o)
        {
            int samples = o.Samples ?? (o.Quick ? 5 : 15);
            int pairsPerSample = o.Quick ? 5_000_000 : 20_000_000;
            var w = new Order0Workload();
            w.Run(pairsPerSample / 2); // warm-up: tiered JIT reaches the optimised code
            Thread0();
            w.Run(pairsPerSample / 2);
            var rates = new List<double>();
            for (int s = 0; s < samples; s++)
            {
                var sw = Stopwatch.StartNew();
                w.Run(pairsPerSample);
                sw.Stop();
                rates.Add(pairsPerSample / sw.Elapsed.TotalSeconds);
                Progress($"order-0 pairs sample {s + 1}/{samples}: {Fmt.Rate(rates[s])}");
            }
            var v = InvariantChecker.Check(w.Node);
            if (v.Count != 0) throw new InvalidOperationException("order-0 workload broke an invariant: " + v[0]);
            var st = Stats.Of(rates, higherIsBetter: true);
            return new Row
            {
                Figure = "order-0 alloc+free pairs, full fast path, 1 core",
                Measured = $"{Fmt.Rate(st.Best)} / {Fmt.Rate(st.Median)} (n={st.N})",
                Target = ">= 50.0 M/s",
                Pass = st.Median >= 50e6,
            };
        }

        public static Row MixedOrders(Options o)
        {
            int samples = o.Samples ?? (o.Quick ? 5 : 15);
            int opsPerSample = o.Quick ? 4_000_000 : 10_000_000;
            var w = new MixedWorkload();
            w.Run(opsPerSample); // warm-up, and lets the pageblock types settle
            Thread0();
            var rates = new List<double>();
            long failuresBefore = w.Failures;
            for (int s = 0; s < samples; s++)
            {
                var sw = Stopwatch.StartNew();
                w.Run(opsPerSample);
                sw.Stop();
                rates.Add(opsPerSample / sw.Elapsed.TotalSeconds);
                Progress($"mixed orders sample {s + 1}/{samples}: {Fmt.Rate(rates[s])}, {w.LiveAllocations} live allocations, " +
                         $"{100.0 * w.LivePages / w.Node.ManagedPages:0}% of managed pages in use");
            }
            var v = InvariantChecker.Check(w.Node);
            if (v.Count != 0) throw new InvalidOperationException("mixed workload broke an invariant: " + v[0]);
            double failRate = (double)(w.Failures - failuresBefore) / ((long)samples * opsPerSample / 2);
            Progress($"mixed orders: {failRate:P2} of timed allocations failed the fast path (counted as operations)");
            var st = Stats.Of(rates, higherIsBetter: true);
            return new Row
            {
                Figure = "mixed orders 0..10 at half occupancy",
                Measured = $"{Fmt.Rate(st.Best)} / {Fmt.Rate(st.Median)} (n={st.N})",
                Target = ">= 20.0 M/s",
                Pass = st.Median >= 20e6,
            };
        }

        /// <summary>A short pause so the JIT's background tier-up finishes before timing starts.</summary>
        private static void Thread0() => System.Threading.Thread.Sleep(200);
    }
}
