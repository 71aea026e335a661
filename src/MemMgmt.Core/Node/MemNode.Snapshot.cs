using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Hugetlb;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Swap;
using MemMgmt.Core.Sysctl;
using MemMgmt.Core.Time;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Watermarks;
using MemMgmt.Core.Workloads;
using MemMgmt.Core.Writeback;

namespace MemMgmt.Core.Node
{
    /// <summary>Sections of a node snapshot payload, in the order they are written. Each state object writes and reads its
    /// own fields beside its Clone; this list and <see cref="MemNode.WriteSnapshot"/> fix the order.</summary>
    internal enum SnapshotSection
    {
        Config = 0x4e4f4301, Node, Pages, Pageblocks, Zones, Counters, Sysctl, Random, Clock, Allocations, Trace, Compaction,
        Lruvec, Kswapd, Writeback, Swap, Shrinkers, Processes, Memcgs, WorkingSets, ShadowRefault, Flusher, Hugetlb, End,
    }

    /// <summary>The fields of each state type the snapshot saves, and those it deliberately does not (with why), by
    /// field or property name. A unit test compares these with the types' real fields and fails when a state object
    /// gains a field, or the node gains a state object, that neither list names: add it to the type's Write/Read and here.</summary>
    internal static class SnapshotFields
    {
        /// <summary>Written, or rebuilt from what is written (back references to the node, the geometry from the config,
        /// the kernel profile found by its version).</summary>
        internal static readonly Dictionary<System.Type, string> Saved = new Dictionary<System.Type, string>
        {
            [typeof(MemNode)] = "Pages PageblockBits PageblockZone ZoneArr Zonelist PbOrder MaxOrderValue LruListBase SpareListBase Config Kernel " +
                "Geometry NodeId Name NrCpus NodeStartPfn SpannedPages Counters Sysctl Random Clock Allocations PageGroupByMobilityDisabled Trace " +
                "Compaction LruvecSt KswapdSt WritebackSt Swap ShrinkerList ProcessSt MemcgSt Hugetlb _workingSets _shadowRefault _flusher",
            [typeof(PageMap)] = "NrPages Links Flags Owner ExtraRefs Memcg Handle _nextSentinel",
            [typeof(PageLink)] = "Next Prev",
            [typeof(Zone)] = "NodeRef Pages PgAllocSlot FreeListBase NrFree Watermark LowmemReserveArr Pcp Idx NrFreePages NrFreeCma NrReservedHighatomic " +
                "NrIsolatePageblock Stat CompactCachedFreePfn CompactCachedMigratePfn CompactConsidered CompactDeferShift CompactOrderFailed " +
                "CompactBlockskipFlush CompactInitMigratePfn CompactInitFreePfn PagesScanned WatermarkBoost BoostedWatermarkFlag ReclaimActive AllocBatch FairDepleted Type NoFragmentMask ZoneStartPfn SpannedPages PresentPages ManagedPages CmaPages",
            [typeof(PerCpuPages)] = "CountField HighField BatchField FreeHighField FreeFactor ListBase",
            [typeof(NodeConfig)] = "Profile Name SizeBytes PageSize HugeTlb TransparentHugepage Cpus RamStartBytes CmaBytes ReservedPages ZoneLayout " +
                "Seed NodeId DisableMobilityGrouping Booted Kernel HostAvailableBytes",
            [typeof(KernelProfile)] = "Version Description ZoneTypes DefaultLowmemReserveRatio FreeScannerStride FastIsolateFreepages BootFreesToTail FreeListMovesToTail DeferredCompactionStalls CompactionCapture OnlyMergeableTypesMerge Ftrace " +
                "DeferredStructPageInit CmaPageblockAligned KfencePoolBytes ProactiveCompaction CompactFinishedAtPageblockEnd CompactZoneResetsScanCounts " +
                "KcompactdUsesSkipHints SampledSkipHintReset WithdrawnCompactionRaisesPriority FastFindMigrateblock MigrateSkipHintsPerBlock ZoneBasedReclaim KswapdBalancedOrder AllocRetryByReclaimProgress CompactionSuitablePartial CompactMemoryResetsSkipHints WatermarkBoost AllocNoFragment PcpHighOrder PcpBatchCapBytes PcpHighFromLowWatermark PcpFreeScaling Sysctls ProcText VmallocTotalBytes " +
                "GfpHighZoneIdx CostBasedScanBalance CacheTrimMode ProportionalReclaimStopsAtOnce HierarchicalAnonAging MemcgLowRetryOnlyWhenSkipped FullMemcgWalk WakeupKswapdWakesKcompactd AnonWorkingsetProtection PageWorkingsetRefaults WatermarksFromMinOnly FairZoneAllocation",
            [typeof(Geometry)] = "PageSize PageShift MaxOrder PageblockOrder HugeTlb TransparentHugepage",
            [typeof(VmCounters)] = "Events ZoneEvents _nrZones NodeStat ZoneNodeStat",
            [typeof(VmSysctl)] = "MinFreeKbytes UserMinFreeKbytes WatermarkScaleFactor LowmemReserveRatio ExtfragThreshold Swappiness " +
                "CompactUnevictableAllowed PercpuPagelistFraction VfsCachePressure DirtyRatio DirtyBackgroundRatio DirtyBytes DirtyBackgroundBytes " +
                "DirtyExpireCentisecs DirtyWritebackCentisecs CompactMemory DropCaches MaxHugePages CompactionProactiveness WatermarkBoostFactor PercpuPagelistHighFraction " +
                "OnWatermarksChanged OnLowmemReserveChanged OnPagesetsChanged",
            [typeof(SimRandom)] = "_s0 _s1 _s2 _s3",
            [typeof(VirtualClock)] = "NowNs",
            [typeof(AllocationTable)] = "_index _generation _freeHead _used LiveCount _trimmedGeneration _ranges _rangeCount",
            // The events (_ring, _symbols, _written) only with -IncludeTrace; without, the loaded buffer is empty.
            [typeof(MemTrace)] = "_ring _symbols _written Enabled CurrentTask",
            [typeof(TraceRecord)] = "TimeNs Id Cpu Task A B C D E F G H",
            [typeof(CompactionNodeState)] = "KcompactdMaxOrder KcompactdClasszoneIdx KcompactdWoken FilesystemHasMigratepage ProactiveWakeNs " +
                "ProactiveCompactTrigger ProactiveRuns ProactiveNoProgress",
            [typeof(LruvecState)] = "NrZones LruZoneSize LruSize RecentScanned RecentRotated AnonCost FileCost Refaults ZoneRecentScanned ZoneRecentRotated PerZone Pvecs LruAddPending",
            [typeof(CpuPagevecs)] = "Add AddN Rotate RotateN DeactivateFile DeactivateFileN Activate ActivateN",
            [typeof(KswapdNodeState)] = "KswapdOrder KswapdClasszoneIdx KswapdFailures LoopClasszoneIdx KState NapDeadlineNs NapWoken NapAllocOrder " +
                "NapReclaimOrder NapClasszoneIdx WokenAtNs CpuNs OnSecondCpu UnitStartNs SpentNs ReclaimActiveUntilNs ReclaimActiveClasszoneIdx LoopOrder NewOrder NewClasszoneIdx BalancedOrder " +
                "BalancedClasszoneIdx LoopContinues",
            [typeof(WritebackState)] = "WbIndex WbDoneNs WbPages WbHead WbCount PgdatDirty PgdatWriteback PgdatCongested",
            [typeof(SwapDevice)] = "TotalPages UsedPages SwapOuts",
            [typeof(Shrinker)] = "Name Seeks IsSuperBlock NrDeferred Objects Dentries Inodes DentryPages InodePages",
            [typeof(ProcessTable)] = "Processes LastPid Log",
            [typeof(SimProcess)] = "Node Pid Name OomScoreAdj Root MemcgId State Mapped Runs RunCount ReservedEnd RequestedPages FaultFailure SwapEntries ShmemSwapSlots",
            [typeof(KernelLog)] = "_ring _written _cleared",
            [typeof(MemcgState)] = "Memcgs MemcgIterPos Vmpr LastPressure PressureEvents",
            [typeof(MemCgroup)] = "Node Id Name ParentId Depth Serial Low Max Swappiness LowEvents HighEvents MaxEvents OomEvents OomKillEvents",
            [typeof(VmPressureState)] = "Scanned Reclaimed TreeScanned TreeReclaimed",
            [typeof(VmPressureEvent)] = "Memcg Level Scanned Reclaimed Pressure TimeNs FromPriority",
            [typeof(WorkingSet)] = "_ring _ringCount _cursor _cursorSlot _ringPacked _base _count _rng Node Id Name Pattern Owner TargetPages PagesPerRound AccessFraction IntervalNs Cpu NextRoundAtNs " +
                "Rounds Accesses Skipped Refaults RefaultsActivated PagesRead AllocationFailures Write PagesDirtied BalanceDirtyPagesPauses ThrottledNs " +
                "ThrottledRounds NrDirtied DirtyPausedWhenNs ThrottledUntilNs",
            [typeof(ShadowRefaultState)] = "InactiveAge Refaults MemcgRefault MemcgActivate Enabled BucketOrder RestoreFile SlotBucketOrder",
            [typeof(FlusherState)] = "Running TimerArmed TimerNs LastOldFlushNs Work NextSubmitNs DeviceFreeNs EpochNs EpochPages EpochHead EpochCount " +
                "EpochTotal Wakeups BackgroundStarts PagesBackground PagesPeriodic PagesVmscan BdiWritten LastBackgroundStartDirty",
            [typeof(HugetlbPool)] = "_free",
        };

