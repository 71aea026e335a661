using System.Collections.Generic;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>Checks what reclaim keeps beside the LRU lists: each lruvec's per-zone sizes against its lists, no page
    /// left isolated between reclaim calls, reclaim_stat and swap counters in range.</summary>
    public static class ReclaimInvariants
    {
        public static IReadOnlyList<string> Check(MemNode node)
        {
            var v = new List<string>();
            var pages = node.Pages;
            var lruvecs = node.LruvecSt;
            int nrZones = lruvecs.NrZones;
            var perZone = new long[nrZones];
            for (int memcg = 0; memcg < MemNode.MaxLruvecs; memcg++)
            {
                for (int lru = 0; lru < Lru.NrLruLists; lru++)
                {
                    for (int z = 0; z < nrZones; z++) perZone[z] = 0;
                    int head = Lru.Head(node, memcg, lru);
                    long total = 0;
                    int guard = 0;
                    for (int p = pages.Next(head); p != head && guard <= pages.NrPages; p = pages.Next(p), guard++)
                    {
                        if (pages.IsHead(p)) break;
                        long nr = 1L << pages.OrderOf(p);
                        perZone[node.ZoneIdOfIndex(p)] += nr;
                        total += nr;
                    }
                    if (lruvecs.LruSize[memcg * Lru.NrLruLists + lru] != total)
                        v.Add($"memcg {memcg} {(LruList)lru}: lruvec size {lruvecs.LruSize[memcg * Lru.NrLruLists + lru]} but the list holds {total} pages");
                    for (int z = 0; z < nrZones; z++)
                        if (lruvecs.LruZoneSize[(memcg * nrZones + z) * Lru.NrLruLists + lru] != perZone[z])
                            v.Add($"memcg {memcg} {(LruList)lru} zone {z}: lru_zone_size {lruvecs.LruZoneSize[(memcg * nrZones + z) * Lru.NrLruLists + lru]} but the list holds {perZone[z]} pages of that zone");
                }
                if (lruvecs.RecentScanned[memcg * 2] < 0 || lruvecs.RecentScanned[memcg * 2 + 1] < 0 || lruvecs.RecentRotated[memcg * 2] < 0 || lruvecs.RecentRotated[memcg * 2 + 1] < 0)
                    v.Add($"memcg {memcg}: negative reclaim_stat");
            }
            if (node.Counters[NodeStatItem.NrIsolatedAnon] != 0 || node.Counters[NodeStatItem.NrIsolatedFile] != 0)
                v.Add($"pages left isolated: anon {node.Counters[NodeStatItem.NrIsolatedAnon]}, file {node.Counters[NodeStatItem.NrIsolatedFile]}");
            foreach (int s in Vmscan.TransientListSlots)
                if (!pages.ListEmpty(node.SpareListBase + s)) v.Add($"reclaim's transient list head {s} is not empty");
            if (node.Swap.UsedPages < 0 || node.Swap.UsedPages > node.Swap.TotalPages) v.Add($"swap slots used {node.Swap.UsedPages} outside 0..{node.Swap.TotalPages}");
            if (node.KswapdSt.KswapdFailures < 0) v.Add("kswapd_failures negative");
            return v;
        }
    }
}
