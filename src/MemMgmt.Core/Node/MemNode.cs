using System;
using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Hugetlb;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Sysctl;
using MemMgmt.Core.Swap;
using MemMgmt.Core.Time;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Watermarks;
using MemMgmt.Core.Workloads;
using MemMgmt.Core.Writeback;

namespace MemMgmt.Core.Node
{
    /// <summary>One pg_data_t: its zones, page state, counters, sysctls, clock and random generator.</summary>
    public sealed partial class MemNode
    {
        /// <summary>LRU list heads reserved per node for lruvecs (one per memcg, 5 lists each).</summary>
        internal const int MaxLruvecs = 64;
        /// <summary>Spare list heads for transient lists (compaction's migratepages/freepages, isolation).</summary>
        internal const int SpareListHeads = 64;

        internal readonly PageMap Pages;
        /// <summary>Per pageblock: bits 0-2 migratetype, bit 3 the compaction skip hint.</summary>
        internal readonly byte[] PageblockBits;
        /// <summary>Per pageblock: index of the zone that holds it.</summary>
        internal readonly byte[] PageblockZone;
        internal readonly Zone[] ZoneArr;
        /// <summary>Populated zones, highest first: the node's zonelist.</summary>
        internal readonly Zone[] Zonelist;
        internal readonly int PbOrder;
        internal readonly int MaxOrderValue;
        internal readonly int LruListBase;
        internal readonly int SpareListBase;

        public MemNode(NodeConfig config) : this(config, null) { }

        /// <summary>A node on a captured layout: the plan lays out its memory instead of boot freeing all of it.</summary>
        internal MemNode(NodeConfig config, CapturePlan? plan)
        {
            Config = config.Clone();
            var c = Config;
            Kernel = c.Kernel;
            Geometry = new Geometry(c.PageSize, c.HugeTlb, c.TransparentHugepage);
            PbOrder = Geometry.PageblockOrder;
            MaxOrderValue = Geometry.MaxOrder;
            NodeId = c.NodeId;
            Name = c.Name ?? $"node{c.NodeId}";
            NrCpus = c.Cpus;
            var layout = plan?.Layout ?? NodeLayout.Compute(c, Geometry);
            NodeStartPfn = layout.StartPfn;
            SpannedPages = layout.TotalPages;

            int nrZones = Kernel.NrZones;
            int freeLists = MaxOrderValue * MigrateTypes.Count;
            int pcpLists = BuddyAllocator.NrPcpLists(Kernel, Geometry);
            int heads = nrZones * (freeLists + c.Cpus * pcpLists) + MaxLruvecs * 5 + SpareListHeads;
            NodeMemory.EnsureFits(c, SpannedPages, heads, PbOrder);
            Pages = new PageMap(checked((int)SpannedPages), heads);
            PageblockBits = new byte[SpannedPages >> PbOrder];
            PageblockZone = new byte[SpannedPages >> PbOrder];
            Counters = new VmCounters(nrZones);
            Sysctl = new VmSysctl(Kernel);
            Random = new SimRandom(c.Seed);
            Clock = new VirtualClock();
            Allocations = new AllocationTable();
            PageGroupByMobilityDisabled = c.DisableMobilityGrouping;

            ZoneArr = new Zone[nrZones];
            for (int z = 0; z < nrZones; z++)
            {
                var spec = layout.Zones[z];
                int freeBase = Pages.AllocateHeads(freeLists);
                var pcp = new PerCpuPages[c.Cpus];
                for (int cpu = 0; cpu < c.Cpus; cpu++) pcp[cpu] = new PerCpuPages(Pages.AllocateHeads(pcpLists));
                long present = spec.Present >= 0 ? spec.Present : spec.Pages;
                long managed = spec.Managed >= 0 ? spec.Managed : spec.Pages - spec.Reserved;
                ZoneArr[z] = new Zone(this, Kernel.ZoneTypes[z], spec.StartPfn, spec.Pages, present,
                    managed, freeBase, MaxOrderValue, pcp, nrZones, z);
                long firstBlock = (spec.StartPfn - NodeStartPfn) >> PbOrder;
                for (long b = 0; b < spec.Pages >> PbOrder; b++) PageblockZone[firstBlock + b] = (byte)z;
            }
            LruListBase = Pages.AllocateHeads(MaxLruvecs * 5);
            SpareListBase = Pages.AllocateHeads(SpareListHeads);
            var zl = new List<Zone>();
            for (int z = nrZones - 1; z >= 0; z--) if (ZoneArr[z].IsPopulated) zl.Add(ZoneArr[z]);
            Zonelist = zl.ToArray();

            if (plan == null) BuddyAllocator.BootFreeAll(this, layout);
            WatermarkSetup.Init(this);
            Trace = new MemTrace(1 << 16);
            Compaction = new CompactionNodeState(CompactionEngine.NrZones(this) - 1);
            foreach (var z in ZoneArr) if (z.IsPopulated) CompactionEngine.ResetCachedPositions(z);
            LruvecSt = new LruvecState(nrZones, c.Cpus, Kernel.ZoneBasedReclaim);
            KswapdSt = new KswapdNodeState(nrZones);
            WritebackSt = new WritebackState();
            Swap = new SwapDevice(0);
            ShrinkerList = new List<Shrinker> { Shrinker.NewSuperBlock() };
            ProcessSt = new ProcessTable();
            MemcgSt = new MemcgState();
            Hugetlb = new HugetlbPool();
            // Last: the captured pages are allocated through the LRU and counters, which must exist by then.
            plan?.Populate(this);
            if (c.Booted) KernelBoot.Run(this, layout);
        }