        /// <summary>Not carried, and why.</summary>
        internal static readonly Dictionary<System.Type, string> NotSaved = new Dictionary<System.Type, string>
        {
            // The lock is the new node's own; Stop and InWorkloadRound are set only while an operation runs;
            // current->capture_control is set only while a direct compaction runs.
            [typeof(MemNode)] = "SyncRoot Stop InWorkloadRound CaptureControl",
            // current is set only inside a simulated page fault.
            [typeof(ProcessTable)] = "Current",
            // _stoppedHandles: set only when a working set stops, and a stopped set is no longer the node's. PackRingAtEnd:
            // false only in a test, on a node it never saves.
            [typeof(WorkingSet)] = "_stoppedHandles PackRingAtEnd",
            // Counted again from the slots when the table is read.
            [typeof(AllocationTable)] = "_rangeLive",
            // Set only while a daemon's unit of work beside the allocating task, or the task's own request, runs.
            [typeof(MemTrace)] = "BesideCpu TaskCpu",
            // The report of the last compact_memory write is a result object; nothing reads it back. kcompactd's run beside a
            // burst and the burst count exist only while an operation runs (its end finishes the run).
            [typeof(CompactionNodeState)] = "LastCompactMemory Beside BurstDepth",
        };
    }

    public sealed partial class MemNode
    {
        /// <summary>Writes every piece of state the copy constructor copies, in <see cref="SnapshotSection"/> order; the
        /// trace buffer's events only with <paramref name="includeTrace"/>.</summary>
        internal void WriteSnapshot(SnapshotWriter w, bool includeTrace)
        {
            w.Section(SnapshotSection.Config);
            WriteConfig(w, Config);
            w.Section(SnapshotSection.Node);
            w.Long(NodeStartPfn); w.Long(SpannedPages); w.Int(Pages.Links.Length - Pages.NrPages);
            w.Int(LruListBase); w.Int(SpareListBase); w.Bool(PageGroupByMobilityDisabled);
            w.Section(SnapshotSection.Pages);
            Pages.Write(w);
            w.Section(SnapshotSection.Pageblocks);
            w.Array(PageblockBits); w.Array(PageblockZone);
            w.Section(SnapshotSection.Zones);
            w.Int(ZoneArr.Length);
            foreach (var z in ZoneArr) z.Write(w);
            w.Int(Zonelist.Length);
            foreach (var z in Zonelist) w.Int(z.Idx);
            w.Section(SnapshotSection.Counters);
            Counters.Write(w);
            w.Section(SnapshotSection.Sysctl);
            Sysctl.Write(w);
            w.Section(SnapshotSection.Random);
            Random.Write(w);
            w.Section(SnapshotSection.Clock);
            Clock.Write(w);
            w.Section(SnapshotSection.Allocations);
            Allocations.Write(w);
            w.Section(SnapshotSection.Trace);
            Trace.Write(w, includeTrace);
            w.Section(SnapshotSection.Compaction);
            Compaction.Write(w);
            w.Section(SnapshotSection.Lruvec);
            LruvecSt.Write(w);
            w.Section(SnapshotSection.Kswapd);
            KswapdSt.Write(w);
            w.Section(SnapshotSection.Writeback);
            WritebackSt.Write(w);
            w.Section(SnapshotSection.Swap);
            Swap.Write(w);
            w.Section(SnapshotSection.Shrinkers);
            w.Int(ShrinkerList.Count);
            foreach (var s in ShrinkerList) s.Write(w);
            w.Section(SnapshotSection.Processes);
            ProcessSt.Write(w);
            w.Section(SnapshotSection.Memcgs);
            MemcgSt.Write(w);
            w.Section(SnapshotSection.WorkingSets);
            w.Int(_workingSets == null ? -1 : _workingSets.Count);
            if (_workingSets != null) foreach (var ws in _workingSets) ws.Save(w);
            w.Section(SnapshotSection.ShadowRefault);
            w.Bool(_shadowRefault != null);
            _shadowRefault?.Write(w);
            w.Section(SnapshotSection.Flusher);
            w.Bool(_flusher != null);
            _flusher?.Write(w);
            w.Section(SnapshotSection.Hugetlb);
            Hugetlb.Write(w);
            w.Section(SnapshotSection.End);
        }

