using System;
using System.Collections.Generic;
using System.Linq;

namespace MemMgmt.Core.Stats
{
    /// <summary>One CPU's per-cpu pageset of a zone as zoneinfo prints it.</summary>
    public sealed class ZonePageset
    {
        /// <summary>Creates a pageset entry.</summary>
        /// <param name="cpu">CPU number.</param>
        /// <param name="count">pcp-&gt;count: pages on the pcp lists.</param>
        /// <param name="high">pcp-&gt;high.</param>
        /// <param name="batch">pcp-&gt;batch.</param>
        /// <param name="statThreshold">per-cpu stat_threshold ("vm stats threshold"); null for a !SMP kernel, which omits the line.</param>
        /// <param name="highMin">pcp-&gt;high_min (printed by 6.18 only).</param>
        /// <param name="highMax">pcp-&gt;high_max (printed by 6.18 only).</param>
        public ZonePageset(int cpu, int count, int high, int batch, int? statThreshold, int highMin = 0, int highMax = 0)
        {
            if (cpu < 0) throw new ArgumentOutOfRangeException(nameof(cpu));
            Cpu = cpu;
            Count = count;
            High = high;
            Batch = batch;
            StatThreshold = statThreshold;
            HighMin = highMin;
            HighMax = highMax;
        }

        /// <summary>CPU number.</summary>
        public int Cpu { get; }

        /// <summary>pcp-&gt;count.</summary>
        public int Count { get; }

        /// <summary>pcp-&gt;high.</summary>
        public int High { get; }

        /// <summary>pcp-&gt;batch.</summary>
        public int Batch { get; }

        /// <summary>pcp-&gt;high_min (6.18 layout only).</summary>
        public int HighMin { get; }

        /// <summary>pcp-&gt;high_max (6.18 layout only).</summary>
        public int HighMax { get; }

        /// <summary>stat_threshold, or null when the line is not printed.</summary>
        public int? StatThreshold { get; }
    }

    /// <summary>What zoneinfo prints only for a populated zone.</summary>
    public sealed class ZoneInfoDetail
    {
        /// <summary>Creates the detail block.</summary>
        /// <param name="zoneStats">Zone counters followed by the NUMA counters, in vmstat_text order.</param>
        /// <param name="pagesets">One entry per online CPU.</param>
        /// <param name="nodeUnreclaimable">pgdat-&gt;kswapd_failures &gt;= MAX_RECLAIM_RETRIES; in the 4.4 layout the zone's
        /// all_unreclaimable (!zone_reclaimable).</param>
        /// <param name="startPfn">zone-&gt;zone_start_pfn.</param>
        /// <param name="inactiveRatio">zone-&gt;inactive_ratio (printed by 4.4 only).</param>
        public ZoneInfoDetail(IEnumerable<ProcStatEntry> zoneStats, IEnumerable<ZonePageset> pagesets, bool nodeUnreclaimable, long startPfn,
            long inactiveRatio = 0)
        {
            ZoneStats = ReadOnly.Copy(zoneStats, nameof(zoneStats));
            Pagesets = ReadOnly.Copy(pagesets, nameof(pagesets));
            if (startPfn < 0) throw new ArgumentOutOfRangeException(nameof(startPfn));
            if (inactiveRatio < 0) throw new ArgumentOutOfRangeException(nameof(inactiveRatio));
            NodeUnreclaimable = nodeUnreclaimable;
            StartPfn = startPfn;
            InactiveRatio = inactiveRatio;
        }

        /// <summary>Zone and NUMA counters ("nr_free_pages", ..., "numa_other").</summary>
        public IReadOnlyList<ProcStatEntry> ZoneStats { get; }

        /// <summary>Per-cpu pagesets.</summary>
        public IReadOnlyList<ZonePageset> Pagesets { get; }

        /// <summary>node_unreclaimable (printed as 0/1); in the 4.4 layout the zone's all_unreclaimable.</summary>
        public bool NodeUnreclaimable { get; }

        /// <summary>start_pfn.</summary>
        public long StartPfn { get; }

        /// <summary>inactive_ratio (4.4 layout only).</summary>
        public long InactiveRatio { get; }
    }

