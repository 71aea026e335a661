using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using MemMgmt.Core.Watermarks;

namespace MemMgmt.Core.Allocation
{
    public static partial class PageAllocator
    {
        /// <summary>kernel: free_hot_cold_page_list (mm/page_alloc.c, 4.14) for one page reclaim freed: its owner's
        /// handle is dropped (the owner's mapping now points at swap or nothing), accounting undone, pages freed.</summary>
        internal static void FreeReclaimedPage(MemNode node, int index, int cpu)
        {
            var pages = node.Pages;
            int order = pages.OrderOf(index);
            int slot = pages.Handle[index];
            if (slot != 0 && node.Allocations.IsLive(slot) && node.Allocations.IndexOf(slot) == index) node.Allocations.Remove(slot);
            ReleaseOwner(node, index, order);
            FreePagesIndex(node, index, order, cpu);
        }

        /// <summary>Allocates ignoring watermarks (ALLOC_NO_WATERMARKS, as a PF_MEMALLOC context may): for tests and
        /// benchmarks that must drive a zone below its min watermark. Returns the handle, or 0 when no page is free.</summary>
        internal static long AllocateNoWatermarks(MemNode node, int order, GfpFlags gfp, PageOwner owner, int cpu = 0)
        {
            var mt = Gfp.ToMigratetype(gfp, node.PageGroupByMobilityDisabled);
            int flags = AllocFlagBits.NoWatermarks | (mt == MigrateType.Movable ? AllocFlagBits.Cma : 0);
            int index = GetPageFromFreelist(node, order, gfp, cpu, flags, out _, out _);
            if (index < 0) return 0;
            PrepNewPage(node, index, order, owner, gfp, cpu);
            int slot = node.Allocations.Add(index, out long handle);
            node.Pages.Handle[index] = slot;
            return handle;
        }
    }
}
