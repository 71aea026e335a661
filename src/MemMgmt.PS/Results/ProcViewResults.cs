using System.Collections.Generic;
using MemMgmt.Core.Node;

namespace MemMgmt.PS.Results
{
    /// <summary>One line of /proc/pagetypeinfo's free table joined with its "Number of blocks type" column.</summary>
    public sealed class PageTypeInfoRow
    {
        internal PageTypeInfoRow(MemNode node, string zone, string migrateType, IReadOnlyList<long> freeBlocks, long blocks, int pageShift)
        {
            Node = node;
            NodeId = node.NodeId;
            Zone = zone;
            MigrateType = migrateType;
            FreeBlocks = freeBlocks;
            Pageblocks = blocks;
            long pages = 0;
            for (int o = 0; o < freeBlocks.Count; o++) pages += freeBlocks[o] << o;
            FreePages = pages;
            FreeKb = pages << (pageShift - 10);
        }

        public MemNode Node { get; }
        public int NodeId { get; }
        public string Zone { get; }
        public string MigrateType { get; }
        /// <summary>Free blocks on this type's list, per order.</summary>
        public IReadOnlyList<long> FreeBlocks { get; }
        /// <summary>Pageblocks of this migrate type in the zone.</summary>
        public long Pageblocks { get; }
        public long FreePages { get; }
        public long FreeKb { get; }

        public override string ToString() => $"Node {NodeId}, zone {Zone,8}, type {MigrateType,12}: {string.Join(" ", FreeBlocks)}";
    }

    /// <summary>One line of /proc/buddyinfo.</summary>
    public sealed class BuddyInfoRow
    {
        internal BuddyInfoRow(MemNode node, string zone, IReadOnlyList<long> freeBlocks)
        {
            Node = node;
            NodeId = node.NodeId;
            Zone = zone;
            FreeBlocks = freeBlocks;
            long pages = 0;
            for (int o = 0; o < freeBlocks.Count; o++) pages += freeBlocks[o] << o;
            FreePages = pages;
        }

        public MemNode Node { get; }
        public int NodeId { get; }
        public string Zone { get; }
        /// <summary>free_area[order].nr_free: free blocks (not pages) per order.</summary>
        public IReadOnlyList<long> FreeBlocks { get; }
        public long FreePages { get; }

        public override string ToString() => $"Node {NodeId}, zone {Zone,8} {string.Join(" ", FreeBlocks)}";
    }

    /// <summary>One zone of /proc/zoneinfo.</summary>
    public sealed class ZoneInfoResult
    {
        internal ZoneInfoResult(MemNode node, Zone zone, IReadOnlyList<Core.Stats.ProcStatEntry> stats, IReadOnlyList<Core.Stats.ZonePageset> pagesets)
        {
            Node = node;
            NodeId = node.NodeId;
            Zone = zone.Name;
            Free = zone.FreePages;
            Boost = zone.WatermarkBoostPages;
            Min = zone.WatermarkMin;
            Low = zone.WatermarkLow;
            High = zone.WatermarkHigh;
            Spanned = zone.SpannedPages;
            Present = zone.PresentPages;
            Managed = zone.ManagedPages;
            Cma = zone.CmaPages;
            Protection = zone.LowmemReserve;
            StartPfn = zone.ZoneStartPfn;
            Populated = zone.IsPopulated;
            Stats = stats;
            Pagesets = pagesets;
            var reclaim = Core.Reclaim.ZoneReclaimState.Of(node, zone);
            Scanned = reclaim?.Scanned;
            AllUnreclaimable = reclaim?.AllUnreclaimable;
            InactiveRatio = reclaim?.InactiveRatio;
        }

        public MemNode Node { get; }
        public int NodeId { get; }
        public string Zone { get; }
        public long Free { get; }
        /// <summary>zone->watermark_boost (6.1; 0 on 4.14), already included in Min, Low and High.</summary>
        public long Boost { get; }
        public long Min { get; }
        public long Low { get; }
        public long High { get; }
        public long Spanned { get; }
        public long Present { get; }
        public long Managed { get; }
        public long Cma { get; }
        /// <summary>lowmem_reserve[] against each class zone.</summary>
        public long[] Protection { get; }
        public long StartPfn { get; }
        public bool Populated { get; }
        /// <summary>The zone's vmstat counters as zoneinfo prints them.</summary>
        public IReadOnlyList<Core.Stats.ProcStatEntry> Stats { get; }
        public IReadOnlyList<Core.Stats.ZonePageset> Pagesets { get; }
        /// <summary>4.4 zoneinfo's "scanned": NR_PAGES_SCANNED, pages scanned since a page was last freed to the zone.
        /// $null on 4.14 and 6.1 nodes, which reclaim per node and keep no such count per zone.</summary>
        public long? Scanned { get; }
        /// <summary>4.4 zoneinfo's "all_unreclaimable": !zone_reclaimable, scanned has reached six times the zone's
        /// reclaimable pages. $null on 4.14 and 6.1 nodes.</summary>
        public bool? AllUnreclaimable { get; }
        /// <summary>4.4 zoneinfo's "inactive_ratio": zone->inactive_ratio, int_sqrt(10·GiB managed), 1 below 1 GiB.
        /// $null on 4.14 and 6.1 nodes.</summary>
        public long? InactiveRatio { get; }

        public override string ToString() => $"Node {NodeId}, zone {Zone}: free {Free}, min {Min}, low {Low}, high {High}";
    }

    /// <summary>One "name value" line of /proc/vmstat or /proc/meminfo.</summary>
    public sealed class ProcCounter
    {
        internal ProcCounter(MemNode node, string name, long value, string? unit)
        {
            Node = node;
            Name = name;
            Value = value;
            Unit = unit;
        }

        public MemNode Node { get; }
        public string Name { get; }
        public long Value { get; }
        /// <summary>"kB" for meminfo's kB lines, else null.</summary>
        public string? Unit { get; }

        public override string ToString() => Unit == null ? $"{Name} {Value}" : $"{Name}: {Value} {Unit}";
    }

    /// <summary>One zone's line of extfrag_index or unusable_index, as fractions (the kernel prints thousandths as %d.%03d).</summary>
    public sealed class FragmentationIndexRow
    {
        internal FragmentationIndexRow(MemNode node, string zone, Core.Stats.FragmentationIndexKind kind, IReadOnlyList<int> thousandths)
        {
            Node = node;
            NodeId = node.NodeId;
            Zone = zone;
            Kind = kind;
            Thousandths = thousandths;
            var values = new double[thousandths.Count];
            for (int i = 0; i < values.Length; i++) values[i] = thousandths[i] / 1000.0;
            Values = values;
        }

        public MemNode Node { get; }
        public int NodeId { get; }
        public string Zone { get; }
        public Core.Stats.FragmentationIndexKind Kind { get; }
        /// <summary>Index per order in thousandths (−1000 means a suitable free block exists).</summary>
        public IReadOnlyList<int> Thousandths { get; }
        public IReadOnlyList<double> Values { get; }

        public override string ToString() =>
            $"Node {NodeId}, zone {Zone} {Kind}: {string.Join(" ", System.Linq.Enumerable.Select(Values, v => v.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)))}";
    }
}
