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
    }
}
