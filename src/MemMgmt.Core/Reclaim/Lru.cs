using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>The five LRU lists of a lruvec, in the kernel's order (enum lru_list).</summary>
    public enum LruList
    {
        InactiveAnon = 0,
        ActiveAnon = 1,
        InactiveFile = 2,
        ActiveFile = 3,
        Unevictable = 4,
    }

    /// <summary>LRU list membership: one lruvec per node per memcg (4.14: lruvecs are per node, not per zone).</summary>
    internal static class Lru
    {
        internal const int NrLruLists = 5;
        internal const int LruActive = 1;
        internal const int LruFile = 2;

        internal static int Head(MemNode node, int memcg, LruList lru) => node.LruListBase + memcg * NrLruLists + (int)lru;

        internal static int Head(MemNode node, int memcg, int lru) => node.LruListBase + memcg * NrLruLists + lru;

        /// <summary>kernel: page_lru (include/linux/mm_inline.h, 4.14): unevictable, else file/anon by swapbacked, active by flag.</summary>
        internal static LruList PageLru(uint flags)
        {
            if ((flags & (uint)PageFlags.Unevictable) != 0) return LruList.Unevictable;
            int lru = (flags & (uint)PageFlags.SwapBacked) != 0 ? (int)LruList.InactiveAnon : (int)LruList.InactiveFile;
            if ((flags & (uint)PageFlags.Active) != 0) lru += 1;
            return (LruList)lru;
        }

        /// <summary>kernel: page_lru_base_type (include/linux/mm_inline.h, 4.14).</summary>
        internal static int PageLruBaseType(uint flags) =>
            (flags & (uint)PageFlags.SwapBacked) != 0 ? (int)LruList.InactiveAnon : (int)LruList.InactiveFile;

        internal static bool IsFileLru(int lru) => lru == (int)LruList.InactiveFile || lru == (int)LruList.ActiveFile;

        internal static bool IsActiveLru(int lru) => lru == (int)LruList.ActiveAnon || lru == (int)LruList.ActiveFile;

        /// <summary>kernel: __pagevec_lru_add_fn (mm/swap.c, 4.14) for a page added outside reclaim (lru_cache_add with the
        /// pagevec drained at once): add_page_to_lru_list, then update_page_reclaim_stat(file, active).</summary>
        internal static void Add(MemNode node, int index, int nrPages)
        {
            uint flags = node.Pages.Flags[index];
            AddToList(node, index, nrPages);
            var lruvecs = node.LruvecSt;
            int file = (flags & (uint)PageFlags.SwapBacked) == 0 ? 1 : 0;
            int memcg = node.Pages.Memcg[index];
            lruvecs.Stat(node, memcg, index, file, 1, (flags & (uint)PageFlags.Active) != 0 ? 1 : 0);
        }

        /// <summary>kernel: add_page_to_lru_list (include/linux/mm_inline.h, 4.14): list head, counters by the page's size.</summary>
        internal static void AddToList(MemNode node, int index, int nrPages)
        {
            var pages = node.Pages;
            var lru = PageLru(pages.Flags[index]);
            pages.Set(index, PageFlags.Lru);
            pages.ListAdd(index, Head(node, pages.Memcg[index], lru));
            UpdateSize(node, index, (int)lru, nrPages);
        }

        /// <summary>kernel: add_page_to_lru_list_tail (include/linux/mm_inline.h, 4.14).</summary>
        internal static void AddTail(MemNode node, int index, int nrPages)
        {
            var pages = node.Pages;
            var lru = PageLru(pages.Flags[index]);
            pages.Set(index, PageFlags.Lru);
            pages.ListAddTail(index, Head(node, pages.Memcg[index], lru));
            UpdateSize(node, index, (int)lru, nrPages);
        }

        /// <summary>kernel: del_page_from_lru_list (include/linux/mm_inline.h, 4.14).</summary>
        internal static void Del(MemNode node, int index, int nrPages)
        {
            var pages = node.Pages;
            var lru = PageLru(pages.Flags[index]);
            pages.ListDel(index);
            pages.Clear(index, PageFlags.Lru);
            UpdateSize(node, index, (int)lru, -nrPages);
        }

        /// <summary>kernel: update_lru_size: the node counter, the zone's nr_zone_* counter and the lruvec's
        /// per-zone size (mem_cgroup_update_lru_size) move together.</summary>
        internal static void UpdateSize(MemNode node, int index, int lru, long delta)
        {
            int zid = node.ZoneIdOfIndex(index);
            UpdateSizeZone(node, node.Pages.Memcg[index], zid, lru, delta);
        }

        internal static void UpdateSizeZone(MemNode node, int memcg, int zid, int lru, long delta)
        {
            node.Counters.NodeStat[(int)NodeStatItem.NrInactiveAnon + lru] += delta;
            node.ZoneArr[zid].Stat[(int)ZoneStatItem.NrZoneInactiveAnon + lru] += delta;
            var lruvecs = node.LruvecSt;
            lruvecs.LruSize[memcg * NrLruLists + lru] += delta;
            lruvecs.LruZoneSize[(memcg * lruvecs.NrZones + zid) * NrLruLists + lru] += delta;
        }

        /// <summary>Pages on one list of a lruvec (all zones).</summary>
        public static long Size(MemNode node, int memcg, LruList lru) => node.LruvecSt.LruSize[memcg * NrLruLists + (int)lru];

        /// <summary>kernel: lruvec_lru_size (mm/vmscan.c, 4.14): the list's pages in zones up to zoneIdx
        /// (the per-zone sizes of managed zones above it are subtracted).</summary>
        internal static long LruvecLruSize(MemNode node, int memcg, int lru, int zoneIdx)
        {
            var lruvecs = node.LruvecSt;
            long size = lruvecs.LruSize[memcg * NrLruLists + lru];
            for (int zid = zoneIdx + 1; zid < lruvecs.NrZones; zid++)
            {
                if (node.ZoneArr[zid].ManagedPages == 0) continue;
                long z = lruvecs.LruZoneSize[(memcg * lruvecs.NrZones + zid) * NrLruLists + lru];
                size -= z < size ? z : size;
            }
            return size;
        }
    }
}
