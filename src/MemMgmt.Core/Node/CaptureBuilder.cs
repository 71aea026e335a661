using System;
using System.Collections.Generic;
using System.IO;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Node
{
    /// <summary>What New-MemNode -FromCapture takes besides the capture directory.</summary>
    public sealed class CaptureOptions
    {
        public string? Name { get; set; }
        public ulong Seed { get; set; } = 1;
        /// <summary>The profile to follow; null chooses it from the zoneinfo layout.</summary>
        public KernelProfile? Kernel { get; set; }
    }

    /// <summary>
    /// Builds a node from a real machine's /proc captures (zoneinfo, buddyinfo, pagetypeinfo in one directory).
    /// buddyinfo is the truth for free blocks per order and zone; pagetypeinfo splits them by migrate type and gives
    /// the pageblock counts, which must match exactly; zoneinfo gives the zones, watermarks and CPUs. The files are
    /// read at slightly different instants: a per-type split that does not add up to buddyinfo's count is reconciled
    /// in the type holding most blocks of that order (Movable when none does), with one warning per order.
    /// </summary>
    public static class CaptureBuilder
    {
        /// <summary>Reads the capture, checks it and builds the node; warnings about reconciled counts go to <paramref name="warnings"/>.</summary>
        public static MemNode Build(string directory, CaptureOptions options, ICollection<string> warnings)
        {
            var plan = Plan(directory, options, warnings);
            var node = new MemNode(plan.Config, plan);
            plan.Verify(node);
            return node;
        }

        internal static CapturePlan Plan(string directory, CaptureOptions options, ICollection<string> warnings)
        {
            if (!Directory.Exists(directory))
                throw new MemMgmtException("CaptureNotFound", ErrorKind.ObjectNotFound,
                    $"Capture directory '{directory}' does not exist; give a directory holding zoneinfo.txt, buddyinfo.txt and pagetypeinfo.txt.", directory);
            var zoneinfoFile = CaptureFile.Read(directory, "zoneinfo");
            var buddyFile = CaptureFile.Read(directory, "buddyinfo");
            var ptiFile = CaptureFile.Read(directory, "pagetypeinfo");
            var zoneinfo = zoneinfoFile.Parse(ZoneInfo.Parse);
            var buddy = buddyFile.Parse(BuddyInfo.Parse);
            var pti = ptiFile.Parse(t => PageTypeInfo.Parse(t, PageTypeInfo.CapsFreeCounts(zoneinfo.Format)));

            // Geometry: pageblock_order is HPAGE_PMD_ORDER with hugetlb (9, 11, 13 for 4K, 16K, 64K pages), else MAX_ORDER − 1.
            if (pti.PagesPerBlock != 1L << Math.Min(pti.PageBlockOrder, 62))
                throw ptiFile.Bad("CapturePageSizeUnsupported", 2,
                    $"{pti.PagesPerBlock} pages per block is not 2^{pti.PageBlockOrder} (the page block order on line 1).");
            int pageSize; bool hugeTlb = true;
            switch (pti.PageBlockOrder)
            {
                case 9: pageSize = 4096; break;
                case 11: pageSize = 16384; break;
                case 13: pageSize = 65536; break;
                case 10: pageSize = 4096; hugeTlb = false; break;
                default:
                    throw ptiFile.Bad("CapturePageSizeUnsupported", 1,
                        $"page block order {pti.PageBlockOrder} implies a page size that is not 4K, 16K or 64K (arm64 pageblock orders: 9 for 4K, 11 for 16K, 13 for 64K with hugetlb; 10 without).");
            }
            var geometry = new Geometry(pageSize, hugeTlb, transparentHugepage: true);
            if (pti.OrderCount > geometry.MaxOrder)
                throw ptiFile.Bad("CaptureOrderBeyondMaxOrder", 4,
                    $"{pti.OrderCount} orders, but {geometry.PageSize / 1024}K pages have MAX_ORDER {geometry.MaxOrder} (orders 0 to {geometry.MaxOrder - 1}).");
            if (buddy.Rows[0].FreeBlocks.Count > geometry.MaxOrder)
                throw buddyFile.Bad("CaptureOrderBeyondMaxOrder", 1,
                    $"{buddy.Rows[0].FreeBlocks.Count} orders, but {geometry.PageSize / 1024}K pages have MAX_ORDER {geometry.MaxOrder} (orders 0 to {geometry.MaxOrder - 1}).");

            // One node only.
            int nodeId = buddy.Rows[0].NodeId;
            for (int i = 0; i < buddy.Rows.Count; i++)
                if (buddy.Rows[i].NodeId != nodeId)
                    throw buddyFile.Bad("CaptureLayoutUnsupported", i + 1, $"a second node ({buddy.Rows[i].NodeId}); a capture builds one node.");

            // Profile: as given, else from the zoneinfo layout (4.4 prints scanned; 4.14 has neither boost nor DMA32 on arm64; anything newer is 6.1).
            var zoneLines = new List<int>();
            foreach (var zz in zoneinfo.Zones) zoneLines.Add(zoneinfoFile.FindLine(0, l => IsZoneHeader(l, zz.NodeId, zz.ZoneName)));
            KernelProfile kernel = options.Kernel ?? (zoneinfo.Format == KernelTextFormat.V4_4 ? KernelProfile.Linux44
                : zoneinfo.Format == KernelTextFormat.V4_14 && !HasZone(zoneinfo, nodeId, "DMA32") ? KernelProfile.Linux414 : KernelProfile.Linux61);

            var zones = new List<CaptureZone>();
            long nodeStart = -1, nodeEnd = -1;
            long pb = geometry.PageblockNrPages;
            for (int zi = 0; zi < zoneinfo.Zones.Count; zi++)
            {
                var z = zoneinfo.Zones[zi];
                if (z.NodeId != nodeId) continue;
                int line = zoneLines[zi];
                if (!Enum.TryParse(z.ZoneName, false, out ZoneType type) || kernel.ZoneIndex(type) < 0)
                {
                    if (!z.IsPopulated) continue;
                    throw zoneinfoFile.Bad("CaptureZoneNotInProfile", line,
                        $"zone {z.ZoneName} is populated but the {kernel.Version} profile has zones {string.Join(", ", kernel.ZoneTypes)}.");
                }
                if (!z.IsPopulated) continue;
                long start = z.Detail?.StartPfn ?? -1;
                int startLine = zoneinfoFile.FindLine(line, l => l.TrimStart().StartsWith("start_pfn:", StringComparison.Ordinal));
                int spannedLine = zoneinfoFile.FindLine(line, l => l.TrimStart().StartsWith("spanned", StringComparison.Ordinal));
                int managedLine = zoneinfoFile.FindLine(line, l => l.TrimStart().StartsWith("managed", StringComparison.Ordinal));
                if (start < 0 || start % pb != 0 || z.Spanned % pb != 0)
                    throw zoneinfoFile.Bad("CaptureLayoutUnsupported", startLine,
                        $"zone {z.ZoneName} starts at pfn {start} and spans {z.Spanned} pages; a zone must start and end on a pageblock ({pb} pages).");
                if (z.Present > z.Spanned || z.Managed > z.Present)
                    throw zoneinfoFile.Bad("CaptureCountsInconsistent", managedLine,
                        $"zone {z.ZoneName} has spanned {z.Spanned}, present {z.Present}, managed {z.Managed}; managed ≤ present ≤ spanned must hold.");
                if (nodeStart < 0) nodeStart = start;
                else if (start != nodeEnd)
                    throw zoneinfoFile.Bad("CaptureLayoutUnsupported", startLine,
                        $"zone {z.ZoneName} starts at pfn {start}, not where the zone below it ends ({nodeEnd}); zones must be contiguous.");
                nodeEnd = start + z.Spanned;
                zones.Add(new CaptureZone(type, kernel.ZoneIndex(type), z, line, spannedLine, managedLine));
            }
            if (zones.Count == 0)
                throw zoneinfoFile.Bad("CaptureLayoutUnsupported", 1, $"no populated zone of node {nodeId}.");
            long maxBlock = 1L << (geometry.MaxOrder - 1);
            if (nodeStart % maxBlock != 0)
                throw zoneinfoFile.Bad("CaptureLayoutUnsupported", zones[0].SpannedLine,
                    $"the node starts at pfn {nodeStart}, which is not aligned to a MAX_ORDER block ({maxBlock} pages).");

            // CPUs: one pageset per possible CPU in the first populated zone.
            var detail = zones[0].Info.Detail;
            int cpus = detail?.Pagesets.Count ?? 0;
            if (cpus < 1 || cpus > 64)
                throw zoneinfoFile.Bad("CaptureLayoutUnsupported", zones[0].HeaderLine, $"zone {zones[0].Info.ZoneName} lists {cpus} pagesets; 1 to 64 CPUs are simulated.");

            // Per zone: buddyinfo row, pagetypeinfo rows, checks and reconciliation.
            int orders = geometry.MaxOrder;
            foreach (var cz in zones)
            {
                string name = cz.Info.ZoneName;
                int bRow = buddy.Rows.Count;
                for (int i = 0; i < buddy.Rows.Count; i++) if (buddy.Rows[i].ZoneName == name) { bRow = i; break; }
                if (bRow == buddy.Rows.Count)
                    throw buddyFile.Bad("CaptureFilesDisagree", buddy.Rows.Count, $"no row for zone {name}, which zoneinfo line {cz.HeaderLine} shows populated.");
                cz.BuddyLine = bRow + 1;
                var counts = buddy.Rows[bRow].FreeBlocks;
                long freePages = 0;
                for (int o = 0; o < counts.Count; o++) { cz.Buddy[o] = counts[o]; freePages += counts[o] << o; }
                if (freePages > cz.Info.Managed)
                    throw buddyFile.Bad("CaptureFreeExceedsManaged", cz.BuddyLine,
                        $"zone {name} has {freePages} free pages, more than its {cz.Info.Managed} managed pages (zoneinfo line {cz.ManagedLine}).");
                if (cz.Info.Free != freePages)
                    warnings.Add($"zoneinfo line {zoneinfoFile.FindLine(cz.HeaderLine, l => l.StartsWith("  pages free", StringComparison.Ordinal))} gives zone {name} {cz.Info.Free} free pages, buddyinfo line {cz.BuddyLine} {freePages}; buddyinfo is used.");

                PageTypeBlockRow? blockRow = null;
                foreach (var r in pti.BlockRows) if (r.NodeId == nodeId && r.ZoneName == name) blockRow = r;
                int blockLine = ptiFile.FindLine(0, l => l.StartsWith("Node " + nodeId + ", zone ", StringComparison.Ordinal) && ProcLinesZone(l) == name && !l.Contains(", type "));
                if (blockRow == null)
                    throw ptiFile.Bad("CaptureFilesDisagree", ptiFile.LineCount, $"no \"Number of blocks type\" row for zone {name}.");
                long blocks = 0;
                for (int i = 0; i < pti.MigrateTypeNames.Count; i++)
                {
                    var mt = TypeOf(pti.MigrateTypeNames[i], ptiFile);
                    cz.Blocks[(int)mt] = blockRow.Blocks[i];
                    blocks += blockRow.Blocks[i];
                }
                if (blocks != cz.Info.Spanned / pb)
                    throw ptiFile.Bad("CaptureBlockCountMismatch", blockLine,
                        $"zone {name} has {blocks} pageblocks by type, but it spans {cz.Info.Spanned} pages = {cz.Info.Spanned / pb} pageblocks (zoneinfo line {cz.SpannedLine}).");
                if (cz.Blocks[(int)MigrateType.Isolate] != 0)
                    throw ptiFile.Bad("CaptureLayoutUnsupported", blockLine, $"zone {name} has isolated pageblocks; a capture taken while memory was being isolated cannot be rebuilt.");

                var typeLines = new int[MigrateTypes.Count];
                var capped = new bool[orders, MigrateTypes.Count];
                foreach (var r in pti.FreeRows)
                {
                    if (r.NodeId != nodeId || r.ZoneName != name) continue;
                    var mt = TypeOf(r.MigrateType, ptiFile);
                    typeLines[(int)mt] = ptiFile.FindLine(0, l => l.StartsWith("Node ", StringComparison.Ordinal) && ProcLinesZone(l) == name
                        && l.Contains(", type ") && ProcLines.Tokens(l)[5] == r.MigrateType);
                    for (int o = 0; o < r.FreeBlocks.Count; o++)
                    {
                        cz.Free[o, (int)mt] = r.FreeBlocks[o];
                        capped[o, (int)mt] = pti.CapFreeCounts && r.FreeBlocks[o] >= PageTypeInfo.FreeCountCap;
                    }
                }
                Reconcile(cz, capped, typeLines, orders, warnings);
                cz.CmaPages = zoneinfo.Format < KernelTextFormat.V6_1 ? cz.Blocks[(int)MigrateType.Cma] * pb : cz.Info.Cma;
            }

            var config = new NodeConfig
            {
                Profile = "capture",
                Name = options.Name,
                Seed = options.Seed,
                Kernel = kernel,
                PageSize = pageSize,
                HugeTlb = hugeTlb,
                TransparentHugepage = true,
                Cpus = cpus,
                NodeId = nodeId,
                RamStartBytes = nodeStart << geometry.PageShift,
                SizeBytes = (nodeEnd - nodeStart) << geometry.PageShift,
                CmaBytes = 0,
                ReservedPages = 0,
            };
            var layout = new NodeLayout { StartPfn = nodeStart, TotalPages = nodeEnd - nodeStart, Zones = new NodeLayout.ZoneSpec[kernel.NrZones] };
            for (int z = 0; z < kernel.NrZones; z++) layout.Zones[z] = new NodeLayout.ZoneSpec();
            foreach (var cz in zones)
            {
                var spec = layout.Zones[cz.Index];
                spec.StartPfn = cz.Info.Detail!.StartPfn;
                spec.Pages = cz.Info.Spanned;
                spec.Present = cz.Info.Present;
                spec.Managed = cz.Info.Managed;
                spec.Reserved = cz.Info.Spanned - cz.Info.Managed;
            }
            var composition = ReadComposition(directory, geometry, nodeStart, nodeEnd - nodeStart, zones, warnings);
            var plan = new CapturePlan(config, layout, zones, geometry, directory, composition);
            foreach (var cz in zones) plan.Place(cz, ptiFile);
            return plan;
        }

        /// <summary>The capture's pbmap.txt if it has one that fits its pageblocks, else null (the plan then lays blocks out by type).</summary>
        private static PageblockComposition? ReadComposition(string directory, Geometry geometry, long nodeStart, long nodePages,
            List<CaptureZone> zones, ICollection<string> warnings)
        {
            var file = CaptureFile.TryRead(directory, "pbmap");
            if (file == null) return null;
            if (geometry.PageblockNrPages != PageblockComposition.BlockPages)
            {
                warnings.Add($"{file.Path} describes {PageblockComposition.BlockPages}-page blocks, but this capture's pageblocks have {geometry.PageblockNrPages} pages; it is not used.");
                return null;
            }
            var map = PageblockComposition.Parse(file, nodeStart, nodePages);
            foreach (var cz in zones)
            {
                long first = (cz.Info.Detail!.StartPfn - nodeStart) >> geometry.PageblockOrder, free = 0, buddy = 0;
                for (long b = first; b < first + (cz.Info.Spanned >> geometry.PageblockOrder); b++) free += map.Count((int)b, PageblockComposition.Part.Free);
                for (int o = 0; o < cz.Buddy.Length; o++) buddy += cz.Buddy[o] << o;
                // pbmap reads kpageflags a moment after buddyinfo and guesses free block extents, so small differences are expected.
                if (Math.Abs(free - buddy) * 100 > buddy)
                    warnings.Add($"{file.Path} counts {free} free pages in zone {cz.Info.ZoneName}, buddyinfo {buddy}; the blocks are filled as far as buddyinfo allows.");
            }
            return map;
        }

        private static bool HasZone(ZoneInfo zi, int node, string name)
        {
            foreach (var z in zi.Zones) if (z.NodeId == node && z.ZoneName == name) return true;
            return false;
        }

        private static bool IsZoneHeader(string line, int node, string zone)
        {
            var t = ProcLines.Tokens(line);
            return t.Length == 4 && t[0] == "Node" && t[1] == node + "," && t[2] == "zone" && t[3] == zone;
        }

        private static string ProcLinesZone(string line)
        {
            var t = ProcLines.Tokens(line);
            return t.Length > 3 ? t[3].TrimEnd(',') : "";
        }

        private static MigrateType TypeOf(string kernelName, CaptureFile file)
        {
            for (int t = 0; t < MigrateTypes.Count; t++)
                if (MigrateTypes.KernelName((MigrateType)t) == kernelName) return (MigrateType)t;
            throw file.Bad("CaptureFormatInvalid", file.FindLine(0, l => l.Contains(kernelName)),
                $"migrate type '{kernelName}' is not one of Unmovable, Movable, Reclaimable, HighAtomic, CMA, Isolate.");
        }

        /// <summary>buddyinfo's count per order is the truth: the per-type split is made to add up to it. A capped 6.x count
        /// ("&gt;100000") takes what the other types leave; any other difference goes to the type with most blocks of that order.</summary>
        private static void Reconcile(CaptureZone cz, bool[,] capped, int[] typeLines, int orders, ICollection<string> warnings)
        {
            string name = cz.Info.ZoneName;
            for (int o = 0; o < orders; o++)
            {
                long known = 0;
                int cappedType = -1;
                for (int t = 0; t < MigrateTypes.Count; t++)
                {
                    if (capped[o, t] && cappedType < 0) cappedType = t;
                    else known += cz.Free[o, t];
                }
                if (cappedType >= 0 && cz.Buddy[o] - known >= PageTypeInfo.FreeCountCap)
                {
                    cz.Free[o, cappedType] = cz.Buddy[o] - known;
                    continue;
                }
                long sum = known + (cappedType >= 0 ? cz.Free[o, cappedType] : 0);
                long diff = cz.Buddy[o] - sum;
                if (diff == 0) continue;
                var changed = new List<string>();
                long left = diff;
                while (left != 0)
                {
                    // Most blocks of this order wins; Movable on a tie and when no type has any.
                    int best = (int)MigrateType.Movable;
                    for (int t = 0; t < MigrateTypes.Count; t++)
                        if (cz.Free[o, t] > cz.Free[o, best]) best = t;
                    long step = left > 0 ? left : Math.Max(left, -cz.Free[o, best]);
                    cz.Free[o, best] += step;
                    left -= step;
                    changed.Add($"{(step > 0 ? "added" : "removed")} {Math.Abs(step)} {MigrateTypes.KernelName((MigrateType)best)} (pagetypeinfo line {typeLines[best]})");
                }
                warnings.Add($"buddyinfo line {cz.BuddyLine} has {cz.Buddy[o]} free order-{o} blocks in zone {name}, pagetypeinfo's types add up to {sum}: {string.Join(", ", changed)}.");
            }
        }
    }

    /// <summary>One capture file: its path, lines and line lookups for error messages.</summary>
    internal sealed class CaptureFile
    {
        private readonly string[] _lines;

        private CaptureFile(string path, string text)
        {
            Path = path;
            Text = text;
            _lines = text.Split('\n');
        }

        public string Path { get; }
        public string Text { get; }
        public int LineCount => _lines.Length > 0 && _lines[_lines.Length - 1].Length == 0 ? _lines.Length - 1 : _lines.Length;

        /// <summary>Reads <c>name.txt</c> (the harness's naming) or a plain copy named like the /proc file.</summary>
        public static CaptureFile Read(string directory, string name) =>
            TryRead(directory, name) ?? throw new MemMgmtException("CaptureFileMissing", ErrorKind.ObjectNotFound,
                $"Capture directory '{directory}' has no {name}.txt (nor {name}); a capture needs zoneinfo, buddyinfo and pagetypeinfo.",
                System.IO.Path.Combine(directory, name + ".txt"));

        /// <summary>As <see cref="Read"/>, or null when the capture has no such file.</summary>
        public static CaptureFile? TryRead(string directory, string name)
        {
            foreach (var candidate in new[] { name + ".txt", name })
            {
                string path = System.IO.Path.Combine(directory, candidate);
                if (File.Exists(path)) return new CaptureFile(path, File.ReadAllText(path).Replace("\r\n", "\n"));
            }
            return null;
        }

        public T Parse<T>(Func<string, T> parse)
        {
            try { return parse(Text); }
            catch (ProcTextFormatException e)
            {
                throw new MemMgmtException("CaptureFormatInvalid", ErrorKind.InvalidData,
                    $"{Path} line {e.LineNumber}: expected {e.Expected}, found \"{e.LineText}\".", Path + ":" + e.LineNumber);
            }
        }

        /// <summary>1-based number of the first line at or after <paramref name="fromLine"/> that matches (the given line if none does).</summary>
        public int FindLine(int fromLine, Func<string, bool> match)
        {
            for (int i = Math.Max(0, fromLine - 1); i < _lines.Length; i++) if (match(_lines[i])) return i + 1;
            return Math.Max(1, fromLine);
        }

        public MemMgmtException Bad(string id, int line, string message) =>
            new MemMgmtException(id, ErrorKind.InvalidData, $"{Path} line {line}: {message}", Path + ":" + line);
    }

    /// <summary>One populated zone of a capture and its counts after reconciliation.</summary>
    internal sealed class CaptureZone
    {
        public CaptureZone(ZoneType type, int index, ZoneInfoZone info, int headerLine, int spannedLine, int managedLine)
        {
            Type = type;
            Index = index;
            Info = info;
            HeaderLine = headerLine;
            SpannedLine = spannedLine;
            ManagedLine = managedLine;
        }

        public readonly ZoneType Type;
        public readonly int Index;
        public readonly ZoneInfoZone Info;
        public readonly int HeaderLine, SpannedLine, ManagedLine;
        public int BuddyLine;
        public readonly long[] Buddy = new long[16];
        /// <summary>Free blocks per order and migrate type, summing to Buddy per order.</summary>
        public readonly long[,] Free = new long[16, MigrateTypes.Count];
        public readonly long[] Blocks = new long[MigrateTypes.Count];
        public long CmaPages;
        /// <summary>Migrate type of each pageblock of the zone, lowest first.</summary>
        public byte[] BlockType = Array.Empty<byte>();
    }
}