    /// <summary>One zone's section of /proc/zoneinfo.</summary>
    public sealed class ZoneInfoZone
    {
        /// <summary>Creates a zone section.</summary>
        /// <param name="nodeId">pg_data_t node_id.</param>
        /// <param name="zoneName">Zone name.</param>
        /// <param name="free">NR_FREE_PAGES.</param>
        /// <param name="min">WMARK_MIN.</param>
        /// <param name="low">WMARK_LOW.</param>
        /// <param name="high">WMARK_HIGH.</param>
        /// <param name="spanned">spanned_pages.</param>
        /// <param name="present">present_pages (0 makes the zone unpopulated: short form, no detail).</param>
        /// <param name="managed">managed_pages.</param>
        /// <param name="protection">lowmem_reserve[] (one per zone type of the node).</param>
        /// <param name="nodeStats">The node's counters; set on the first populated zone of each node only (is_zone_first_populated).</param>
        /// <param name="detail">Counters, pagesets, node_unreclaimable and start_pfn; required exactly when present &gt; 0.</param>
        /// <param name="boost">watermark_boost (printed from 6.1 on).</param>
        /// <param name="promo">WMARK_PROMO (printed by 6.18).</param>
        /// <param name="cma">cma pages (printed from 6.1 on).</param>
        /// <param name="scanned">NR_PAGES_SCANNED of the zone (printed by 4.4 only).</param>
        public ZoneInfoZone(int nodeId, string zoneName, long free, long min, long low, long high, long spanned, long present, long managed,
            IEnumerable<long> protection, IEnumerable<ProcStatEntry>? nodeStats = null, ZoneInfoDetail? detail = null,
            long boost = 0, long promo = 0, long cma = 0, long scanned = 0)
        {
            if (nodeId < 0) throw new ArgumentOutOfRangeException(nameof(nodeId));
            NodeId = nodeId;
            ZoneName = ZoneNames.Check(zoneName, nameof(zoneName));
            Free = NonNegative(free, nameof(free));
            Min = NonNegative(min, nameof(min));
            Low = NonNegative(low, nameof(low));
            High = NonNegative(high, nameof(high));
            Spanned = NonNegative(spanned, nameof(spanned));
            Present = NonNegative(present, nameof(present));
            Managed = NonNegative(managed, nameof(managed));
            Boost = NonNegative(boost, nameof(boost));
            Promo = NonNegative(promo, nameof(promo));
            Cma = NonNegative(cma, nameof(cma));
            Scanned = NonNegative(scanned, nameof(scanned));
            Protection = ReadOnly.Copy(protection, nameof(protection));
            if (Protection.Count == 0) throw new ArgumentException("lowmem_reserve has one entry per zone type.", nameof(protection));
            NodeStats = nodeStats is null ? null : ReadOnly.Copy(nodeStats, nameof(nodeStats));
            if ((present > 0) != (detail != null))
                throw new ArgumentException(present > 0
                    ? "A populated zone (present > 0) needs its detail block."
                    : "An unpopulated zone (present == 0) prints no detail block.", nameof(detail));
            Detail = detail;
        }

        private static long NonNegative(long v, string name) => v < 0 ? throw new ArgumentOutOfRangeException(name, v, "Cannot be negative.") : v;

        /// <summary>pg_data_t node_id.</summary>
        public int NodeId { get; }

        /// <summary>Zone name.</summary>
        public string ZoneName { get; }

        /// <summary>Per-node counters, or null when not this node's first populated zone.</summary>
        public IReadOnlyList<ProcStatEntry>? NodeStats { get; }

        /// <summary>pages free.</summary>
        public long Free { get; }

        /// <summary>watermark_boost (6.1+).</summary>
        public long Boost { get; }

        /// <summary>min watermark.</summary>
        public long Min { get; }

        /// <summary>low watermark.</summary>
        public long Low { get; }

        /// <summary>high watermark.</summary>
        public long High { get; }

        /// <summary>promo watermark (6.18).</summary>
        public long Promo { get; }

        /// <summary>pages scanned since a page was last freed to the zone (4.4).</summary>
        public long Scanned { get; }