        private MemNode(MemNode o, string name)
        {
            Config = o.Config.Clone();
            Config.Name = name;
            Kernel = o.Kernel;
            Geometry = o.Geometry;
            PbOrder = o.PbOrder;
            MaxOrderValue = o.MaxOrderValue;
            NodeId = o.NodeId;
            Name = name;
            NrCpus = o.NrCpus;
            NodeStartPfn = o.NodeStartPfn;
            SpannedPages = o.SpannedPages;
            Pages = o.Pages.Clone();
            PageblockBits = (byte[])o.PageblockBits.Clone();
            PageblockZone = (byte[])o.PageblockZone.Clone();
            Counters = o.Counters.Clone();
            Sysctl = o.Sysctl.Clone();
            Random = o.Random.Clone();
            Clock = o.Clock.Clone();
            Allocations = o.Allocations.Clone();
            PageGroupByMobilityDisabled = o.PageGroupByMobilityDisabled;
            LruListBase = o.LruListBase;
            SpareListBase = o.SpareListBase;
            ZoneArr = Array.ConvertAll(o.ZoneArr, z => z.Clone(this));
            var zl = new List<Zone>();
            foreach (var z in o.Zonelist) zl.Add(ZoneArr[z.Idx]);
            Zonelist = zl.ToArray();
            WatermarkSetup.RegisterHooks(this);
            Trace = o.Trace.Clone();
            Compaction = o.Compaction.Clone();
            LruvecSt = o.LruvecSt.Clone();
            KswapdSt = o.KswapdSt.Clone();
            WritebackSt = o.WritebackSt.Clone();
            Swap = o.Swap.Clone();
            ShrinkerList = o.ShrinkerList.ConvertAll(s => s.Clone());
            ProcessSt = o.ProcessSt.Clone(this);
            MemcgSt = o.MemcgSt.Clone(this);
            if (o._workingSets != null) _workingSets = o._workingSets.ConvertAll(w => w.Clone(this));
            _shadowRefault = o._shadowRefault?.Clone();
            _flusher = o._flusher?.Clone();
            Hugetlb = o.Hugetlb.Clone();
        }

        /// <summary>
        /// The node's lock. Core itself is single-threaded; a node shared between runspaces or threads (a $using:
        /// variable in ForEach-Object -Parallel, a thread job) stays consistent because every operation on it runs
        /// under this lock, held for the whole operation (an allocation, a compaction run, the rendering of a /proc
        /// file), so another thread never sees a half-done change. A copy gets a lock of its own.
        /// </summary>
        public object SyncRoot { get; } = new object();

        /// <summary>An independent deep copy for what-if runs (Copy-MemNode).</summary>
        public MemNode Clone(string? name = null)
        {
            NodeMemory.EnsureFits(Config, SpannedPages, Pages.Links.Length - Pages.NrPages, PbOrder);
            return new MemNode(this, name ?? Name + "-copy");
        }

