using MemMgmt.Core.Buddy;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Allocation
{
    public static partial class PageAllocator
    {
        /// <summary>HZ/50: how long 4.4's slow path waits in wait_iff_congested before it retries after reclaim progress.</summary>
        internal const long HzDiv50Ns = 20_000_000;

        /// <summary>kernel: __alloc_pages_slowpath (mm/page_alloc.c, 4.4), for <see cref="KernelProfile.AllocRetryByReclaimProgress"/>:
        /// at `retry:` wake kswapd, try at the min watermark (then without watermarks if the context may); a request that
        /// may not direct reclaim fails; direct compaction (async on the first pass, sync-light after a reclaim pass) and
        /// direct reclaim (a transparent hugepage request gives up instead when compaction was deferred or contended);
        /// then <see cref="ShouldAllocRetry"/> decides on reclaim progress alone; failing that the OOM
        /// killer, whose progress also retries; a last compaction before giving up. Returns the page index or -1.</summary>
        private static int AllocPagesSlowpath44(MemNode node, int order, GfpFlags gfp, int cpu, AllocationResult result,
            out Zone? zone, out AllocSource source)
        {
            bool canDirectReclaim = (gfp & GfpFlags.__GFP_DIRECT_RECLAIM) != 0;
            result.Path = "slow";
            if ((gfp & (GfpFlags.__GFP_ATOMIC | GfpFlags.__GFP_DIRECT_RECLAIM)) == (GfpFlags.__GFP_ATOMIC | GfpFlags.__GFP_DIRECT_RECLAIM))
                gfp &= ~GfpFlags.__GFP_ATOMIC;
            long pagesReclaimed = 0;
            var migrationMode = CompactPriority.Async;
            int page;
            for (int loops = 0; loops < MaxSlowpathLoops; loops++) // retry:
            {
                if ((gfp & GfpFlags.__GFP_KSWAPD_RECLAIM) != 0) WakeAllKswapds(node, order, gfp, result);
                int allocFlags = Gfp.ToAllocFlags(gfp);
                page = GetPageFromFreelist(node, order, gfp, cpu, allocFlags & ~AllocFlagBits.NoWatermarks, out zone, out source);
                result.AddStep(new SlowPathStep("get_page_from_freelist", page >= 0 ? $"succeeded at the min watermark in {zone}" : "failed at the min watermark"));
                if (page >= 0) return page;
                if (GfpPfmemallocAllowed(gfp))
                {
                    page = GetPageFromFreelist(node, order, gfp, cpu, AllocFlagBits.NoWatermarks, out zone, out source);
                    result.AddStep(new SlowPathStep("get_page_from_freelist", (page >= 0 ? $"succeeded in {zone}" : "failed") + " (ALLOC_NO_WATERMARKS)"));
                    if (page >= 0) return page;
                }
                if (!canDirectReclaim)
                    return NoPage(result, "the request may not direct reclaim (no __GFP_DIRECT_RECLAIM)" + ((gfp & GfpFlags.__GFP_NOFAIL) != 0 ? "; __GFP_NOFAIL needs it" : ""));

                int reportsBefore = result.CompactionList.Count;
                page = DirectCompact(node, order, gfp, cpu, allocFlags & ~AllocFlagBits.NoWatermarks, migrationMode, result, out var compactResult, out zone, out source);
                if (page >= 0) return page;
                if (IsThpGfpMask(gfp))
                {
                    if (compactResult == CompactResult.Deferred)
                        return NoPage(result, "transparent hugepage request and compaction is deferred");
                    // contended_compaction: a zone's async compaction stopped at need_resched (or a fatal signal), which
                    // try_to_compact_pages reports as COMPACT_CONTENDED_SCHED; a faulting task (no kthread) gives up.
                    // Lock contention (COMPACT_CONTENDED_LOCK) is not simulated.
                    if (CompactionWasContended(result, reportsBefore))
                        return NoPage(result, "transparent hugepage request and compaction was contended (need_resched)");
                }
                migrationMode = IsThpGfpMask(gfp) ? CompactPriority.Async : CompactPriority.SyncLight;

                page = DirectReclaim(node, order, gfp, cpu, allocFlags & ~AllocFlagBits.NoWatermarks, result, out long didSomeProgress, out zone, out source);
                if (page >= 0) return page;

                if ((gfp & GfpFlags.__GFP_NORETRY) == 0)
                {
                    pagesReclaimed += didSomeProgress;
                    bool retry = ShouldAllocRetry(order, gfp, didSomeProgress, pagesReclaimed);
                    result.AddStep(new SlowPathStep("should_alloc_retry",
                        $"{(retry ? "retry" : "no retry")}: did_some_progress {didSomeProgress}, pages_reclaimed {pagesReclaimed}, order {order}"));
                    if (retry)
                    {
                        Writeback.WritebackIo.WaitIffCongested(node, HzDiv50Ns);
                        continue;
                    }
                    page = AllocPagesMayOom44(node, order, gfp, cpu, result, out bool oomProgress, out zone, out source);
                    if (page >= 0) return page;
                    if (oomProgress) continue;
                }
                // noretry: reclaim/compaction wants compaction after reclaim.
                page = DirectCompact(node, order, gfp, cpu, allocFlags & ~AllocFlagBits.NoWatermarks, migrationMode, result, out _, out zone, out source);
                if (page >= 0) return page;
                return NoPage(result, (gfp & GfpFlags.__GFP_NORETRY) != 0 ? "__GFP_NORETRY"
                    : "reclaim made no progress worth retrying and the OOM killer freed nothing");
            }
            zone = null;
            source = AllocSource.None;
            return NoPage(result, $"retry loop limit reached after {MaxSlowpathLoops} passes (the kernel keeps retrying while reclaim or the OOM path reports progress)");
        }

        /// <summary>The retry decision of 4.4's slow path after direct reclaim (the should_alloc_retry of 4.1, inlined in
        /// 4.2): any progress for order ≤ PAGE_ALLOC_COSTLY_ORDER; __GFP_REPEAT (the bit 4.14 calls __GFP_RETRY_MAYFAIL)
        /// while fewer than 2^order pages were reclaimed in total. __GFP_NOFAIL is not part of it: such a request goes on
        /// to __alloc_pages_may_oom, which runs the OOM killer for it and reports progress.
        /// kernel: __alloc_pages_slowpath (mm/page_alloc.c, 4.4).</summary>
        public static bool ShouldAllocRetry(int order, GfpFlags gfp, long didSomeProgress, long pagesReclaimed)
        {
            if ((gfp & GfpFlags.__GFP_NORETRY) != 0) return false;
            if (didSomeProgress != 0 && order <= MmConstants.PageAllocCostlyOrder) return true;
            return (gfp & GfpFlags.__GFP_RETRY_MAYFAIL) != 0 && pagesReclaimed < (1L << order);
        }

        /// <summary>Whether a zone compacted since report <paramref name="from"/> ended contended.</summary>
        private static bool CompactionWasContended(AllocationResult result, int from)
        {
            var list = result.CompactionList;
            for (int i = from; i < list.Count; i++)
                if (list[i].Result == CompactResult.Contended) return true;
            return false;
        }

        /// <summary>is_thp_gfp_mask (mm/page_alloc.c, 4.4): GFP_TRANSHUGE without __GFP_KSWAPD_RECLAIM.</summary>
        private static bool IsThpGfpMask(GfpFlags gfp) =>
            (gfp & (GfpFlags.GFP_TRANSHUGE | GfpFlags.__GFP_KSWAPD_RECLAIM)) == GfpFlags.GFP_TRANSHUGE;

        /// <summary>kernel: __alloc_pages_may_oom (mm/page_alloc.c, 4.4): the high-watermark attempt, then — unless
        /// __GFP_NOFAIL — no OOM kill for costly orders, for requests limited to zones below Normal, or __GFP_THISNODE;
        /// a request without __GFP_FS kills nothing but reports progress, so the slow path keeps looping.</summary>
        private static int AllocPagesMayOom44(MemNode node, int order, GfpFlags gfp, int cpu, AllocationResult result,
            out bool progress, out Zone? zone, out AllocSource source)
        {
            progress = false;
            // 4.4 only adds __GFP_HARDWALL here (clearing __GFP_DIRECT_RECLAIM came later).
            var lastTry = gfp | GfpFlags.__GFP_HARDWALL;
            int page = GetPageFromFreelist(node, order, lastTry, cpu, AllocFlagBits.WmarkHigh | AllocFlagBits.Cpuset, out zone, out source);
            if (page >= 0)
            {
                result.AddStep(new SlowPathStep("__alloc_pages_may_oom", $"the high-watermark attempt succeeded in {zone}"));
                return page;
            }
            bool nofail = (gfp & GfpFlags.__GFP_NOFAIL) != 0;
            if (!nofail)
            {
                string? skip = null;
                if (order > MmConstants.PageAllocCostlyOrder) skip = $"order {order} > PAGE_ALLOC_COSTLY_ORDER";
                else if (HighZoneIdx(node, gfp) < node.Kernel.ZoneIndex(ZoneType.Normal)) skip = "the request may only use zones below Normal";
                else if ((gfp & GfpFlags.__GFP_FS) == 0)
                {
                    progress = true;
                    result.AddStep(new SlowPathStep("__alloc_pages_may_oom", "no __GFP_FS: no OOM kill, but progress is reported and the slow path loops"));
                    return -1;
                }
                else if ((gfp & GfpFlags.__GFP_THISNODE) != 0) skip = "__GFP_THISNODE";
                if (skip != null)
                {
                    result.AddStep(new SlowPathStep("__alloc_pages_may_oom", "skipped: " + skip));
                    return -1;
                }
            }
            var oom = Oom.OomKiller.OutOfMemory(node, gfp, order);
            result.AddStep(new SlowPathStep("__alloc_pages_may_oom", "out_of_memory: " + oom));
            if (oom.Victim != null || nofail) progress = true;
            return -1;
        }
    }
}
