using System;
using System.Collections.Generic;
using System.Linq;

namespace MemMgmt.Core.Stats
{
    /// <summary>Free blocks per order on one migrate type's free lists of one zone.</summary>
    public sealed class PageTypeFreeRow
    {
        /// <summary>Creates a row.</summary>
        public PageTypeFreeRow(int nodeId, string zoneName, string migrateType, IEnumerable<long> freeBlocksPerOrder)
        {
            if (nodeId < 0) throw new ArgumentOutOfRangeException(nameof(nodeId));
            NodeId = nodeId;
            ZoneName = ZoneNames.Check(zoneName, nameof(zoneName));
            MigrateType = ZoneNames.Check(migrateType, nameof(migrateType));
            FreeBlocks = ReadOnly.Counts(freeBlocksPerOrder, nameof(freeBlocksPerOrder));
        }

        /// <summary>pg_data_t node_id.</summary>
        public int NodeId { get; }

        /// <summary>Zone name as printed.</summary>
        public string ZoneName { get; }

        /// <summary>migratetype_names[] entry ("Unmovable", "Movable", ...).</summary>
        public string MigrateType { get; }

        /// <summary>Length of free_area[order].free_list[type], per order (the true count; capping is a rendering matter).</summary>
        public IReadOnlyList<long> FreeBlocks { get; }
    }

    /// <summary>Pageblocks of each migrate type in one zone.</summary>
    public sealed class PageTypeBlockRow
    {
        /// <summary>Creates a row.</summary>
        public PageTypeBlockRow(int nodeId, string zoneName, IEnumerable<long> blocksPerType)
        {
            if (nodeId < 0) throw new ArgumentOutOfRangeException(nameof(nodeId));
            NodeId = nodeId;
            ZoneName = ZoneNames.Check(zoneName, nameof(zoneName));
            Blocks = ReadOnly.Counts(blocksPerType, nameof(blocksPerType));
        }

        /// <summary>pg_data_t node_id.</summary>
        public int NodeId { get; }

        /// <summary>Zone name as printed.</summary>
        public string ZoneName { get; }

        /// <summary>Pageblock count per migrate type, in the order of <see cref="PageTypeInfo.MigrateTypeNames"/>.</summary>
        public IReadOnlyList<long> Blocks { get; }
    }

    /// <summary>/proc/pagetypeinfo for every node with memory.</summary>
    public sealed class PageTypeInfo
    {
        /// <summary>The cap 6.x puts on a free-list walk (it prints "&gt;100000").</summary>
        public const long FreeCountCap = 100000;

        /// <summary>
        /// Creates the model. Rows for several nodes are rendered as one section per node, in order of first appearance.
        /// </summary>
        /// <param name="pageBlockOrder">pageblock_order.</param>
        /// <param name="pagesPerBlock">pageblock_nr_pages.</param>
        /// <param name="orderCount">MAX_ORDER (4.14) / NR_PAGE_ORDERS (6.x): number of order columns.</param>
        /// <param name="migrateTypeNames">migratetype_names[] as configured, e.g. Unmovable, Movable, Reclaimable, HighAtomic, CMA, Isolate.</param>
        /// <param name="freeRows">One row per populated zone and migrate type.</param>
        /// <param name="blockRows">One row per populated zone.</param>
        /// <param name="capFreeCounts">True for 6.x kernels, which stop counting at 100000 and print "&gt;100000".</param>
        public PageTypeInfo(int pageBlockOrder, long pagesPerBlock, int orderCount, IEnumerable<string> migrateTypeNames,
            IEnumerable<PageTypeFreeRow> freeRows, IEnumerable<PageTypeBlockRow> blockRows, bool capFreeCounts)
        {
            if (pageBlockOrder < 0) throw new ArgumentOutOfRangeException(nameof(pageBlockOrder));
            if (pagesPerBlock < 1) throw new ArgumentOutOfRangeException(nameof(pagesPerBlock));
            if (orderCount < 1) throw new ArgumentOutOfRangeException(nameof(orderCount));
            PageBlockOrder = pageBlockOrder;
            PagesPerBlock = pagesPerBlock;
            OrderCount = orderCount;
            MigrateTypeNames = ReadOnly.Copy(migrateTypeNames, nameof(migrateTypeNames));
            if (MigrateTypeNames.Count == 0) throw new ArgumentException("At least one migrate type is needed.", nameof(migrateTypeNames));
            foreach (string n in MigrateTypeNames) ZoneNames.Check(n, nameof(migrateTypeNames));
            FreeRows = ReadOnly.Copy(freeRows, nameof(freeRows));
            BlockRows = ReadOnly.Copy(blockRows, nameof(blockRows));
            foreach (PageTypeFreeRow r in FreeRows)
            {
                if (r.FreeBlocks.Count != orderCount)
                    throw new ArgumentException("Free row " + r.ZoneName + "/" + r.MigrateType + " has " + r.FreeBlocks.Count + " orders, expected " + orderCount + ".", nameof(freeRows));
            }

            foreach (PageTypeBlockRow r in BlockRows)
            {
                if (r.Blocks.Count != MigrateTypeNames.Count)
                    throw new ArgumentException("Block row " + r.ZoneName + " has " + r.Blocks.Count + " counts, expected one per migrate type (" + MigrateTypeNames.Count + ").", nameof(blockRows));
            }

            CapFreeCounts = capFreeCounts;
        }