        /// <summary>The node a snapshot holds, under the name in <paramref name="config"/> (read by <see cref="ReadConfig"/>).
        /// Mirrors the copy constructor: what it copies is read here, what it rebuilds (geometry, hooks) is rebuilt.</summary>
        internal MemNode(SnapshotReader r, NodeConfig config)
        {
            Config = config;
            var c = Config;
            Kernel = c.Kernel;
            Geometry = new Geometry(c.PageSize, c.HugeTlb, c.TransparentHugepage);
            PbOrder = Geometry.PageblockOrder;
            MaxOrderValue = Geometry.MaxOrder;
            NodeId = c.NodeId;
            Name = c.Name ?? $"node{c.NodeId}";
            NrCpus = c.Cpus;
            if (NrCpus < 1 || NrCpus > 255) throw new SnapshotFormatException($"{NrCpus} CPUs");
            r.Section(SnapshotSection.Node);
            NodeStartPfn = r.Long();
            SpannedPages = r.Long();
            int heads = r.Int(0, 1 << 24);
            // The list heads follow from the config (zones, CPUs, the profile's pcp lists): a snapshot laid out for other
            // heads would put lists where this node expects others.
            int expectedHeads = Kernel.NrZones * (Geometry.MaxOrder * MigrateTypes.Count + c.Cpus * BuddyAllocator.NrPcpLists(Kernel, Geometry))
                + MaxLruvecs * 5 + SpareListHeads;
            if (heads != expectedHeads) throw new SnapshotFormatException($"{heads} list heads where the profile has {expectedHeads}");
            if (SpannedPages <= 0 || SpannedPages > int.MaxValue - heads || (SpannedPages & ((1L << PbOrder) - 1)) != 0)
                throw new SnapshotFormatException($"{SpannedPages} pages spanned");
            LruListBase = r.Int((int)SpannedPages, (int)SpannedPages + heads - MaxLruvecs * 5);
            SpareListBase = r.Int((int)SpannedPages, (int)SpannedPages + heads - SpareListHeads);
            PageGroupByMobilityDisabled = r.Bool();
            NodeMemory.EnsureFits(c, SpannedPages, heads, PbOrder);

            r.Section(SnapshotSection.Pages);
            Pages = new PageMap(r, (int)SpannedPages, heads);
            r.Section(SnapshotSection.Pageblocks);
            PageblockBits = new byte[SpannedPages >> PbOrder];
            PageblockZone = new byte[SpannedPages >> PbOrder];
            r.ArrayInto(PageblockBits); r.ArrayInto(PageblockZone);

            r.Section(SnapshotSection.Zones);
            int nrZones = Kernel.NrZones;
            if (r.Int() != nrZones) throw new SnapshotFormatException("zone count differs from the kernel profile's");
            ZoneArr = new Zone[nrZones];
            for (int z = 0; z < nrZones; z++) ZoneArr[z] = new Zone(r, this, z, MaxOrderValue, nrZones, NrCpus);
            foreach (byte zi in PageblockZone) if (zi >= nrZones) throw new SnapshotFormatException($"pageblock in zone {zi}");
            var zl = new Zone[r.Int(0, nrZones)];
            for (int i = 0; i < zl.Length; i++) zl[i] = ZoneArr[r.Int(0, nrZones - 1)];
            Zonelist = zl;

            r.Section(SnapshotSection.Counters);
            Counters = VmCounters.Read(r, nrZones);
            r.Section(SnapshotSection.Sysctl);
            Sysctl = VmSysctl.Read(r, Kernel);
            WatermarkSetup.RegisterHooks(this);
            r.Section(SnapshotSection.Random);
            Random = SimRandom.Read(r);
            r.Section(SnapshotSection.Clock);
            Clock = VirtualClock.Read(r);
            r.Section(SnapshotSection.Allocations);
            Allocations = AllocationTable.Read(r);
            r.Section(SnapshotSection.Trace);
            Trace = MemTrace.Read(r);
            r.Section(SnapshotSection.Compaction);
            Compaction = CompactionNodeState.Read(r);
            r.Section(SnapshotSection.Lruvec);
            LruvecSt = LruvecState.Read(r, nrZones, NrCpus, Kernel.ZoneBasedReclaim);
            r.Section(SnapshotSection.Kswapd);
            KswapdSt = KswapdNodeState.Read(r);
            r.Section(SnapshotSection.Writeback);
            WritebackSt = WritebackState.Read(r);
            r.Section(SnapshotSection.Swap);
            Swap = SwapDevice.Read(r);
            r.Section(SnapshotSection.Shrinkers);
            int nShrinkers = r.Count(1 << 20);
            ShrinkerList = new List<Shrinker>(nShrinkers);
            for (int i = 0; i < nShrinkers; i++) ShrinkerList.Add(Shrinker.Read(r));
            r.Section(SnapshotSection.Processes);
            ProcessSt = ProcessTable.Read(r, this);
            r.Section(SnapshotSection.Memcgs);
            MemcgSt = MemcgState.Read(r, this);
            r.Section(SnapshotSection.WorkingSets);
            int nSets = r.Int(-1, 1 << 20);
            if (nSets >= 0)
            {
                _workingSets = new List<WorkingSet>(nSets);
                for (int i = 0; i < nSets; i++) _workingSets.Add(WorkingSet.Read(r, this));
            }
            r.Section(SnapshotSection.ShadowRefault);
            if (r.Bool()) _shadowRefault = ShadowRefaultState.Read(r);
            r.Section(SnapshotSection.Flusher);
            if (r.Bool()) _flusher = FlusherState.Read(r);
            r.Section(SnapshotSection.Hugetlb);
            Hugetlb = HugetlbPool.Read(r);
            r.Section(SnapshotSection.End);
        }

