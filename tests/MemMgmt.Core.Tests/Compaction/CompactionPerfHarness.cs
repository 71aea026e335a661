using System;
using System.Diagnostics;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Workloads;
using Xunit;
using Xunit.Abstractions;

namespace MemMgmt.Core.Tests.Compaction
{
    /// <summary>The figure: compact_memory of a 16 GiB node whose movable memory has every other page freed.
    /// Runs only with MEMMGMT_PERF=1 (it builds a 4-million-page node); prints the figures.</summary>
    public class CompactionPerfHarness
    {
        private readonly ITestOutputHelper _out;
        public CompactionPerfHarness(ITestOutputHelper o) { _out = o; }

        [Fact]
        public void FullCompactionOf16GiBEveryOtherPageFreed()
        {
            if (Environment.GetEnvironmentVariable("MEMMGMT_PERF") != "1") return;
            var node = new MemNode(new NodeConfig { SizeBytes = 16L << 30 });
            var sw = Stopwatch.StartNew();
            var rep = Pressure.Run(node, new PressureOptions
            {
                Percent = 100, Pattern = PressurePattern.EveryOther, Seed = 1,
                Gfp = GfpFlags.GFP_HIGHUSER_MOVABLE | GfpFlags.__GFP_MEMALLOC,
            });
            _out.WriteLine($"setup: {sw.ElapsedMilliseconds} ms, {rep.PagesAllocated} pages allocated, {rep.PagesFreed} freed");
            long m0 = node.Counters[VmEvent.CompactMigrateScanned], f0 = node.Counters[VmEvent.CompactFreeScanned], p0 = node.Counters[VmEvent.PgMigrateSuccess];
            // Warm-up on a copy so the JIT has compiled the scanners.
            CompactionCommands.CompactMemory(node.Clone("warm"));
            sw.Restart();
            var run = CompactionCommands.CompactMemory(node);
            sw.Stop();
            double s = sw.Elapsed.TotalSeconds;
            long mScanned = node.Counters[VmEvent.CompactMigrateScanned] - m0, fScanned = node.Counters[VmEvent.CompactFreeScanned] - f0;
            long migrated = node.Counters[VmEvent.PgMigrateSuccess] - p0;
            _out.WriteLine($"compact_memory: {sw.Elapsed.TotalMilliseconds:F1} ms wall; migrate scanner {mScanned} pfns ({mScanned / s / 1e6:F1} M/s), " +
                $"free scanner {fScanned} pfns ({fScanned / s / 1e6:F1} M/s), migrated {migrated} pages ({migrated / s / 1e6:F2} M/s)");
            foreach (var z in run.Zones) _out.WriteLine(z.ToString());
            Assert.All(run.Zones, z => Assert.Equal(CompactResult.Complete, z.Result));
            // The scanners meet in the middle: the live pages below that point move, about half of all live pages.
            long live = rep.PagesAllocated - rep.PagesFreed;
            Assert.InRange(migrated, live / 2 - live / 20, live / 2 + live / 20);
            Scenario.AssertConsistent(node);
        }
    }
}