        /// <summary>pageblock_order.</summary>
        public int PageBlockOrder { get; }

        /// <summary>pageblock_nr_pages.</summary>
        public long PagesPerBlock { get; }

        /// <summary>Number of order columns.</summary>
        public int OrderCount { get; }

        /// <summary>migratetype_names[] as the kernel configuration prints them.</summary>
        public IReadOnlyList<string> MigrateTypeNames { get; }

        /// <summary>Free counts per node/zone/type.</summary>
        public IReadOnlyList<PageTypeFreeRow> FreeRows { get; }

        /// <summary>Block counts per node/zone.</summary>
        public IReadOnlyList<PageTypeBlockRow> BlockRows { get; }

        /// <summary>Whether counts of 100000 or more print as "&gt;100000" (6.x) rather than exactly (4.14).</summary>
        public bool CapFreeCounts { get; }

        /// <summary>The default for a kernel version: 4.14 prints exact counts, 6.x caps them.</summary>
        public static bool CapsFreeCounts(KernelTextFormat format) => format >= KernelTextFormat.V6_1;

        /// <summary>Renders the exact bytes of /proc/pagetypeinfo.</summary>
        /// kernel: pagetypeinfo_show, pagetypeinfo_showfree_print, pagetypeinfo_showblockcount_print (mm/vmstat.c, 4.14 and 6.x)
        public string ToKernelText()
        {
            var sb = ReadOnly.NewBuilder();
            foreach (int node in NodeOrder())
            {
                sb.Append("Page block order: ").Append(CFormat.U(PageBlockOrder)).Append('\n');
                sb.Append("Pages per block:  ").Append(CFormat.U(PagesPerBlock)).Append('\n');
                sb.Append('\n');
                sb.Append(FreeHeader(OrderCount)).Append('\n');
                foreach (PageTypeFreeRow r in FreeRows.Where(r => r.NodeId == node))
                    sb.Append(FreeRowText(r.NodeId, r.ZoneName, r.MigrateType, r.FreeBlocks, CapFreeCounts)).Append('\n');
                sb.Append('\n');
                sb.Append(BlockHeader(MigrateTypeNames)).Append('\n');
                foreach (PageTypeBlockRow r in BlockRows.Where(r => r.NodeId == node))
                    sb.Append(BlockRowText(r.NodeId, r.ZoneName, r.Blocks)).Append('\n');
            }

            return sb.ToString();
        }

        private IEnumerable<int> NodeOrder() =>
            FreeRows.Select(r => r.NodeId).Concat(BlockRows.Select(r => r.NodeId)).Distinct();

        internal static string FreeHeader(int orders)
        {
            var sb = new System.Text.StringBuilder(CFormat.Left("Free pages count per migrate type at order", 43)).Append(' ');
            for (int o = 0; o < orders; o++)
                sb.Append(CFormat.Right(o, 6)).Append(' ');
            return sb.ToString();
        }

