using System.Collections.Generic;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;

namespace MemMgmt.Core.Memcg
{
    /// <summary>The node's memory cgroups (by id; 0 is the root), the reclaim iterators' positions and each group's
    /// vmpressure window and notifications.</summary>
    internal sealed class MemcgState
    {
        internal MemCgroup?[] Memcgs = new MemCgroup?[MemNode.MaxLruvecs];
        /// <summary>mem_cgroup_per_node.iter[priority].position per reclaim root (root·13+priority; -1: none).</summary>
        internal int[] MemcgIterPos;
        internal VmPressureState[] Vmpr = new VmPressureState[MemNode.MaxLruvecs];
        internal VmPressureEvent? LastPressure;
        internal List<VmPressureEvent> PressureEvents = new List<VmPressureEvent>();

        internal MemcgState()
        {
            MemcgIterPos = new int[MemNode.MaxLruvecs * MemCgroups.IterSlots];
            for (int i = 0; i < MemcgIterPos.Length; i++) MemcgIterPos[i] = -1;
        }

        internal MemcgState Clone(MemNode node)
        {
            var c = (MemcgState)MemberwiseClone();
            c.Memcgs = System.Array.ConvertAll(Memcgs, m => m?.Clone(node));
            c.MemcgIterPos = (int[])MemcgIterPos.Clone();
            c.Vmpr = (VmPressureState[])Vmpr.Clone();
            c.PressureEvents = new List<VmPressureEvent>(PressureEvents);
            return c;
        }

        internal void Write(SnapshotWriter w)
        {
            w.Int(Memcgs.Length);
            foreach (var m in Memcgs)
            {
                w.Bool(m != null);
                m?.Write(w);
            }
            w.Array(MemcgIterPos);
            w.Int(Vmpr.Length);
            foreach (var v in Vmpr) { w.Long(v.Scanned); w.Long(v.Reclaimed); w.Long(v.TreeScanned); w.Long(v.TreeReclaimed); }
            // LastPressure is usually the newest of PressureEvents: saved as that index so the load shares the object again.
            int last = LastPressure == null ? -1 : PressureEvents.LastIndexOf(LastPressure);
            w.Int(last);
            if (last < 0)
            {
                if (LastPressure != null) LastPressure.Write(w);
                else w.Bool(false);
            }
            w.Int(PressureEvents.Count);
            foreach (var e in PressureEvents) e.Write(w);
        }

        internal static MemcgState Read(SnapshotReader r, MemNode node)
        {
            var s = new MemcgState();
            if (r.Int() != s.Memcgs.Length) throw new SnapshotFormatException("memcg table size differs");
            for (int i = 0; i < s.Memcgs.Length; i++)
                if (r.Bool()) s.Memcgs[i] = MemCgroup.Read(r, node);
            r.ArrayInto(s.MemcgIterPos);
            if (r.Int() != s.Vmpr.Length) throw new SnapshotFormatException("vmpressure table size differs");
            for (int i = 0; i < s.Vmpr.Length; i++)
                s.Vmpr[i] = new VmPressureState { Scanned = r.Long(), Reclaimed = r.Long(), TreeScanned = r.Long(), TreeReclaimed = r.Long() };
            int last = r.Int(-1, int.MaxValue);
            VmPressureEvent? lastEvent = last < 0 ? (r.Bool() ? VmPressureEvent.ReadBody(r) : null) : null;
            int n = r.Count();
            for (int i = 0; i < n; i++) s.PressureEvents.Add(VmPressureEvent.Read(r));
            if (last >= n) throw new SnapshotFormatException("last vmpressure event out of range");
            s.LastPressure = last >= 0 ? s.PressureEvents[last] : lastEvent;
            return s;
        }
    }
}
