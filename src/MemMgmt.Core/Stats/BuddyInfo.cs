using System;
using System.Collections.Generic;
using System.Linq;

namespace MemMgmt.Core.Stats
{
    /// <summary>One populated zone's free block counts per order (/proc/buddyinfo row).</summary>
    public sealed class BuddyInfoRow
    {
        /// <summary>Creates a row.</summary>
        public BuddyInfoRow(int nodeId, string zoneName, IEnumerable<long> freeBlocksPerOrder)
        {
            if (nodeId < 0) throw new ArgumentOutOfRangeException(nameof(nodeId));
            NodeId = nodeId;
            ZoneName = ZoneNames.Check(zoneName, nameof(zoneName));
            FreeBlocks = ReadOnly.Counts(freeBlocksPerOrder, nameof(freeBlocksPerOrder));
            if (FreeBlocks.Count == 0) throw new ArgumentException("At least one order is needed.", nameof(freeBlocksPerOrder));
        }

        /// <summary>pg_data_t node_id.</summary>
        public int NodeId { get; }

        /// <summary>Zone name as the kernel prints it ("DMA", "DMA32", "Normal", "Movable").</summary>
        public string ZoneName { get; }

        /// <summary>free_area[order].nr_free: free blocks (not pages) of each order.</summary>
        public IReadOnlyList<long> FreeBlocks { get; }
    }

    /// <summary>/proc/buddyinfo: one row per populated zone of every node.</summary>
    public sealed class BuddyInfo
    {
        /// <summary>Creates the model.</summary>
        public BuddyInfo(IEnumerable<BuddyInfoRow> rows)
        {
            Rows = ReadOnly.Copy(rows, nameof(rows));
        }

        /// <summary>Rows in the kernel's order (node, then zone index).</summary>
        public IReadOnlyList<BuddyInfoRow> Rows { get; }

        /// <summary>
        /// buddyinfo as the same free lists give it: nr_free[order] is the sum over every migrate type's list.
        /// Exact only when <paramref name="pageTypeInfo"/> holds true counts (a 6.x capture showing "&gt;100000" does not).
        /// </summary>
        public static BuddyInfo FromPageTypeInfo(PageTypeInfo pageTypeInfo)
        {
            if (pageTypeInfo is null) throw new ArgumentNullException(nameof(pageTypeInfo));
            var keys = new List<(int Node, string Zone)>();
            var index = new Dictionary<(int, string), long[]>();
            foreach (PageTypeFreeRow r in pageTypeInfo.FreeRows)
            {
                if (!index.TryGetValue((r.NodeId, r.ZoneName), out long[]? sums))
                {
                    sums = new long[pageTypeInfo.OrderCount];
                    index.Add((r.NodeId, r.ZoneName), sums);
                    keys.Add((r.NodeId, r.ZoneName));
                }

                for (int o = 0; o < sums.Length; o++)
                    sums[o] += r.FreeBlocks[o];
            }

            return new BuddyInfo(keys.Select(k => new BuddyInfoRow(k.Node, k.Zone, index[k])));
        }

        /// <summary>Renders the exact bytes of /proc/buddyinfo.</summary>
        /// kernel: frag_show_print (mm/vmstat.c, 4.14)
        public string ToKernelText()
        {
            var sb = ReadOnly.NewBuilder();
            foreach (BuddyInfoRow row in Rows)
                sb.Append(RenderRow(row.NodeId, row.ZoneName, row.FreeBlocks)).Append('\n');
            return sb.ToString();
        }

        internal static string RenderRow(int nodeId, string zone, IReadOnlyList<long> counts)
        {
            var sb = new System.Text.StringBuilder();
            sb.Append(ZoneNames.NodeZonePrefix(nodeId, zone));
            foreach (long c in counts)
                sb.Append(CFormat.Right(c, 6)).Append(' ');
            return sb.ToString();
        }

        /// <summary>Parses /proc/buddyinfo text; throws <see cref="ProcTextFormatException"/> on anything the kernel would not print.</summary>
        public static BuddyInfo Parse(string text)
        {
            var lines = new ProcLines(text, "buddyinfo", allowEmpty: false);
            var rows = new List<BuddyInfoRow>();
            int orders = -1;
            while (!lines.AtEnd)
            {
                string line = lines.Next("a zone row");
                ZoneNames.ParseNodeZoneRow(lines, line, "buddyinfo row \"Node <n>, zone <name> <count per order>\"", out int node, out string zone, out string[] rest);
                var counts = new List<long>(rest.Length);
                foreach (string t in rest)
                {
                    if (!CFormat.TryUnsigned(t, out long v))
                        throw lines.Fail("an unsigned free block count, not \"" + t + "\"");
                    counts.Add(v);
                }

                if (counts.Count == 0)
                    throw lines.Fail("at least one free block count after the zone name");
                if (orders >= 0 && counts.Count != orders)
                    throw lines.Fail(orders + " free block counts like the rows above, not " + counts.Count);
                orders = counts.Count;
                lines.RequireSame(line, RenderRow(node, zone, counts), "a buddyinfo row");
                rows.Add(new BuddyInfoRow(node, zone, counts));
            }

            return new BuddyInfo(rows);
        }
    }

    internal static class ZoneNames
    {
        internal static string Check(string? zoneName, string paramName)
        {
            if (zoneName is null) throw new ArgumentNullException(paramName);
            if (zoneName.Length == 0 || zoneName.IndexOfAny(new[] { ' ', ',', '\n', '\t' }) >= 0)
                throw new ArgumentException("A zone name is one non-empty word.", paramName);
            return zoneName;
        }

        /// <summary>"Node %d, zone %8s " as frag_show_print, extfrag and blockcount rows print it.</summary>
        internal static string NodeZonePrefix(int nodeId, string zone) =>
            "Node " + CFormat.U(nodeId) + ", zone " + CFormat.Right(zone, 8) + " ";

        /// <summary>Splits "Node N, zone NAME v v v" into its parts (layout checked later by re-rendering).</summary>
        internal static void ParseNodeZoneRow(ProcLines lines, string line, string expected, out int node, out string zone, out string[] rest)
        {
            string[] t = ProcLines.Tokens(line);
            if (t.Length < 4 || t[0] != "Node" || !t[1].EndsWith(",", StringComparison.Ordinal) || t[2] != "zone")
                throw lines.Fail(expected);
            if (!int.TryParse(t[1].Substring(0, t[1].Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out node))
                throw lines.Fail("a node number after \"Node \"");
            zone = t[3];
            rest = new string[t.Length - 4];
            Array.Copy(t, 4, rest, 0, rest.Length);
        }
    }
}
