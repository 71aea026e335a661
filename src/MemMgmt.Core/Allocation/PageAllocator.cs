using System;
using System.Runtime.CompilerServices;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Watermarks;

namespace MemMgmt.Core.Allocation
{
    /// <summary>What one alloc_pages call did.</summary>
    public sealed partial class AllocationResult
    {
        internal AllocationResult(MemNode node) { Node = node; }

        public MemNode Node { get; }
        public bool Success { get; internal set; }
        public long Handle { get; internal set; }
        public long Pfn { get; internal set; } = -1;
        public int Order { get; internal set; }
        public GfpFlags Gfp { get; internal set; }
        public PageOwner Owner { get; internal set; }
        public int Cpu { get; internal set; }
        public ZoneType? Zone { get; internal set; }
        /// <summary>The request's migrate type (gfpflags_to_migratetype).</summary>
        public MigrateType MigrateType { get; internal set; }
        /// <summary>The pageblock's type after the allocation (it changes when a fallback claimed the block).</summary>
        public MigrateType BlockMigrateType { get; internal set; }
        public AllocSource Source { get; internal set; }
        /// <summary>"fast" (get_page_from_freelist at the low watermark) or, when it failed, why.</summary>
        public string Path { get; internal set; } = "fast";
        public string? FailureReason { get; internal set; }
    }

    /// <summary>alloc_pages and __free_pages over the node's zonelist.</summary>
    public static partial class PageAllocator
    {
        private static MemMgmtException Bad(string id, ErrorKind kind, string message, object? target) =>
            new MemMgmtException(id, kind, message, target);

        /// <summary>Checks a request without touching state (validate first, then mutate).</summary>
        public static void Validate(MemNode node, int order, int cpu)
        {
            if (order < 0 || order >= node.Geometry.MaxOrder)
                throw Bad("OrderOutOfRange", ErrorKind.OutOfRange,
                    $"Order {order} is out of range; allowed 0 to {node.Geometry.MaxOrder - 1} (MAX_ORDER {node.Geometry.MaxOrder} with {node.Geometry.PageSize / 1024}K pages).", order);
            if (cpu < 0 || cpu >= node.NrCpus)
                throw Bad("CpuOutOfRange", ErrorKind.OutOfRange, $"Cpu {cpu} is out of range; the node has CPUs 0 to {node.NrCpus - 1}.", cpu);
        }

        /// <summary>The owner an allocation gets when the caller names none: by the GFP mask's migrate type.</summary>
        public static PageOwner DefaultOwner(GfpFlags gfp) => Gfp.ToMigratetype(gfp) switch
        {
            MigrateType.Movable => PageOwner.Anon,
            MigrateType.Reclaimable => PageOwner.SlabReclaimable,
            _ => PageOwner.Kernel,
        };

        /// <summary>kernel: __alloc_pages_nodemask fast path (mm/page_alloc.c, 4.14): prepare_alloc_pages then
        /// get_page_from_freelist at ALLOC_WMARK_LOW; a miss goes on to the slow path.</summary>
        public static AllocationResult Allocate(MemNode node, int order, GfpFlags gfp, int cpu = 0, PageOwner? owner = null)
        {
            Validate(node, order, cpu);
            var mt = Gfp.ToMigratetype(gfp, node.PageGroupByMobilityDisabled);
            int index = GetPageFromFreelist(node, order, gfp, cpu, FastPathFlags(gfp, mt) | node.Kernel.FairAllocFlag, out var zone, out var source);
            return Finish(node, index, zone, source, order, gfp, cpu, owner ?? DefaultOwner(gfp), mt);
        }

        /// <summary>The fast path of <see cref="Allocate"/> for bulk workloads (validated by the caller): a page the
        /// fast path serves is prepared and gets a handle without a result object; a miss returns false and the caller
        /// goes on with <see cref="AllocateAfterFastPath"/>, so the request takes exactly the kernel's steps either way.</summary>
        internal static bool TryAllocateFast(MemNode node, int order, GfpFlags gfp, int cpu, PageOwner owner, out int index, out long handle)
        {
            var mt = Gfp.ToMigratetype(gfp, node.PageGroupByMobilityDisabled);
            index = GetPageFromFreelist(node, order, gfp, cpu, FastPathFlags(gfp, mt) | node.Kernel.FairAllocFlag, out _, out _);
            if (index < 0) { handle = 0; return false; }
            PrepNewPage(node, index, order, owner, gfp, cpu);
            node.Pages.Handle[index] = node.Allocations.Add(index, out handle);
            return true;
        }

