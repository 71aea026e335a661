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

    /// <summary>LRU list membership: one lruvec per node per memcg (4.14 node-based; the seed's per-zone lruvec).</summary>
    internal static class Lru
    {
        internal const int NrLruLists = 5;

        internal static int Head(MemNode node, int memcg, LruList lru) => node.LruListBase + memcg * NrLruLists + (int)lru;

        /// <summary>kernel: page_lru (include/linux/mm_inline.h, 4.14): unevictable, else file/anon by swapbacked, active by flag.</summary>
        internal static LruList PageLru(uint flags)
        {
            if ((flags & (uint)PageFlags.Unevictable) != 0) return LruList.Unevictable;
            int lru = (flags & (uint)PageFlags.SwapBacked) != 0 ? (int)LruList.InactiveAnon : (int)LruList.InactiveFile;
            if ((flags & (uint)PageFlags.Active) != 0) lru += 1;
            return (LruList)lru;
        }

        /// <summary>kernel: add_page_to_lru_list (include/linux/mm_inline.h, 4.14): list head, counters by the page's size.</summary>
        internal static void Add(MemNode node, int index, int nrPages)
        {
            var pages = node.Pages;
            var lru = PageLru(pages.Flags[index]);
            pages.Set(index, PageFlags.Lru);
            pages.ListAdd(index, Head(node, pages.Memcg[index], lru));
            UpdateSize(node, index, lru, nrPages);
        }

        /// <summary>kernel: del_page_from_lru_list (include/linux/mm_inline.h, 4.14).</summary>
        internal static void Del(MemNode node, int index, int nrPages)
        {
            var pages = node.Pages;
            var lru = PageLru(pages.Flags[index]);
            pages.ListDel(index);
            pages.Clear(index, PageFlags.Lru);
            UpdateSize(node, index, lru, -nrPages);
        }

        /// <summary>kernel: update_lru_size: the node counter and the zone's nr_zone_* counter move together.</summary>
        private static void UpdateSize(MemNode node, int index, LruList lru, long delta)
        {
            node.Counters.NodeStat[(int)NodeStatItem.NrInactiveAnon + (int)lru] += delta;
            node.ZoneOfIndex(index).Stat[(int)ZoneStatItem.NrZoneInactiveAnon + (int)lru] += delta;
        }

        public static long Size(MemNode node, int memcg, LruList lru) => node.Pages.ListCount(Head(node, memcg, lru));
    }
}
