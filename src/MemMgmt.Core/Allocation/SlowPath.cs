using System.Collections.Generic;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Watermarks;

namespace MemMgmt.Core.Allocation
{
    /// <summary>One step the allocation slow path took.</summary>
    public sealed class SlowPathStep
    {
        internal SlowPathStep(string step, string detail, CompactResult? result = null, CompactPriority? priority = null)
        {
            Step = step; Detail = detail; CompactResult = result; Priority = priority;
        }

        /// <summary>The kernel function or label: wake_all_kswapds, get_page_from_freelist, __alloc_pages_direct_compact,
        /// __alloc_pages_direct_reclaim, should_reclaim_retry, should_compact_retry, __alloc_pages_may_oom, nopage.</summary>
        public string Step { get; }
        public string Detail { get; }
        public CompactResult? CompactResult { get; }
        public CompactPriority? Priority { get; }
        public override string ToString() => Step + ": " + Detail;
    }

    public sealed partial class AllocationResult
    {
        private static readonly SlowPathStep[] NoSteps = new SlowPathStep[0];
        private static readonly ZoneCompactionReport[] NoCompactions = new ZoneCompactionReport[0];
        // Created on first use so the fast path allocates nothing extra.
        private List<SlowPathStep>? _steps;
        private List<ZoneCompactionReport>? _compactions;
        /// <summary>What the slow path did, in order (empty when the fast path succeeded).</summary>
        public IReadOnlyList<SlowPathStep> Steps => (IReadOnlyList<SlowPathStep>?)_steps ?? NoSteps;
        /// <summary>Per-zone reports of each direct compaction run by this allocation.</summary>
        public IReadOnlyList<ZoneCompactionReport> Compactions => (IReadOnlyList<ZoneCompactionReport>?)_compactions ?? NoCompactions;
        /// <summary>Whether direct compaction ran (counted as compact_stall).</summary>
        public bool CompactStalled { get; internal set; }
        internal void AddStep(SlowPathStep s) => (_steps ??= new List<SlowPathStep>()).Add(s);
        internal List<ZoneCompactionReport> CompactionList => _compactions ??= new List<ZoneCompactionReport>();

        private static readonly ReclaimReport[] NoReclaims = new ReclaimReport[0];
        private List<ReclaimReport>? _reclaims;
        /// <summary>What each direct reclaim (try_to_free_pages) run by this allocation did, in order.</summary>
        public IReadOnlyList<ReclaimReport> Reclaims => (IReadOnlyList<ReclaimReport>?)_reclaims ?? NoReclaims;
        internal void AddReclaim(ReclaimReport r) => (_reclaims ??= new List<ReclaimReport>()).Add(r);
    }

    public static partial class PageAllocator
    {
        internal const int MaxCompactRetries = 16;
        /// <summary>The kernel retries without bound where OOM reports progress (GFP_NOFS livelocks until memory frees up);
        /// the simulation stops after this many passes through `retry:` and reports it.</summary>
        internal const int MaxSlowpathLoops = 1000;

