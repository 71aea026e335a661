using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Workloads;
using MemMgmt.Core.Writeback;

namespace MemMgmt.Core.Time
{
    /// <summary>Time passing inside an operation (a reclaim wait, the scan itself, a workload's faults): writes whose
    /// latency ends complete, the flusher works, and the working sets' access rounds that fall due run at their own times, as the other
    /// CPUs would keep touching their pages while this one reclaims.</summary>
    internal static class VirtualTime
    {
        internal static void Pass(MemNode node, long ns)
        {
            var clock = node.Clock;
            long end = clock.NowNs + ns;
            while (!node.InWorkloadRound)
            {
                long due = WorkingSets.NextDueNs(node, accessOnly: true);
                if (due > end) break;
                Flusher.Advance(node, due > clock.NowNs ? due : clock.NowNs);
                WorkingSets.RunDue(node, accessOnly: true);
            }
            Flusher.Advance(node, end);
            Kswapd.ExpireReclaimActive(node);
        }

        /// <summary>Time the running code spends (a scan, a reclaim wait): the node's clock passes, unless kswapd is
        /// running a unit of work on the second CPU alongside the allocating task, whose time it is not: then the time
        /// goes on kswapd's own CPU (<see cref="Kswapd.RunAlongside"/>).</summary>
        internal static void Spend(MemNode node, long ns)
        {
            var ks = node.KswapdSt;
            if (ks.OnSecondCpu) ks.SpentNs += ns;
            else Pass(node, ns);
        }
    }
}
