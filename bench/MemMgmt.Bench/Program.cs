using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using MemMgmt.Core.Node;

namespace MemMgmt.Bench
{
    /// <summary>
    /// Prints the DESIGN.md "Performance" figures against their targets.
    /// Stopwatch harness: every figure is warmed up, then timed over several samples; the table shows the best
    /// and the median sample. <c>--quick</c> takes fewer and shorter samples (well under a minute);
    /// <c>--bdn</c> runs the same workloads under BenchmarkDotNet instead (slow on a shared 2-core box).
    /// </summary>
    internal static class Program
    {
        private static int Main(string[] args)
        {
            var opts = Options.Parse(args);
            if (opts.Help)
            {
                Console.WriteLine("usage: MemMgmt.Bench [--quick] [--bdn] [--only bytes|node|order0|mixed|kswapd|compact|workload|workingset|process|snapshot|tib|pipeline] [--tib] [--samples N]");
                return 0;
            }
            if (opts.Bdn) return BdnRunner.Run(args);

            Console.WriteLine($"MemMgmt.Bench  {(opts.Quick ? "quick" : "full")} mode, {Environment.ProcessorCount} cpus, " +
                              $".NET {Environment.Version}, {(Stopwatch.IsHighResolution ? "high-res" : "low-res")} timer");
            Console.WriteLine("Timing figures are noisy on a shared machine: best and median of the samples are shown.");
            Console.WriteLine();

            var rows = new List<Row>();
            if (opts.Runs("bytes")) rows.Add(Figures.BytesPerPage());
            if (opts.Runs("node")) rows.AddRange(Figures.NewNode64G(opts));
            if (opts.Runs("order0")) rows.Add(opts.Only == null ? ChildProcess.RunFigure("order0", opts) : Figures.Order0Pairs(opts));
            if (opts.Runs("mixed")) rows.Add(opts.Only == null ? ChildProcess.RunFigure("mixed", opts) : Figures.MixedOrders(opts));
            if (opts.Runs("kswapd")) rows.AddRange(Figures.KswapdBelowMinToHigh(opts));
            if (opts.Runs("compact")) rows.AddRange(Figures.CompactMemory16G(opts));
            if (opts.Runs("workload")) rows.AddRange(Figures.WorkloadBytesPerPage(opts));
            if (opts.Runs("workingset")) rows.AddRange(Figures.WorkingSetBytesPerPage(opts));
            if (opts.Runs("process")) rows.AddRange(Figures.ProcessBytesPerPage(opts));
            if (opts.Runs("snapshot")) rows.AddRange(Figures.Snapshot16G(opts));
            if (opts.Tib || string.Equals(opts.Only, "tib", StringComparison.OrdinalIgnoreCase)) rows.AddRange(Figures.TiB(opts));
            if (opts.Runs("pipeline")) rows.Add(Figures.Pipeline());

            if (opts.Child) { foreach (var r in rows) Console.WriteLine(ChildProcess.Encode(r)); return 0; }
            Console.WriteLine();
            Table.Print(rows);
            bool allPass = rows.TrueForAll(r => r.Pass);
            Console.WriteLine();
            Console.WriteLine(allPass ? "All figures meet their targets." : "Some figures miss their targets (see FAIL rows).");
            return allPass ? 0 : 1;
        }
    }

    internal sealed class Options
    {
        public bool Quick;
        public bool Bdn;
        public bool Help;
        /// <summary>Also run the 1 TiB figures (minutes, about 8 GiB of memory); not part of a plain or --quick run.</summary>
        public bool Tib;
        public string? Only;
        public int? Samples;
        /// <summary>Run by <see cref="ChildProcess"/>: print the rows as encoded lines instead of the table.</summary>
        public bool Child;

        public bool Runs(string name) => Only == null || string.Equals(Only, name, StringComparison.OrdinalIgnoreCase);

