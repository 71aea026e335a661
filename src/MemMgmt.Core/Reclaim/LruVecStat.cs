using System.Collections.Generic;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>One lruvec of the node (the root's or a memcg's): list sizes, reclaim_stat and inactive_list_is_low.</summary>
    public sealed class LruVecStat
    {
        internal LruVecStat(MemNode node, int memcg, string cgroup)
        {
            Node = node;
            MemcgId = memcg;
            Cgroup = cgroup;
            var lruvecs = node.LruvecSt;
            InactiveAnon = Lru.Size(node, memcg, LruList.InactiveAnon);
            ActiveAnon = Lru.Size(node, memcg, LruList.ActiveAnon);
            InactiveFile = Lru.Size(node, memcg, LruList.InactiveFile);
            ActiveFile = Lru.Size(node, memcg, LruList.ActiveFile);
            Unevictable = Lru.Size(node, memcg, LruList.Unevictable);
            PendingLruAdd = LruCache.Pending(node, memcg);
            RecentScannedAnon = lruvecs.RecentScanned[memcg * 2];
            RecentScannedFile = lruvecs.RecentScanned[memcg * 2 + 1];
            RecentRotatedAnon = lruvecs.RecentRotated[memcg * 2];
            RecentRotatedFile = lruvecs.RecentRotated[memcg * 2 + 1];
            AnonCost = lruvecs.AnonCost[memcg];
            FileCost = lruvecs.FileCost[memcg];
            InactiveRatioAnon = Vmscan.InactiveRatio(node, InactiveAnon + ActiveAnon);
            InactiveRatioFile = Vmscan.InactiveRatio(node, InactiveFile + ActiveFile);
            InactiveAnonIsLow = Vmscan.IsInactiveListLow(node, memcg, false);
            InactiveFileIsLow = Vmscan.IsInactiveListLow(node, memcg, true);
            var ws = node.ShadowRefaultStOrNull;
            if (ws != null)
            {
                InactiveAge = ws.InactiveAge[memcg];
                Refaults = ws.Refaults[memcg];
            }
        }

        public MemNode Node { get; }
        /// <summary>0 for the root lruvec.</summary>
        public int MemcgId { get; }
        public string Cgroup { get; }
        public long InactiveAnon { get; }
        public long ActiveAnon { get; }
        public long InactiveFile { get; }
        public long ActiveFile { get; }
        public long Unevictable { get; }
        /// <summary>Pages of this lruvec queued on the CPUs' lru_add pagevecs: charged, but on no list until a drain.</summary>
        public long PendingLruAdd { get; }
        public long RecentScannedAnon { get; }
        public long RecentScannedFile { get; }
        public long RecentRotatedAnon { get; }
        public long RecentRotatedFile { get; }
        /// <summary>lruvec->anon_cost (6.1 profile): swap-outs noted by lru_note_cost here and below, decayed.</summary>
        public long AnonCost { get; }
        /// <summary>lruvec->file_cost (6.1 profile): file writebacks noted by lru_note_cost here and below, decayed.</summary>
        public long FileCost { get; }
        public long InactiveRatioAnon { get; }
        public long InactiveRatioFile { get; }
        public bool InactiveAnonIsLow { get; }
        public bool InactiveFileIsLow { get; }
        /// <summary>lruvec->inactive_age: evictions plus activations of page-cache pages (mm/workingset.c).</summary>
        public long InactiveAge { get; }
        /// <summary>lruvec->refaults: the workingset_activate count snapshot_refaults recorded at the end of the last
        /// reclaim cycle; inactive_list_is_low drops active-file protection while the count has moved past it.</summary>
        public long Refaults { get; }

        public override string ToString() =>
            $"{Node.Name} {(Cgroup.Length == 0 ? "/" : Cgroup)}: inactive_anon {InactiveAnon}, active_anon {ActiveAnon}, inactive_file {InactiveFile}, active_file {ActiveFile}, unevictable {Unevictable}";

        /// <summary>The root lruvec, then one per memcg.</summary>
        public static IReadOnlyList<LruVecStat> GetAll(MemNode node)
        {
            var list = new List<LruVecStat> { new LruVecStat(node, 0, "/") };
            foreach (var cg in Memcg.MemCgroups.GetAll(node)) list.Add(new LruVecStat(node, cg.Id, cg.Path)); // pre-order, as mem_cgroup_iter walks
            return list;
        }
    }
}