        private static void WriteConfig(SnapshotWriter w, NodeConfig c)
        {
            w.String(c.Profile); w.String(c.Name); w.Long(c.SizeBytes); w.Int(c.PageSize); w.Bool(c.HugeTlb); w.Bool(c.TransparentHugepage);
            w.Int(c.Cpus); w.Long(c.RamStartBytes); w.Long(c.CmaBytes); w.NullableLong(c.ReservedPages);
            w.Int(c.ZoneLayout == null ? -1 : c.ZoneLayout.Count);
            if (c.ZoneLayout != null) foreach (var kv in c.ZoneLayout) { w.Int((int)kv.Key); w.Long(kv.Value); }
            w.ULong(c.Seed); w.Int(c.NodeId); w.Bool(c.DisableMobilityGrouping); w.Bool(c.Booted); w.String(c.Kernel.Version); w.NullableLong(c.HostAvailableBytes);
        }

        /// <summary>The config section (read first: it fixes the geometry the rest is read into).</summary>
        internal static NodeConfig ReadConfig(SnapshotReader r)
        {
            r.Section(SnapshotSection.Config);
            var c = new NodeConfig
            {
                Profile = r.RequiredString(), Name = r.String(), SizeBytes = r.Long(), PageSize = r.Int(), HugeTlb = r.Bool(),
                TransparentHugepage = r.Bool(), Cpus = r.Int(), RamStartBytes = r.Long(), CmaBytes = r.Long(), ReservedPages = r.NullableLong(),
            };
            if (c.PageSize != 4096 && c.PageSize != 16384 && c.PageSize != 65536) throw new SnapshotFormatException($"page size {c.PageSize}");
            int zones = r.Int(-1, 8);
            if (zones >= 0)
            {
                var layout = new List<KeyValuePair<ZoneType, long>>(zones);
                for (int i = 0; i < zones; i++) layout.Add(new KeyValuePair<ZoneType, long>((ZoneType)r.Int(0, (int)ZoneType.Movable), r.Long()));
                c.ZoneLayout = layout;
            }
            c.Seed = r.ULong(); c.NodeId = r.Int(); c.DisableMobilityGrouping = r.Bool(); c.Booted = r.Bool();
            string version = r.RequiredString();
            try { c.Kernel = KernelProfile.Find(version); }
            catch (MemMgmtException) { throw new SnapshotFormatException($"kernel profile '{version}' is not simulated"); }
            c.HostAvailableBytes = r.NullableLong();
            return c;
        }
    }
}
