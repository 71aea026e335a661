using System.Collections.Generic;
using MemMgmt.Core.Allocation;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>struct scan_control (mm/vmscan.c, 4.14), plus the per-list tallies a report shows.</summary>
    public sealed class ScanControl
    {
        /// <summary>nr_to_reclaim: how many pages shrink_list should reclaim.</summary>
        public long NrToReclaim { get; set; } = Vmscan.SwapClusterMax;
        /// <summary>A stop request, checked between two priority passes (each shrink_zones pass ends whole).</summary>
        public System.Threading.CancellationToken Cancel { get; set; }
        /// <summary>Gets (pages reclaimed, nr_to_reclaim) after each priority pass.</summary>
        public System.Action<long, long>? Progress { get; set; }
        public GfpFlags GfpMask { get; set; } = GfpFlags.GFP_KERNEL;
        public int Order { get; set; }
        /// <summary>Scan priority: lists are scanned size &gt;&gt; priority at a time; DEF_PRIORITY 12.</summary>
        public int Priority { get; set; } = Vmscan.DefPriority;
        /// <summary>reclaim_idx: the highest zone whose pages may be reclaimed.</summary>
        public int ReclaimIdx { get; set; }
        /// <summary>target_mem_cgroup: −1 for global reclaim (NULL), else the memcg id of limit reclaim.</summary>
        public int TargetMemcg { get; set; } = -1;
        public bool MayWritepage { get; set; } = true;
        public bool MayUnmap { get; set; } = true;
        public bool MaySwap { get; set; } = true;
        /// <summary>4.14 may_thrash: reclaim groups under memory.low too.</summary>
        public bool MayThrash { get; set; }
        public bool CompactionReady { get; internal set; }
        public long NrScanned { get; internal set; }
        public long NrReclaimed { get; internal set; }

        internal bool IsKswapd;
        /// <summary>The zone whose lruvecs are being shrunk under the zone-based reclaim (4.4 shrink_zone); −1: the node's.</summary>
        internal int ZoneIdx = -1;
        internal int Cpu;
        /// <summary>current->reclaim_state is set (kswapd, direct reclaim): freed slab pages count as reclaimed.</summary>
        internal bool HasReclaimState;
        internal long ReclaimedSlab;

        internal bool GlobalReclaim => TargetMemcg < 0;

        // 6.1's prepare_scan_count state (KernelProfile.CacheTrimMode, CostBasedScanBalance).
        internal const int DeactivateAnon = 1, DeactivateFile = 2;
        /// <summary>sc->anon_cost, sc->file_cost: the target lruvec's costs when shrink_node began.</summary>
        internal long AnonCost, FileCost;
        /// <summary>sc->may_deactivate: DEACTIVATE_ANON | DEACTIVATE_FILE.</summary>
        internal int MayDeactivate;
        internal bool ForceDeactivate, SkippedDeactivate, CacheTrimMode, FileIsTiny;
        /// <summary>sc->memcg_low_skipped: a group under memory.low was passed over (6.1's retry condition).</summary>
        internal bool MemcgLowSkipped;

        // Report tallies.
        internal readonly long[] ListScanned = new long[Lru.NrLruLists];
        internal readonly long[] ListTaken = new long[Lru.NrLruLists];
        internal readonly long[] ListReclaimed = new long[Lru.NrLruLists];
        internal long TotalScanned, TotalReclaimed, Activated, Deactivated, Rotated, SlabObjectsFreed, SlabPagesFreed;
        internal int LowestPriority = Vmscan.DefPriority;
        internal readonly List<VmPressureEvent> PressureEvents = new List<VmPressureEvent>();
        internal readonly List<string> Steps = new List<string>();
        internal readonly long[] NrZoneTaken = new long[8];
        internal readonly long[] NrSkipped = new long[8];
    }
}