        /// <summary>spanned_pages.</summary>
        public long Spanned { get; }

        /// <summary>present_pages.</summary>
        public long Present { get; }

        /// <summary>managed_pages.</summary>
        public long Managed { get; }

        /// <summary>CMA pages (6.1+).</summary>
        public long Cma { get; }

        /// <summary>lowmem_reserve[].</summary>
        public IReadOnlyList<long> Protection { get; }

        /// <summary>Populated-zone detail; null for the short form of an empty zone.</summary>
        public ZoneInfoDetail? Detail { get; }

        /// <summary>populated_zone(): present_pages != 0.</summary>
        public bool IsPopulated => Present != 0;
    }

    /// <summary>/proc/zoneinfo: every zone of every node, populated or not.</summary>
    public sealed class ZoneInfo
    {
        /// <summary>
        /// Creates the model. Enforces the kernel's shape: per-node stats on exactly the first populated zone of each node.
        /// </summary>
        public ZoneInfo(KernelTextFormat format, IEnumerable<ZoneInfoZone> zones)
        {
            Format = format;
            Zones = ReadOnly.Copy(zones, nameof(zones));
            // 4.4 has no per-node counters: a node block given here is simply not printed in that layout.
            if (format == KernelTextFormat.V4_4) return;
            foreach (IGrouping<int, ZoneInfoZone> node in Zones.GroupBy(z => z.NodeId))
            {
                ZoneInfoZone? first = node.FirstOrDefault(z => z.IsPopulated);
                foreach (ZoneInfoZone z in node)
                {
                    bool shouldHave = ReferenceEquals(z, first);
                    if (shouldHave != (z.NodeStats != null))
                        throw new ArgumentException("Node " + z.NodeId + " zone " + z.ZoneName + (shouldHave
                            ? " is the node's first populated zone and must carry the per-node stats."
                            : " must not carry per-node stats (only the node's first populated zone does)."), nameof(zones));
                }
            }
        }

        /// <summary>Layout used by <see cref="ToKernelText()"/> (and detected by <see cref="Parse"/>).</summary>
        public KernelTextFormat Format { get; }

        /// <summary>Zones in order: node, then zone index.</summary>
        public IReadOnlyList<ZoneInfoZone> Zones { get; }

        /// <summary>Renders the exact bytes of /proc/zoneinfo in <see cref="Format"/>.</summary>
        public string ToKernelText() => ToKernelText(Format);

        /// <summary>Renders the exact bytes of /proc/zoneinfo in the given layout.</summary>
        /// kernel: zoneinfo_show_print (mm/vmstat.c, 4.14 and 6.x)
        public string ToKernelText(KernelTextFormat format)
        {
            if (format == KernelTextFormat.V4_4) return ToKernelText44();
            var sb = ReadOnly.NewBuilder();
            foreach (ZoneInfoZone z in Zones)
            {
                sb.Append(Header(z.NodeId, z.ZoneName));
                if (z.NodeStats != null)
                {
                    sb.Append("\n  per-node stats");
                    foreach (ProcStatEntry e in z.NodeStats)
                        sb.Append('\n').Append(StatLine(e.Name, e.Value));
                }

                sb.Append('\n').Append(Field(PagesFree, z.Free));
                if (format >= KernelTextFormat.V6_1)
                    sb.Append('\n').Append(Field(BoostLabel, z.Boost));
                sb.Append('\n').Append(Field(MinLabel, z.Min));
                sb.Append('\n').Append(Field(LowLabel, z.Low));
                sb.Append('\n').Append(Field(HighLabel, z.High));
                if (format >= KernelTextFormat.V6_18)
                    sb.Append('\n').Append(Field(PromoLabel, z.Promo));
                sb.Append('\n').Append(Field(SpannedLabel, z.Spanned));
                sb.Append('\n').Append(Field(PresentLabel, z.Present));
                sb.Append('\n').Append(Field(ManagedLabel, z.Managed));
                if (format >= KernelTextFormat.V6_1)
                    sb.Append('\n').Append(Field(CmaLabel, z.Cma));
                sb.Append('\n').Append(ProtectionLine(z.Protection));

                if (z.Detail is null)
                {
                    sb.Append('\n');
                    continue;
                }

                foreach (ProcStatEntry e in z.Detail.ZoneStats)
                    sb.Append('\n').Append(StatLine(e.Name, e.Value));
                sb.Append("\n  pagesets");
                foreach (ZonePageset p in z.Detail.Pagesets)
                {
                    sb.Append('\n').Append(CpuPrefix).Append(CFormat.U(p.Cpu));
                    foreach (KeyValuePair<string, int> f in PagesetFields(p, format))
                        sb.Append('\n').Append(f.Key).Append(CFormat.U(f.Value));
                    if (p.StatThreshold.HasValue)
                        sb.Append('\n').Append(ThresholdPrefix).Append(CFormat.U(p.StatThreshold.Value));
                }

                sb.Append('\n').Append(UnreclaimablePrefix).Append(z.Detail.NodeUnreclaimable ? "1" : "0");
                sb.Append('\n').Append(StartPfnPrefix).Append(CFormat.U(z.Detail.StartPfn));
                sb.Append('\n');
            }

            return sb.ToString();
        }