        /// <summary>kernel: __alloc_pages_slowpath (mm/page_alloc.c, 4.14): kswapd wakeups, the min-watermark retry, async
        /// compaction, direct reclaim, sync compaction, the retry decisions and the OOM killer, each through the node's
        /// reclaim and compaction subsystems. Returns the page index or -1; the steps are added to the result.</summary>
        private static int AllocPagesSlowpath(MemNode node, int order, GfpFlags gfp, int cpu, AllocationResult result,
            out Zone? zone, out AllocSource source)
        {
            bool canDirectReclaim = (gfp & GfpFlags.__GFP_DIRECT_RECLAIM) != 0;
            bool costlyOrder = order > MmConstants.PageAllocCostlyOrder;
            int mt = (int)Gfp.ToMigratetype(gfp, node.PageGroupByMobilityDisabled);
            result.Path = "slow";
            if ((gfp & (GfpFlags.__GFP_ATOMIC | GfpFlags.__GFP_DIRECT_RECLAIM)) == (GfpFlags.__GFP_ATOMIC | GfpFlags.__GFP_DIRECT_RECLAIM))
                gfp &= ~GfpFlags.__GFP_ATOMIC;
            int compactionRetries = 0;
            int noProgressLoops = 0;
            var compactPriority = CompactPriority.SyncLight;
            var compactResult = CompactResult.Skipped;
            int allocFlags = Gfp.ToAllocFlags(gfp);
            long didSomeProgress = 0;

            if ((gfp & GfpFlags.__GFP_KSWAPD_RECLAIM) != 0) WakeAllKswapds(node, order, gfp, result);
            int page = GetPageFromFreelist(node, order, gfp, cpu, allocFlags, out zone, out source);
            result.AddStep(new SlowPathStep("get_page_from_freelist", page >= 0 ? $"succeeded at the min watermark in {zone}" : "failed at the min watermark"));
            if (page >= 0) return page;

            // Costly, or non-movable high-order: async compaction before reclaim (gfp_pfmemalloc_allowed is false here).
            if (canDirectReclaim && (costlyOrder || (order > 0 && mt != (int)MigrateType.Movable)) && !GfpPfmemallocAllowed(gfp))
            {
                page = DirectCompact(node, order, gfp, cpu, allocFlags, CompactPriority.Async, result, out compactResult, out zone, out source);
                if (page >= 0) return page;
                if (costlyOrder && (gfp & GfpFlags.__GFP_NORETRY) != 0)
                {
                    if (compactResult == CompactResult.Deferred)
                    {
                        page = Nopage(node, order, gfp, cpu, canDirectReclaim, result, "costly __GFP_NORETRY request and compaction is deferred", out zone, out source);
                        if (page != RetryAgain) return page;
                    }
                    else compactPriority = CompactPriority.Async;
                }
            }

            for (int loops = 0; loops < MaxSlowpathLoops; loops++) // retry:
            {
                if ((gfp & GfpFlags.__GFP_KSWAPD_RECLAIM) != 0) WakeAllKswapds(node, order, gfp, result);
                if (GfpPfmemallocAllowed(gfp)) allocFlags = AllocFlagBits.NoWatermarks;
                page = GetPageFromFreelist(node, order, gfp, cpu, allocFlags, out zone, out source);
                result.AddStep(new SlowPathStep("get_page_from_freelist",
                    (page >= 0 ? $"retry succeeded in {zone}" : "retry failed") + ((allocFlags & AllocFlagBits.NoWatermarks) != 0 ? " (ALLOC_NO_WATERMARKS)" : "")));
                if (page >= 0) return page;
                if (!canDirectReclaim) return NoPage(result, "the request may not direct reclaim (no __GFP_DIRECT_RECLAIM)" + ((gfp & GfpFlags.__GFP_NOFAIL) != 0 ? "; __GFP_NOFAIL needs it" : ""));

                page = DirectReclaim(node, order, gfp, cpu, allocFlags, result, out didSomeProgress, out zone, out source);
                if (page >= 0) return page;
                Time.Daemons.DaemonsCatchUp(node, cpu);

                page = DirectCompact(node, order, gfp, cpu, allocFlags, compactPriority, result, out compactResult, out zone, out source);
                if (page >= 0) return page;

                string? giveUp = (gfp & GfpFlags.__GFP_NORETRY) != 0 ? "__GFP_NORETRY"
                    : costlyOrder && (gfp & GfpFlags.__GFP_RETRY_MAYFAIL) == 0 ? $"costly order {order} without __GFP_RETRY_MAYFAIL" : null;
                if (giveUp != null)
                {
                    page = Nopage(node, order, gfp, cpu, canDirectReclaim, result, giveUp, out zone, out source);
                    if (page != RetryAgain) return page;
                    continue;
                }
                bool retryReclaim = ShouldReclaimRetry(node, order, gfp, allocFlags, didSomeProgress > 0, ref noProgressLoops);
                result.AddStep(new SlowPathStep("should_reclaim_retry", $"{(retryReclaim ? "retry" : "give up")} (no_progress_loops {noProgressLoops})"));
                if (retryReclaim) continue;
                if (didSomeProgress > 0)
                {
                    var before = compactPriority;
                    bool retryCompact = ShouldCompactRetry(node, order, gfp, allocFlags, compactResult, ref compactPriority, ref compactionRetries);
                    result.AddStep(new SlowPathStep("should_compact_retry",
                        $"{(retryCompact ? "retry" : "give up")} after {CompactionNames.Status(compactResult)} at {before}; next priority {compactPriority}, compaction_retries {compactionRetries}",
                        compactResult, compactPriority));
                    if (retryCompact) continue;
                }
                page = AllocPagesMayOom(node, order, gfp, cpu, result, out bool oomProgress, out zone, out source);
                if (page >= 0) return page;
                if (oomProgress) { noProgressLoops = 0; continue; }
                page = Nopage(node, order, gfp, cpu, canDirectReclaim, result, "reclaim and compaction made no progress and the OOM killer freed nothing", out zone, out source);
                if (page != RetryAgain) return page;
            }
            return NoPage(result, $"retry loop limit reached after {MaxSlowpathLoops} passes (the kernel keeps retrying while the OOM path reports progress"
                + ((gfp & GfpFlags.__GFP_NOFAIL) != 0 ? ", and forever for __GFP_NOFAIL" : "") + ")");
        }

