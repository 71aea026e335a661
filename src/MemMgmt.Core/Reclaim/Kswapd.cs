using System;
using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Watermarks;
using MemMgmt.Core.Writeback;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>What kswapd did during one Invoke-Kswapd or one stretch of virtual time.</summary>
    public sealed class KswapdReport
    {
        internal KswapdReport(MemNode node) { Node = node; }

        public MemNode Node { get; }
        /// <summary>balance_pgdat runs (pageoutrun).</summary>
        public int Runs { get; internal set; }
        public int AllocOrder { get; internal set; }
        /// <summary>The order balance_pgdat finished at (0 after a high-order run reclaimed compact_gap pages).</summary>
        public int ReclaimOrder { get; internal set; }
        public int ClasszoneIdx { get; internal set; }
        public long NrReclaimed { get; internal set; }
        public long NrScanned { get; internal set; }
        public int PriorityReached { get; internal set; } = Vmscan.DefPriority;
        public long SlabPagesFreed { get; internal set; }
        public bool Balanced { get; internal set; }
        public int KswapdFailures { get; internal set; }
        public bool Hopeless => KswapdFailures >= MmConstants.MaxReclaimRetries;
        public KswapdState State { get; internal set; }
        /// <summary>wakeup_kcompactd calls made from kswapd_try_to_sleep (order, classzone_idx).</summary>
        public IReadOnlyList<(int Order, int ClasszoneIdx)> KcompactdWakeups => _kcompactd;
        public long LowWmarkHitQuickly { get; internal set; }
        public long HighWmarkHitQuickly { get; internal set; }
        public long FreePagesBefore { get; internal set; }
        public long FreePagesAfter { get; internal set; }
        public IReadOnlyList<string> Steps => _steps;

        internal readonly List<(int, int)> _kcompactd = new List<(int, int)>();
        internal readonly List<string> _steps = new List<string>();

        /// <summary>Folds in what kswapd did in a later slice of the same Step: sums, the lowest priority, the last state.</summary>
        internal void Merge(KswapdReport later)
        {
            if (later.Runs > 0)
            {
                AllocOrder = later.AllocOrder;
                ReclaimOrder = later.ReclaimOrder;
                ClasszoneIdx = later.ClasszoneIdx;
                if (Runs == 0 || later.PriorityReached < PriorityReached) PriorityReached = later.PriorityReached;
            }
            Runs += later.Runs;
            NrReclaimed += later.NrReclaimed;
            NrScanned += later.NrScanned;
            SlabPagesFreed += later.SlabPagesFreed;
            LowWmarkHitQuickly += later.LowWmarkHitQuickly;
            HighWmarkHitQuickly += later.HighWmarkHitQuickly;
            _kcompactd.AddRange(later._kcompactd);
            _steps.AddRange(later._steps);
            Balanced = later.Balanced;
            KswapdFailures = later.KswapdFailures;
            State = later.State;
            FreePagesAfter = later.FreePagesAfter;
        }

        public override string ToString() =>
            $"kswapd on {Node.Name}: {Runs} run(s), reclaimed {NrReclaimed}, priority {PriorityReached}, {(Balanced ? "balanced" : "not balanced")}, {State}";
    }

    /// <summary>kswapd (mm/vmscan.c, 4.14) as a state machine in virtual time: wakeup_kswapd, balance_pgdat,
    /// kswapd_try_to_sleep with its HZ/10 nap, kswapd_failures and the hopeless node. It runs when time is stepped
    /// (<see cref="Advance"/>), on demand (<see cref="Run"/>), and on the second CPU alongside a burst of allocations
    /// (<see cref="RunAlongside"/>).</summary>
    public static class Kswapd
    {
        /// <summary>The short nap of kswapd_try_to_sleep: HZ/10.</summary>
        public const long NapNs = 100_000_000;
        private const int MaxIterationsPerCall = 4096;

        public static KswapdState GetState(MemNode node) => node.KswapdSt.KState;
        public static int GetFailures(MemNode node) => node.KswapdSt.KswapdFailures;
        /// <summary>pgdat->kswapd_order.</summary>
        public static int GetOrder(MemNode node) => node.KswapdSt.KswapdOrder;
        /// <summary>pgdat->kswapd_classzone_idx, or −1 for MAX_NR_ZONES (not woken).</summary>
        public static int GetClasszoneIdx(MemNode node) => node.KswapdSt.KswapdClasszoneIdx;

        /// <summary>wakeup_kswapd's update: raise kswapd_classzone_idx, or set it when it is MAX_NR_ZONES.</summary>
        private static int ClasszoneOf(KswapdNodeState ks, int classzoneIdx) =>
            ks.KswapdClasszoneIdx < 0 ? classzoneIdx : Math.Max(ks.KswapdClasszoneIdx, classzoneIdx);

        /// <summary>kernel: kswapd_classzone_idx (mm/vmscan.c, 4.14 stable): the woken-for classzone, or the previous
        /// cycle's when nobody woke kswapd (MAX_NR_ZONES).</summary>
        private static int StoredOrPrevious(KswapdNodeState ks, int previous) =>
            ks.KswapdClasszoneIdx < 0 ? previous : ks.KswapdClasszoneIdx;

        /// <summary>kernel: pgdat_balanced (mm/vmscan.c, 4.14): some managed zone up to classzone_idx meets its high
        /// watermark at this order (a node with no such zone is balanced by definition).</summary>
        public static bool PgdatBalanced(MemNode node, int order, int classzoneIdx)
        {
            if (node.Kernel.KswapdBalancedOrder) return Kswapd44.PgdatBalanced(node, order, classzoneIdx);
            bool any = false;
            for (int i = 0; i <= classzoneIdx && i < node.ZoneArr.Length; i++)
            {
                var zone = node.ZoneArr[i];
                if (zone.ManagedPages == 0) continue;
                any = true;
                if (ZoneWatermark.Ok(zone, order, zone.WmarkPages((int)WatermarkLevel.High), classzoneIdx, 0, zone.NrFreePages)) return true;
            }
            return !any;
        }

        /// <summary>kernel: pgdat_watermark_boosted (mm/vmscan.c, 6.1): some managed zone up to classzone_idx, looked at from
        /// the top, has a watermark boost (never true on kernels without boosting).</summary>
        public static bool PgdatWatermarkBoosted(MemNode node, int classzoneIdx)
        {
            for (int i = Math.Min(classzoneIdx, node.ZoneArr.Length - 1); i >= 0; i--)
            {
                var zone = node.ZoneArr[i];
                if (zone.ManagedPages == 0) continue;
                if (zone.WatermarkBoost != 0) return true;
            }
            return false;
        }

        /// <summary>kernel: wakeup_kswapd (mm/vmscan.c, 4.14) for the node's highest populated zone up to classzone_idx;
        /// <paramref name="gfp"/> is the waking allocation's mask (6.1's tracepoint prints it; none for a manual wakeup).</summary>
        public static void Wakeup(MemNode node, int order, int classzoneIdx, GfpFlags gfp = 0)
        {
            if (order < 0 || order >= node.Geometry.MaxOrder)
                throw new MemMgmtException("OrderOutOfRange", ErrorKind.OutOfRange, $"Order {order} is out of range; allowed 0 to {node.Geometry.MaxOrder - 1}.", order);
            if (classzoneIdx < 0 || classzoneIdx >= node.ZoneArr.Length)
                throw new MemMgmtException("ZoneIndexOutOfRange", ErrorKind.OutOfRange, $"Classzone index {classzoneIdx} is out of range; the node has zones 0 to {node.ZoneArr.Length - 1}.", classzoneIdx);
            if (node.Kernel.KswapdBalancedOrder) { Kswapd44.WakeAll(node, order, classzoneIdx); return; }
            Zone? zone = null;
            for (int i = classzoneIdx; i >= 0; i--) if (node.ZoneArr[i].ManagedPages > 0) { zone = node.ZoneArr[i]; break; }
            if (zone == null) return;
            WakeupZone(node, zone, order, classzoneIdx, gfp);
        }

        /// <summary>kernel: wakeup_kswapd (mm/vmscan.c, 4.14; 6.1): record the order and classzone; wake a sleeping kswapd
        /// unless the node is hopeless or already balanced (6.1: and no zone's watermarks are boosted; then a request that
        /// may not direct-reclaim wakes kcompactd instead, <see cref="KernelProfile.WakeupKswapdWakesKcompactd"/>).</summary>
        public static void WakeupZone(MemNode node, Zone zone, int order, int classzoneIdx, GfpFlags gfp = 0)
        {
            if (node.Kernel.KswapdBalancedOrder) { Kswapd44.WakeupZone(node, zone, order, classzoneIdx); return; }
            if (zone.ManagedPages == 0) return;
            var ks = node.KswapdSt;
            ks.KswapdClasszoneIdx = ClasszoneOf(ks, classzoneIdx);
            ks.KswapdOrder = Math.Max(ks.KswapdOrder, order);
            if (ks.KState == KswapdState.Runnable) return; // not on the wait queue
            if (ks.KswapdFailures >= MmConstants.MaxReclaimRetries
                || (PgdatBalanced(node, order, classzoneIdx) && !PgdatWatermarkBoosted(node, classzoneIdx)))
            {
                // A manual wakeup (Invoke-Kswapd) has no allocation mask and wakes no kcompactd.
                if (node.Kernel.WakeupKswapdWakesKcompactd && gfp != 0 && (gfp & GfpFlags.__GFP_DIRECT_RECLAIM) == 0)
                    Compaction.CompactionEngine.WakeupKcompactd(node, order, classzoneIdx);
                return;
            }
            node.Trace.Record(node, TraceEventId.mm_vmscan_wakeup_kswapd, zone.Idx, order, (long)gfp);
            if (ks.KState == KswapdState.Napping) ks.NapWoken = true;
            else ks.KState = KswapdState.Runnable;
            ks.WokenAtNs = node.Clock.NowNs;
        }

        /// <summary>kernel: prepare_kswapd_sleep (mm/vmscan.c, 4.14).</summary>
        private static bool PrepareKswapdSleep(MemNode node, int order, int classzoneIdx)
        {
            if (node.KswapdSt.KswapdFailures >= MmConstants.MaxReclaimRetries) return true;
            if (PgdatBalanced(node, order, classzoneIdx))
            {
                node.WritebackSt.PgdatCongested = node.WritebackSt.PgdatDirty = node.WritebackSt.PgdatWriteback = false;
                return true;
            }
            return false;
        }

        /// <summary>kernel: age_active_anon (mm/vmscan.c, 4.14); kswapd_age_node (mm/vmscan.c, 6.1) with
        /// <see cref="KernelProfile.HierarchicalAnonAging"/>.</summary>
        private static void AgeActiveAnon(MemNode node, ScanControl sc)
        {
            var swap = node.Swap;
            if (swap.TotalPages == 0) return;
            bool byRoot = node.Kernel.HierarchicalAnonAging;
            // 6.1 (kswapd_age_node): one inactive_is_low on the root lruvec's hierarchical counts decides for every group.
            if (byRoot && !Vmscan.InactiveIsLow(node, 0, (int)LruList.InactiveAnon)) return;
            // mem_cgroup_iter(NULL, NULL, NULL): the whole hierarchy in pre-order, no reclaim cookie.
            for (int memcg = Memcg.MemCgroups.NextDescendantPre(node, -1, 0); memcg >= 0; memcg = Memcg.MemCgroups.NextDescendantPre(node, memcg, 0))
            {
                if (byRoot || Vmscan.InactiveListIsLow(node, memcg, false, sc, true))
                    Vmscan.ShrinkActiveList(node, Vmscan.SwapClusterMax, memcg, sc, (int)LruList.ActiveAnon);
            }
        }

        /// <summary>kernel: kswapd_shrink_node (mm/vmscan.c, 4.14): target Σ max(high, SWAP_CLUSTER_MAX) over eligible
        /// zones; drop to order 0 once compact_gap(order) pages were reclaimed.</summary>
        private static bool KswapdShrinkNode(MemNode node, ScanControl sc)
        {
            sc.NrToReclaim = 0;
            for (int z = 0; z <= sc.ReclaimIdx && z < node.ZoneArr.Length; z++)
            {
                var zone = node.ZoneArr[z];
                if (zone.ManagedPages == 0) continue;
                sc.NrToReclaim += Math.Max(zone.WmarkPages((int)WatermarkLevel.High), Vmscan.SwapClusterMax);
            }
            Vmscan.ShrinkNode(node, sc);
            if (sc.Order != 0 && sc.NrReclaimed >= MmConstants.CompactGap(sc.Order)) sc.Order = 0;
            return sc.NrScanned >= sc.NrToReclaim;
        }

        /// <summary>kernel: balance_pgdat (mm/vmscan.c, 4.14; 6.1): reclaim from priority 12 until a zone up to classzone_idx
        /// is balanced; a run that reclaims nothing counts a kswapd failure. With boosted watermarks (6.1) it first reclaims
        /// the boost from a balanced node without writeback or swap, not below priority DEF_PRIORITY−2 and stopping at the
        /// first pass that frees nothing; an unbalanced node drops the boost target and reclaims normally. A boosted run
        /// then takes the boosts it started with off the zones and wakes kcompactd at pageblock_order. Returns the order
        /// it finished at.</summary>
        internal static int BalancePgdat(MemNode node, int order, int classzoneIdx, KswapdReport rep, int cpu = 0)
        {
            var ks = node.KswapdSt;
            var sc = new ScanControl
            {
                GfpMask = GfpFlags.GFP_KERNEL, Order = order, Priority = Vmscan.DefPriority, MayWritepage = true, MayUnmap = true,
                MaySwap = true, IsKswapd = true, HasReclaimState = true, Cpu = cpu,
            };
            node.Counters.Count(VmEvent.PageOutRun);
            rep.Runs++;
            // The zone boosts stay in place while kswapd works, so allocations near the watermarks still stall.
            long nrBoostReclaim = 0;
            long[]? zoneBoosts = null;
            for (int i = 0; i <= classzoneIdx && i < node.ZoneArr.Length; i++)
            {
                var zone = node.ZoneArr[i];
                if (zone.ManagedPages == 0 || zone.WatermarkBoost == 0) continue;
                zoneBoosts ??= new long[node.ZoneArr.Length];
                nrBoostReclaim += zone.WatermarkBoost;
                zoneBoosts[i] = zone.WatermarkBoost;
            }
            bool boosted = nrBoostReclaim != 0;
            if (boosted) rep._steps.Add($"balance_pgdat boosted: nr_boost_reclaim {nrBoostReclaim}");
            bool balanced = false;
        restart:
            SetReclaimActive(node, classzoneIdx, true);
            sc.Priority = Vmscan.DefPriority;
            do
            {
                long nrReclaimed = sc.NrReclaimed;
                bool raisePriority = true;
                sc.ReclaimIdx = classzoneIdx;
                bool isBalanced = PgdatBalanced(node, sc.Order, classzoneIdx);
                if (!isBalanced && nrBoostReclaim != 0)
                {
                    nrBoostReclaim = 0;
                    rep._steps.Add("balance_pgdat: node not balanced, boost reclaim dropped, restart");
                    goto restart;
                }
                if (nrBoostReclaim == 0 && isBalanced) { balanced = true; break; }
                if (nrBoostReclaim != 0 && sc.Priority == Vmscan.DefPriority - 2) raisePriority = false;
                sc.MayWritepage = nrBoostReclaim == 0;
                sc.MaySwap = nrBoostReclaim == 0;
                AgeActiveAnon(node, sc);
                if (sc.Priority < Vmscan.DefPriority - 2) sc.MayWritepage = true;
                sc.NrScanned = 0;
                int passOrder = sc.Order;
                if (KswapdShrinkNode(node, sc)) raisePriority = false;
                rep.PriorityReached = Math.Min(rep.PriorityReached, sc.Priority);
                rep._steps.Add($"balance_pgdat priority {sc.Priority}: order {passOrder}, scanned {sc.NrScanned}, reclaimed {sc.NrReclaimed - nrReclaimed} (target {sc.NrToReclaim})");
                nrReclaimed = sc.NrReclaimed - nrReclaimed;
                nrBoostReclaim -= Math.Min(nrBoostReclaim, nrReclaimed);
                // A boosted pass that frees nothing ends the run: without IO it could loop for ever.
                if (nrBoostReclaim != 0 && nrReclaimed == 0) break;
                if (raisePriority || nrReclaimed == 0) sc.Priority--;
            } while (sc.Priority >= 1);
            if (!balanced && sc.NrReclaimed == 0)
            {
                ks.KswapdFailures++;
                rep._steps.Add($"balance_pgdat reclaimed nothing: kswapd_failures {ks.KswapdFailures}{(ks.KswapdFailures >= MmConstants.MaxReclaimRetries ? " (hopeless)" : "")}");
            }
            EndReclaimActive(node, classzoneIdx);
            if (boosted)
            {
                for (int i = 0; i <= classzoneIdx && i < node.ZoneArr.Length; i++)
                {
                    if (zoneBoosts![i] == 0) continue;
                    var zone = node.ZoneArr[i];
                    zone.SetWatermarkBoost(zone.WatermarkBoost - Math.Min(zone.WatermarkBoost, zoneBoosts[i]));
                }
                CompactionEngine.WakeupKcompactd(node, node.PbOrder, classzoneIdx);
                rep._kcompactd.Add((node.PbOrder, classzoneIdx));
                rep._steps.Add($"balance_pgdat boost cleared, wakeup_kcompactd order {node.PbOrder} classzone {classzoneIdx}");
            }
            Vmscan.SnapshotRefaults(node, -1); // balance_pgdat's out: label
            rep.NrReclaimed += sc.NrReclaimed;
            rep.NrScanned += sc.TotalScanned;
            rep.SlabPagesFreed += sc.SlabPagesFreed;
            return sc.Order;
        }

        /// <summary>balance_pgdat's clear_reclaim_active. Beside the allocating task, kswapd's run landed at once but ends
        /// at <see cref="KswapdNodeState.SpentNs"/> on its own CPU: while that is ahead of the task's time the zones stay
        /// active for the task's frees, until <see cref="ExpireReclaimActive"/> sees the task's time pass it.</summary>
        private static void EndReclaimActive(MemNode node, int classzoneIdx)
        {
            var ks = node.KswapdSt;
            long end = ks.UnitStartNs + ks.SpentNs;
            if (ks.OnSecondCpu && end > node.Clock.NowNs)
            {
                // An earlier run's window may still cover higher zones: keep them until this one ends too.
                if (ks.ReclaimActiveUntilNs != 0) classzoneIdx = Math.Max(classzoneIdx, ks.ReclaimActiveClasszoneIdx);
                ks.ReclaimActiveUntilNs = end;
                ks.ReclaimActiveClasszoneIdx = classzoneIdx;
                return;
            }
            if (ks.ReclaimActiveUntilNs != 0) classzoneIdx = Math.Max(classzoneIdx, ks.ReclaimActiveClasszoneIdx);
            ks.ReclaimActiveUntilNs = 0;
            SetReclaimActive(node, classzoneIdx, false);
        }

        /// <summary>Clears the zones kswapd's last run beside the task left ZONE_RECLAIM_ACTIVE once the task's time has
        /// passed that run's end.</summary>
        internal static void ExpireReclaimActive(MemNode node)
        {
            var ks = node.KswapdSt;
            if (ks.ReclaimActiveUntilNs == 0 || node.Clock.NowNs < ks.ReclaimActiveUntilNs) return;
            ks.ReclaimActiveUntilNs = 0;
            SetReclaimActive(node, ks.ReclaimActiveClasszoneIdx, false);
        }

        /// <summary>kernel: update_reclaim_active (mm/vmscan.c, 6.1): ZONE_RECLAIM_ACTIVE on the managed zones up to
        /// classzone_idx while balance_pgdat runs; on 6.1 the pcp free path flushes at min(4·batch, high) under it.</summary>
        private static void SetReclaimActive(MemNode node, int classzoneIdx, bool active)
        {
            for (int i = 0; i <= classzoneIdx && i < node.ZoneArr.Length; i++)
            {
                var zone = node.ZoneArr[i];
                if (zone.ManagedPages == 0) continue;
                zone.ReclaimActive = active;
                foreach (var pcp in zone.Pcp) pcp.UpdateFreeHigh(active, node.Kernel.PcpFreeScaling);
            }
        }

        /// <summary>First half of kernel: kswapd_try_to_sleep (mm/vmscan.c, 4.14): if the node may sleep, reset the
        /// compaction skip hints, wake kcompactd for alloc_order and start the HZ/10 nap; otherwise kswapd loops.</summary>
        private static void TryToSleep(MemNode node, int allocOrder, int reclaimOrder, int classzoneIdx, KswapdReport rep)
        {
            if (PrepareKswapdSleep(node, reclaimOrder, classzoneIdx))
            {
                CompactionEngine.ResetIsolationSuitable(node);
                CompactionEngine.WakeupKcompactd(node, allocOrder, classzoneIdx);
                rep._kcompactd.Add((allocOrder, classzoneIdx));
                node.KswapdSt.KState = KswapdState.Napping;
                node.KswapdSt.NapDeadlineNs = Now(node) + NapNs;
                node.KswapdSt.NapWoken = false;
                node.KswapdSt.NapAllocOrder = allocOrder;
                node.KswapdSt.NapReclaimOrder = reclaimOrder;
                node.KswapdSt.NapClasszoneIdx = classzoneIdx;
                rep._steps.Add($"short sleep (HZ/10), wakeup_kcompactd order {allocOrder} classzone {classzoneIdx}");
                return;
            }
            // Neither nap nor sleep: remaining is 0, so this counts as the high watermark hit quickly.
            node.Counters.Count(VmEvent.KswapdHighWmarkHitQuickly);
            rep.HighWmarkHitQuickly++;
            node.KswapdSt.KState = KswapdState.Runnable;
        }

        /// <summary>kswapd's own "now": the node's clock, or on the second CPU where its running unit has got to.</summary>
        private static long Now(MemNode node)
        {
            var ks = node.KswapdSt;
            return ks.OnSecondCpu ? ks.UnitStartNs + ks.SpentNs : node.Clock.NowNs;
        }

        /// <summary>One pass of kswapd()'s loop body from the Runnable state.</summary>
        private static void RunBalance(MemNode node, KswapdReport rep, int cpu = 0)
        {
            if (node.Kernel.KswapdBalancedOrder) { Kswapd44.RunBalance(node, rep, cpu); return; }
            var ks = node.KswapdSt;
            int allocOrder = ks.KswapdOrder;
            int classzoneIdx = StoredOrPrevious(ks, ks.LoopClasszoneIdx);
            ks.LoopClasszoneIdx = classzoneIdx;
            ks.KswapdOrder = 0;
            ks.KswapdClasszoneIdx = KswapdNodeState.MaxNrZonesSentinel;
            node.Trace.Record(node, TraceEventId.mm_vmscan_kswapd_wake, classzoneIdx, allocOrder);
            rep.AllocOrder = allocOrder;
            rep.ClasszoneIdx = classzoneIdx;
            int reclaimOrder = BalancePgdat(node, allocOrder, classzoneIdx, rep, cpu);
            rep.ReclaimOrder = reclaimOrder;
            if (reclaimOrder < allocOrder)
            {
                TryToSleep(node, allocOrder, reclaimOrder, classzoneIdx, rep);
                return;
            }
            // Loop top: pick up what was requested meanwhile, then try to sleep.
            int newOrder = ks.KswapdOrder;
            int newClasszone = StoredOrPrevious(ks, classzoneIdx);
            ks.LoopClasszoneIdx = newClasszone;
            TryToSleep(node, newOrder, newOrder, newClasszone, rep);
        }

        /// <summary>Second half of kswapd_try_to_sleep once the nap ends or is interrupted.</summary>
        private static void EndNap(MemNode node, KswapdReport rep)
        {
            if (node.Kernel.KswapdBalancedOrder) { Kswapd44.EndNap(node, rep); return; }
            var ks = node.KswapdSt;
            if (ks.NapWoken)
            {
                ks.KswapdClasszoneIdx = StoredOrPrevious(ks, ks.NapClasszoneIdx);
                ks.KswapdOrder = Math.Max(ks.KswapdOrder, ks.NapReclaimOrder);
                node.Counters.Count(VmEvent.KswapdLowWmarkHitQuickly);
                rep.LowWmarkHitQuickly++;
                ks.KState = KswapdState.Runnable;
                ks.NapWoken = false;
                return;
            }
            if (PrepareKswapdSleep(node, ks.NapReclaimOrder, ks.NapClasszoneIdx))
            {
                node.Trace.Record(node, TraceEventId.mm_vmscan_kswapd_sleep);
                rep._steps.Add("full sleep");
                ks.KState = KswapdState.Sleeping;
                return;
            }
            node.Counters.Count(VmEvent.KswapdHighWmarkHitQuickly);
            rep.HighWmarkHitQuickly++;
            ks.KState = KswapdState.Runnable;
        }

        /// <summary>Advances the node's virtual time by <paramref name="ns"/>, completing writeback and running kswapd
        /// whenever it is runnable or its nap ends. The daemon driver (Step-MemNode) calls this.</summary>
        public static KswapdReport Advance(MemNode node, long ns) => Advance(node, ns, default, null);

        /// <summary>Advance with a stop request checked between kswapd's iterations (each balance_pgdat run or nap
        /// ends whole) and <paramref name="progress"/> getting (virtual ns done, ns asked) after each; a stopped
        /// advance leaves the clock where kswapd stopped.</summary>
        public static KswapdReport Advance(MemNode node, long ns, System.Threading.CancellationToken cancel, Action<long, long>? progress)
        {
            if (ns < 0)
                throw new MemMgmtException("DurationOutOfRange", ErrorKind.OutOfRange, $"Duration {ns} ns is out of range; use 0 or more.", ns);
            var rep = new KswapdReport(node) { FreePagesBefore = node.FreePages };
            long start = node.Clock.NowNs, target = start + ns;
            // Work kswapd did alongside an allocating task keeps its CPU busy until CpuNs: it takes up nothing new before.
            var ks = node.KswapdSt;
            if (ks.CpuNs > start && ks.KState != KswapdState.Sleeping && !cancel.IsCancellationRequested)
                WritebackIo.Sleep(node, Math.Min(ks.CpuNs, target) - start);
            Drive(node, rep, target, cancel, progress == null ? null : (Action<long>)(now => progress(now - start, ns)));
            if (node.Clock.NowNs < target && !cancel.IsCancellationRequested) WritebackIo.Sleep(node, target - node.Clock.NowNs);
            Finish(node, rep);
            return rep;
        }

        private static void Drive(MemNode node, KswapdReport rep, long target,
            System.Threading.CancellationToken cancel = default, Action<long>? progress = null)
        {
            var ks = node.KswapdSt;
            for (int it = 0; it < MaxIterationsPerCall; it++)
            {
                if (cancel.IsCancellationRequested) break;
                progress?.Invoke(node.Clock.NowNs);
                WritebackIo.CompleteDue(node);
                if (ks.KState == KswapdState.Runnable) { RunBalance(node, rep); continue; }
                if (ks.KState == KswapdState.Napping)
                {
                    if (ks.NapWoken) { EndNap(node, rep); continue; }
                    if (ks.NapDeadlineNs <= target)
                    {
                        if (ks.NapDeadlineNs > node.Clock.NowNs) WritebackIo.Sleep(node, ks.NapDeadlineNs - node.Clock.NowNs);
                        EndNap(node, rep);
                        continue;
                    }
                }
                break;
            }
        }

        /// <summary>
        /// kswapd on the node's other CPU catching up with the allocating task (<see cref="Time.Daemons.AfterRequest"/>):
        /// it runs whole units of its loop — one balance_pgdat run with the kswapd_try_to_sleep that follows it, or the
        /// end of a nap — each starting where its CPU is free and it has something to do (woken, or its nap over), as
        /// long as that start is not later than the task's time. A unit's work lands at once; the virtual time it takes
        /// (scan costs, reclaim waits, through <see cref="Time.VirtualTime.Spend"/>) goes on kswapd's CPU, not on the
        /// node's clock, and the next unit waits until the task's time has passed it. Reclaimed pages go to the per-cpu
        /// lists of kswapd's CPU.
        /// </summary>
        internal static void RunAlongside(MemNode node, int taskCpu)
        {
            var ks = node.KswapdSt;
            long now = node.Clock.NowNs;
            int cpu = taskCpu == 0 ? 1 : 0;
            KswapdReport? rep = null;
            for (int it = 0; it < MaxIterationsPerCall; it++)
            {
                long start;
                if (ks.KState == KswapdState.Runnable || (ks.KState == KswapdState.Napping && ks.NapWoken)) start = Math.Max(ks.CpuNs, ks.WokenAtNs);
                else if (ks.KState == KswapdState.Napping) start = Math.Max(ks.CpuNs, ks.NapDeadlineNs);
                else break;
                if (start > now) break;
                rep ??= new KswapdReport(node) { FreePagesBefore = node.FreePages };
                byte task = node.Trace.CurrentTask;
                node.Trace.CurrentTask = MemTrace.TaskKswapd;
                node.Trace.BesideCpu = cpu;
                ks.OnSecondCpu = true;
                ks.UnitStartNs = start;
                ks.SpentNs = 0;
                try
                {
                    if (ks.KState == KswapdState.Runnable) RunBalance(node, rep, cpu);
                    else EndNap(node, rep);
                }
                finally
                {
                    ks.OnSecondCpu = false;
                    node.Trace.CurrentTask = task;
                    node.Trace.BesideCpu = -1;
                }
                ks.CpuNs = start + ks.SpentNs;
            }
        }

        private static void Finish(MemNode node, KswapdReport rep)
        {
            var ks = node.KswapdSt;
            rep.FreePagesAfter = node.FreePages;
            rep.State = ks.KState;
            rep.KswapdFailures = ks.KswapdFailures;
            rep.Balanced = PgdatBalanced(node, 0, node.ZoneArr.Length - 1);
        }

        /// <summary>Invoke-Kswapd: run kswapd now, as if woken for the pending order and classzone (order 0 and the
        /// previous cycle's classzone, at first the highest zone, when nobody woke it), until it naps or sleeps. Virtual time moves only by waits inside reclaim.</summary>
        public static KswapdReport Run(MemNode node)
        {
            var rep = new KswapdReport(node) { FreePagesBefore = node.FreePages };
            var ks = node.KswapdSt;
            ks.KState = KswapdState.Runnable;
            ks.NapWoken = false;
            Drive(node, rep, node.Clock.NowNs);
            Finish(node, rep);
            return rep;
        }

        /// <summary>Advances virtual time in HZ/10 steps until kswapd is fully asleep (or <paramref name="maxNs"/> passed).</summary>
        public static KswapdReport RunUntilSleep(MemNode node, long maxNs = 10_000_000_000)
        {
            var total = new KswapdReport(node) { FreePagesBefore = node.FreePages };
            long end = node.Clock.NowNs + maxNs;
            while (node.Clock.NowNs < end)
            {
                Drive(node, total, Math.Min(end, node.Clock.NowNs + NapNs));
                if (node.KswapdSt.KState == KswapdState.Sleeping) break;
                long step = Math.Min(NapNs, end - node.Clock.NowNs);
                if (step > 0) WritebackIo.Sleep(node, step);
            }
            Finish(node, total);
            return total;
        }

        /// <summary>The kswapd run a throttled direct reclaimer waits for.</summary>
        internal static void RunOnce(MemNode node, ReclaimReport report)
        {
            var ks = node.KswapdSt;
            var rep = new KswapdReport(node) { FreePagesBefore = node.FreePages };
            ks.KState = KswapdState.Runnable;
            Drive(node, rep, node.Clock.NowNs);
            Finish(node, rep);
            report.KswapdRun = rep;
        }
    }
}