        public NodeConfig Config { get; }
        public KernelProfile Kernel { get; }
        public Geometry Geometry { get; }
        public int NodeId { get; }
        public string Name { get; }
        public int NrCpus { get; }
        public long NodeStartPfn { get; }
        public long SpannedPages { get; }
        public long NodeEndPfn => NodeStartPfn + SpannedPages;
        public VmCounters Counters { get; }
        public VmSysctl Sysctl { get; }
        public SimRandom Random { get; }
        public VirtualClock Clock { get; }
        public AllocationTable Allocations { get; }
        /// <summary>page_group_by_mobility_disabled: every fallback may steal, every block is claimed.</summary>
        public bool PageGroupByMobilityDisabled { get; }

        /// <summary>The node's tracepoint buffer (Get-MemTrace).</summary>
        public MemTrace Trace { get; }
        /// <summary>kcompactd's pg_data_t fields and the compaction settings of this node.</summary>
        public CompactionNodeState Compaction { get; }
        /// <summary>The lruvecs (one per memcg) and the per-cpu pagevecs that feed them.</summary>
        internal readonly LruvecState LruvecSt;
        /// <summary>pg_data_t's kswapd fields and the kswapd task's state.</summary>
        internal readonly KswapdNodeState KswapdSt;
        /// <summary>Writes in flight on the backing device and the pgdat writeback flags.</summary>
        internal readonly WritebackState WritebackSt;
        /// <summary>The node's swap device (total_swap_pages / nr_swap_pages).</summary>
        public SwapDevice Swap { get; }
        /// <summary>The registered shrinkers (shrinker_list); the superblock shrinker is first.</summary>
        internal readonly List<Shrinker> ShrinkerList;
        /// <summary>The simulated tasks, the current task and the kernel log.</summary>
        internal readonly ProcessTable ProcessSt;
        /// <summary>Memory cgroups, the reclaim iterators and vmpressure.</summary>
        internal readonly MemcgState MemcgSt;
        /// <summary>The persistent huge page pool (vm.nr_hugepages).</summary>
        public HugetlbPool Hugetlb { get; }
        /// <summary>Set while a cancellable operation runs: fatal_signal_pending for the simulated task (Ctrl+C).</summary>
        internal Func<bool>? Stop;

        // Made on first use (most nodes never run a workload, read a file twice or dirty a page).
        private List<WorkingSet>? _workingSets;
        private ShadowRefaultState? _shadowRefault;
        private FlusherState? _flusher;

        /// <summary>The access workloads running on this node (Add-WorkingSet), in the order they were added.</summary>
        internal List<WorkingSet> WorkingSetList => _workingSets ??= new List<WorkingSet>();
        internal bool HasWorkingSets => _workingSets != null && _workingSets.Count > 0;
        /// <summary>Set while a workload round runs, so time passing inside it (its faults, the reclaim they cause) does
        /// not start another round on top of it.</summary>
        internal bool InWorkloadRound;

        /// <summary>current->capture_control of the allocating task (6.1): set by compact_zone_order while its direct
        /// compaction runs, so frees the task makes can hand it a block of the requested order.</summary>
        internal CaptureControl? CaptureControl;
        /// <summary>Refault detection state (mm/workingset.c): per-lruvec inactive_age and refaults snapshot, and which
        /// page-cache slot of which modelled file each allocation fills.</summary>
        internal ShadowRefaultState ShadowRefaultSt => _shadowRefault ??= new ShadowRefaultState(this);
        /// <summary>The refault state if anything created it yet (readers that only compare counters need not create it).</summary>
        internal ShadowRefaultState? ShadowRefaultStOrNull => _shadowRefault;
        /// <summary>The node's "writeback" kworker (its bdi_writeback).</summary>
        internal FlusherState FlusherSt => _flusher ??= new FlusherState();

        /// <summary>kswapd_failures: reclaim runs in a row that freed nothing (hopeless at MAX_RECLAIM_RETRIES).</summary>
        public int KswapdFailures => KswapdSt.KswapdFailures;

        /// <summary>Swap device size and free slots in pages (0 without swap): the node's SwapDevice.</summary>
        public long SwapTotalPages => Swap.TotalPages;
        public long SwapFreePages => Swap.FreePages;
        /// <summary>Pages in the swap cache (total_swapcache_pages): pages with PG_swapcache, counted when asked.</summary>
        public long SwapCachePages
        {
            get
            {
                // A view may read this while another runspace works on the node: count under the node's lock.
                lock (SyncRoot) return CountSwapCache();
            }
        }