        internal static string FreeRowText(int node, string zone, string type, IReadOnlyList<long> counts, bool cap)
        {
            var sb = new System.Text.StringBuilder();
            sb.Append("Node ").Append(CFormat.Right(node, 4)).Append(", zone ").Append(CFormat.Right(zone, 8))
              .Append(", type ").Append(CFormat.Right(type, 12)).Append(' ');
            foreach (long c in counts)
            {
                if (cap && c >= FreeCountCap)
                    sb.Append('>').Append(CFormat.Right(FreeCountCap, 6)).Append(' ');
                else
                    sb.Append(CFormat.Right(c, 6)).Append(' ');
            }

            return sb.ToString();
        }

        internal static string BlockHeader(IReadOnlyList<string> types)
        {
            var sb = new System.Text.StringBuilder(CFormat.Left("Number of blocks type ", 23));
            foreach (string t in types)
                sb.Append(CFormat.Right(t, 12)).Append(' ');
            return sb.ToString();
        }

        internal static string BlockRowText(int node, string zone, IReadOnlyList<long> counts)
        {
            var sb = new System.Text.StringBuilder(ZoneNames.NodeZonePrefix(node, zone));
            foreach (long c in counts)
                sb.Append(CFormat.Right(c, 12)).Append(' ');
            return sb.ToString();
        }