        /// <summary><see cref="Allocate"/> after its fast path missed (see <see cref="TryAllocateFast"/>).</summary>
        internal static AllocationResult AllocateAfterFastPath(MemNode node, int order, GfpFlags gfp, int cpu, PageOwner owner) =>
            Finish(node, -1, null, AllocSource.None, order, gfp, cpu, owner, Gfp.ToMigratetype(gfp, node.PageGroupByMobilityDisabled));

        /// <summary><see cref="Allocate"/> (validated by the caller) whose page fills the dead slot <paramref name="slot"/> of a
        /// reserved range of the allocation table instead of taking a slot of its own.</summary>
        internal static AllocationResult AllocateInto(MemNode node, int order, GfpFlags gfp, int cpu, PageOwner owner, int slot)
        {
            var mt = Gfp.ToMigratetype(gfp, node.PageGroupByMobilityDisabled);
            int index = GetPageFromFreelist(node, order, gfp, cpu, FastPathFlags(gfp, mt) | node.Kernel.FairAllocFlag, out var zone, out var source);
            return Finish(node, index, zone, source, order, gfp, cpu, owner, mt, slot);
        }

        /// <summary>The profile's slow path, its events traced on the allocating task's CPU; out of line so the try/finally
        /// stays off the fast path's frame.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static int SlowpathOnTaskCpu(MemNode node, int order, GfpFlags gfp, int cpu, AllocationResult result,
            out Zone? zone, out AllocSource source)
        {
            using (node.Trace.OnTaskCpu(cpu))
                return node.Kernel.AllocRetryByReclaimProgress
                    ? AllocPagesSlowpath44(node, order, gfp, cpu, result, out zone, out source)
                    : AllocPagesSlowpath(node, order, gfp, cpu, result, out zone, out source);
        }

        /// <summary>The slow path when the fast path found no page, then the result of the request.</summary>
        private static AllocationResult Finish(MemNode node, int index, Zone? zone, AllocSource source, int order, GfpFlags gfp,
            int cpu, PageOwner owner, MigrateType mt, int intoSlot = 0)
        {
            var result = new AllocationResult(node) { Order = order, Gfp = gfp, Cpu = cpu, MigrateType = mt, Owner = owner };
            if (index < 0) index = SlowpathOnTaskCpu(node, order, gfp, cpu, result, out zone, out source);
            if (index < 0) return result;
            PrepNewPage(node, index, order, result.Owner, gfp, cpu);
            long handle;
            int slot = intoSlot;
            if (slot != 0) node.Allocations.AddAt(slot, index, out handle);
            else slot = node.Allocations.Add(index, out handle);
            node.Pages.Handle[index] = slot;
            result.Success = true;
            result.Handle = handle;
            result.Pfn = node.NodeStartPfn + index;
            result.Zone = zone!.Type;
            result.Source = source;
            result.BlockMigrateType = (MigrateType)node.BlockMigratetype(index);
            return result;
        }

        /// <summary>The fast path's flags: ALLOC_WMARK_LOW, plus ALLOC_CMA for movable requests (prepare_alloc_pages) and
        /// ALLOC_KSWAPD for requests that may wake kswapd (alloc_flags_nofragment, 6.1). ALLOC_NOFRAGMENT is set here for
        /// every request and kept by get_page_from_freelist only when the preferred zone asks for it (<see cref="Zone.NoFragmentMask"/>),
        /// so the profile check costs the hot path one AND.</summary>
        internal static int FastPathFlags(GfpFlags gfp, MigrateType mt) =>
            AllocFlagBits.WmarkLow | AllocFlagBits.NoFragment | (mt == MigrateType.Movable ? AllocFlagBits.Cma : 0) | ((int)gfp & AllocFlagBits.Kswapd);

        /// <summary>gfp_zone(gfp) as the zone index the zonelist walk stops at (high_zoneidx): the profile's table.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static int HighZoneIdx(MemNode node, GfpFlags gfp) => node.Kernel.GfpHighZoneIdx[(int)gfp & KernelProfile.GfpZoneBits];

        /// <summary>kernel: get_page_from_freelist (mm/page_alloc.c, 4.14; 6.1): first zone of the zonelist (up to the GFP's
        /// highest zone) that passes its watermark and has pages; order &gt; 0 ALLOC_HARDER successes reserve a highatomic block;
        /// on 6.1 a walk under ALLOC_NOFRAGMENT that found nothing walks again without it.</summary>
        internal static int GetPageFromFreelist(MemNode node, int order, GfpFlags gfp, int cpu, int allocFlags,
            out Zone? zone, out AllocSource source)
        {
            int highZoneIdx = HighZoneIdx(node, gfp), mt = (int)Gfp.ToMigratetype(gfp, node.PageGroupByMobilityDisabled);
            if (node.Kernel.FairZoneAllocation)
                return GetPageFromFreelist44(node, order, highZoneIdx, mt, cpu, allocFlags, gfp, out zone, out source);
            return GetPageFromFreelist(node, order, highZoneIdx, mt, cpu, allocFlags, gfp, out zone, out source);
        }

