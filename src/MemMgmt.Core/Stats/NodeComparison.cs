using System.Collections.Generic;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Stats
{
    /// <summary>What part of the node a difference is in.</summary>
    public enum NodeDifferenceKind
    {
        /// <summary>A zone's min/low/high watermark or lowmem_reserve (protection) entry, in pages.</summary>
        Watermark,
        /// <summary>A zone's nr_free_pages or nr_free_cma, in pages.</summary>
        ZoneFree,
        /// <summary>The number of free blocks on one free list (zone, order, migrate type), as pagetypeinfo counts them.</summary>
        FreeArea,
        /// <summary>A pageblock whose migrate type differs.</summary>
        Pageblock,
        /// <summary>A /proc/vmstat counter or event.</summary>
        VmStat,
    }

    /// <summary>One difference between two nodes of the same layout: the reference value, the other node's value and,
    /// for numbers, the delta (difference minus reference).</summary>
    public sealed class NodeDifference
    {
        internal NodeDifference(MemNode reference, MemNode difference, NodeDifferenceKind kind, string? zone, string name,
            object referenceValue, object differenceValue, long? delta)
        {
            ReferenceNode = reference; Node = difference; Kind = kind; Zone = zone; Name = name;
            ReferenceValue = referenceValue; DifferenceValue = differenceValue; Delta = delta;
        }

        /// <summary>The node compared against (Compare-MemNode -Reference).</summary>
        public MemNode ReferenceNode { get; }
        /// <summary>The node whose changes are reported (Compare-MemNode -Difference), so a pipeline continues on it.</summary>
        public MemNode Node { get; }
        public NodeDifferenceKind Kind { get; }
        /// <summary>The zone name; null for vmstat counters (node-wide sums).</summary>
        public string? Zone { get; }
        /// <summary>What differs: a counter name ("pgmigrate_success", "nr_free_pages"), a watermark ("min",
        /// "protection[2]"), a free list ("Movable order 3") or a pageblock ("pfn 0x40200").</summary>
        public string Name { get; }
        /// <summary>The value in the reference node: a number, or a MigrateType for a pageblock.</summary>
        public object ReferenceValue { get; }
        /// <summary>The value in the other node: a number, or a MigrateType for a pageblock.</summary>
        public object DifferenceValue { get; }
        /// <summary>DifferenceValue − ReferenceValue for numbers; null for pageblock type changes.</summary>
        public long? Delta { get; }
        /// <summary>The free list's order (FreeArea differences only).</summary>
        public int? Order { get; internal set; }
        /// <summary>The free list's migrate type (FreeArea differences only).</summary>
        public MigrateType? MigrateType { get; internal set; }
        /// <summary>The first pfn of the pageblock (Pageblock differences only).</summary>
        public long? Pfn { get; internal set; }

        public override string ToString() => $"{Kind} {Zone} {Name}: {ReferenceValue} -> {DifferenceValue}";
    }

    /// <summary>Compares two nodes of the same layout (a node and its Copy-MemNode, or two nodes made alike) and lists
    /// every value that differs: zone by zone (watermarks, free pages, free lists, pageblock types), then vmstat.</summary>
    public static class NodeComparison
    {
        /// <summary>The differences, zones in node order; equal values are left out. Rejects nodes of different layouts
        /// (their pageblocks and zones do not line up) with NodeLayoutMismatch.</summary>
        public static List<NodeDifference> Compare(MemNode reference, MemNode difference)
        {
            CheckLayout(reference, difference);
            var list = new List<NodeDifference>();
            for (int z = 0; z < reference.Zones.Count; z++)
            {
                var rz = reference.Zones[z];
                var dz = difference.Zones[z];
                if (!rz.IsPopulated) continue;
                AddNumber(list, reference, difference, NodeDifferenceKind.Watermark, rz.Name, "min", rz.WatermarkMin, dz.WatermarkMin);
                AddNumber(list, reference, difference, NodeDifferenceKind.Watermark, rz.Name, "low", rz.WatermarkLow, dz.WatermarkLow);
                AddNumber(list, reference, difference, NodeDifferenceKind.Watermark, rz.Name, "high", rz.WatermarkHigh, dz.WatermarkHigh);
                var rr = rz.LowmemReserve;
                var dr = dz.LowmemReserve;
                for (int i = 0; i < rr.Length; i++)
                    AddNumber(list, reference, difference, NodeDifferenceKind.Watermark, rz.Name, "protection[" + i + "]", rr[i], dr[i]);
                AddNumber(list, reference, difference, NodeDifferenceKind.ZoneFree, rz.Name, "nr_free_pages", rz.FreePages, dz.FreePages);
                AddNumber(list, reference, difference, NodeDifferenceKind.ZoneFree, rz.Name, "nr_free_cma", rz.FreeCmaPages, dz.FreeCmaPages);
                foreach (var t in NodeViews.PrintedMigrateTypes(reference))
                    for (int o = 0; o < reference.Geometry.MaxOrder; o++)
                    {
                        var d = AddNumber(list, reference, difference, NodeDifferenceKind.FreeArea, rz.Name,
                            MigrateTypes.KernelName(t) + " order " + o, rz.CountFreeList(o, t), dz.CountFreeList(o, t));
                        if (d != null) { d.Order = o; d.MigrateType = t; }
                    }
                long blockPages = reference.Geometry.PageblockNrPages;
                for (long pfn = rz.ZoneStartPfn; pfn < rz.ZoneEndPfn; pfn += blockPages)
                {
                    var rt = reference.GetPageblockMigratetype(pfn);
                    var dt = difference.GetPageblockMigratetype(pfn);
                    if (rt == dt) continue;
                    list.Add(new NodeDifference(reference, difference, NodeDifferenceKind.Pageblock, rz.Name, "pfn 0x" + pfn.ToString("x"),
                        rt, dt, null) { Pfn = pfn });
                }
            }
            var rv = NodeViews.VmStat(reference);
            var dv = NodeViews.VmStat(difference);
            foreach (var e in rv.Entries)
                AddNumber(list, reference, difference, NodeDifferenceKind.VmStat, null, e.Name, e.Value, dv[e.Name] ?? 0);
            return list;
        }

        private static NodeDifference? AddNumber(List<NodeDifference> list, MemNode reference, MemNode difference,
            NodeDifferenceKind kind, string? zone, string name, long r, long d)
        {
            if (r == d) return null;
            var diff = new NodeDifference(reference, difference, kind, zone, name, r, d, d - r);
            list.Add(diff);
            return diff;
        }

        private static void CheckLayout(MemNode a, MemNode b)
        {
            bool same = a.NodeStartPfn == b.NodeStartPfn && a.SpannedPages == b.SpannedPages
                && a.Geometry.PageSize == b.Geometry.PageSize && a.Geometry.PageblockOrder == b.Geometry.PageblockOrder
                && a.Zones.Count == b.Zones.Count && NodeViews.FormatOf(a) == NodeViews.FormatOf(b);
            for (int z = 0; same && z < a.Zones.Count; z++)
                same = a.Zones[z].Type == b.Zones[z].Type && a.Zones[z].ZoneStartPfn == b.Zones[z].ZoneStartPfn
                    && a.Zones[z].SpannedPages == b.Zones[z].SpannedPages;
            if (!same)
                throw new MemMgmtException("NodeLayoutMismatch", ErrorKind.InvalidArgument,
                    $"Nodes '{a.Name}' ({Describe(a)}) and '{b.Name}' ({Describe(b)}) have different layouts; Compare-MemNode compares " +
                    "nodes of the same size, start pfn, page size and zones, such as a node and its Copy-MemNode.", b.Name);
        }

        private static string Describe(MemNode n)
        {
            var zones = new List<string>();
            foreach (var z in n.Zones) zones.Add(z.Name + " 0x" + z.ZoneStartPfn.ToString("x") + "+" + z.SpannedPages);
            return $"pfn 0x{n.NodeStartPfn:x}, {n.SpannedPages} pages of {n.Geometry.PageSize} bytes, zones {string.Join(", ", zones)}";
        }
    }
}
