using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>What reclaim state a page takes with it when its owner frees it.</summary>
    internal static class ReclaimRelease
    {
        internal const uint Mask = (uint)(PageFlags.Dirty | PageFlags.SwapCache | PageFlags.Writeback);

        /// <summary>A dirty page-cache page truncated by its owner leaves nr_dirty (cancel_dirty_page); a swap-cache page
        /// whose owner unmaps it for good frees its slot (free_swap_and_cache). A page freed under writeback leaves its
        /// write queued for the device but no longer names the page, so the completion settles NR_WRITEBACK once and
        /// touches no page that reuses the pfn; writeback state with no write behind it ends here.</summary>
        internal static void OnRelease(MemNode node, int index, int nr)
        {
            uint f = node.Pages.Flags[index];
            if ((f & (uint)PageFlags.Dirty) != 0 && (f & (uint)PageFlags.SwapBacked) == 0)
                node.Counters.Mod(NodeStatItem.NrFileDirty, node.ZoneIdOfIndex(index), -nr);
            if ((f & (uint)PageFlags.SwapCache) != 0) node.Swap.FreeSlot();
            if ((f & (uint)PageFlags.Writeback) != 0 && !Writeback.WritebackIo.DetachQueued(node, index))
                node.Counters.Mod(NodeStatItem.NrWriteback, node.ZoneIdOfIndex(index), -nr);
        }
    }
}
