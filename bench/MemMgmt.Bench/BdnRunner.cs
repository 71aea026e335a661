using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.NoEmit;
using MemMgmt.Core.Node;

namespace MemMgmt.Bench
{
    /// <summary>The same workloads under BenchmarkDotNet (in-process, so the run needs no extra build).</summary>
    internal static class BdnRunner
    {
        public static int Run(string[] args)
        {
            var config = ManualConfig.CreateMinimumViable()
                .AddJob(Job.ShortRun.WithToolchain(InProcessNoEmitToolchain.Instance).WithId("ShortRun-InProcess"))
                .WithOptions(ConfigOptions.DisableOptimizationsValidator);
            var summaries = BenchmarkRunner.Run(new[] { typeof(FastPathBenchmarks), typeof(NodeBenchmarks) }, config);
            foreach (var s in summaries) if (s.HasCriticalValidationErrors) return 1;
            return 0;
        }
    }

    public class FastPathBenchmarks
    {
        private const int Pairs = 1_000_000;
        private const int Ops = 1_000_000;
        private Order0Workload _order0 = null!;
        private MixedWorkload _mixed = null!;

        [GlobalSetup]
        public void Setup()
        {
            _order0 = new Order0Workload();
            _mixed = new MixedWorkload();
        }

        /// <summary>One operation = one alloc+free pair; target 10 ns (100 M/s).</summary>
        [Benchmark(OperationsPerInvoke = Pairs)]
        public int Order0AllocFreePair() => _order0.Run(Pairs);

        /// <summary>One operation = one free or one allocation; target 20 ns (50 M/s).</summary>
        [Benchmark(OperationsPerInvoke = Ops)]
        public void MixedOrdersHalfFull() => _mixed.Run(Ops);
    }

    public class NodeBenchmarks
    {
        /// <summary>Target under 1 s.</summary>
        [Benchmark]
        public MemNode NewMemNode64G() => new MemNode(new NodeConfig { SizeBytes = 64 * NodeConfig.GiB });
    }
}
