using System;
using System.Collections.Generic;
using System.Threading;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Workloads
{
    /// <summary>How the fill is fragmented.</summary>
    public enum PressurePattern
    {
        /// <summary>Allocate and keep everything.</summary>
        Fill,
        /// <summary>Free every other page (or chunk of -ChunkPages pages) by pfn: each freed page's buddy stays in use.</summary>
        EveryOther,
        /// <summary>Free each page with probability one half.</summary>
        RandomHalf,
        /// <summary>Free three pages of every four in each pageblock (keep pfn % 4 == 0): no free pageblock remains.</summary>
        ThreeQuarters,
        /// <summary>Interleave frees with the allocations: after each allocation a random live page is freed with probability 1/4.</summary>
        Churn,
        /// <summary>The arm64-qemu harness's frag program: 2 MiB anon chunks with tmpfs files and a pipe per chunk, then every
        /// other page of each chunk freed (-Parity picks the pages: Even frees pages 0, 2, 4, … of the chunk, as frag's alt).</summary>
        Frag,
        /// <summary>The frag program with its rand pattern: a half of each chunk's pages freed from frag's fixed-seed generator.</summary>
        FragRandom,
    }

    /// <summary>Which pages an every-other pattern frees: those at even or at odd positions.</summary>
    public enum PageParity
    {
        Even,
        Odd,
    }

    /// <summary>What Add-Pressure does; every field is checked by <see cref="Validate"/> before anything changes.</summary>
    public sealed class PressureOptions
    {
        /// <summary>Order of the requests made after the fill (the fill itself is order-0 pages, which the pattern fragments).</summary>
        public int Order { get; set; }
        /// <summary>Percent of managed pages the fill allocates (0 &lt; p ≤ 100); it also stops at the first failed
        /// allocation. Default 100 unless SizeBytes is set.</summary>
        public double? Percent { get; set; }
        /// <summary>Bytes the fill allocates (instead of Percent).</summary>
        public long? SizeBytes { get; set; }
        public PressurePattern Pattern { get; set; } = PressurePattern.EveryOther;
        /// <summary>Chunk size in pages for EveryOther (the selftest's 1 MiB chunks are 256 pages).</summary>
        public int? ChunkPages { get; set; }
        /// <summary>EveryOther: whether the chunks at even or odd pfns (counted from the node start) are freed (default Odd);
        /// Frag: whether the even or odd pages of each 2 MiB chunk are freed (default Even, frag's alt).</summary>
        public PageParity? Parity { get; set; }
        /// <summary>One GFP mask for every fill page; exclusive with the migrate-type fractions.</summary>
        public GfpFlags? Gfp { get; set; }
        /// <summary>Fractions of fill pages allocated unmovable (GFP_KERNEL) and reclaimable (GFP_KERNEL|__GFP_RECLAIMABLE); the rest is movable (GFP_HIGHUSER_MOVABLE).</summary>
        public double UnmovableFraction { get; set; }
        /// <summary>Flags added to every fill request, e.g. __GFP_MEMALLOC (ALLOC_NO_WATERMARKS) to take all memory.</summary>
        public GfpFlags ExtraGfp { get; set; }
        public double ReclaimableFraction { get; set; }
        /// <summary>Fraction of movable fill pages that are page cache (file) rather than anonymous memory.</summary>
        public double FileFraction { get; set; }
        public double PinnedFraction { get; set; }
        public double DirtyFraction { get; set; }
        public double WritebackFraction { get; set; }
        public double MlockedFraction { get; set; }
        /// <summary>Requests of <see cref="Order"/> made after the fill; default 64 when Order &gt; 0, else 0.</summary>
        public int? Requests { get; set; }
        /// <summary>GFP mask of the requests (default GFP_HIGHUSER_MOVABLE, with __GFP_COMP for order &gt; 0).</summary>
        public GfpFlags? RequestGfp { get; set; }
        /// <summary>Reseeds the node's generator first (same seed, same commands: same state).</summary>
        public ulong? Seed { get; set; }
        public int Cpu { get; set; }
        /// <summary>Called every 4096 fill pages and at each request with (done, total) on the caller's thread.</summary>
        public Action<long, long>? Progress { get; set; }

        private static MemMgmtException Bad(string id, string msg, object? target) => new MemMgmtException(id, ErrorKind.InvalidArgument, msg, target);

        /// <summary>Rejects bad or contradictory options before any state changes.</summary>
        public void Validate(MemNode node)
        {
            if (Order < 0 || Order >= node.Geometry.MaxOrder)
                throw new MemMgmtException("OrderOutOfRange", ErrorKind.OutOfRange,
                    $"Order {Order} is out of range; allowed 0 to {node.Geometry.MaxOrder - 1}.", Order);
            if (Percent.HasValue && SizeBytes.HasValue)
                throw Bad("ContradictoryPressureOptions", $"Give either Percent ({Percent}) or Size ({SizeBytes} bytes), not both.", Percent);
            if (Percent.HasValue && (double.IsNaN(Percent.Value) || Percent.Value <= 0 || Percent.Value > 100))
                throw new MemMgmtException("PercentOutOfRange", ErrorKind.OutOfRange, $"Percent {Percent} is out of range; allowed more than 0 up to 100.", Percent);
            if (SizeBytes.HasValue && (SizeBytes.Value <= 0 || SizeBytes.Value > node.ManagedPages * (long)node.Geometry.PageSize))
                throw new MemMgmtException("SizeOutOfRange", ErrorKind.OutOfRange,
                    $"Size {SizeBytes} bytes is out of range; allowed 1 to {node.ManagedPages * (long)node.Geometry.PageSize} (the node's managed memory).", SizeBytes);
            if (ChunkPages.HasValue && Pattern != PressurePattern.EveryOther)
                throw Bad("ContradictoryPatternOptions", $"ChunkPages applies only to the EveryOther pattern, not to {Pattern}.", ChunkPages);
            if (Parity.HasValue && Pattern != PressurePattern.EveryOther && Pattern != PressurePattern.Frag)
                throw Bad("ContradictoryPatternOptions", $"Parity applies only to the EveryOther and Frag patterns, not to {Pattern}.", Parity);
            if ((Pattern == PressurePattern.Frag || Pattern == PressurePattern.FragRandom)
                && (SizeBytes.HasValue || Gfp.HasValue || UnmovableFraction != 0 || ReclaimableFraction != 0 || FileFraction != 0))
                throw Bad("ContradictoryPatternOptions",
                    $"The {Pattern} pattern makes frag's own mix of anon, tmpfs, slab and pipe pages and sizes it with Percent of the usable memory; Size, Gfp and the migrate-type and file fractions do not apply.", Pattern);
            if (ChunkPages.HasValue && (ChunkPages.Value < 1 || ChunkPages.Value > node.SpannedPages))
                throw new MemMgmtException("ChunkPagesOutOfRange", ErrorKind.OutOfRange, $"ChunkPages {ChunkPages} is out of range; allowed 1 to {node.SpannedPages}.", ChunkPages);
            if (Gfp.HasValue && (UnmovableFraction != 0 || ReclaimableFraction != 0))
                throw Bad("ContradictoryPressureOptions", "Give either one Gfp mask or a migrate-type mix, not both.", Gfp);
            Fraction("UnmovableFraction", UnmovableFraction);
            Fraction("ReclaimableFraction", ReclaimableFraction);
            if (UnmovableFraction + ReclaimableFraction > 1)
                throw new MemMgmtException("FractionOutOfRange", ErrorKind.OutOfRange,
                    $"Unmovable ({UnmovableFraction}) plus reclaimable ({ReclaimableFraction}) fractions exceed 1.", UnmovableFraction);
            Fraction("FileFraction", FileFraction);
            Fraction("PinnedFraction", PinnedFraction);
            Fraction("DirtyFraction", DirtyFraction);
            Fraction("WritebackFraction", WritebackFraction);
            Fraction("MlockedFraction", MlockedFraction);
            if (Requests.HasValue && Requests.Value < 0)
                throw new MemMgmtException("RequestsOutOfRange", ErrorKind.OutOfRange, $"Requests {Requests} is out of range; allowed 0 or more.", Requests);
            PageAllocator.Validate(node, Order, Cpu);
        }

        private static void Fraction(string name, double v)
        {
            if (double.IsNaN(v) || v < 0 || v > 1)
                throw new MemMgmtException("FractionOutOfRange", ErrorKind.OutOfRange, $"{name} {v} is out of range; allowed 0 to 1.", v);
        }
    }

    /// <summary>What Add-Pressure did.</summary>
    public sealed class PressureReport
    {
        internal PressureReport(MemNode node) { Node = node; }
        public MemNode Node { get; }
        public PressurePattern Pattern { get; internal set; }
        /// <summary>The order the pressure's requests were made at, or -1 when it made none (only the order-0 fill).
        /// Invoke-Compaction takes it from the pipeline as the order to compact for.</summary>
        public int Order { get; internal set; }
        /// <summary>alloc_pages calls made (fill and requests).</summary>
        public long Requests { get; internal set; }
        public long Successes { get; internal set; }
        public long Failures { get; internal set; }
        public IReadOnlyDictionary<int, long> RequestsByOrder { get; internal set; } = new Dictionary<int, long>();
        public IReadOnlyDictionary<int, long> FailuresByOrder { get; internal set; } = new Dictionary<int, long>();
        /// <summary>Allocations that entered direct compaction (compact_stall during the run).</summary>
        public long Stalls { get; internal set; }
        public long CompactSuccess { get; internal set; }
        public long CompactFail { get; internal set; }
        /// <summary>Results of the direct compaction attempts the slow path made, by compact_result.</summary>
        public IReadOnlyDictionary<CompactResult, long> CompactionResults { get; internal set; } = new Dictionary<CompactResult, long>();
        public long PagesAllocated { get; internal set; }
        public long PagesFreed { get; internal set; }
        /// <summary>Handles of the request allocations (those made after the fill) still live after the run, for
        /// Remove-PageAllocation. The fill's pages stay allocated without handles.</summary>
        public IReadOnlyList<long> Handles { get; internal set; } = new long[0];
        public long FreePagesAfter { get; internal set; }
        /// <summary>True when Ctrl+C stopped the run (between two allocations: the node is consistent).</summary>
        public bool Stopped { get; internal set; }

        public override string ToString() => $"{Node.Name}: {Pattern} order {Order}, {Requests} requests, {Failures} failures";
    }

    /// <summary>The pressure generator behind Add-Pressure.</summary>
    public static class Pressure
    {
        /// <summary>Fills, fragments and then requests, all through alloc_pages (fast and slow path).</summary>
        public static PressureReport Run(MemNode node, PressureOptions o, CancellationToken cancel = default)
        {
            o.Validate(node);
            if (o.Seed.HasValue) node.ReseedRandom(o.Seed.Value);
            var rng = node.Random;
            int requests = o.Requests ?? (o.Order > 0 ? 64 : 0);
            var report = new PressureReport(node) { Pattern = o.Pattern, Order = requests > 0 ? o.Order : -1 };
            var reqByOrder = new Dictionary<int, long>();
            var failByOrder = new Dictionary<int, long>();
            var results = new Dictionary<CompactResult, long>();
            long stall0 = node.Counters[VmEvent.CompactStall], succ0 = node.Counters[VmEvent.CompactSuccess], fail0 = node.Counters[VmEvent.CompactFail];
            long target = o.SizeBytes.HasValue ? o.SizeBytes.Value / node.Geometry.PageSize
                : (long)(node.ManagedPages * (o.Percent ?? 100) / 100.0);
            // The fill's handles live only while the run needs them (Churn frees by handle, the patterns free by
            // the page's current pfn, which migration during the run may change); the pages stay allocated after.
            var live = new List<long>((int)Math.Min(target, int.MaxValue / 2));
            var requestHandles = new List<long>();
            node.Allocations.EnsureCapacity(target);
            var prevStop = node.Stop;
            node.Stop = cancel.CanBeCanceled ? () => cancel.IsCancellationRequested : prevStop;
            var burst = Time.Daemons.Burst(node);
            try
            {
                bool frag = o.Pattern == PressurePattern.Frag || o.Pattern == PressurePattern.FragRandom;
                if (frag) FragWorkload.Run(node, o, live, report, reqByOrder, failByOrder, results, cancel);
                // Fill: order-0 pages until the target or the first failure. Requests the fast path serves are counted
                // in bulk; only a request that reaches the slow path builds a result (its steps are what Count reads).
                long fastServed = 0;
                for (long i = 0; i < target && !frag; i++)
                {
                    if ((i & 1023) == 0 && cancel.IsCancellationRequested) { report.Stopped = true; break; }
                    if ((i & 4095) == 0) o.Progress?.Invoke(i, target);
                    var gfp = PickGfp(o, rng) | o.ExtraGfp;
                    var owner = PickOwner(o, gfp, rng);
                    if (PageAllocator.TryAllocateFast(node, 0, gfp, o.Cpu, owner, out int index, out long handle))
                    {
                        fastServed++;
                        Time.Daemons.AfterRequest(node, o.Cpu, WorkloadCost.AllocPagesNs);
                    }
                    else
                    {
                        if (fastServed > 0) { CountServed(report, reqByOrder, fastServed); fastServed = 0; }
                        var r = PageAllocator.AllocateAfterFastPath(node, 0, gfp, o.Cpu, owner);
                        Time.Daemons.AfterRequest(node, o.Cpu, WorkloadCost.AllocPagesNs);
                        Count(report, reqByOrder, failByOrder, results, r, 0);
                        if (!r.Success) break;
                        index = node.ToIndex(r.Pfn);
                        handle = r.Handle;
                    }
                    report.PagesAllocated++;
                    ApplyModifiers(node, o, index, owner, rng);
                    live.Add(handle);
                    if (o.Pattern == PressurePattern.Churn && live.Count > 1 && rng.Next(4) == 0)
                    {
                        int k = (int)rng.Next(live.Count - 1);
                        FreeOne(node, live[k], o.Cpu);
                        report.PagesFreed++;
                        live[k] = live[live.Count - 2];
                        live[live.Count - 2] = live[live.Count - 1];
                        live.RemoveAt(live.Count - 1);
                    }
                }
                if (fastServed > 0) CountServed(report, reqByOrder, fastServed);
                if (!report.Stopped && !frag) FragmentFill(node, o, live, rng, report, cancel);
                // Before the requests, so theirs take the lowest slots and the table stays small.
                ForgetFillHandles(node, live);
                var reqGfp = o.RequestGfp ?? (GfpFlags.GFP_HIGHUSER_MOVABLE | (o.Order > 0 ? GfpFlags.__GFP_COMP : 0));
                for (int i = 0; i < requests && !report.Stopped; i++)
                {
                    if (cancel.IsCancellationRequested) { report.Stopped = true; break; }
                    var r = PageAllocator.Allocate(node, o.Order, reqGfp, o.Cpu, null);
                    Time.Daemons.AfterRequest(node, o.Cpu, WorkloadCost.AllocPagesNs);
                    Count(report, reqByOrder, failByOrder, results, r, o.Order);
                    if (r.Success) { report.PagesAllocated += 1L << o.Order; requestHandles.Add(r.Handle); }
                    if (cancel.IsCancellationRequested) report.Stopped = true;
                }
            }
            finally
            {
                node.Stop = prevStop;
                ForgetFillHandles(node, live); // a run stopped before the requests
                burst.Dispose();
            }
            report.RequestsByOrder = reqByOrder;
            report.FailuresByOrder = failByOrder;
            report.CompactionResults = results;
            report.Stalls = node.Counters[VmEvent.CompactStall] - stall0;
            report.CompactSuccess = node.Counters[VmEvent.CompactSuccess] - succ0;
            report.CompactFail = node.Counters[VmEvent.CompactFail] - fail0;
            report.Handles = requestHandles.ToArray();
            report.FreePagesAfter = node.FreePages;
            return report;
        }

        /// <summary>
        /// Drops the handles of the fill pages still allocated: the pages stay allocated with their owners, flags and
        /// LRU state, as a task's anonymous and page-cache memory has no handle in the kernel either, and the handle
        /// table gives back the slots' memory. A workload that must free its pages one by one keeps handles
        /// (New-PageAllocation, Add-WorkingSet); the fill's bookkeeping would otherwise cost more than the page arrays.
        /// </summary>
        private static void ForgetFillHandles(MemNode node, List<long> live)
        {
            if (live.Count == 0) return;
            var table = node.Allocations;
            var pages = node.Pages;
            foreach (long h in live)
            {
                int slot = table.Resolve(h);
                if (slot < 0) continue;
                pages.Handle[table.IndexOf(slot)] = 0;
                table.Remove(slot);
            }
            live.Clear();
            table.Trim();
        }

        internal static void Count(PressureReport report, Dictionary<int, long> req, Dictionary<int, long> fail,
            Dictionary<CompactResult, long> results, AllocationResult r, int order)
        {
            report.Requests++;
            req.TryGetValue(order, out long n); req[order] = n + 1;
            if (r.Success) report.Successes++;
            else { report.Failures++; fail.TryGetValue(order, out long f); fail[order] = f + 1; }
            foreach (var s in r.Steps)
                if (s.Step == "__alloc_pages_direct_compact" && s.CompactResult.HasValue)
                {
                    results.TryGetValue(s.CompactResult.Value, out long c);
                    results[s.CompactResult.Value] = c + 1;
                }
        }

        /// <summary>What <see cref="Count"/> adds for <paramref name="n"/> order-0 requests the fast path served.</summary>
        private static void CountServed(PressureReport report, Dictionary<int, long> req, long n)
        {
            report.Requests += n;
            report.Successes += n;
            req.TryGetValue(0, out long c); req[0] = c + n;
        }

        private static GfpFlags PickGfp(PressureOptions o, SimRandom rng)
        {
            if (o.Gfp.HasValue) return o.Gfp.Value;
            if (o.UnmovableFraction == 0 && o.ReclaimableFraction == 0) return GfpFlags.GFP_HIGHUSER_MOVABLE;
            double x = rng.NextDouble();
            if (x < o.UnmovableFraction) return GfpFlags.GFP_KERNEL;
            if (x < o.UnmovableFraction + o.ReclaimableFraction) return GfpFlags.GFP_KERNEL | GfpFlags.__GFP_RECLAIMABLE;
            return GfpFlags.GFP_HIGHUSER_MOVABLE;
        }

        private static PageOwner PickOwner(PressureOptions o, GfpFlags gfp, SimRandom rng)
        {
            var mt = Allocation.Gfp.ToMigratetype(gfp & ~o.ExtraGfp);
            if (mt == MigrateType.Unmovable) return PageOwner.SlabUnmovable;
            if (mt == MigrateType.Reclaimable) return PageOwner.SlabReclaimable;
            return o.FileFraction > 0 && rng.NextDouble() < o.FileFraction ? PageOwner.FileCache : PageOwner.Anon;
        }

        /// <summary>Marks a new LRU page dirty, under writeback, pinned or mlocked, keeping the counters and its LRU list right
        /// (the page may be on a list already or still waiting in the lru_add pagevec).</summary>
        private static void ApplyModifiers(MemNode node, PressureOptions o, int index, PageOwner owner, SimRandom rng)
        {
            if (owner != PageOwner.Anon && owner != PageOwner.FileCache && owner != PageOwner.Shmem) return;
            var pages = node.Pages;
            if (o.PinnedFraction > 0 && rng.NextDouble() < o.PinnedFraction) pages.ExtraRefs[index] = 1;
            if (o.DirtyFraction > 0 && rng.NextDouble() < o.DirtyFraction)
            {
                pages.Set(index, PageFlags.Dirty);
                if (owner != PageOwner.Anon) node.Counters.Mod(NodeStatItem.NrFileDirty, node.ZoneIdOfIndex(index), 1);
            }
            if (o.WritebackFraction > 0 && rng.NextDouble() < o.WritebackFraction)
            {
                pages.Set(index, PageFlags.Writeback);
                node.Counters.Mod(NodeStatItem.NrWriteback, node.ZoneIdOfIndex(index), 1);
            }
            if (o.MlockedFraction > 0 && rng.NextDouble() < o.MlockedFraction)
            {
                // A VM_LOCKED mapping: lru_cache_add_active_or_unevictable puts the page straight on the unevictable
                // list; it never waits in the lru_add pagevec (or leaves the list it reached when the vector drained).
                if (!LruCache.Unqueue(node, index)) Lru.Del(node, index, 1 << pages.OrderOf(index));
                pages.Set(index, PageFlags.Mlocked);
                LruCache.AddToUnevictableList(node, index);
                node.ZoneOfIndex(index).Stat[(int)ZoneStatItem.NrMlock]++;
            }
        }

        /// <summary>Frees a live allocation, undoing what ApplyModifiers counted.</summary>
        internal static void FreeOne(MemNode node, long handle, int cpu)
        {
            if (!PageAllocator.TryGetAllocation(node, handle, out long pfn, out _)) return;
            int index = node.ToIndex(pfn);
            var pages = node.Pages;
            uint f = pages.Flags[index];
            var owner = (PageOwner)pages.Owner[index];
            if ((f & (uint)PageFlags.Dirty) != 0 && owner != PageOwner.Anon) node.Counters.Mod(NodeStatItem.NrFileDirty, node.ZoneIdOfIndex(index), -1);
            if ((f & (uint)PageFlags.Mlocked) != 0) node.ZoneOfIndex(index).Stat[(int)ZoneStatItem.NrMlock]--;
            // PG_writeback stays: the free settles it (ReclaimRelease), whether a write is queued for the page or not.
            pages.Clear(index, PageFlags.Dirty | PageFlags.Mlocked);
            PageAllocator.Free(node, handle, cpu);
        }

        private static void FragmentFill(MemNode node, PressureOptions o, List<long> live, SimRandom rng, PressureReport report, CancellationToken cancel)
        {
            if (o.Pattern == PressurePattern.Fill || o.Pattern == PressurePattern.Churn) return;
            int chunk = o.ChunkPages ?? 1;
            int w = 0;
            for (int i = 0; i < live.Count; i++)
            {
                long h = live[i];
                if ((i & 4095) == 0 && cancel.IsCancellationRequested)
                {
                    report.Stopped = true;
                    for (; i < live.Count; i++) live[w++] = live[i];
                    break;
                }
                if (!PageAllocator.TryGetAllocation(node, h, out long pfn, out _)) continue;
                long rel = pfn - node.NodeStartPfn;
                bool free = o.Pattern switch
                {
                    PressurePattern.EveryOther => ((rel / chunk) & 1) == (o.Parity == PageParity.Even ? 0 : 1),
                    PressurePattern.RandomHalf => rng.Next(2) == 0,
                    _ => (rel & 3) != 0, // ThreeQuarters
                };
                if (free) { FreeOne(node, h, o.Cpu); report.PagesFreed++; }
                else live[w++] = h;
            }
            live.RemoveRange(w, live.Count - w);
        }
    }
}