        /// <summary>The 4.4 layout: walk_zones_in_node skips unpopulated zones; scanned follows high; the zone counters
        /// (4 spaces in) come before protection; all_unreclaimable, start_pfn and inactive_ratio close the zone.</summary>
        /// kernel: zoneinfo_show_print, walk_zones_in_node (mm/vmstat.c, 4.4)
        private string ToKernelText44()
        {
            var sb = ReadOnly.NewBuilder();
            foreach (ZoneInfoZone z in Zones)
            {
                if (z.Detail is null) continue;
                sb.Append(Header(z.NodeId, z.ZoneName));
                sb.Append('\n').Append(Field(PagesFree, z.Free));
                sb.Append('\n').Append(Field(MinLabel, z.Min));
                sb.Append('\n').Append(Field(LowLabel, z.Low));
                sb.Append('\n').Append(Field(HighLabel, z.High));
                sb.Append('\n').Append(Field(ScannedLabel, z.Scanned));
                sb.Append('\n').Append(Field(SpannedLabel, z.Spanned));
                sb.Append('\n').Append(Field(PresentLabel, z.Present));
                sb.Append('\n').Append(Field(ManagedLabel, z.Managed));
                foreach (ProcStatEntry e in z.Detail.ZoneStats)
                    sb.Append('\n').Append(StatLine44(e.Name, e.Value));
                sb.Append('\n').Append(ProtectionLine(z.Protection));
                sb.Append("\n  pagesets");
                foreach (ZonePageset p in z.Detail.Pagesets)
                {
                    sb.Append('\n').Append(CpuPrefix).Append(CFormat.U(p.Cpu));
                    foreach (KeyValuePair<string, int> f in PagesetFields(p, KernelTextFormat.V4_4))
                        sb.Append('\n').Append(f.Key).Append(CFormat.U(f.Value));
                    if (p.StatThreshold.HasValue)
                        sb.Append('\n').Append(ThresholdPrefix).Append(CFormat.U(p.StatThreshold.Value));
                }

                sb.Append('\n').Append(AllUnreclaimablePrefix).Append(z.Detail.NodeUnreclaimable ? "1" : "0");
                sb.Append('\n').Append(StartPfn44Prefix).Append(CFormat.U(z.Detail.StartPfn));
                sb.Append('\n').Append(InactiveRatioPrefix).Append(CFormat.U(z.Detail.InactiveRatio));
                sb.Append('\n');
            }

            return sb.ToString();
        }

        private const string ScannedLabel = "        scanned  ";
        private const string AllUnreclaimablePrefix = "  all_unreclaimable: ";
        private const string StartPfn44Prefix = "  start_pfn:         ";
        private const string InactiveRatioPrefix = "  inactive_ratio:    ";

        private static string StatLine44(string name, long value) => "    " + CFormat.Left(name, 12) + " " + CFormat.U(value);