        /// <summary>kernel: __alloc_pages_may_oom (mm/page_alloc.c, 4.14): one last try at the high watermark, then — unless
        /// the order is costly, the caller asked __GFP_RETRY_MAYFAIL or __GFP_THISNODE, or only zones below Normal
        /// may serve it — out_of_memory; a kill counts as progress and the slow path retries.</summary>
        private static int AllocPagesMayOom(MemNode node, int order, GfpFlags gfp, int cpu, AllocationResult result,
            out bool progress, out Zone? zone, out AllocSource source)
        {
            progress = false;
            var lastTry = (gfp | GfpFlags.__GFP_HARDWALL) & ~GfpFlags.__GFP_DIRECT_RECLAIM;
            int page = GetPageFromFreelist(node, order, lastTry, cpu, AllocFlagBits.WmarkHigh | AllocFlagBits.Cpuset, out zone, out source);
            if (page >= 0)
            {
                result.AddStep(new SlowPathStep("__alloc_pages_may_oom", $"the high-watermark attempt succeeded in {zone}"));
                return page;
            }
            string? skip = null;
            if (order > MmConstants.PageAllocCostlyOrder) skip = $"order {order} > PAGE_ALLOC_COSTLY_ORDER";
            else if ((gfp & GfpFlags.__GFP_RETRY_MAYFAIL) != 0) skip = "__GFP_RETRY_MAYFAIL";
            else if (HighZoneIdx(node, gfp) < node.Kernel.ZoneIndex(ZoneType.Normal)) skip = "the request may only use zones below Normal";
            else if ((gfp & GfpFlags.__GFP_THISNODE) != 0) skip = "__GFP_THISNODE";
            if (skip != null)
            {
                result.AddStep(new SlowPathStep("__alloc_pages_may_oom", "skipped: " + skip));
                return -1;
            }
            bool nofail = (gfp & GfpFlags.__GFP_NOFAIL) != 0;
            bool oomTrue;
            if ((gfp & GfpFlags.__GFP_FS) == 0)
            {
                // out_of_memory kills nothing for IO-less reclaim contexts, __GFP_NOFAIL included, but returns true.
                oomTrue = true;
                result.AddStep(new SlowPathStep("__alloc_pages_may_oom", "out_of_memory: no __GFP_FS, nothing killed"));
            }
            else
            {
                var oom = Oom.OomKiller.OutOfMemory(node, gfp, order);
                oomTrue = oom.Victim != null;
                result.AddStep(new SlowPathStep("__alloc_pages_may_oom", "out_of_memory: " + oom));
            }
            // A __GFP_NOFAIL request counts as progress even when nothing could be killed, and may use every reserve.
            if (oomTrue || nofail)
            {
                progress = true;
                if (nofail)
                {
                    page = AllocPagesCpusetFallback(node, order, gfp, cpu, AllocFlagBits.NoWatermarks, out zone, out source);
                    result.AddStep(new SlowPathStep("__alloc_pages_cpuset_fallback",
                        page >= 0 ? $"__GFP_NOFAIL with ALLOC_NO_WATERMARKS succeeded in {zone}" : "__GFP_NOFAIL with ALLOC_NO_WATERMARKS failed"));
                    return page;
                }
            }
            return -1;
        }

        /// <summary>kernel: __alloc_pages_cpuset_fallback (mm/page_alloc.c, 4.14): within the cpuset first, then ignoring it
        /// when the allowed nodes are depleted.</summary>
        private static int AllocPagesCpusetFallback(MemNode node, int order, GfpFlags gfp, int cpu, int allocFlags,
            out Zone? zone, out AllocSource source)
        {
            int page = GetPageFromFreelist(node, order, gfp, cpu, allocFlags | AllocFlagBits.Cpuset, out zone, out source);
            if (page < 0) page = GetPageFromFreelist(node, order, gfp, cpu, allocFlags, out zone, out source);
            return page;
        }

