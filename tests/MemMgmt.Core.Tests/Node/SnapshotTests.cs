using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Swap;
using MemMgmt.Core.Time;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Node
{
    public sealed class SnapshotTests : IDisposable
    {
        private const long MiB = NodeConfig.MiB;
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "memsnap-" + Guid.NewGuid().ToString("N"));

        public SnapshotTests() { Directory.CreateDirectory(_dir); }

        public void Dispose() { Directory.Delete(_dir, recursive: true); }

        private string FilePath(string name) => Path.Combine(_dir, name);

        /// <summary>A node with every kind of state in use: memcgs with limits, processes in them, working sets (one
        /// writing), swap slots taken, dirty pages and pages under writeback, kswapd woken, a vmpressure history.</summary>
        private static MemNode RichNode(string kernel, int pageSize)
        {
            var node = new MemNode(new NodeConfig
            {
                SizeBytes = 512 * MiB, PageSize = pageSize, Kernel = KernelProfile.Find(kernel), Seed = 11, CmaBytes = 32 * MiB,
            });
            SwapDevice.Configure(node, 256 * MiB);
            long pages = node.ManagedPages;
            MemCgroups.Create(node, "web", max: pages / 3);
            MemCgroups.Create(node, "frontend", low: pages / 20, parent: "web");
            MemCgroups.Create(node, "batch", max: pages / 5);
            Processes.Start(node, new ProcessOptions { Name = "db", AnonPages = pages / 8, FilePages = pages / 16, Cgroup = "web/frontend" });
            Processes.Start(node, new ProcessOptions { Name = "cruncher", AnonPages = pages / 6, ShmemPages = pages / 32, Cgroup = "batch" });
            WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.FileCache, Percent = 8 });
            WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.Random, Owner = PageOwner.Anon, Percent = 6, Seed = 5 });
            WorkingSets.Add(node, new WorkingSetOptions
            {
                Pattern = WorkingSetPattern.Streaming, Owner = PageOwner.FileCache, Percent = 150, PagesPerRound = 128, Write = true,
            });
            Pressure.Run(node, new PressureOptions
            {
                Order = 2, Percent = 30, FileFraction = 0.5, DirtyFraction = 0.3, WritebackFraction = 0.1, UnmovableFraction = 0.1, Seed = 3,
            });
            Daemons.Step(node, 30_000_000);
            Vmscan.ReclaimPages(node, pages / 10);
            // 6.1 faults anon pages in inactive and spares them on their first referenced look, so the first reclaim
            // takes page cache only; a second one reaches swap.
            if (node.Kernel.AnonWorkingsetProtection) Vmscan.ReclaimPages(node, pages / 10);
            Daemons.Step(node, 5_000_000);
            return node;
        }

        /// <summary>The same commands on any node: allocation pressure, compaction, reclaim, kswapd (which wakes kcompactd), time.</summary>
        private static void Drive(MemNode node)
        {
            Pressure.Run(node, new PressureOptions { Order = 3, Percent = 10, Requests = 32, Seed = 21 });
            CompactionCommands.Compact(node, CompactPriority.SyncLight, order: 4);
            Vmscan.ReclaimPages(node, 2048);
            Kswapd.Wakeup(node, 2, node.PopulatedZones[0].ZoneIndex);
            Kswapd.Advance(node, 50_000_000);
            Daemons.Step(node, 200_000_000);
            Daemons.Step(node, 100_000_000);
        }

        /// <summary>Every text the node's views render.</summary>
        private static IEnumerable<(string View, string Text)> Renders(MemNode node)
        {
            yield return ("buddyinfo", NodeViews.BuddyInfo(node).ToKernelText());
            yield return ("vmstat", NodeViews.VmStat(node).ToKernelText());
            yield return ("zoneinfo", NodeViews.ZoneInfo(node).ToKernelText());
            yield return ("pagetypeinfo", NodeViews.PageTypeInfo(node).ToKernelText());
            yield return ("meminfo", NodeViews.MemInfo(node).ToKernelText());
            yield return ("bdi", BdiStats.Build(node).ToKernelText());
            var sb = new StringBuilder();
            foreach (var e in node.ProcessSt.Log.Entries(node)) sb.Append(e.Line).Append('\n');
            yield return ("dmesg", sb.ToString());
            sb.Clear();
            foreach (var p in Processes.GetProcesses(node))
                sb.Append($"{p.Pid} {p.Name} {p.State} rss={p.Rss} swap={p.SwapEntries} vm={p.TotalVm} score={p.OomScore} {p.Cgroup}\n");
            yield return ("processes", sb.ToString());
            sb.Clear();
            foreach (var cg in node.MemcgSt.Memcgs)
                if (cg != null && cg.Id != 0)
                    foreach (var f in new[] { "memory.current", "memory.low", "memory.max", "memory.events" })
                        sb.Append(cg.Path).Append(' ').Append(f).Append(": ").Append(cg.ReadFile(f)).Append('\n');
            yield return ("memcg", sb.ToString());
            sb.Clear();
            foreach (var ws in WorkingSets.Get(node))
                sb.Append($"{ws.Name} rounds={ws.Rounds} acc={ws.Accesses} skip={ws.Skipped} read={ws.PagesRead} refault={ws.Refaults} dirtied={ws.PagesDirtied}\n");
            yield return ("workingsets", sb.ToString());
            yield return ("trace", node.Trace.RenderFtrace(node));
        }

        private static void AssertSameRenders(MemNode a, MemNode b, bool includeTrace)
        {
            var ra = new List<(string, string)>(Renders(a));
            var rb = new List<(string, string)>(Renders(b));
            for (int i = 0; i < ra.Count; i++)
            {
                if (ra[i].Item1 == "trace" && !includeTrace) continue;
                Assert.True(ra[i].Item2 == rb[i].Item2, $"{ra[i].Item1} differs:\n{ra[i].Item2}\n---\n{rb[i].Item2}");
            }
        }

        private MemNode RoundTrip(MemNode node, bool includeTrace, string? name = null)
        {
            string path = FilePath(node.Name + ".memnode");
            NodeSnapshot.Export(node, path, includeTrace);
            return NodeSnapshotFile.Open(path).ToNode(name ?? node.Name + "-loaded");
        }

        [Theory]
        [InlineData("4.14", 4096, false)]
        [InlineData("4.14", 4096, true)]
        [InlineData("6.1", 4096, false)]
        [InlineData("4.4", 4096, true)]
        [InlineData("4.14", 16384, true)]
        public void An_imported_node_driven_by_the_same_commands_ends_bit_identical(string kernel, int pageSize, bool includeTrace)
        {
            var a = RichNode(kernel, pageSize);
            // The scenario holds what the snapshot has to carry: otherwise this test would prove less than it says.
            Assert.True(a.Swap.UsedPages > 0, "no swap in use");
            Assert.True(a.Counters[NodeStatItem.NrWriteback] > 0, "no page under writeback");
            Assert.True(a.Counters[NodeStatItem.NrFileDirty] > 0, "no dirty page");
            Assert.Equal(3, WorkingSets.Get(a).Count);
            Assert.Equal(2, Processes.GetProcesses(a).Count);

            var b = RoundTrip(a, includeTrace);
            Assert.Equal(a.Name + "-loaded", b.Name);
            NodeStateComparer.AssertSameState(a, b, includeTrace);
            AssertSameRenders(a, b, includeTrace);

            Drive(a);
            Drive(b);
            Assert.Empty(InvariantChecker.Check(a));
            Assert.Empty(InvariantChecker.Check(b));
            AssertSameRenders(a, b, includeTrace);
            NodeStateComparer.AssertSameState(a, b, includeTrace);
        }

        [Fact]
        public void A_fresh_node_round_trips_and_keeps_its_name_when_none_is_given()
        {
            var a = new MemNode(new NodeConfig { SizeBytes = 256 * MiB, Name = "small" });
            string path = FilePath("small.memnode");
            NodeSnapshot.Export(a, path, includeTrace: false);
            var file = NodeSnapshotFile.Open(path);
            Assert.Equal("small", file.SavedName);
            Assert.Equal(NodeSnapshot.FormatVersion, file.Version);
            Assert.False(file.IncludesTrace);
            var b = file.ToNode();
            Assert.Equal("small", b.Name);
            NodeStateComparer.AssertSameState(a, b, traceEvents: false);
            Drive(a);
            Drive(b);
            NodeStateComparer.AssertSameState(a, b, traceEvents: false);
        }

        [Fact]
        public void The_comparer_finds_a_single_changed_page_flag()
        {
            var a = new MemNode(new NodeConfig { SizeBytes = 256 * MiB });
            var b = a.Clone();
            NodeStateComparer.AssertSameState(a, b);
            b.Pages.Flags[12345] ^= 1;
            var e = Assert.ThrowsAny<Exception>(() => NodeStateComparer.AssertSameState(a, b));
            Assert.Contains("node.Pages.Flags[12345]", e.Message);
        }

        /// <summary>A field added to a state object that the snapshot does not carry shows up as a difference after the
        /// round trip; this checks the walk reaches every state object the node owns, so such a field cannot hide.</summary>
        [Fact]
        public void The_comparison_reaches_every_state_object()
        {
            var a = RichNode("4.14", 4096);
            var b = RoundTrip(a, includeTrace: true);
            var visited = NodeStateComparer.AssertSameState(a, b).Visited;
            foreach (var field in new[]
            {
                "PageMap.Links", "PageMap._nextSentinel", "Zone.NrFree", "Zone.CompactDeferShift", "PerCpuPages.CountField", "VmCounters.ZoneEvents",
                "VmSysctl.Swappiness", "SimRandom._s3", "VirtualClock.<NowNs>k__BackingField", "AllocationTable._trimmedGeneration",
                "MemTrace._ring", "CompactionNodeState.KcompactdMaxOrder", "LruvecState.LruZoneSize", "CpuPagevecs.Add",
                "KswapdNodeState.NapDeadlineNs", "WritebackState.WbIndex", "SwapDevice.<UsedPages>k__BackingField", "Shrinker.DentryPages",
                "ProcessTable.Log", "KernelLog._ring", "SimProcess.Runs", "MemcgState.Vmpr", "MemCgroup.<Max>k__BackingField",
                "WorkingSet._ring", "WorkingSet._rng", "WorkingSet._base", "AllocationTable._ranges", "ShadowRefaultState.InactiveAge", "FlusherState.EpochNs", "HugetlbPool._free",
                "MemNode._workingSets", "MemNode._shadowRefault", "MemNode._flusher",
            })
                Assert.Contains(field, visited);
        }

        /// <summary>Every state type reachable from MemNode's fields (MemMgmt.Core classes and structs, not enums), with
        /// every instance field named as saved or as deliberately not saved: a new field or state object fails here until
        /// the snapshot carries it (or says why not).</summary>
        [Fact]
        public void Every_field_of_every_state_type_is_declared_saved_or_not()
        {
            var reachable = new List<Type>();
            var queue = new Queue<Type>();
            queue.Enqueue(typeof(MemNode));
            var core = typeof(MemNode).Assembly;
            var problems = new List<string>();
            while (queue.Count > 0)
            {
                var t = queue.Dequeue();
                if (reachable.Contains(t)) continue;
                reachable.Add(t);
                bool saved = SnapshotFields.Saved.TryGetValue(t, out var savedList);
                bool notSaved = SnapshotFields.NotSaved.TryGetValue(t, out var notSavedList);
                var declared = new HashSet<string>((savedList + " " + notSavedList).Split(' ', StringSplitOptions.RemoveEmptyEntries));
                var actual = new List<string>();
                foreach (var f in t.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic))
                {
                    string name = f.Name.StartsWith("<") ? f.Name.Substring(1, f.Name.IndexOf('>') - 1) : f.Name;
                    actual.Add(name);
                    if (!declared.Contains(name)) problems.Add($"{t.Name}.{name} is neither saved nor declared not saved");
                    if (notSaved && (" " + notSavedList + " ").Contains(" " + name + " ")) continue;
                    foreach (var ft in FieldTypes(f.FieldType))
                        if (ft.Assembly == core && !ft.IsEnum && !reachable.Contains(ft)) queue.Enqueue(ft);
                }
                foreach (var d in declared)
                    if (!actual.Contains(d)) problems.Add($"{t.Name}.{d} is declared but is not a field");
                if (!saved && !notSaved) problems.Add($"{t.Name} is not declared: {string.Join(" ", actual)}");
            }
            Assert.True(problems.Count == 0, string.Join("\n", problems));
            // The walk really went through the node's state objects.
            Assert.Contains(typeof(PageMap), reachable);
            Assert.Contains(typeof(WorkingSet), reachable);
            Assert.Contains(typeof(SimProcess), reachable);
        }

        private static IEnumerable<Type> FieldTypes(Type t)
        {
            if (t.IsArray) { foreach (var e in FieldTypes(t.GetElementType()!)) yield return e; yield break; }
            var n = Nullable.GetUnderlyingType(t);
            if (n != null) { yield return n; yield break; }
            if (t.IsGenericType)
            {
                foreach (var a in t.GetGenericArguments()) foreach (var e in FieldTypes(a)) yield return e;
                yield break;
            }
            yield return t;
        }

        [Fact]
        public void The_file_is_smaller_than_the_page_arrays()
        {
            var a = RichNode("4.14", 4096);
            string path = FilePath("size.memnode");
            NodeSnapshot.Export(a, path, includeTrace: false);
            long arrays = a.SpannedPages * PageMap.BytesPerPage;
            long size = new FileInfo(path).Length;
            Assert.True(size < arrays, $"snapshot {size} bytes, page arrays {arrays} bytes");
        }

        private string ExportSmall(string name = "n")
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 256 * MiB, Name = name });
            Pressure.Run(node, new PressureOptions { Percent = 40, Seed = 2 });
            string path = FilePath(name + ".memnode");
            NodeSnapshot.Export(node, path, includeTrace: false);
            return path;
        }

        private static void AssertRejected(string id, string path)
        {
            var e = Assert.Throws<MemMgmtException>(() => NodeSnapshotFile.Open(path).ToNode());
            Assert.Equal(id, e.ErrorId);
            Assert.Equal(ErrorKind.InvalidData, e.Kind);
        }

        [Theory]
        [InlineData(0.5)]
        [InlineData(0.999)]
        public void A_truncated_file_is_SnapshotTruncated(double keep)
        {
            string path = ExportSmall();
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes.AsSpan(0, (int)(bytes.Length * keep)).ToArray());
            AssertRejected("SnapshotTruncated", path);
        }

        [Theory]
        [InlineData(5)]
        [InlineData(11)]
        [InlineData(30)]
        public void A_file_cut_inside_the_header_is_SnapshotTruncated(int length)
        {
            string path = ExportSmall();
            File.WriteAllBytes(path, File.ReadAllBytes(path).AsSpan(0, length).ToArray());
            AssertRejected("SnapshotTruncated", path);
        }

        [Theory]
        [InlineData(-1)]     // a byte in the middle of the body
        [InlineData(-2)]     // the last byte
        [InlineData(17)]     // the flags, under the header checksum
        [InlineData(45)]     // the name
        public void A_changed_byte_is_SnapshotCorrupted(int at)
        {
            string path = ExportSmall("corrupt");
            var bytes = File.ReadAllBytes(path);
            int i = at == -1 ? bytes.Length / 2 : at == -2 ? bytes.Length - 1 : at;
            bytes[i] ^= 0x20;
            File.WriteAllBytes(path, bytes);
            AssertRejected("SnapshotCorrupted", path);
        }

        /// <summary>Rewrites a snapshot's payload and seals it again with correct lengths and checksums, as a writer that
        /// does not follow the format would.</summary>
        private static void Reseal(string path, Func<byte[], byte[]> change)
        {
            var file = File.ReadAllBytes(path);
            int nameBytes = BitConverter.ToInt32(file, 40);
            int bodyOffset = NodeSnapshot.FixedHeaderBytes + nameBytes;
            byte[] payload;
            using (var inflate = new System.IO.Compression.DeflateStream(new MemoryStream(file, bodyOffset, file.Length - bodyOffset), System.IO.Compression.CompressionMode.Decompress))
            using (var ms = new MemoryStream())
            {
                inflate.CopyTo(ms);
                payload = change(ms.ToArray());
            }
            byte[] body;
            using (var ms = new MemoryStream())
            {
                using (var deflate = new System.IO.Compression.DeflateStream(ms, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
                    deflate.Write(payload, 0, payload.Length);
                body = ms.ToArray();
            }
            var header = file.AsSpan(0, bodyOffset).ToArray();
            BitConverter.GetBytes((long)payload.Length).CopyTo(header, 20);
            BitConverter.GetBytes((long)body.Length).CopyTo(header, 28);
            BitConverter.GetBytes(Crc32.Append(0, body, 0, body.Length)).CopyTo(header, 36);
            BitConverter.GetBytes(Crc32.Append(0, header, 16, header.Length - 16)).CopyTo(header, 12);
            using var f = new FileStream(path, FileMode.Create);
            f.Write(header, 0, header.Length);
            f.Write(body, 0, body.Length);
        }

        [Theory]
        [InlineData("first section tag")]
        [InlineData("payload cut short")]
        [InlineData("payload with a byte more")]
        public void A_payload_that_does_not_follow_the_format_is_SnapshotCorrupted_despite_good_checksums(string change)
        {
            string path = ExportSmall("reseal");
            Reseal(path, p => p); // sealing again without a change gives a file that loads
            Assert.Equal("reseal", NodeSnapshotFile.Open(path).ToNode().Name);
            Reseal(path, p =>
            {
                switch (change)
                {
                    case "first section tag": p[0] ^= 1; return p;
                    case "payload cut short": return p.AsSpan(0, p.Length - 3).ToArray();
                    default: var q = new byte[p.Length + 1]; p.CopyTo(q, 0); return q;
                }
            });
            var e = Assert.Throws<MemMgmtException>(() => NodeSnapshotFile.Open(path).ToNode());
            Assert.Equal("SnapshotCorrupted", e.ErrorId);
        }

        [Fact]
        public void Bytes_after_the_snapshot_are_SnapshotCorrupted()
        {
            string path = ExportSmall();
            using (var f = new FileStream(path, FileMode.Append)) f.WriteByte(0);
            AssertRejected("SnapshotCorrupted", path);
        }

        [Fact]
        public void Another_format_version_is_SnapshotVersionUnsupported()
        {
            string path = ExportSmall();
            var bytes = File.ReadAllBytes(path);
            int other = NodeSnapshot.FormatVersion + 1;
            bytes[8] = (byte)other;
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<MemMgmtException>(() => NodeSnapshotFile.Open(path));
            Assert.Equal("SnapshotVersionUnsupported", e.ErrorId);
            Assert.Contains($"format version {other}", e.Message);
        }

        [Theory]
        [InlineData("")]
        [InlineData("MEM")]  // a prefix of nothing but "MEM" is still not the magic: cut snapshots start with the whole prefix
        [InlineData("hello, this is a text file and not a node snapshot\n")]
        public void A_file_of_another_kind_is_NotASnapshot(string content)
        {
            string path = FilePath("other.txt");
            File.WriteAllText(path, content);
            if (content == "MEM") AssertRejected("SnapshotTruncated", path);
            else AssertRejected("NotASnapshot", path);
        }

        [Fact]
        public void A_cancelled_export_leaves_the_old_file_and_no_temporary_file()
        {
            string path = ExportSmall("keep");
            var before = File.ReadAllBytes(path);
            var node = new MemNode(new NodeConfig { SizeBytes = 256 * MiB, Name = "other" });
            using var cts = new CancellationTokenSource();
            cts.Cancel();
            Assert.ThrowsAny<OperationCanceledException>(() => NodeSnapshot.Export(node, path, includeTrace: false, cts.Token));
            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.Equal(new[] { path }, Directory.GetFiles(_dir));
        }

        [Fact]
        public void Exporting_over_a_file_replaces_it_whole()
        {
            string path = ExportSmall("first");
            var node = new MemNode(new NodeConfig { SizeBytes = 256 * MiB, Name = "second" });
            NodeSnapshot.Export(node, path, includeTrace: false);
            Assert.Equal("second", NodeSnapshotFile.Open(path).SavedName);
            Assert.Equal(new[] { path }, Directory.GetFiles(_dir));
        }
    }
}
