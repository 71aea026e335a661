using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Tests.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>New-MemNode -FromCapture on tests/captures/arm64-4.4-sim: a SIMULATED 4.4 capture (MemMgmt's own /proc
    /// texts of a 4 GiB -Kernel 4.4 node, written by its make-capture.ps1; no real 4.4 board was used).</summary>
    public class Kernel44CaptureTests
    {
        private static string Sim => Path.Combine(ProcCaptures.RepoRoot, "tests", "captures", "arm64-4.4-sim");

        private static string Phase(string phase) => Path.Combine(Sim, phase);

        private static string Read(string dir, string file) => File.ReadAllText(Path.Combine(dir, file));

        private static MemNode Build(string dir, List<string> warnings, KernelProfile? kernel = null) =>
            CaptureBuilder.Build(dir, new CaptureOptions { Name = "cap44", Kernel = kernel }, warnings);

        public static IEnumerable<object[]> Phases() => new[] { new object[] { "boot" }, new object[] { "pressure" } };

        [Fact]
        public void Readme_SaysPlainlyTheCaptureIsSimulated_AndHowItWasMade()
        {
            string readme = Read(Sim, "README.md");
            Assert.Contains("SIMULATED", readme);
            Assert.Contains("not real hardware", readme);
            Assert.Contains("make-capture.ps1", readme);
            Assert.True(File.Exists(Path.Combine(Sim, "make-capture.ps1")));
        }

        [Theory]
        [MemberData(nameof(Phases))]
        public void EveryPhase_BuildsA44Node_WhoseBuddyinfoAndPagetypeinfoAreTheCapturesByteForByte(string phase)
        {
            string dir = Phase(phase);
            var warnings = new List<string>();
            var node = Build(dir, warnings);
            Assert.Equal("4.4", node.Kernel.Version);           // chosen from the zoneinfo layout alone
            Assert.Empty(warnings);
            Assert.Equal(Read(dir, "buddyinfo.txt"), NodeViews.BuddyInfo(node).ToKernelText());
            Assert.Equal(Read(dir, "pagetypeinfo.txt"), NodeViews.PageTypeInfo(node).ToKernelText());
            Assert.Empty(InvariantChecker.Check(node));
        }

        /// <summary>zoneinfo: every zone's free pages, watermarks, sizes, protection, start_pfn, and the 4.4 reclaim state
        /// (scanned imported from the capture, all_unreclaimable and inactive_ratio computed from the rebuilt zone) as
        /// captured. What the builder cannot know: the pages that sat on the per-cpu lists (it sees them as in use and
        /// gives them owners), so the LRU counters exceed the capture's by exactly the captured pcp counts.</summary>
        [Theory]
        [MemberData(nameof(Phases))]
        public void EveryPhase_ZoneinfoReproducesTheCapturesCounters(string phase)
        {
            string dir = Phase(phase);
            var captured = ZoneInfo.Parse(Read(dir, "zoneinfo.txt"));
            var node = Build(dir, new List<string>());
            var built = NodeViews.ZoneInfo(node);
            Assert.Equal(KernelTextFormat.V4_4, captured.Format);
            Assert.Equal(captured.Zones.Select(z => z.ZoneName), built.Zones.Select(z => z.ZoneName));
            foreach (var c in captured.Zones)
            {
                var b = built.Zones.Single(z => z.ZoneName == c.ZoneName);
                Assert.Equal((c.Free, c.Min, c.Low, c.High, c.Spanned, c.Present, c.Managed), (b.Free, b.Min, b.Low, b.High, b.Spanned, b.Present, b.Managed));
                Assert.Equal(c.Protection, b.Protection);
                Assert.Equal(c.Detail!.StartPfn, b.Detail!.StartPfn);
                Assert.Equal(c.Scanned, b.Scanned);
                Assert.Equal(c.Detail.NodeUnreclaimable, b.Detail.NodeUnreclaimable);
                Assert.Equal(c.Detail.InactiveRatio, b.Detail.InactiveRatio);
                Assert.Equal(Stat(c, "nr_free_pages"), Stat(b, "nr_free_pages"));
                Assert.Equal(Stat(c, "nr_pages_scanned"), Stat(b, "nr_pages_scanned"));
                long pcp = c.Detail.Pagesets.Sum(p => (long)p.Count);
                Assert.Equal(Lru(c) + pcp, Lru(b));
                var state = ZoneReclaimState.Of(node, node.Zones.Single(z => z.Name == c.ZoneName))!;
                Assert.Equal((c.Scanned, c.Detail.NodeUnreclaimable, c.Detail.InactiveRatio), (state.Scanned, state.AllUnreclaimable, state.InactiveRatio));
            }
        }

        private static long Stat(ZoneInfoZone z, string name) => z.Detail!.ZoneStats.Single(e => e.Name == name).Value;

        private static long Lru(ZoneInfoZone z) =>
            new[] { "nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file", "nr_unevictable" }.Sum(n => Stat(z, n));

        [Fact]
        public void PressurePhase_HasScannedPages_SoTheImportIsNotTrivial()
        {
            var captured = ZoneInfo.Parse(Read(Phase("pressure"), "zoneinfo.txt"));
            Assert.All(captured.Zones, z => Assert.True(z.Scanned > 0, $"zone {z.ZoneName} scanned {z.Scanned}"));
            var node = Build(Phase("pressure"), new List<string>());
            Assert.All(node.Zones.Where(z => z.IsPopulated), z => Assert.True(ZoneReclaimState.Of(node, z)!.Scanned > 0));
        }

        [Fact]
        public void ForcedTo414_TheCapturedScannedIsNotKept_ThatKernelHasNoSuchPerZoneCount()
        {
            var node = Build(Phase("pressure"), new List<string>(), KernelProfile.Linux414);
            Assert.Equal("4.14", node.Kernel.Version);
            Assert.All(node.Zones, z => Assert.Null(ZoneReclaimState.Of(node, z)));
        }

        private sealed class TempCapture : IDisposable
        {
            public TempCapture(string from)
            {
                Dir = Path.Combine(Path.GetTempPath(), "memmgmt-capture44-" + Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(Dir);
                foreach (var f in new[] { "zoneinfo.txt", "buddyinfo.txt", "pagetypeinfo.txt" })
                    File.Copy(Path.Combine(from, f), Path.Combine(Dir, f));
            }

            public string Dir { get; }

            public string ZoneinfoPath => Path.Combine(Dir, "zoneinfo.txt");

            public void EditZoneinfo(Func<List<string>, List<string>> change)
            {
                var lines = File.ReadAllText(ZoneinfoPath).Split('\n').ToList();
                File.WriteAllText(ZoneinfoPath, string.Join("\n", change(lines)));
            }

            public MemMgmtException Refused() => Assert.Throws<MemMgmtException>(() => Build(Dir, new List<string>()));

            public void Dispose() => Directory.Delete(Dir, true);
        }

        private static int IndexOfNth(List<string> lines, string prefix, int nth) =>
            lines.Select((l, i) => (l, i)).Where(x => x.l.StartsWith(prefix, StringComparison.Ordinal)).Skip(nth).First().i;

        [Fact]
        public void FirstZoneWithoutScanned_CaptureFormatInvalid_NamingFileAndLine_AndSayingWhat44Prints()
        {
            using var cap = new TempCapture(Phase("pressure"));
            int scannedLine = 0;
            cap.EditZoneinfo(l => { scannedLine = IndexOfNth(l, "        scanned  ", 0); l.RemoveAt(scannedLine); return l; });
            var e = cap.Refused();
            Assert.Equal("CaptureFormatInvalid", e.ErrorId);
            // The line that took scanned's place (spanned), 1-based.
            Assert.Contains(cap.ZoneinfoPath + " line " + (scannedLine + 1) + ":", e.Message);
            Assert.Contains("scanned", e.Message);
            Assert.Contains("4.4", e.Message);
            Assert.DoesNotContain("per-node stats", e.Message);
        }

        [Fact]
        public void SecondZoneWithoutScanned_CaptureFormatInvalid_NamingItsLine()
        {
            using var cap = new TempCapture(Phase("pressure"));
            int scannedLine = 0;
            cap.EditZoneinfo(l => { scannedLine = IndexOfNth(l, "        scanned  ", 1); l.RemoveAt(scannedLine); return l; });
            var e = cap.Refused();
            Assert.Equal("CaptureFormatInvalid", e.ErrorId);
            Assert.Contains(cap.ZoneinfoPath + " line " + (scannedLine + 1) + ":", e.Message);
            Assert.Contains("scanned, as in the 4.4 layout", e.Message);
        }

        [Fact]
        public void ScannedNotANumber_CaptureFormatInvalid_NamingItsLine()
        {
            using var cap = new TempCapture(Phase("pressure"));
            int scannedLine = 0;
            cap.EditZoneinfo(l => { scannedLine = IndexOfNth(l, "        scanned  ", 0); l[scannedLine] = "        scanned  -3"; return l; });
            var e = cap.Refused();
            Assert.Equal("CaptureFormatInvalid", e.ErrorId);
            Assert.Contains(cap.ZoneinfoPath + " line " + (scannedLine + 1) + ":", e.Message);
            Assert.Contains("scanned", e.Message);
        }

        [Fact]
        public void ScannedInA414Layout_CaptureFormatInvalid()
        {
            // A 4.14 zoneinfo (the node-based layout) with a 4.4 scanned line slipped in after high.
            var source = new MemNode(new NodeConfig { SizeBytes = 1L << 30, CmaBytes = 0, Kernel = KernelProfile.Linux414 });
            using var cap = new TempCapture(Phase("boot"));
            File.WriteAllText(cap.ZoneinfoPath, NodeViews.ZoneInfo(source).ToKernelText());
            File.WriteAllText(Path.Combine(cap.Dir, "buddyinfo.txt"), NodeViews.BuddyInfo(source).ToKernelText());
            File.WriteAllText(Path.Combine(cap.Dir, "pagetypeinfo.txt"), NodeViews.PageTypeInfo(source).ToKernelText());
            Build(cap.Dir, new List<string>()); // the unedited 4.14 capture builds
            int highLine = 0;
            cap.EditZoneinfo(l => { highLine = IndexOfNth(l, "        high     ", 0); l.Insert(highLine + 1, "        scanned  0"); return l; });
            var e = cap.Refused();
            Assert.Equal("CaptureFormatInvalid", e.ErrorId);
            Assert.Contains(cap.ZoneinfoPath + " line ", e.Message);
        }
    }
}