        /// <summary>
        /// Parses /proc/pagetypeinfo (one or more node sections). Whether counts are capped is detected from the text:
        /// a "&gt;100000" entry means capped (6.x), an uncapped count of 100000 or more means 4.14; with neither,
        /// <paramref name="defaultCap"/> decides.
        /// </summary>
        public static PageTypeInfo Parse(string text, bool defaultCap = false)
        {
            var lines = new ProcLines(text, "pagetypeinfo", allowEmpty: false);
            int pageBlockOrder = -1;
            long pagesPerBlock = -1;
            int orderCount = -1;
            List<string>? types = null;
            var freeRows = new List<PageTypeFreeRow>();
            var blockRows = new List<PageTypeBlockRow>();
            bool sawCapped = false, sawLarge = false;

            while (!lines.AtEnd)
            {
                // Section header.
                string line = lines.Next("\"Page block order: <n>\"");
                const string pboPrefix = "Page block order: ";
                if (!line.StartsWith(pboPrefix, StringComparison.Ordinal) || !CFormat.TrySigned(line.Substring(pboPrefix.Length), out long pbo) || pbo < 0 || pbo > int.MaxValue)
                    throw lines.Fail("\"Page block order: <n>\"");
                lines.RequireSame(line, pboPrefix + CFormat.U(pbo), "the page block order line");
                if (pageBlockOrder >= 0 && pbo != pageBlockOrder)
                    throw lines.Fail("the same page block order as the first node (" + pageBlockOrder + ")");
                pageBlockOrder = (int)pbo;

                line = lines.Next("\"Pages per block:  <n>\"");
                const string ppbPrefix = "Pages per block:  ";
                if (!line.StartsWith(ppbPrefix, StringComparison.Ordinal) || !CFormat.TryUnsigned(line.Substring(ppbPrefix.Length), out long ppb) || ppb < 1)
                    throw lines.Fail("\"Pages per block:  <n>\" (two spaces)");
                lines.RequireSame(line, ppbPrefix + CFormat.U(ppb), "the pages per block line");
                if (pagesPerBlock >= 0 && ppb != pagesPerBlock)
                    throw lines.Fail("the same pages per block as the first node (" + pagesPerBlock + ")");
                pagesPerBlock = ppb;

                lines.Expect(string.Empty);

                line = lines.Next("the free pages header");
                const string freeTitle = "Free pages count per migrate type at order";
                if (!line.StartsWith(freeTitle, StringComparison.Ordinal))
                    throw lines.Fail("the header \"" + freeTitle + "\" followed by the orders");
                int orders = ProcLines.Tokens(line.Substring(freeTitle.Length)).Length;
                if (orders == 0)
                    throw lines.Fail("at least one order after \"" + freeTitle + "\"");
                lines.RequireSame(line, FreeHeader(orders), "the free pages header");
                if (orderCount >= 0 && orders != orderCount)
                    throw lines.Fail(orderCount + " orders like the first node");
                orderCount = orders;

                // Free rows until the blank line.
                var sectionTypes = new List<string>();
                int? sectionNode = null;
                while (true)
                {
                    line = lines.Next("a free count row or a blank line");
                    if (line.Length == 0)
                        break;
                    string[] t = ProcLines.Tokens(line);
                    if (t.Length != 6 + orders || t[0] != "Node" || !t[1].EndsWith(",", StringComparison.Ordinal) || t[2] != "zone"
                        || !t[3].EndsWith(",", StringComparison.Ordinal) || t[4] != "type")
                        throw lines.Fail("\"Node <n>, zone <name>, type <type>\" and " + orders + " counts");
                    if (!int.TryParse(t[1].Substring(0, t[1].Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int node))
                        throw lines.Fail("a node number after \"Node\"");
                    if (sectionNode.HasValue && sectionNode.Value != node)
                        throw lines.Fail("rows of node " + sectionNode.Value + " only in this section");
                    sectionNode = node;
                    string zone = t[3].Substring(0, t[3].Length - 1);
                    string type = t[5];
                    var counts = new long[orders];
                    bool rowCapped = false;
                    for (int o = 0; o < orders; o++)
                    {
                        string s = t[6 + o];
                        if (s == ">" + CFormat.U(FreeCountCap))
                        {
                            counts[o] = FreeCountCap;
                            rowCapped = sawCapped = true;
                        }
                        else if (CFormat.TryUnsigned(s, out long v))
                        {
                            counts[o] = v;
                            if (v >= FreeCountCap) sawLarge = true;
                        }
                        else
                        {
                            throw lines.Fail("a free count or \">100000\", not \"" + s + "\"");
                        }
                    }

                    if (sawCapped && sawLarge)
                        throw lines.Fail("counts either capped as \">100000\" (6.x) or exact (4.14), not both");
                    if (zone.Length == 0)
                        throw lines.Fail("a zone name");
                    lines.RequireSame(line, FreeRowText(node, zone, type, counts, rowCapped || sawCapped), "a free count row");
                    freeRows.Add(new PageTypeFreeRow(node, zone, type, counts));
                    if (!sectionTypes.Contains(type))
                        sectionTypes.Add(type);
                }

                // Block counts.
                line = lines.Next("the block count header");
                const string blockTitle = "Number of blocks type ";
                if (!line.StartsWith(blockTitle, StringComparison.Ordinal))
                    throw lines.Fail("the header \"Number of blocks type\" followed by the migrate types");
                var headerTypes = new List<string>(ProcLines.Tokens(line.Substring(blockTitle.Length)));
                if (headerTypes.Count == 0)
                    throw lines.Fail("at least one migrate type in the block count header");
                lines.RequireSame(line, BlockHeader(headerTypes), "the block count header");
                if (sectionTypes.Count > 0 && !sectionTypes.SequenceEqual(headerTypes))
                    throw lines.Fail("the migrate types of the free rows above (" + string.Join(" ", sectionTypes) + ")");
                if (types != null && !types.SequenceEqual(headerTypes))
                    throw lines.Fail("the migrate types of the first node (" + string.Join(" ", types) + ")");
                types = headerTypes;

                while (!lines.AtEnd && lines.Peek().StartsWith("Node ", StringComparison.Ordinal))
                {
                    line = lines.Next("a block count row");
                    ZoneNames.ParseNodeZoneRow(lines, line, "\"Node <n>, zone <name>\" and one block count per migrate type", out int node, out string zone, out string[] rest);
                    if (rest.Length != types.Count)
                        throw lines.Fail(types.Count + " block counts (one per migrate type), not " + rest.Length);
                    if (sectionNode.HasValue && sectionNode.Value != node)
                        throw lines.Fail("rows of node " + sectionNode.Value + " only in this section");
                    var counts = new long[rest.Length];
                    for (int i = 0; i < rest.Length; i++)
                    {
                        if (!CFormat.TryUnsigned(rest[i], out counts[i]))
                            throw lines.Fail("an unsigned block count, not \"" + rest[i] + "\"");
                    }

                    lines.RequireSame(line, BlockRowText(node, zone, counts), "a block count row");
                    blockRows.Add(new PageTypeBlockRow(node, zone, counts));
                }
            }

            bool cap = sawCapped || (!sawLarge && defaultCap);
            return new PageTypeInfo(pageBlockOrder, pagesPerBlock, orderCount, types!, freeRows, blockRows, cap);
        }
    }
}