        private long CountSwapCache()
        {
            long n = 0;
            var flags = Pages.Flags;
            for (int i = 0; i < flags.Length; i++)
                if ((flags[i] & (uint)PageFlags.SwapCache) != 0) n += 1L << Pages.OrderOf(i);
            return n;
        }

        /// <summary>All zones of pg_data_t in index order, populated or not.</summary>
        public IReadOnlyList<Zone> Zones => ZoneArr;
        public IReadOnlyList<Zone> PopulatedZones => Zonelist;
        public long PresentPages { get { long s = 0; foreach (var z in ZoneArr) s += z.PresentPages; return s; } }
        public long ManagedPages { get { long s = 0; foreach (var z in ZoneArr) s += z.ManagedPages; return s; } }
        public long FreePages { get { long s = 0; foreach (var z in ZoneArr) s += z.NrFreePages; return s; } }
        public long PageblockCount => PageblockBits.Length;

        public Zone GetZone(ZoneType type)
        {
            int i = Kernel.ZoneIndex(type);
            if (i < 0)
                throw new MemMgmtException("ZoneNotPresent", ErrorKind.ObjectNotFound,
                    $"Zone {type} does not exist in a {Kernel.Version} arm64 node; zones: {string.Join(", ", Kernel.ZoneTypes)}.", type);
            return ZoneArr[i];
        }

        /// <summary>The zone a user names (case-insensitive), checked against this node's profile.</summary>
        public ZoneType ParseZone(string name)
        {
            foreach (var t in Kernel.ZoneTypes)
                if (string.Equals(t.ToString(), name?.Trim(), StringComparison.OrdinalIgnoreCase)) return t;
            throw new MemMgmtException("ZoneNotPresent", ErrorKind.ObjectNotFound,
                $"Zone '{name}' does not exist in a {Kernel.Version} arm64 node; zones: {string.Join(", ", Kernel.ZoneTypes)}.", name);
        }

        public int ZoneIndexOf(Zone zone) => zone.Idx;

        internal void ReseedRandom(ulong seed) => Random.Reseed(seed);

        internal Zone ZoneOfIndex(int pageIndex) => ZoneArr[PageblockZone[pageIndex >> PbOrder]];

        internal int ZoneIdOfIndex(int pageIndex) => PageblockZone[pageIndex >> PbOrder];

        /// <summary>get_pageblock_migratetype for a page index.</summary>
        internal int BlockMigratetype(int pageIndex) => PageblockBits[pageIndex >> PbOrder] & 7;

        internal void SetBlockMigratetype(int pageIndex, int mt)
        {
            int b = pageIndex >> PbOrder;
            PageblockBits[b] = (byte)((PageblockBits[b] & ~7) | mt);
        }

        public MigrateType GetPageblockMigratetype(long pfn) => (MigrateType)BlockMigratetype(ToIndex(pfn));

        public bool GetPageblockSkip(long pfn) => (PageblockBits[ToIndex(pfn) >> PbOrder] & 8) != 0;

        internal bool BlockSkip(int pageIndex) => (PageblockBits[pageIndex >> PbOrder] & 8) != 0;

        internal void SetBlockSkip(int pageIndex, bool skip)
        {
            int b = pageIndex >> PbOrder;
            PageblockBits[b] = (byte)(skip ? PageblockBits[b] | 8 : PageblockBits[b] & ~8);
        }

        /// <summary>Page index of a pfn; the caller has checked the range.</summary>
        internal int ToIndex(long pfn) => (int)(pfn - NodeStartPfn);

        public bool ContainsPfn(long pfn) => pfn >= NodeStartPfn && pfn < NodeEndPfn;

        public PageFlags GetPageFlags(long pfn) => Pages.GetFlags(ToIndex(pfn));

        public PageOwner GetPageOwner(long pfn) => Pages.GetOwner(ToIndex(pfn));

        /// <summary>Order of a free block or allocated head at pfn.</summary>
        public int GetPageOrder(long pfn) => Pages.OrderOf(ToIndex(pfn));

        public override string ToString() => $"{Name}: node {NodeId}, {SpannedPages << Geometry.PageShift >> 20} MiB, {Geometry}";
    }
}
