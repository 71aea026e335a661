using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.PS.Infrastructure;
using MemMgmt.PS.Results;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-BdiStat: /sys/kernel/debug/bdi/254:0/stats — the writeback state of the node's backing device.</summary>
    [Cmdlet(VerbsCommon.Get, "BdiStat")]
    [OutputType(typeof(ProcCounter), typeof(string))]
    public sealed class GetBdiStatCommand : ProcCounterViewCmdlet
    {
        protected override string RenderKernelText(MemNode node) => BdiStats.Build(node).ToKernelText();

        protected override IEnumerable<ProcCounter> Counters(MemNode node)
        {
            foreach (var e in BdiStats.Build(node).Entries) yield return new ProcCounter(node, e.Name, e.Value, e.Unit);
        }
    }
}