        /// <summary>The `nopage:` label of __alloc_pages_slowpath (mm/page_alloc.c, 4.14): a __GFP_NOFAIL request that may
        /// direct reclaim is never failed — it tries the reserves with ALLOC_HARDER (not ALLOC_NO_WATERMARKS) and goes back
        /// to `retry:`; anything else fails. Returns the page, -1 for failure, or <see cref="RetryAgain"/>.</summary>
        private static int Nopage(MemNode node, int order, GfpFlags gfp, int cpu, bool canDirectReclaim, AllocationResult result,
            string why, out Zone? zone, out AllocSource source)
        {
            zone = null;
            source = AllocSource.None;
            if ((gfp & GfpFlags.__GFP_NOFAIL) == 0 || !canDirectReclaim) return NoPage(result, why);
            int page = AllocPagesCpusetFallback(node, order, gfp, cpu, AllocFlagBits.Harder, out zone, out source);
            result.AddStep(new SlowPathStep("nopage", page >= 0
                ? $"{why}; __GFP_NOFAIL: ALLOC_HARDER fallback succeeded in {zone}"
                : $"{why}; __GFP_NOFAIL: ALLOC_HARDER fallback failed, retry"));
            return page >= 0 ? page : RetryAgain;
        }

        /// <summary><see cref="Nopage"/>'s answer for "goto retry".</summary>
        private const int RetryAgain = -2;

        /// <summary>kernel: gfp_pfmemalloc_allowed (mm/page_alloc.c, 4.14): __GFP_MEMALLOC without __GFP_NOMEMALLOC (the
        /// simulated task is never PF_MEMALLOC nor an OOM victim).</summary>
        internal static bool GfpPfmemallocAllowed(GfpFlags gfp) =>
            (gfp & GfpFlags.__GFP_NOMEMALLOC) == 0 && (gfp & GfpFlags.__GFP_MEMALLOC) != 0;

        private static int NoPage(AllocationResult result, string why)
        {
            result.AddStep(new SlowPathStep("nopage", why));
            result.FailureReason = why;
            return -1;
        }

        /// <summary>kernel: wake_all_kswapds (mm/page_alloc.c, 4.14): wakeup_kswapd for the node at the request's
        /// high_zoneidx, which raises kswapd_order and kswapd_classzone_idx and wakes kswapd.</summary>
        private static void WakeAllKswapds(MemNode node, int order, GfpFlags gfp, AllocationResult result)
        {
            int highZoneIdx = node.Kernel.ZoneIndex(Gfp.ToZone(gfp, node.Kernel));
            Kswapd.Wakeup(node, order, highZoneIdx, gfp);
            result.AddStep(new SlowPathStep("wake_all_kswapds", $"kswapd_order {Kswapd.GetOrder(node)}, classzone {node.Kernel.ZoneTypes[highZoneIdx]}"));
        }

        /// <summary>kernel: __alloc_pages_direct_reclaim (mm/page_alloc.c, 4.14): try_to_free_pages on the allocating CPU
        /// (its pagevecs drained, reclaimed pages freed to its pcp lists), then a freelist attempt; on failure unreserve
        /// highatomic and drain the pcp lists, retrying once.</summary>
        private static int DirectReclaim(MemNode node, int order, GfpFlags gfp, int cpu, int allocFlags, AllocationResult result,
            out long progress, out Zone? zone, out AllocSource source)
        {
            var report = Vmscan.TryToFreePages(node, order, gfp, cpu);
            result.AddReclaim(report);
            progress = report.NrReclaimed;
            zone = null;
            source = AllocSource.None;
            if (progress == 0)
            {
                result.AddStep(new SlowPathStep("__alloc_pages_direct_reclaim", $"reclaimed nothing (scanned {report.NrScanned}, priority {report.PriorityReached})"));
                return -1;
            }
            bool drained = false;
            while (true)
            {
                int page = GetPageFromFreelist(node, order, gfp, cpu, allocFlags, out zone, out source);
                if (page >= 0 || drained)
                {
                    result.AddStep(new SlowPathStep("__alloc_pages_direct_reclaim", $"reclaimed {progress} pages; allocation {(page >= 0 ? "succeeded" : "failed")}"));
                    return page;
                }
                int highZoneIdx = node.Kernel.ZoneIndex(Gfp.ToZone(gfp, node.Kernel));
                BuddyAllocator.UnreserveHighatomicPageblock(node, highZoneIdx, (int)Gfp.ToMigratetype(gfp, node.PageGroupByMobilityDisabled), false);
                BuddyAllocator.DrainAllPages(node);
                drained = true;
            }
        }

