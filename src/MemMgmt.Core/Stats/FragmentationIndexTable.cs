using System;
using System.Collections.Generic;

namespace MemMgmt.Core.Stats
{
    /// <summary>Which debugfs extfrag file a <see cref="FragmentationIndexTable"/> holds.</summary>
    public enum FragmentationIndexKind
    {
        /// <summary>/sys/kernel/debug/extfrag/extfrag_index (__fragmentation_index).</summary>
        ExternalFragmentation = 0,

        /// <summary>/sys/kernel/debug/extfrag/unusable_index (unusable_free_index).</summary>
        UnusableFreeSpace = 1,
    }

    /// <summary>One zone's index per order, in thousandths.</summary>
    public sealed class FragmentationIndexRow
    {
        /// <summary>Creates a row.</summary>
        public FragmentationIndexRow(int nodeId, string zoneName, IEnumerable<int> thousandthsPerOrder)
        {
            if (nodeId < 0) throw new ArgumentOutOfRangeException(nameof(nodeId));
            NodeId = nodeId;
            ZoneName = ZoneNames.Check(zoneName, nameof(zoneName));
            Values = ReadOnly.Copy(thousandthsPerOrder, nameof(thousandthsPerOrder));
            if (Values.Count == 0) throw new ArgumentException("At least one order is needed.", nameof(thousandthsPerOrder));
        }

        /// <summary>pg_data_t node_id.</summary>
        public int NodeId { get; }

        /// <summary>Zone name as printed.</summary>
        public string ZoneName { get; }

        /// <summary>Index per order in thousandths (-1000 .. 1000).</summary>
        public IReadOnlyList<int> Values { get; }
    }

    /// <summary>extfrag_index or unusable_index: one row per populated zone.</summary>
    public sealed class FragmentationIndexTable
    {
        /// <summary>Creates the model.</summary>
        public FragmentationIndexTable(FragmentationIndexKind kind, IEnumerable<FragmentationIndexRow> rows)
        {
            Kind = kind;
            Rows = ReadOnly.Copy(rows, nameof(rows));
        }

        /// <summary>Which file this is.</summary>
        public FragmentationIndexKind Kind { get; }

        /// <summary>Rows in the kernel's order.</summary>
        public IReadOnlyList<FragmentationIndexRow> Rows { get; }

        /// <summary>Computes the file from buddyinfo rows as the kernel does from free_area[].nr_free.</summary>
        /// kernel: extfrag_show_print / unusable_show_print (mm/vmstat.c, 4.14)
        public static FragmentationIndexTable FromBuddyInfo(BuddyInfo buddyInfo, FragmentationIndexKind kind)
        {
            if (buddyInfo is null) throw new ArgumentNullException(nameof(buddyInfo));
            var rows = new List<FragmentationIndexRow>();
            foreach (BuddyInfoRow b in buddyInfo.Rows)
            {
                var values = new int[b.FreeBlocks.Count];
                for (int order = 0; order < values.Length; order++)
                {
                    ContigPageInfo info = Fragmentation.FillContigPageInfo(b.FreeBlocks, order);
                    values[order] = kind == FragmentationIndexKind.ExternalFragmentation
                        ? Fragmentation.FragmentationIndex(order, info)
                        : Fragmentation.UnusableFreeIndex(order, info);
                }

                rows.Add(new FragmentationIndexRow(b.NodeId, b.ZoneName, values));
            }

            return new FragmentationIndexTable(kind, rows);
        }

        /// <summary>Renders the exact bytes of the debugfs file.</summary>
        /// kernel: extfrag_show_print (mm/vmstat.c, 4.14)
        public string ToKernelText()
        {
            var sb = ReadOnly.NewBuilder();
            foreach (FragmentationIndexRow row in Rows)
                sb.Append(RenderRow(row.NodeId, row.ZoneName, row.Values)).Append('\n');
            return sb.ToString();
        }

        private static string RenderRow(int node, string zone, IReadOnlyList<int> values)
        {
            var sb = new System.Text.StringBuilder(ZoneNames.NodeZonePrefix(node, zone));
            foreach (int v in values)
                sb.Append(CFormat.Thousandths(v)).Append(' ');
            return sb.ToString();
        }

        /// <summary>Parses extfrag_index or unusable_index text.</summary>
        public static FragmentationIndexTable Parse(string text, FragmentationIndexKind kind)
        {
            string fileKind = kind == FragmentationIndexKind.ExternalFragmentation ? "extfrag_index" : "unusable_index";
            var lines = new ProcLines(text, fileKind, allowEmpty: false);
            var rows = new List<FragmentationIndexRow>();
            int orders = -1;
            while (!lines.AtEnd)
            {
                string line = lines.Next("a zone row");
                ZoneNames.ParseNodeZoneRow(lines, line, fileKind + " row \"Node <n>, zone <name> <d.ddd per order>\"", out int node, out string zone, out string[] rest);
                var values = new List<int>(rest.Length);
                foreach (string t in rest)
                {
                    if (!CFormat.TryThousandths(t, out int v))
                        throw lines.Fail("an index printed as %d.%03d, not \"" + t + "\"");
                    values.Add(v);
                }

                if (values.Count == 0)
                    throw lines.Fail("at least one index after the zone name");
                if (orders >= 0 && values.Count != orders)
                    throw lines.Fail(orders + " indices like the rows above, not " + values.Count);
                orders = values.Count;
                lines.RequireSame(line, RenderRow(node, zone, values), "an " + fileKind + " row");
                rows.Add(new FragmentationIndexRow(node, zone, values));
            }

            return new FragmentationIndexTable(kind, rows);
        }
    }
}