        /// <summary>get_page_from_freelist with gfp_zone and the migrate type already worked out.</summary>
        /// <remarks>The same walk is compiled twice: inlined with order 0 (the per-cpu list path, which folds to the pcp pop)
        /// and once out of line for higher orders, which inlines __zone_watermark_ok and the buddy path into itself, so an
        /// order &gt; 0 request makes one call instead of one per step.</remarks>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int GetPageFromFreelist(MemNode node, int order, int highZoneIdx, int mt, int cpu, int allocFlags,
            GfpFlags gfp, out Zone? zone, out AllocSource source)
        {
            if (order == 0) return GetPageFromFreelistWalk(node, 0, highZoneIdx, mt, cpu, allocFlags, gfp, false, out zone, out source);
            return GetPageFromFreelistHigherOrder(node, order, highZoneIdx, mt, cpu, allocFlags, gfp, out zone, out source);
        }

        /// <summary>get_page_from_freelist for order &gt; 0 (see <see cref="GetPageFromFreelist(MemNode, int, int, int, int, int, GfpFlags, out Zone?, out AllocSource)"/>).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int GetPageFromFreelistHigherOrder(MemNode node, int order, int highZoneIdx, int mt, int cpu, int allocFlags,
            GfpFlags gfp, out Zone? zone, out AllocSource source) =>
            GetPageFromFreelistWalk(node, order, highZoneIdx, mt, cpu, allocFlags, gfp, false, out zone, out source);

        /// <summary>The zonelist walk of get_page_from_freelist. <paramref name="fairZones"/>, a constant at every call site so
        /// the other profiles' walks compile without it, adds 4.4's fair zone allocation policy
        /// (<see cref="GetPageFromFreelist44"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int GetPageFromFreelistWalk(MemNode node, int order, int highZoneIdx, int mt, int cpu, int allocFlags,
            GfpFlags gfp, bool fairZones, out Zone? zone, out AllocSource source)
        {
            bool cold = (gfp & GfpFlags.__GFP_COLD) != 0;
            var zonelist = node.Zonelist;
            int classzoneIdx = -1;
            int markIdx = allocFlags & AllocFlagBits.WmarkMask;
            int nrFairSkipped = 0;
            source = AllocSource.None;
        retry:
            for (int i = 0; i < zonelist.Length; i++)
            {
                var z = zonelist[i];
                int zid = z.Idx;
                if (zid > highZoneIdx) continue;
                if (classzoneIdx < 0)
                {
                    classzoneIdx = zid;
                    // alloc_flags_nofragment(preferred zone): keep ALLOC_NOFRAGMENT only where the preferred zone asks for it.
                    allocFlags &= z.NoFragmentMask;
                }
                if (fairZones && (allocFlags & AllocFlagBits.Fair) != 0 && z.FairDepleted)
                {
                    nrFairSkipped++;
                    continue;
                }
                long mark = z.WmarkPages(markIdx);
                if (!ZoneWatermark.Fast(z, order, mark, classzoneIdx, allocFlags, gfp))
                {
                    if ((allocFlags & AllocFlagBits.NoWatermarks) == 0) continue; // node_reclaim_mode is 0
                }
                int page = BuddyAllocator.RmqueueZone(z, cpu, order, mt, allocFlags, out source, cold);
                if (page >= 0)
                {
                    if (fairZones) ChargeAllocBatch(z, order);
                    if (order > 0 && (allocFlags & AllocFlagBits.Harder) != 0) BuddyAllocator.ReserveHighatomicPageblock(z, page);
                    zone = z;
                    return page;
                }
            }
            if (fairZones && (allocFlags & AllocFlagBits.Fair) != 0)
            {
                allocFlags &= ~AllocFlagBits.Fair;
                if (nrFairSkipped != 0)
                {
                    ResetAllocBatches(node, classzoneIdx);
                    goto retry;
                }
            }
            // Every zone was too fragmented to give a page without splitting a pageblock: fragment rather than fail.
            if ((allocFlags & AllocFlagBits.NoFragment) != 0)
            {
                allocFlags &= ~AllocFlagBits.NoFragment;
                goto retry;
            }
            zone = null;
            return -1;
        }

        /// <summary>kernel: prep_new_page, then what the owner does with the page: LRU pages are queued on the allocating
        /// cpu's lru_add pagevec (do_anonymous_page → lru_cache_add_active_or_unevictable, 6.1 its inactive variant, add_to_page_cache_lru and
        /// shmem_getpage_gfp → lru_cache_add, 4.14), slab and page tables are accounted.</summary>
        internal static void PrepNewPage(MemNode node, int index, int order, PageOwner owner, GfpFlags gfp, int cpu)
        {
            var pages = node.Pages;
            int nr = 1 << order;
            uint flags = (uint)PageFlags.Allocated;
            if ((gfp & GfpFlags.__GFP_COMP) != 0 && order > 0) flags |= (uint)PageFlags.Head;
            pages.Flags[index] = PageMap.WithOrder(flags, order);
            pages.Owner[index] = (byte)owner;
            pages.ExtraRefs[index] = 0;
            var counters = node.Counters;
            int zid = node.ZoneIdOfIndex(index);
            switch (owner)
            {
                case PageOwner.Anon:
                    // 4.14 faults anon pages in with lru_cache_add_active_or_unevictable: they start active (6.1: inactive,
                    // KernelProfile.AnonWorkingsetProtection). The PTE do_anonymous_page installs is young: arm64's
                    // PAGE_DEFAULT carries PTE_AF.
                    pages.Set(index, node.Kernel.AnonWorkingsetProtection
                        ? PageFlags.SwapBacked | PageFlags.Mapped | PageFlags.PteYoung
                        : PageFlags.SwapBacked | PageFlags.Active | PageFlags.Mapped | PageFlags.PteYoung);
                    counters.Mod(NodeStatItem.NrAnonMapped, zid, nr);
                    LruCache.Add(node, cpu, index);
                    break;
                case PageOwner.FileCache:
                    // add_to_page_cache_lru: inactive file.
                    counters.Mod(NodeStatItem.NrFilePages, zid, nr);
                    LruCache.Add(node, cpu, index);
                    break;
                case PageOwner.Shmem:
                    pages.Set(index, PageFlags.SwapBacked);
                    counters.Mod(NodeStatItem.NrFilePages, zid, nr);
                    counters.Mod(NodeStatItem.NrShmem, zid, nr);
                    LruCache.Add(node, cpu, index); // shmem_getpage_gfp: inactive anon
                    break;
                case PageOwner.SlabReclaimable:
                    pages.Set(index, PageFlags.Slab);
                    counters.Mod(NodeStatItem.NrSlabReclaimable, zid, nr);
                    break;
                case PageOwner.SlabUnmovable:
                    pages.Set(index, PageFlags.Slab);
                    counters.Mod(NodeStatItem.NrSlabUnreclaimable, zid, nr);
                    break;
                case PageOwner.PageTable:
                    node.ZoneArr[zid].Stat[(int)ZoneStatItem.NrPageTablePages] += nr;
                    break;
            }
        }

        /// <summary>Undoes PrepNewPage's accounting before the pages go back.</summary>
        private static void ReleaseOwner(MemNode node, int index, int order)
        {
            var pages = node.Pages;
            int nr = 1 << order;
            var counters = node.Counters;
            if (pages.Has(index, PageFlags.Lru)) Lru.Del(node, index, nr);
            var owner = (PageOwner)pages.Owner[index];
            int zid = node.ZoneIdOfIndex(index);
            if (owner == PageOwner.Anon || owner == PageOwner.FileCache || owner == PageOwner.Shmem) LruCache.Forget(node, index);
            if ((pages.Flags[index] & ReclaimRelease.Mask) != 0) ReclaimRelease.OnRelease(node, index, nr);
            switch (owner)
            {
                case PageOwner.Anon: counters.Mod(NodeStatItem.NrAnonMapped, zid, -nr); break;
                case PageOwner.FileCache: counters.Mod(NodeStatItem.NrFilePages, zid, -nr); break;
                case PageOwner.Shmem: counters.Mod(NodeStatItem.NrFilePages, zid, -nr); counters.Mod(NodeStatItem.NrShmem, zid, -nr); break;
                case PageOwner.SlabReclaimable: counters.Mod(NodeStatItem.NrSlabReclaimable, zid, -nr); break;
                case PageOwner.SlabUnmovable: counters.Mod(NodeStatItem.NrSlabUnreclaimable, zid, -nr); break;
                case PageOwner.PageTable: node.ZoneArr[zid].Stat[(int)ZoneStatItem.NrPageTablePages] -= nr; break;
            }
            pages.Owner[index] = 0;
            pages.ExtraRefs[index] = 0;
            pages.Memcg[index] = 0;
            pages.Handle[index] = 0;
        }

        /// <summary>Frees an allocation by handle (__free_pages); a freed or foreign handle is rejected without changes.</summary>
        public static void Free(MemNode node, long handle, int cpu = 0)
        {
            int slot = node.Allocations.Resolve(handle);
            if (slot < 0)
                throw Bad("AllocationNotLive", ErrorKind.InvalidOperation,
                    $"Allocation handle 0x{handle:x} is not live on node '{node.Name}': it was freed already or belongs to another node.", handle);
            if (cpu < 0 || cpu >= node.NrCpus)
                throw Bad("CpuOutOfRange", ErrorKind.OutOfRange, $"Cpu {cpu} is out of range; the node has CPUs 0 to {node.NrCpus - 1}.", cpu);
            int index = node.Allocations.IndexOf(slot);
            int order = node.Pages.OrderOf(index);
            node.Allocations.Remove(slot);
            ReleaseOwner(node, index, order);
            FreePagesIndex(node, index, order, cpu);
        }

        /// <summary>kernel: __free_pages, free_the_page (mm/page_alloc.c, 4.14; 6.1): order 0 through the per-cpu list, larger
        /// orders to the buddy lists; 6.1 also frees pcp_allowed_order orders to the per-cpu lists.</summary>
        internal static void FreePagesIndex(MemNode node, int index, int order, int cpu)
        {
            int block = index >> node.PbOrder;
            var zone = node.ZoneArr[node.PageblockZone[block]];
            // The pageblock's type, read once for the zone and the pcp list or the buddy lists (get_pfnblock_migratetype).
            if (order == 0) BuddyAllocator.FreeHotPage(zone, cpu, index, node.PageblockBits[block] & 7);
            else FreeHigherOrder(node, zone, index, order, cpu, node.PageblockBits[block] & 7);
        }

        /// <summary>free_the_page for order &gt; 0: 6.1's pcp orders to the per-cpu lists, the rest to the buddy lists
        /// (__free_pages_ok with the pageblock type <paramref name="migratetype"/> read by the caller).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void FreeHigherOrder(MemNode node, Zone zone, int index, int order, int cpu, int migratetype)
        {
            if (node.Kernel.PcpHighOrder && BuddyAllocator.PcpAllowedOrder(node, order)) BuddyAllocator.FreeUnrefPageOrder(zone, cpu, index, order);
            else BuddyAllocator.FreePagesOk(zone, index, order, migratetype);
        }

        /// <summary>The bare fast path without handles or owners, for benchmarks and property tests: returns the page index or -1.
        /// It walks as 4.14 and 6.1 do: a 4.4 node's fair batches are not charged here (the profile check would cost the
        /// measured loop its code layout).</summary>
        internal static int AllocPagesIndex(MemNode node, int order, GfpFlags gfp, int cpu)
        {
            var mt = Gfp.ToMigratetype(gfp, node.PageGroupByMobilityDisabled);
            int index = GetPageFromFreelist(node, order, HighZoneIdx(node, gfp), (int)mt, cpu, FastPathFlags(gfp, mt), gfp, out _, out _);
            if (index >= 0)
            {
                var pages = node.Pages;
                pages.Flags[index] = PageMap.WithOrder((uint)PageFlags.Allocated, order);
            }
            return index;
        }

        /// <summary>Returns every CPU's per-cpu pages to the buddy lists (drain_all_pages).</summary>
        public static void DrainAllPages(MemNode node) => BuddyAllocator.DrainAllPages(node);

        /// <summary>Sizes the handle table once for <paramref name="count"/> further allocations of <paramref name="order"/> (at
        /// most what the free memory holds now), so a bulk request (New-PageAllocation -Count) does not leave the slack of
        /// the table's doubling: a handle then costs its slot's eight bytes.</summary>
        public static void ReserveHandles(MemNode node, long count, int order)
        {
            if (count > 1 && order >= 0 && order < node.Geometry.MaxOrder) node.Allocations.EnsureCapacity(Math.Min(count, node.FreePages >> order));
        }

        /// <summary>Resolves a live handle to its current pfn and order.</summary>
        public static bool TryGetAllocation(MemNode node, long handle, out long pfn, out int order)
        {
            int slot = node.Allocations.Resolve(handle);
            if (slot < 0) { pfn = -1; order = -1; return false; }
            int index = node.Allocations.IndexOf(slot);
            pfn = node.NodeStartPfn + index;
            order = node.Pages.OrderOf(index);
            return true;
        }
    }
}
