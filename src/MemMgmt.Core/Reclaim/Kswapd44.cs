using System;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Watermarks;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>kswapd of Linux 4.4 (<see cref="KernelProfile.KswapdBalancedOrder"/>) on <see cref="Kswapd"/>'s state
    /// machine: kswapd_max_order and pgdat->classzone_idx (−1 plays nr_zones − 1), balance_pgdat over zones returning
    /// the order and classzone it balanced, and kswapd_try_to_sleep without kcompactd.</summary>
    public static class Kswapd44
    {
        /// <summary>pgdat->classzone_idx, with the "nobody asked" value −1 read as the highest zone.</summary>
        private static int PgdatClasszone(MemNode node) =>
            node.KswapdSt.KswapdClasszoneIdx < 0 ? node.ZoneArr.Length - 1 : node.KswapdSt.KswapdClasszoneIdx;

        /// <summary>kernel: zone_balanced (mm/vmscan.c, 4.4): the high watermark plus the gap passes at the order, and for
        /// order &gt; 0 compaction_suitable does not say SKIPPED.</summary>
        public static bool ZoneBalanced(Zone zone, int order, long balanceGap, int classzoneIdx)
        {
            if (!ZoneWatermark.Ok(zone, order, zone.Watermark[(int)WatermarkLevel.High] + balanceGap, classzoneIdx, 0, zone.NrFreePages)) return false;
            if (order != 0 && CompactionEngine.CompactionSuitable(zone, order, 0, classzoneIdx) == CompactResult.Skipped) return false;
            return true;
        }

        /// <summary>kernel: pgdat_balanced (mm/vmscan.c, 4.4): at order 0 every populated zone up to classzone_idx is balanced
        /// (an unreclaimable zone counts as balanced); at a higher order the balanced zones hold at least a quarter of
        /// those zones' managed pages.</summary>
        public static bool PgdatBalanced(MemNode node, int order, int classzoneIdx)
        {
            long managed = 0, balanced = 0;
            for (int i = 0; i <= classzoneIdx && i < node.ZoneArr.Length; i++)
            {
                var zone = node.ZoneArr[i];
                if (!zone.IsPopulated) continue;
                managed += zone.ManagedPages;
                if (!ZoneReclaim.ZoneReclaimable(node, zone)) { balanced += zone.ManagedPages; continue; }
                if (ZoneBalanced(zone, order, 0, i)) balanced += zone.ManagedPages;
                else if (order == 0) return false;
            }
            return order == 0 || balanced >= (managed >> 2);
        }

        /// <summary>kernel: wakeup_kswapd (mm/vmscan.c, 4.4): a larger order raises kswapd_max_order and lowers
        /// classzone_idx to the caller's; a sleeping or napping kswapd is woken unless this zone is balanced at the order.</summary>
        public static void WakeupZone(MemNode node, Zone zone, int order, int classzoneIdx)
        {
            if (!zone.IsPopulated) return;
            var ks = node.KswapdSt;
            if (ks.KswapdOrder < order)
            {
                ks.KswapdOrder = order;
                ks.KswapdClasszoneIdx = Math.Min(PgdatClasszone(node), classzoneIdx);
            }
            if (ks.KState == KswapdState.Runnable) return; // not on kswapd_wait
            if (ZoneBalanced(zone, order, 0, 0)) return;
            node.Trace.Record(node, TraceEventId.mm_vmscan_wakeup_kswapd, zone.Idx, order);
            if (ks.KState == KswapdState.Napping) ks.NapWoken = true;
            else ks.KState = KswapdState.Runnable;
            ks.WokenAtNs = node.Clock.NowNs;
        }

        /// <summary>kernel: wake_all_kswapds (mm/page_alloc.c, 4.4): wakeup_kswapd for every zone of the zonelist up to
        /// high_zoneidx, with the preferred zone's index as classzone.</summary>
        public static void WakeAll(MemNode node, int order, int highZoneIdx)
        {
            int preferred = -1;
            foreach (var zone in node.Zonelist)
            {
                if (zone.Idx > highZoneIdx || !zone.IsPopulated) continue;
                if (preferred < 0) preferred = zone.Idx;
                WakeupZone(node, zone, order, preferred);
            }
        }

        /// <summary>kernel: kswapd_shrink_zone (mm/vmscan.c, 4.4): target max(SWAP_CLUSTER_MAX, high); at order &gt; 0 a zone
        /// where compaction may run is balanced at order 0; a zone above high + balance gap is left alone. Returns whether
        /// as many pages were scanned as the target (no need to raise the priority).</summary>
        private static bool KswapdShrinkZone(MemNode node, Zone zone, int classzoneIdx, ScanControl sc, ref long nrAttempted)
        {
            int testorder = sc.Order;
            sc.NrToReclaim = Math.Max(Vmscan.SwapClusterMax, zone.Watermark[(int)WatermarkLevel.High]);
            if (sc.Order != 0 && CompactionEngine.CompactionSuitable(zone, sc.Order, 0, classzoneIdx) != CompactResult.Skipped) testorder = 0;
            long balanceGap = Math.Min(zone.Watermark[(int)WatermarkLevel.Low],
                (zone.ManagedPages + ZoneReclaim.KswapdZoneBalanceGapRatio - 1) / ZoneReclaim.KswapdZoneBalanceGapRatio);
            if (ZoneBalanced(zone, testorder, balanceGap, classzoneIdx)) return true;
            ZoneReclaim.ShrinkZone(node, zone, sc, zone.Idx == classzoneIdx);
            nrAttempted += sc.NrToReclaim;
            if (ZoneReclaim.ZoneReclaimable(node, zone) && ZoneBalanced(zone, testorder, 0, classzoneIdx))
                node.WritebackSt.PgdatCongested = node.WritebackSt.PgdatDirty = false;
            return sc.NrScanned >= sc.NrToReclaim;
        }

        /// <summary>kernel: compact_pgdat (mm/compaction.c, 4.4): async compaction of every populated zone not deferred at
        /// the order (the compact_control carries no GFP mask, so unmovable is the type it finishes for); a zone that then
        /// passes its low watermark at the order has its deferral reset.</summary>
        private static void CompactPgdat(MemNode node, int order, int cpu)
        {
            if (order == 0) return;
            foreach (var zone in node.ZoneArr)
            {
                if (!zone.IsPopulated) continue;
                var cc = new CompactControl { Order = order, Mode = MigrateMode.Async, GfpMask = GfpFlags.GFP_KERNEL, Cpu = cpu, ByKswapd = true };
                if (!CompactionEngine.CompactionDeferred(zone, order)) CompactionEngine.CompactZone(zone, cc);
                if (ZoneWatermark.Ok(zone, order, zone.Watermark[(int)WatermarkLevel.Low], 0, 0, zone.NrFreePages))
                    CompactionEngine.CompactionDeferReset(zone, order, false);
            }
        }

        /// <summary>kernel: balance_pgdat (mm/vmscan.c, 4.4): from DEF_PRIORITY, end_zone is the highest zone not balanced at
        /// the order (none: done); zones DMA up to end_zone are shrunk (kswapd_shrink_zone); once 2^(order+1) pages were
        /// reclaimed in a pass the order drops to 0; compact_pgdat when no zone met its low watermark at the order and
        /// more was reclaimed than attempted; the priority falls when scanning was short or nothing was reclaimed; stop at
        /// priority 0 or when pgdat_balanced. Returns the order reached; <paramref name="classzoneIdx"/> becomes end_zone.</summary>
        internal static int BalancePgdat(MemNode node, int order, ref int classzoneIdx, KswapdReport rep, int cpu)
        {
            int endZone = 0;
            var sc = new ScanControl
            {
                GfpMask = GfpFlags.GFP_KERNEL, Order = order, Priority = Vmscan.DefPriority, MayWritepage = true, MayUnmap = true,
                MaySwap = true, IsKswapd = true, HasReclaimState = true, Cpu = cpu,
            };
            node.Counters.Count(VmEvent.PageOutRun);
            rep.Runs++;
            int nrZones = node.ZoneArr.Length;
            do
            {
                long nrAttempted = 0;
                bool raisePriority = true;
                bool pgdatNeedsCompaction = order > 0;
                sc.NrReclaimed = 0;
                int i;
                for (i = nrZones - 1; i >= 0; i--)
                {
                    var zone = node.ZoneArr[i];
                    if (!zone.IsPopulated) continue;
                    if (sc.Priority != Vmscan.DefPriority && !ZoneReclaim.ZoneReclaimable(node, zone)) continue;
                    ZoneReclaim.AgeActiveAnon(node, zone, sc);
                    if (!ZoneBalanced(zone, order, 0, 0)) { endZone = i; break; }
                    node.WritebackSt.PgdatCongested = node.WritebackSt.PgdatDirty = false;
                }
                if (i < 0)
                {
                    rep._steps.Add($"balance_pgdat priority {sc.Priority}: every zone balanced at order {order}");
                    break;
                }
                for (int z = 0; z <= endZone; z++)
                {
                    var zone = node.ZoneArr[z];
                    if (zone.IsPopulated && pgdatNeedsCompaction
                        && ZoneWatermark.Ok(zone, order, zone.Watermark[(int)WatermarkLevel.Low], classzoneIdx, 0, zone.NrFreePages))
                        pgdatNeedsCompaction = false;
                }
                if (sc.Priority < Vmscan.DefPriority - 2) sc.MayWritepage = true;
                long scannedBefore = sc.TotalScanned;
                for (int z = 0; z <= endZone; z++)
                {
                    var zone = node.ZoneArr[z];
                    if (!zone.IsPopulated) continue;
                    if (sc.Priority != Vmscan.DefPriority && !ZoneReclaim.ZoneReclaimable(node, zone)) continue;
                    sc.NrScanned = 0;
                    if (KswapdShrinkZone(node, zone, endZone, sc, ref nrAttempted)) raisePriority = false;
                }
                rep.PriorityReached = Math.Min(rep.PriorityReached, sc.Priority);
                rep.NrReclaimed += sc.NrReclaimed;
                rep._steps.Add($"balance_pgdat priority {sc.Priority}: order {order}, end_zone {node.ZoneArr[endZone].Name}, scanned {sc.TotalScanned - scannedBefore}, reclaimed {sc.NrReclaimed} (attempted {nrAttempted})");
                if (order != 0 && sc.NrReclaimed >= MmConstants.CompactGap(order))
                {
                    rep._steps.Add($"reclaimed {sc.NrReclaimed} ≥ 2^({order}+1): order drops to 0");
                    order = sc.Order = 0;
                }
                if (pgdatNeedsCompaction && sc.NrReclaimed > nrAttempted)
                {
                    rep._steps.Add($"compact_pgdat order {order}");
                    CompactPgdat(node, order, cpu);
                }
                if (raisePriority || sc.NrReclaimed == 0) sc.Priority--;
            } while (sc.Priority >= 1 && !PgdatBalanced(node, order, classzoneIdx));
            classzoneIdx = endZone;
            rep.NrScanned += sc.TotalScanned;
            rep.SlabPagesFreed += sc.SlabPagesFreed;
            return order;
        }

        /// <summary>One pass of 4.4's kswapd() loop from the Runnable state: coming out of kswapd_try_to_sleep it takes
        /// kswapd_max_order and classzone_idx; balance_pgdat; at the loop top a request for a larger order or a lower
        /// classzone that arrived meanwhile is balanced at once, otherwise kswapd_try_to_sleep at the balanced order and
        /// classzone.</summary>
        internal static void RunBalance(MemNode node, KswapdReport rep, int cpu)
        {
            var ks = node.KswapdSt;
            if (!ks.LoopContinues)
            {
                ks.LoopOrder = ks.NewOrder = ks.KswapdOrder;
                ks.LoopClasszoneIdx = ks.NewClasszoneIdx = PgdatClasszone(node);
                ks.KswapdOrder = 0;
                ks.KswapdClasszoneIdx = KswapdNodeState.MaxNrZonesSentinel;
            }
            int order = ks.LoopOrder, classzoneIdx = ks.LoopClasszoneIdx;
            node.Trace.Record(node, TraceEventId.mm_vmscan_kswapd_wake, classzoneIdx, order);
            rep.AllocOrder = order;
            rep.ClasszoneIdx = classzoneIdx;
            int balancedClasszone = classzoneIdx;
            int balancedOrder = BalancePgdat(node, order, ref balancedClasszone, rep, cpu);
            ks.BalancedOrder = balancedOrder;
            ks.BalancedClasszoneIdx = balancedClasszone;
            rep.ReclaimOrder = balancedOrder;
            // The loop top.
            if (ks.BalancedClasszoneIdx >= ks.NewClasszoneIdx && ks.BalancedOrder == ks.NewOrder)
            {
                ks.NewOrder = ks.KswapdOrder;
                ks.NewClasszoneIdx = PgdatClasszone(node);
                ks.KswapdOrder = 0;
                ks.KswapdClasszoneIdx = KswapdNodeState.MaxNrZonesSentinel;
            }
            if (order < ks.NewOrder || classzoneIdx > ks.NewClasszoneIdx)
            {
                ks.LoopOrder = ks.NewOrder;
                ks.LoopClasszoneIdx = ks.NewClasszoneIdx;
                ks.LoopContinues = true;
                ks.KState = KswapdState.Runnable;
                rep._steps.Add($"a request for order {ks.LoopOrder}, classzone {ks.LoopClasszoneIdx} came meanwhile: balance again");
                return;
            }
            ks.LoopContinues = false;
            TryToSleep(node, ks.BalancedOrder, ks.BalancedClasszoneIdx, rep);
        }

        /// <summary>First half of kernel: kswapd_try_to_sleep (mm/vmscan.c, 4.4): a balanced node naps HZ/10; otherwise kswapd
        /// does not sleep at all (the high watermark was hit quickly).</summary>
        private static void TryToSleep(MemNode node, int order, int classzoneIdx, KswapdReport rep)
        {
            var ks = node.KswapdSt;
            if (PgdatBalanced(node, order, classzoneIdx))
            {
                ks.KState = KswapdState.Napping;
                ks.NapDeadlineNs = (ks.OnSecondCpu ? ks.UnitStartNs + ks.SpentNs : node.Clock.NowNs) + Kswapd.NapNs;
                ks.NapWoken = false;
                ks.NapAllocOrder = ks.NapReclaimOrder = order;
                ks.NapClasszoneIdx = classzoneIdx;
                rep._steps.Add($"short sleep (HZ/10) at order {order}, classzone {classzoneIdx}");
                return;
            }
            node.Counters.Count(VmEvent.KswapdHighWmarkHitQuickly);
            rep.HighWmarkHitQuickly++;
            ks.KState = KswapdState.Runnable;
        }

        /// <summary>Second half of kernel: kswapd_try_to_sleep (mm/vmscan.c, 4.4): woken during the nap counts the low
        /// watermark hit quickly; a node still balanced resets the compaction skip hints and sleeps until woken;
        /// otherwise the high watermark was hit quickly.</summary>
        internal static void EndNap(MemNode node, KswapdReport rep)
        {
            var ks = node.KswapdSt;
            if (ks.NapWoken)
            {
                node.Counters.Count(VmEvent.KswapdLowWmarkHitQuickly);
                rep.LowWmarkHitQuickly++;
                ks.KState = KswapdState.Runnable;
                ks.NapWoken = false;
                return;
            }
            if (PgdatBalanced(node, ks.NapReclaimOrder, ks.NapClasszoneIdx))
            {
                node.Trace.Record(node, TraceEventId.mm_vmscan_kswapd_sleep);
                CompactionEngine.ResetIsolationSuitable(node);
                rep._steps.Add("full sleep (skip hints reset)");
                ks.KState = KswapdState.Sleeping;
                return;
            }
            node.Counters.Count(VmEvent.KswapdHighWmarkHitQuickly);
            rep.HighWmarkHitQuickly++;
            ks.KState = KswapdState.Runnable;
        }
    }
}