        public static Options Parse(string[] args)
        {
            var o = new Options();
            for (int i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--quick": o.Quick = true; break;
                    case "--bdn": o.Bdn = true; break;
                    case "--tib": o.Tib = true; break;
                    case "--only": o.Only = args[++i]; break;
                    case "--samples": o.Samples = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                    case "--child": o.Child = true; break;
                    case "-h": case "--help": o.Help = true; break;
                    default: throw new ArgumentException($"unknown argument '{args[i]}' (try --help)");
                }
            }
            return o;
        }
    }

    /// <summary>
    /// The fast-path figures, run in a process of their own when the bench runs more than one figure. Tiered PGO
    /// compiles alloc_pages and __free_pages once, with the profile of whatever called them first: in one process the
    /// mixed figure measured 45 M/s after the order-0 figure (54 M/s alone), and both figures 80 and 45 M/s after the
    /// 64 GiB node builds (100 and 54 alone). The child is this program with --only and --child; its progress lines
    /// pass through and its row comes back as one encoded line.
    /// </summary>
    internal static class ChildProcess
    {
        private const string RowPrefix = "ROW\t";

        public static Row RunFigure(string figure, Options o)
        {
            var psi = new ProcessStartInfo
            {
                FileName = Environment.ProcessPath ?? "dotnet",
                UseShellExecute = false,
                RedirectStandardOutput = true,
            };
            // Under `dotnet MemMgmt.Bench.dll` the process is the dotnet host and the program its first argument.
            string entry = typeof(Program).Assembly.Location;
            if (!entry.Equals(Environment.ProcessPath, StringComparison.Ordinal) && entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
                psi.ArgumentList.Add(entry);
            psi.ArgumentList.Add("--only"); psi.ArgumentList.Add(figure);
            psi.ArgumentList.Add("--child");
            if (o.Quick) psi.ArgumentList.Add("--quick");
            if (o.Samples.HasValue) { psi.ArgumentList.Add("--samples"); psi.ArgumentList.Add(o.Samples.Value.ToString(CultureInfo.InvariantCulture)); }
            Row? row = null;
            using (var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start the {figure} figure's process"))
            {
                string? line;
                while ((line = p.StandardOutput.ReadLine()) != null)
                {
                    if (line.StartsWith(RowPrefix, StringComparison.Ordinal)) row = Decode(line);
                    else if (line.StartsWith("  ", StringComparison.Ordinal)) Console.WriteLine(line);
                }
                p.WaitForExit();
            }
            return row ?? new Row { Figure = figure, Measured = "its process gave no result", Target = "", Pass = false };
        }

        public static string Encode(Row r) => RowPrefix + string.Join("\t", r.Figure, r.Measured, r.Target, r.Pass ? "1" : "0");

        private static Row Decode(string line)
        {
            var f = line.Substring(RowPrefix.Length).Split('\t');
            return new Row { Figure = f[0], Measured = f[1] + " (own process)", Target = f[2], Pass = f[3] == "1" };
        }
    }

    /// <summary>One line of the result table.</summary>
    internal sealed class Row
    {
        public string Figure = "";
        public string Measured = "";
        public string Target = "";
        public bool Pass;
        /// <summary>The figure is not measured by this program (the row says where it is): "n/a", not pass/fail.</summary>
        public bool NotMeasured;
    }

    internal static class Table
    {
        public static void Print(List<Row> rows)
        {
            string[] head = { "figure", "measured (best / median)", "target", "result" };
            int[] w = { head[0].Length, head[1].Length, head[2].Length, head[3].Length };
            foreach (var r in rows)
            {
                w[0] = Math.Max(w[0], r.Figure.Length);
                w[1] = Math.Max(w[1], r.Measured.Length);
                w[2] = Math.Max(w[2], r.Target.Length);
            }
            string Line(string a, string b, string c, string d) =>
                $"| {a.PadRight(w[0])} | {b.PadRight(w[1])} | {c.PadRight(w[2])} | {d.PadRight(w[3])} |";
            Console.WriteLine(Line(head[0], head[1], head[2], head[3]));
            Console.WriteLine($"|-{new string('-', w[0])}-|-{new string('-', w[1])}-|-{new string('-', w[2])}-|-{new string('-', w[3])}-|");
            foreach (var r in rows) Console.WriteLine(Line(r.Figure, r.Measured, r.Target, r.NotMeasured ? "n/a" : r.Pass ? "pass" : "FAIL"));
        }
    }

    /// <summary>Best and median of a set of samples.</summary>
    internal readonly struct Stats
    {
        public readonly double Best;
        public readonly double Median;
        public readonly int N;

        private Stats(double best, double median, int n) { Best = best; Median = median; N = n; }

        /// <param name="higherIsBetter">true for rates, false for times.</param>
        public static Stats Of(List<double> samples, bool higherIsBetter)
        {
            var s = samples.ToArray();
            Array.Sort(s);
            double median = s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
            return new Stats(higherIsBetter ? s[s.Length - 1] : s[0], median, s.Length);
        }
    }

    internal static class Fmt
    {
        public static string Rate(double perSecond) => (perSecond / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " M/s";
        public static string Ms(double ms) => ms.ToString("0", CultureInfo.InvariantCulture) + " ms";
        public static string MiB(double bytes) => (bytes / (1 << 20)).ToString("0", CultureInfo.InvariantCulture) + " MiB";
    }
}