        private const string PagesFree = "  pages free     ";
        private const string BoostLabel = "        boost    ";
        private const string MinLabel = "        min      ";
        private const string LowLabel = "        low      ";
        private const string HighLabel = "        high     ";
        private const string PromoLabel = "        promo    ";
        private const string SpannedLabel = "        spanned  ";
        private const string PresentLabel = "        present  ";
        private const string ManagedLabel = "        managed  ";
        private const string CmaLabel = "        cma      ";
        private const string ProtectionPrefix = "        protection: (";
        private const string CpuPrefix = "    cpu: ";
        private const string ThresholdPrefix = "  vm stats threshold: ";
        private const string UnreclaimablePrefix = "  node_unreclaimable:  ";
        private const string StartPfnPrefix = "  start_pfn:           ";
        private const string PerNodeStats = "  per-node stats";
        private const string Pagesets = "  pagesets";

        private static string Header(int node, string zone) => "Node " + CFormat.U(node) + ", zone " + CFormat.Right(zone, 8);

        private static string Field(string label, long value) => label + CFormat.U(value);

        private static string StatLine(string name, long value) => "      " + CFormat.Left(name, 12) + " " + CFormat.U(value);

        private static string ProtectionLine(IReadOnlyList<long> protection) =>
            ProtectionPrefix + string.Join(", ", protection.Select(CFormat.U)) + ")";

        private static IEnumerable<KeyValuePair<string, int>> PagesetFields(ZonePageset p, KernelTextFormat format)
        {
            if (format >= KernelTextFormat.V6_18)
            {
                yield return new KeyValuePair<string, int>("              count:    ", p.Count);
                yield return new KeyValuePair<string, int>("              high:     ", p.High);
                yield return new KeyValuePair<string, int>("              batch:    ", p.Batch);
                yield return new KeyValuePair<string, int>("              high_min: ", p.HighMin);
                yield return new KeyValuePair<string, int>("              high_max: ", p.HighMax);
            }
            else
            {
                yield return new KeyValuePair<string, int>("              count: ", p.Count);
                yield return new KeyValuePair<string, int>("              high:  ", p.High);
                yield return new KeyValuePair<string, int>("              batch: ", p.Batch);
            }
        }