        /// <summary>kernel: __alloc_pages_direct_compact (mm/page_alloc.c, 4.14; 6.1): try_to_compact_pages; results up to
        /// DEFERRED (COMPACT_INACTIVE) are no stall on 4.14, only SKIPPED on 6.1
        /// (<see cref="KernelProfile.DeferredCompactionStalls"/>); otherwise compact_stall, then the page compaction
        /// captured (6.1, <see cref="KernelProfile.CompactionCapture"/>) or one from the free lists: compact_success, or
        /// compact_fail.</summary>
        private static int DirectCompact(MemNode node, int order, GfpFlags gfp, int cpu, int allocFlags, CompactPriority prio,
            AllocationResult result, out CompactResult compactResult, out Zone? zone, out AllocSource source)
        {
            zone = null;
            source = AllocSource.None;
            compactResult = CompactResult.Skipped;
            if (order == 0) return -1;
            var capc = node.Kernel.CompactionCapture ? new CaptureControl() : null;
            compactResult = CompactionEngine.TryToCompactPages(node, gfp, order, allocFlags, prio, cpu, node.Stop, result.CompactionList, capture: capc);
            if (compactResult <= (node.Kernel.DeferredCompactionStalls ? CompactResult.Skipped : CompactResult.Deferred))
            {
                result.AddStep(new SlowPathStep("__alloc_pages_direct_compact", $"{prio}: {CompactionNames.Status(compactResult)}, no stall", compactResult, prio));
                return -1;
            }
            node.Counters.Count(VmEvent.CompactStall);
            result.CompactStalled = true;
            // A captured block is the request's (prep_new_page follows as for any page); otherwise the free lists.
            bool captured = capc != null && capc.Page >= 0;
            int page;
            if (captured)
            {
                page = capc!.Page;
                zone = node.ZoneOfIndex(page);
                source = AllocSource.Buddy;
            }
            else page = GetPageFromFreelist(node, order, gfp, cpu, allocFlags, out zone, out source);
            if (page >= 0)
            {
                zone!.CompactBlockskipFlush = false;
                CompactionEngine.CompactionDeferReset(zone, order, true);
                node.Counters.Count(VmEvent.CompactSuccess);
                result.AddStep(new SlowPathStep("__alloc_pages_direct_compact", $"{prio}: {CompactionNames.Status(compactResult)}, {(captured ? "captured the page" : "allocation succeeded")} in {zone}", compactResult, prio));
                return page;
            }
            node.Counters.Count(VmEvent.CompactFail);
            result.AddStep(new SlowPathStep("__alloc_pages_direct_compact", $"{prio}: {CompactionNames.Status(compactResult)}, allocation still failed", compactResult, prio));
            return -1;
        }

        /// <summary>zone_reclaimable_pages (mm/vmscan.c, 4.14): file LRU pages, and anon ones while swap has free slots.</summary>
        private static long ZoneReclaimablePages(Zone zone) => Reclaim.Vmscan.ZoneReclaimablePages(zone.Node, zone);

