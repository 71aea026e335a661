using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.PS.Infrastructure;
using MemMgmt.PS.Results;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-VmStat: /proc/vmstat — the node's counters and events by their kernel names (-Name compact_*).</summary>
    [Cmdlet(VerbsCommon.Get, "VmStat")]
    [OutputType(typeof(ProcCounter), typeof(string))]
    public sealed class GetVmStatCommand : ProcCounterViewCmdlet
    {
        protected override string RenderKernelText(MemNode node) => NodeViews.VmStat(node).ToKernelText();

        protected override IEnumerable<ProcCounter> Counters(MemNode node)
        {
            foreach (var e in NodeViews.VmStat(node).Entries) yield return new ProcCounter(node, e.Name, e.Value, null);
        }
    }
}