        /// <summary>
        /// Parses /proc/zoneinfo, detecting the layout: a "boost" line means 6.1 or later, a "promo" line and
        /// high_min/high_max pageset lines mean 6.18; a "scanned" line after high means 4.4; none of them means 4.14.
        /// </summary>
        public static ZoneInfo Parse(string text)
        {
            var lines = new ProcLines(text, "zoneinfo", allowEmpty: false);
            var zones = new List<ZoneInfoZone>();
            var populatedNodes = new HashSet<int>();
            KernelTextFormat? format = null;

            while (!lines.AtEnd)
            {
                string line = lines.Next("a zone header \"Node <n>, zone <name>\"");
                string[] t = ProcLines.Tokens(line);
                if (t.Length != 4 || t[0] != "Node" || !t[1].EndsWith(",", StringComparison.Ordinal) || t[2] != "zone"
                    || !int.TryParse(t[1].Substring(0, t[1].Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int node))
                    throw lines.Fail("a zone header \"Node <n>, zone <name>\"");
                string zone = t[3];
                lines.RequireSame(line, Header(node, zone), "a zone header");
                int headerLineNumber = lines.LineNumber - 1;
                string headerLine = line;

                List<ProcStatEntry>? nodeStats = null;
                if (lines.Peek() == PerNodeStats)
                {
                    lines.Next(PerNodeStats);
                    nodeStats = new List<ProcStatEntry>();
                    while (!lines.AtEnd && lines.Peek().StartsWith("      ", StringComparison.Ordinal))
                        nodeStats.Add(ReadStat(lines));
                }

                long free = ReadField(lines, PagesFree, "pages free");

                // The first zone decides the layout; later zones must follow it line by line.
                bool hasBoost = format.HasValue ? format.Value >= KernelTextFormat.V6_1 : lines.Peek().StartsWith(BoostLabel, StringComparison.Ordinal);
                string layout = format.HasValue ? ", as in the " + Describe(format.Value) + " layout of the zones above" : string.Empty;
                long boost = hasBoost ? ReadField(lines, BoostLabel, "boost" + layout) : 0;
                long min = ReadField(lines, MinLabel, "min" + layout);
                long low = ReadField(lines, LowLabel, "low");
                long high = ReadField(lines, HighLabel, "high");
                bool hasPromo = format.HasValue ? format.Value >= KernelTextFormat.V6_18 : lines.Peek().StartsWith(PromoLabel, StringComparison.Ordinal);
                if (hasPromo && !hasBoost)
                {
                    lines.Next("spanned");
                    throw lines.Fail("\"" + SpannedLabel + "<n>\" (spanned): only 6.18 prints promo, and it also prints boost");
                }

                long promo = hasPromo ? ReadField(lines, PromoLabel, "promo" + layout) : 0;
                bool hasScanned = format.HasValue ? format.Value == KernelTextFormat.V4_4 : !hasBoost && lines.Peek().StartsWith(ScannedLabel, StringComparison.Ordinal);
                long scanned = hasScanned ? ReadField(lines, ScannedLabel, "scanned" + layout) : 0;
                KernelTextFormat zoneFormat = hasScanned ? KernelTextFormat.V4_4
                    : hasPromo ? KernelTextFormat.V6_18 : hasBoost ? KernelTextFormat.V6_1 : KernelTextFormat.V4_14;
                format = zoneFormat;
                if (zoneFormat == KernelTextFormat.V4_4)
                {
                    if (nodeStats != null)
                        throw new ProcTextFormatException("zoneinfo", headerLineNumber + 1, PerNodeStats, "no per-node stats: 4.4 keeps every counter per zone");
                    zones.Add(ReadZone44(lines, node, zone, free, min, low, high, scanned));
                    continue;
                }

                int spannedLineNumber = lines.LineNumber;
                string spannedLine = lines.Peek();
                long spanned = ReadField(lines, SpannedLabel, "spanned" + layout);
                long present = ReadField(lines, PresentLabel, "present");
                // A first zone with 4.4's shape (counters straight after managed, no per-node block) but no scanned line
                // would otherwise be read as 4.14 and fail later on a misleading "per-node stats" complaint.
                if (zoneFormat == KernelTextFormat.V4_14 && zones.Count == 0 && nodeStats == null
                    && lines.Peek().StartsWith(ManagedLabel, StringComparison.Ordinal) && IsStat44Line(lines.PeekAhead(1)))
                    throw new ProcTextFormatException("zoneinfo", spannedLineNumber, spannedLine,
                        "\"" + ScannedLabel + "<n>\" (scanned) before spanned: this zone has the 4.4 layout (its counters follow managed), and 4.4 prints scanned after high");
                bool firstPopulated = present > 0 && !populatedNodes.Contains(node);
                if (present > 0)
                    populatedNodes.Add(node);
                if (nodeStats != null && !firstPopulated)
                    throw new ProcTextFormatException("zoneinfo", headerLineNumber + 1, PerNodeStats,
                        "per-node stats only in node " + node + "'s first populated zone (this zone " + (present > 0 ? "follows another populated zone" : "is unpopulated") + ")");
                if (nodeStats == null && firstPopulated)
                    throw new ProcTextFormatException("zoneinfo", headerLineNumber, headerLine,
                        "\"" + PerNodeStats.Trim() + "\" after the header of node " + node + "'s first populated zone");
                long managed = ReadField(lines, ManagedLabel, "managed");
                long cma = zoneFormat >= KernelTextFormat.V6_1 ? ReadField(lines, CmaLabel, "cma") : 0;
                List<long> protection = ReadProtection(lines);

                ZoneInfoDetail? detail = null;
                if (present == 0)
                {
                    if (!lines.AtEnd && !lines.Peek().StartsWith("Node ", StringComparison.Ordinal))
                    {
                        lines.Next("the next zone header");
                        throw lines.Fail("the next zone header: an unpopulated zone (present 0) ends after its protection line");
                    }
                }
                else
                {
                    var zoneStats = new List<ProcStatEntry>();
                    while (!lines.AtEnd && lines.Peek().StartsWith("      ", StringComparison.Ordinal))
                        zoneStats.Add(ReadStat(lines));
                    lines.Expect(Pagesets);
                    var pagesets = new List<ZonePageset>();
                    while (!lines.AtEnd && lines.Peek().StartsWith(CpuPrefix, StringComparison.Ordinal))
                        pagesets.Add(ReadPageset(lines, zoneFormat));
                    long unreclaimable = ReadField(lines, UnreclaimablePrefix, "node_unreclaimable");
                    if (unreclaimable > 1)
                        throw lines.Fail("node_unreclaimable 0 or 1");
                    long startPfn = ReadField(lines, StartPfnPrefix, "start_pfn");
                    detail = new ZoneInfoDetail(zoneStats, pagesets, unreclaimable == 1, startPfn);
                }

                try
                {
                    zones.Add(new ZoneInfoZone(node, zone, free, min, low, high, spanned, present, managed, protection, nodeStats, detail, boost, promo, cma));
                }
                catch (ArgumentException ex)
                {
                    throw new ProcTextFormatException("zoneinfo", lines.LineNumber - 1, string.Empty, "a consistent zone section: " + ex.Message);
                }
            }

            try
            {
                return new ZoneInfo(format ?? KernelTextFormat.V4_14, zones);
            }
            catch (ArgumentException ex)
            {
                throw new ProcTextFormatException("zoneinfo", lines.LineNumber, string.Empty, "per-node stats on each node's first populated zone: " + ex.Message);
            }
        }

        /// <summary>A 4.4 zone counter line: four spaces, a name, a value (later layouts indent counters by six).</summary>
        private static bool IsStat44Line(string line) =>
            line.StartsWith("    ", StringComparison.Ordinal) && !line.StartsWith("     ", StringComparison.Ordinal) && ProcLines.Tokens(line).Length == 2;

        private static string Describe(KernelTextFormat f) =>
            f == KernelTextFormat.V4_4 ? "4.4" : f == KernelTextFormat.V4_14 ? "4.14" : f == KernelTextFormat.V6_1 ? "6.1" : "6.18";

        /// <summary>The rest of a 4.4 zone section, after its scanned line: a populated zone (4.4 prints no other) with its
        /// counters before protection and the three closing lines.</summary>
        private static ZoneInfoZone ReadZone44(ProcLines lines, int node, string zone, long free, long min, long low, long high, long scanned)
        {
            long spanned = ReadField(lines, SpannedLabel, "spanned");
            long present = ReadField(lines, PresentLabel, "present");
            if (present == 0) throw lines.Fail("a populated zone: 4.4 prints no zone whose present is 0");
            long managed = ReadField(lines, ManagedLabel, "managed");
            var zoneStats = new List<ProcStatEntry>();
            while (!lines.AtEnd && !lines.Peek().StartsWith(ProtectionPrefix, StringComparison.Ordinal))
            {
                string line = lines.Next("a counter line");
                string[] t = ProcLines.Tokens(line);
                if (t.Length != 2 || !CFormat.TryUnsigned(t[1], out long v))
                    throw lines.Fail("a counter line \"    <name> <value>\" (name padded to 12), or the protection line");
                lines.RequireSame(line, StatLine44(t[0], v), "a counter line (4.4 layout)");
                zoneStats.Add(new ProcStatEntry(t[0], v));
            }

            List<long> protection = ReadProtection(lines);
            lines.Expect(Pagesets);
            var pagesets = new List<ZonePageset>();
            while (!lines.AtEnd && lines.Peek().StartsWith(CpuPrefix, StringComparison.Ordinal))
                pagesets.Add(ReadPageset(lines, KernelTextFormat.V4_4));
            long unreclaimable = ReadField(lines, AllUnreclaimablePrefix, "all_unreclaimable");
            if (unreclaimable > 1)
                throw lines.Fail("all_unreclaimable 0 or 1");
            long startPfn = ReadField(lines, StartPfn44Prefix, "start_pfn");
            long inactiveRatio = ReadField(lines, InactiveRatioPrefix, "inactive_ratio");
            try
            {
                return new ZoneInfoZone(node, zone, free, min, low, high, spanned, present, managed, protection, null,
                    new ZoneInfoDetail(zoneStats, pagesets, unreclaimable == 1, startPfn, inactiveRatio), scanned: scanned);
            }
            catch (ArgumentException ex)
            {
                throw new ProcTextFormatException("zoneinfo", lines.LineNumber - 1, string.Empty, "a consistent zone section: " + ex.Message);
            }
        }

        private static long ReadField(ProcLines lines, string label, string what)
        {
            string expected = "\"" + label + "<n>\" (" + what + ")";
            string line = lines.Next(expected);
            if (!line.StartsWith(label, StringComparison.Ordinal) || !CFormat.TryUnsigned(line.Substring(label.Length), out long v))
                throw lines.Fail(expected);
            lines.RequireSame(line, label + CFormat.U(v), "the " + what + " line");
            return v;
        }

        private static ProcStatEntry ReadStat(ProcLines lines)
        {
            string line = lines.Next("a counter line");
            string[] t = ProcLines.Tokens(line);
            if (t.Length != 2 || !CFormat.TryUnsigned(t[1], out long v))
                throw lines.Fail("a counter line \"      <name> <value>\" (name padded to 12)");
            lines.RequireSame(line, StatLine(t[0], v), "a counter line");
            return new ProcStatEntry(t[0], v);
        }

        private static List<long> ReadProtection(ProcLines lines)
        {
            const string expected = "\"        protection: (<n>, <n>, ...)\"";
            string line = lines.Next(expected);
            if (!line.StartsWith(ProtectionPrefix, StringComparison.Ordinal) || !line.EndsWith(")", StringComparison.Ordinal))
                throw lines.Fail(expected);
            string inner = line.Substring(ProtectionPrefix.Length, line.Length - ProtectionPrefix.Length - 1);
            var values = new List<long>();
            foreach (string part in inner.Split(','))
            {
                if (!CFormat.TrySigned(part.Trim(' '), out long v))
                    throw lines.Fail(expected);
                values.Add(v);
            }

            lines.RequireSame(line, ProtectionLine(values), "the protection line");
            return values;
        }

        private static ZonePageset ReadPageset(ProcLines lines, KernelTextFormat format)
        {
            long cpu = ReadField(lines, CpuPrefix, "cpu");
            var probe = new ZonePageset(0, 0, 0, 0, null);
            var values = new List<int>();
            foreach (KeyValuePair<string, int> f in PagesetFields(probe, format))
            {
                string label = f.Key;
                string what = label.Trim().TrimEnd(':');
                string expected = "\"" + label + "<n>\" (" + what + (format >= KernelTextFormat.V6_18 ? ", 6.18 layout" : ", 4.4/4.14/6.1 layout") + ")";
                string line = lines.Next(expected);
                if (!line.StartsWith(label, StringComparison.Ordinal) || !CFormat.TrySigned(line.Substring(label.Length), out long v) || v < int.MinValue || v > int.MaxValue)
                    throw lines.Fail(expected);
                lines.RequireSame(line, label + CFormat.U(v), "the " + what + " line");
                values.Add((int)v);
            }

            int? threshold = null;
            if (lines.Peek().StartsWith(ThresholdPrefix, StringComparison.Ordinal))
            {
                string line = lines.Next("vm stats threshold");
                if (!CFormat.TrySigned(line.Substring(ThresholdPrefix.Length), out long th) || th < int.MinValue || th > int.MaxValue)
                    throw lines.Fail("\"" + ThresholdPrefix + "<n>\"");
                lines.RequireSame(line, ThresholdPrefix + CFormat.U(th), "the vm stats threshold line");
                threshold = (int)th;
            }

            if (cpu > int.MaxValue)
                throw new ProcTextFormatException("zoneinfo", lines.LineNumber - 1, string.Empty, "a CPU number that fits an int");
            return format >= KernelTextFormat.V6_18
                ? new ZonePageset((int)cpu, values[0], values[1], values[2], threshold, values[3], values[4])
                : new ZonePageset((int)cpu, values[0], values[1], values[2], threshold);
        }
    }
}