        /// <summary>kernel: should_reclaim_retry (mm/page_alloc.c, 4.14): give up after MAX_RECLAIM_RETRIES rounds without
        /// progress (unreserving a highatomic block first); otherwise retry while some eligible zone would meet its min
        /// watermark with all its reclaimable pages added to its free pages — the full count, with no back-off by
        /// no_progress_loops (that scaling went in 4.12). When such a zone is found after a round that reclaimed nothing
        /// and more than half of its reclaimable pages are write-pending (2 × NR_ZONE_WRITE_PENDING &gt; reclaimable), the
        /// task first sleeps in congestion_wait(BLK_RW_ASYNC, HZ/10) so the writes can end before the next round.</summary>
        internal static bool ShouldReclaimRetry(MemNode node, int order, GfpFlags gfp, int allocFlags, bool didSomeProgress, ref int noProgressLoops)
        {
            if (didSomeProgress && order <= MmConstants.PageAllocCostlyOrder) noProgressLoops = 0;
            else noProgressLoops++;
            int highZoneIdx = node.Kernel.ZoneIndex(Gfp.ToZone(gfp, node.Kernel));
            if (noProgressLoops > MmConstants.MaxReclaimRetries)
                return BuddyAllocator.UnreserveHighatomicPageblock(node, highZoneIdx, (int)Gfp.ToMigratetype(gfp, node.PageGroupByMobilityDisabled), true);
            int classzoneIdx = ClasszoneIdx(node, highZoneIdx);
            foreach (var zone in node.Zonelist)
            {
                if (zone.Idx > highZoneIdx) continue;
                long reclaimable = ZoneReclaimablePages(zone);
                long available = reclaimable + zone.NrFreePages;
                if (!ZoneWatermark.Ok(zone, order, zone.WmarkPages(0), classzoneIdx, allocFlags, available)) continue;
                if (!didSomeProgress && 2 * Writeback.WritebackIo.ZoneWritePending(zone) > reclaimable)
                    Writeback.WritebackIo.CongestionWait(node, Writeback.WritebackIo.HzDiv10Ns);
                return true;
            }
            return false;
        }

        private static int ClasszoneIdx(MemNode node, int highZoneIdx)
        {
            foreach (var z in node.Zonelist) if (z.Idx <= highZoneIdx) return z.Idx;
            return 0;
        }

        /// <summary>kernel: compaction_zonelist_suitable (mm/compaction.c, 4.14).</summary>
        internal static bool CompactionZonelistSuitable(MemNode node, int order, GfpFlags gfp, int allocFlags)
        {
            int highZoneIdx = node.Kernel.ZoneIndex(Gfp.ToZone(gfp, node.Kernel));
            int classzoneIdx = ClasszoneIdx(node, highZoneIdx);
            foreach (var zone in node.Zonelist)
            {
                if (zone.Idx > highZoneIdx) continue;
                long available = ZoneReclaimablePages(zone) / order + zone.NrFreePages;
                if (CompactionEngine.CompactionSuitableAvailable(zone, order, allocFlags, classzoneIdx, available) != CompactResult.Skipped) return true;
            }
            return false;
        }

        /// <summary>kernel: should_compact_retry (mm/page_alloc.c, 4.14): success counts a retry; COMPLETE raises the priority;
        /// withdrawn results retry if the zonelist is suitable (on 6.1 they raise the priority instead,
        /// <see cref="KernelProfile.WithdrawnCompactionRaisesPriority"/>); at most 16 retries (4 for costly orders), then a priority
        /// step down to SYNC_LIGHT (costly) or SYNC_FULL. Every decision after the order-0 check is traced as compact_retry
        /// with the priority and retries it started from.</summary>
        public static bool ShouldCompactRetry(MemNode node, int order, GfpFlags gfp, int allocFlags, CompactResult compactResult,
            ref CompactPriority compactPriority, ref int compactionRetries)
        {
            int maxRetries = MaxCompactRetries;
            if (order == 0) return false;
            int retries = compactionRetries;
            var priority = compactPriority;
            bool ret = false;
            if (compactResult == CompactResult.Success) compactionRetries++;
            if (compactResult != CompactResult.Complete)
            {
                bool withdrawn = compactResult == CompactResult.Deferred || compactResult == CompactResult.Contended
                    || compactResult == CompactResult.PartialSkipped;
                if (compactResult == CompactResult.Skipped || (withdrawn && !node.Kernel.WithdrawnCompactionRaisesPriority))
                {
                    ret = CompactionZonelistSuitable(node, order, gfp, allocFlags);
                    goto Out;
                }
                if (withdrawn) goto CheckPriority;
                if (order > MmConstants.PageAllocCostlyOrder) maxRetries /= 4;
                if (compactionRetries <= maxRetries) { ret = true; goto Out; }
            }
        CheckPriority:
            var minPriority = order > MmConstants.PageAllocCostlyOrder ? CompactPriority.SyncLight : CompactPriority.SyncFull;
            if (compactPriority > minPriority)
            {
                compactPriority--;
                compactionRetries = 0;
                ret = true;
            }
        Out:
            node.Trace.Record(node, TraceEventId.compact_retry, order, (long)priority, (long)compactResult, retries, maxRetries, ret ? 1 : 0);
            return ret;
        }
    }
}
