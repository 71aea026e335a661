using System;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>The node's lruvecs (one per memcg: list sizes per zone, reclaim_stat) and the per-cpu pagevecs of
    /// mm/swap.c that feed them. Sized once; nothing here allocates per page.</summary>
    internal sealed class LruvecState
    {
        /// <summary>PAGEVEC_SIZE.</summary>
        internal const int PagevecSize = 15;

        internal readonly int NrZones;
        /// <summary>Per memcg, zone and list: lru_zone_size (((memcg·zones)+zone)·5+lru).</summary>
        internal long[] LruZoneSize;
        /// <summary>Per memcg and list: the lruvec's list sizes (memcg·5+lru).</summary>
        internal long[] LruSize;
        /// <summary>lruvec->reclaim_stat.recent_scanned[file] (memcg·2+file).</summary>
        internal long[] RecentScanned;
        /// <summary>lruvec->reclaim_stat.recent_rotated[file] (memcg·2+file).</summary>
        internal long[] RecentRotated;
        /// <summary>Zone-based reclaim (4.4): each zone's lruvec has its own reclaim_stat, ((memcg·zones)+zone)·2+file.
        /// Kept only when <see cref="PerZone"/>; the node-wide pair above is kept by every profile.</summary>
        internal long[] ZoneRecentScanned;
        internal long[] ZoneRecentRotated;
        /// <summary><see cref="KernelProfile.ZoneBasedReclaim"/>: reclaim_stat is also counted per zone.</summary>
        internal readonly bool PerZone;
        /// <summary>lruvec->anon_cost (memcg id): pages of the lruvec's subtree reclaim wrote to swap, decayed (6.1).</summary>
        internal long[] AnonCost;
        /// <summary>lruvec->file_cost (memcg id): pages of the lruvec's subtree reclaim wrote back, decayed (6.1).</summary>
        internal long[] FileCost;
        /// <summary>lruvec->refaults[WORKINGSET_ANON/FILE] (memcg·2+file): the subtree's WORKINGSET_ACTIVATE that 6.1's
        /// snapshot_refaults recorded on the reclaim target's lruvec.</summary>
        internal long[] Refaults;
        internal CpuPagevecs[] Pvecs;
        /// <summary>Per memcg: pages queued on the CPUs' lru_add pagevecs, charged but on no list yet.</summary>
        internal long[] LruAddPending;

        internal LruvecState(int nrZones, int nrCpus, bool perZone)
        {
            NrZones = nrZones;
            PerZone = perZone;
            ZoneRecentScanned = new long[MemNode.MaxLruvecs * NrZones * 2];
            ZoneRecentRotated = new long[MemNode.MaxLruvecs * NrZones * 2];
            LruZoneSize = new long[MemNode.MaxLruvecs * NrZones * Lru.NrLruLists];
            LruSize = new long[MemNode.MaxLruvecs * Lru.NrLruLists];
            RecentScanned = new long[MemNode.MaxLruvecs * 2];
            RecentRotated = new long[MemNode.MaxLruvecs * 2];
            AnonCost = new long[MemNode.MaxLruvecs];
            FileCost = new long[MemNode.MaxLruvecs];
            Refaults = new long[MemNode.MaxLruvecs * 2];
            Pvecs = new CpuPagevecs[nrCpus];
            for (int i = 0; i < Pvecs.Length; i++) Pvecs[i] = new CpuPagevecs();
            LruAddPending = new long[MemNode.MaxLruvecs];
        }

        internal LruvecState Clone()
        {
            var c = (LruvecState)MemberwiseClone();
            c.LruZoneSize = (long[])LruZoneSize.Clone();
            c.LruSize = (long[])LruSize.Clone();
            c.RecentScanned = (long[])RecentScanned.Clone();
            c.RecentRotated = (long[])RecentRotated.Clone();
            c.ZoneRecentScanned = (long[])ZoneRecentScanned.Clone();
            c.ZoneRecentRotated = (long[])ZoneRecentRotated.Clone();
            c.AnonCost = (long[])AnonCost.Clone();
            c.FileCost = (long[])FileCost.Clone();
            c.Refaults = (long[])Refaults.Clone();
            c.Pvecs = Array.ConvertAll(Pvecs, p => p.Clone());
            c.LruAddPending = (long[])LruAddPending.Clone();
            return c;
        }

        /// <summary>update_page_reclaim_stat for a page: the lruvec's recent_scanned/recent_rotated[file], and under the
        /// zone-based reclaim the page's zone lruvec's too.</summary>
        internal void Stat(MemNode node, int memcg, int index, int file, long scanned, long rotated)
        {
            int i = memcg * 2 + file;
            RecentScanned[i] += scanned;
            RecentRotated[i] += rotated;
            if (PerZone) StatZoneOnly(memcg, node.ZoneIdOfIndex(index), file, scanned, rotated);
        }

        /// <summary>As <see cref="Stat"/> for pages all of one zone (<paramref name="zid"/> −1: the node's lruvec only).</summary>
        internal void StatZone(int memcg, int zid, int file, long scanned, long rotated)
        {
            int i = memcg * 2 + file;
            RecentScanned[i] += scanned;
            RecentRotated[i] += rotated;
            if (PerZone && zid >= 0) StatZoneOnly(memcg, zid, file, scanned, rotated);
        }

        private void StatZoneOnly(int memcg, int zid, int file, long scanned, long rotated)
        {
            int z = (memcg * NrZones + zid) * 2 + file;
            ZoneRecentScanned[z] += scanned;
            ZoneRecentRotated[z] += rotated;
        }

        /// <summary>A removed group's reclaim_stat, node-wide and per zone, starts again from zero.</summary>
        internal void ResetStat(int memcg)
        {
            RecentScanned[memcg * 2] = RecentScanned[memcg * 2 + 1] = 0;
            RecentRotated[memcg * 2] = RecentRotated[memcg * 2 + 1] = 0;
            AnonCost[memcg] = FileCost[memcg] = 0;
            Refaults[memcg * 2] = Refaults[memcg * 2 + 1] = 0;
            Array.Clear(ZoneRecentScanned, memcg * NrZones * 2, NrZones * 2);
            Array.Clear(ZoneRecentRotated, memcg * NrZones * 2, NrZones * 2);
        }

        internal void Write(SnapshotWriter w)
        {
            w.Array(LruZoneSize); w.Array(LruSize); w.Array(RecentScanned); w.Array(RecentRotated); w.Array(AnonCost); w.Array(FileCost); w.Array(Refaults);
            w.Array(LruAddPending);
            w.Array(ZoneRecentScanned); w.Array(ZoneRecentRotated);
            w.Int(Pvecs.Length);
            foreach (var p in Pvecs) p.Write(w);
        }

        internal static LruvecState Read(SnapshotReader r, int nrZones, int nrCpus, bool perZone)
        {
            var s = new LruvecState(nrZones, nrCpus, perZone);
            r.ArrayInto(s.LruZoneSize); r.ArrayInto(s.LruSize); r.ArrayInto(s.RecentScanned); r.ArrayInto(s.RecentRotated); r.ArrayInto(s.AnonCost);
            r.ArrayInto(s.FileCost); r.ArrayInto(s.Refaults); r.ArrayInto(s.LruAddPending);
            r.ArrayInto(s.ZoneRecentScanned); r.ArrayInto(s.ZoneRecentRotated);
            if (r.Int() != nrCpus) throw new SnapshotFormatException("pagevec count differs from the node's CPUs");
            for (int i = 0; i < nrCpus; i++) s.Pvecs[i].Read(r);
            return s;
        }
    }

    /// <summary>One CPU's pagevecs (mm/swap.c, 4.14): lru_add_pvec, lru_rotate_pvecs, lru_deactivate_file_pvecs,
    /// activate_page_pvecs; each holds up to PAGEVEC_SIZE (15) page indexes (−1 marks a slot whose page was freed).</summary>
    internal sealed class CpuPagevecs
    {
        internal int[] Add = new int[LruvecState.PagevecSize];
        internal int AddN;
        internal int[] Rotate = new int[LruvecState.PagevecSize];
        internal int RotateN;
        internal int[] DeactivateFile = new int[LruvecState.PagevecSize];
        internal int DeactivateFileN;
        internal int[] Activate = new int[LruvecState.PagevecSize];
        internal int ActivateN;

        internal CpuPagevecs Clone()
        {
            var c = (CpuPagevecs)MemberwiseClone();
            c.Add = (int[])Add.Clone();
            c.Rotate = (int[])Rotate.Clone();
            c.DeactivateFile = (int[])DeactivateFile.Clone();
            c.Activate = (int[])Activate.Clone();
            return c;
        }

        internal void Write(SnapshotWriter w)
        {
            w.Array(Add); w.Int(AddN); w.Array(Rotate); w.Int(RotateN); w.Array(DeactivateFile); w.Int(DeactivateFileN);
            w.Array(Activate); w.Int(ActivateN);
        }

        internal void Read(SnapshotReader r)
        {
            r.ArrayInto(Add); AddN = r.Int(0, LruvecState.PagevecSize); r.ArrayInto(Rotate); RotateN = r.Int(0, LruvecState.PagevecSize);
            r.ArrayInto(DeactivateFile); DeactivateFileN = r.Int(0, LruvecState.PagevecSize);
            r.ArrayInto(Activate); ActivateN = r.Int(0, LruvecState.PagevecSize);
        }
    }
}
