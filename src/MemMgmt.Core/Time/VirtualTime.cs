using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Workloads;

namespace MemMgmt.Core.Time
{
    /// <summary>Time passing inside an operation (a reclaim wait, the scan itself, a workload's faults): writes whose
    /// latency ends complete, and the working sets' access rounds that fall due run at their own times, as the other
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
                if (due > clock.NowNs) clock.Advance(due - clock.NowNs);
                Writeback.CompleteDue(node);
                WorkingSets.RunDue(node, accessOnly: true);
            }
            if (end > clock.NowNs) clock.Advance(end - clock.NowNs);
            Writeback.CompleteDue(node);
        }
    }
}
