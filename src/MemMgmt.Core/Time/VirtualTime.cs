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
        }
    }
}
