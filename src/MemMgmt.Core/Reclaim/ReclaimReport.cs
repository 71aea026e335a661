using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Reclaim
{
    public enum ReclaimKind
    {
        /// <summary>try_to_free_pages from an allocating task.</summary>
        Direct,
        /// <summary>balance_pgdat in kswapd.</summary>
        Kswapd,
        /// <summary>try_to_free_mem_cgroup_pages for memory.max.</summary>
        MemcgLimit,
    }

    /// <summary>What one reclaim call did: pages scanned and reclaimed per list, the priority reached, vmpressure.</summary>
    public sealed class ReclaimReport
    {
        internal ReclaimReport(MemNode node, ReclaimKind kind) { Node = node; Kind = kind; }

        public MemNode Node { get; }
        public ReclaimKind Kind { get; }
        public int Order { get; internal set; }
        public GfpFlags Gfp { get; internal set; }
        /// <summary>The value try_to_free_pages returned (1 when it stopped because compaction is ready).</summary>
        public long NrReclaimed { get; internal set; }
        /// <summary>Pages freed from the LRU lists plus slab pages freed by shrinkers.</summary>
        public long PagesFreed { get; internal set; }
        /// <summary>Pages looked at on the inactive lists (pgscan).</summary>
        public long NrScanned { get; internal set; }
        public long ScannedInactiveAnon { get; internal set; }
        public long ScannedActiveAnon { get; internal set; }
        public long ScannedInactiveFile { get; internal set; }
        public long ScannedActiveFile { get; internal set; }
        public long ReclaimedAnon { get; internal set; }
        public long ReclaimedFile { get; internal set; }
        public long Activated { get; internal set; }
        public long Deactivated { get; internal set; }
        public long SlabObjectsFreed { get; internal set; }
        public long SlabPagesFreed { get; internal set; }
        /// <summary>The lowest scan priority reached (12 = DEF_PRIORITY, 0 = most aggressive).</summary>
        public int PriorityReached { get; internal set; }
        public bool CompactionReady { get; internal set; }
        public bool Throttled { get; internal set; }
        /// <summary>vmpressure_calc_level over this call's scanned/reclaimed pages.</summary>
        public VmPressureLevel PressureLevel { get; internal set; }
        public int Pressure { get; internal set; }
        public IReadOnlyList<VmPressureEvent> PressureEvents => _events;
        public IReadOnlyList<string> Steps => _steps;
        /// <summary>The kswapd run the direct reclaimer waited for when it was throttled, if any.</summary>
        public KswapdReport? KswapdRun { get; internal set; }

        private readonly List<VmPressureEvent> _events = new List<VmPressureEvent>();
        private readonly List<string> _steps = new List<string>();

        internal void AddStep(string s) => _steps.Add(s);

        internal void Fill(ScanControl sc, long returned)
        {
            NrReclaimed = returned;
            PagesFreed = sc.TotalReclaimed + sc.SlabPagesFreed;
            NrScanned = sc.TotalScanned;
            ScannedInactiveAnon = sc.ListScanned[0];
            ScannedActiveAnon = sc.ListScanned[1];
            ScannedInactiveFile = sc.ListScanned[2];
            ScannedActiveFile = sc.ListScanned[3];
            ReclaimedAnon = sc.ListReclaimed[0];
            ReclaimedFile = sc.ListReclaimed[2];
            Activated = sc.Activated;
            Deactivated = sc.Deactivated;
            SlabObjectsFreed = sc.SlabObjectsFreed;
            SlabPagesFreed = sc.SlabPagesFreed;
            PriorityReached = sc.LowestPriority;
            CompactionReady = sc.CompactionReady;
            Pressure = sc.TotalScanned == 0 ? 0 : VmPressure.CalcPressure(sc.TotalScanned, sc.TotalReclaimed);
            PressureLevel = VmPressure.LevelOf(Pressure);
            _events.AddRange(sc.PressureEvents);
            _steps.AddRange(sc.Steps);
        }

        public override string ToString() =>
            $"{Kind} reclaim on {Node.Name}: reclaimed {NrReclaimed} (scanned {NrScanned}), priority {PriorityReached}, pressure {PressureLevel}";
    }
}
