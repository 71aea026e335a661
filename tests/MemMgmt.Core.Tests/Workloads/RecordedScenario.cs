using System;
using System.IO;
using System.Text;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Tests.Stats;
using MemMgmt.Core.Time;
using Xunit;

namespace MemMgmt.Core.Tests.Workloads
{
    /// <summary>What the recorded-scenario tests share: stepping time in 10 ms rounds, the LRU sizes and invariant check each
    /// recorded phase ends with, a snapshot round trip through a file of their own, and the comparison with the text
    /// recorded in TestData (written again when the test's record variable is 1).</summary>
    internal sealed class RecordedScenario : IDisposable
    {
        private const long Ms10 = 10_000_000;
        private readonly string _dir;

        internal RecordedScenario(string dirPrefix)
        {
            _dir = Path.Combine(Path.GetTempPath(), dirPrefix + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_dir);
        }

        public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

        internal static void Step(MemNode node, int rounds)
        {
            for (int i = 0; i < rounds; i++) Daemons.Step(node, Ms10);
        }

        /// <summary>Every LRU list's size, one line each.</summary>
        internal static void AppendLruSizes(StringBuilder sb, MemNode node)
        {
            foreach (LruList l in Enum.GetValues(typeof(LruList)))
                sb.Append($"lru {l} {Lru.Size(node, 0, l)}\n");
        }

        internal static void AssertInvariants(MemNode node, string phase)
        {
            var issues = InvariantChecker.Check(node);
            Assert.True(issues.Count == 0, phase + ": " + string.Join("; ", issues));
        }

        /// <summary>Export-MemNode then Import-MemNode of <paramref name="node"/> (without the trace), named "loaded".</summary>
        internal MemNode SnapshotRoundTrip(MemNode node)
        {
            string path = Path.Combine(_dir, "copy.memsnap");
            NodeSnapshot.Export(node, path, includeTrace: false);
            return NodeSnapshotFile.Open(path).ToNode("loaded");
        }

        internal static void AssertMatchesRecording(string actual, string fileName, string recordVariable)
        {
            string expectedPath = Path.Combine(ProcCaptures.RepoRoot, "tests", "MemMgmt.Core.Tests", "Workloads", "TestData", fileName);
            if (Environment.GetEnvironmentVariable(recordVariable) == "1")
            {
                Directory.CreateDirectory(Path.GetDirectoryName(expectedPath)!);
                File.WriteAllText(expectedPath, actual);
            }
            string expected = File.ReadAllText(expectedPath).Replace("\r\n", "\n");
            Assert.Equal(expected, actual);
        }
    }
}
