using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>enum vmpressure_levels (mm/vmpressure.c, 4.14).</summary>
    public enum VmPressureLevel
    {
        Low = 0,
        Medium = 1,
        Critical = 2,
    }

    /// <summary>One vmpressure notification: the level a full window (or a critical priority) produced for a group.</summary>
    public sealed class VmPressureEvent
    {
        internal VmPressureEvent(int memcg, VmPressureLevel level, long scanned, long reclaimed, int pressure, long timeNs, bool fromPriority)
        {
            Memcg = memcg; Level = level; Scanned = scanned; Reclaimed = reclaimed; Pressure = pressure; TimeNs = timeNs; FromPriority = fromPriority;
        }

        /// <summary>The memcg id the event belongs to (0: root).</summary>
        public int Memcg { get; }
        public VmPressureLevel Level { get; }
        public long Scanned { get; }
        public long Reclaimed { get; }
        /// <summary>The pressure percentage vmpressure_calc_level computed (0-100).</summary>
        public int Pressure { get; }
        public long TimeNs { get; }
        /// <summary>True when vmpressure_prio raised it (priority at or below the critical priority).</summary>
        public bool FromPriority { get; }
        public override string ToString() => $"memcg {Memcg}: {Level} (pressure {Pressure}%, scanned {Scanned}, reclaimed {Reclaimed})";

        /// <summary>A present event: a marker byte, then the fields (a lone event may be absent, see <see cref="ReadBody"/>).</summary>
        internal void Write(SnapshotWriter w)
        {
            w.Bool(true);
            w.Int(Memcg); w.Int((int)Level); w.Long(Scanned); w.Long(Reclaimed); w.Int(Pressure); w.Long(TimeNs); w.Bool(FromPriority);
        }

        internal static VmPressureEvent Read(SnapshotReader r)
        {
            if (!r.Bool()) throw new SnapshotFormatException("vmpressure event missing");
            return ReadBody(r);
        }

        internal static VmPressureEvent ReadBody(SnapshotReader r) =>
            new VmPressureEvent(r.Int(), (VmPressureLevel)r.Int(0, (int)VmPressureLevel.Critical), r.Long(), r.Long(), r.Int(), r.Long(), r.Bool());
    }

    /// <summary>struct vmpressure's counters (the tree pair for the hierarchy, the plain pair for the group's own efficiency).</summary>
    internal struct VmPressureState
    {
        internal long Scanned, Reclaimed, TreeScanned, TreeReclaimed;
    }

    /// <summary>vmpressure (mm/vmpressure.c, 4.14): reclaim efficiency over a window of scanned pages mapped to levels.</summary>
    public static class VmPressure
    {
        /// <summary>vmpressure_win = SWAP_CLUSTER_MAX · 16.</summary>
        public const long Window = 512;
        public const int LevelMed = 60;
        public const int LevelCritical = 95;
        /// <summary>vmpressure_level_critical_prio = ilog2(100 / 10) = 3.</summary>
        public const int CriticalPrio = 3;
        private const int MaxEventsKept = 1024;

        /// <summary>kernel: vmpressure_calc_level (mm/vmpressure.c, 4.14): the pressure percentage, with its integer rounding.</summary>
        public static int CalcPressure(long scanned, long reclaimed)
        {
            long scale = scanned + reclaimed;
            long pressure = 0;
            if (reclaimed >= scanned) return 0;
            pressure = scale - (reclaimed * scale / scanned);
            pressure = pressure * 100 / scale;
            return (int)pressure;
        }

        /// <summary>kernel: vmpressure_level (mm/vmpressure.c, 4.14).</summary>
        public static VmPressureLevel LevelOf(int pressure) =>
            pressure >= LevelCritical ? VmPressureLevel.Critical : pressure >= LevelMed ? VmPressureLevel.Medium : VmPressureLevel.Low;

        public static VmPressureLevel CalcLevel(long scanned, long reclaimed) => LevelOf(CalcPressure(scanned, reclaimed));

        /// <summary>kernel: vmpressure (mm/vmpressure.c, 4.14). memcg −1 (NULL) stands for the root group.</summary>
        internal static void Record(MemNode node, GfpFlags gfp, int memcg, bool tree, long scanned, long reclaimed, ScanControl? sc)
        {
            const GfpFlags relevant = GfpFlags.__GFP_HIGHMEM | GfpFlags.__GFP_MOVABLE | GfpFlags.__GFP_IO | GfpFlags.__GFP_FS;
            if ((gfp & relevant) == 0) return;
            if (scanned == 0) return;
            var mcs = node.MemcgSt;
            int id = memcg < 0 ? 0 : memcg;
            ref var v = ref mcs.Vmpr[id];
            if (tree)
            {
                v.TreeScanned += scanned;
                v.TreeReclaimed += reclaimed;
                if (v.TreeScanned < Window) return;
                // vmpressure_work_fn: take the window's totals, reset, notify.
                long s = v.TreeScanned, r = v.TreeReclaimed;
                v.TreeScanned = 0; v.TreeReclaimed = 0;
                Raise(node, id, s, r, CalcPressure(s, r), false, sc);
            }
            else
            {
                if (id == 0) return; // no users for root-level efficiency
                v.Scanned += scanned;
                v.Reclaimed += reclaimed;
                if (v.Scanned < Window) return;
                v.Scanned = 0; v.Reclaimed = 0; // the level only drives socket pressure, not modelled
            }
        }

        /// <summary>kernel: vmpressure_prio (mm/vmpressure.c, 4.14): at priority ≤ 3 report a full window with nothing reclaimed.</summary>
        internal static void Prio(MemNode node, GfpFlags gfp, int memcg, int prio, ScanControl? sc)
        {
            if (prio > CriticalPrio) return;
            Record(node, gfp, memcg, true, Window, 0, sc);
        }

        private static void Raise(MemNode node, int memcg, long scanned, long reclaimed, int pressure, bool fromPrio, ScanControl? sc)
        {
            var mcs = node.MemcgSt;
            var e = new VmPressureEvent(memcg, LevelOf(pressure), scanned, reclaimed, pressure, node.Clock.NowNs, fromPrio);
            mcs.LastPressure = e;
            if (mcs.PressureEvents.Count >= MaxEventsKept) mcs.PressureEvents.RemoveAt(0);
            mcs.PressureEvents.Add(e);
            if (sc != null) sc.PressureEvents.Add(e);
        }

        /// <summary>The most recent vmpressure event of the node, or null.</summary>
        public static VmPressureEvent? Last(MemNode node) => node.MemcgSt.LastPressure;

        /// <summary>The node's recent vmpressure events, oldest first (at most 1024 kept).</summary>
        public static System.Collections.Generic.IReadOnlyList<VmPressureEvent> Events(MemNode node) => node.MemcgSt.PressureEvents.ToArray();
    }
}
