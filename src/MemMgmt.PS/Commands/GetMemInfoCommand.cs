using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.PS.Infrastructure;
using MemMgmt.PS.Results;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-MemInfo: /proc/meminfo — memory totals in kB as the 4.14 arm64 kernel prints them (-Name Mem*).</summary>
    [Cmdlet(VerbsCommon.Get, "MemInfo")]
    [OutputType(typeof(ProcCounter), typeof(string))]
    public sealed class GetMemInfoCommand : ProcCounterViewCmdlet
    {
        protected override string RenderKernelText(MemNode node) => NodeViews.MemInfo(node).ToKernelText();

        protected override IEnumerable<ProcCounter> Counters(MemNode node)
        {
            foreach (var e in NodeViews.MemInfo(node).Entries)
                yield return new ProcCounter(node, e.Name, e.Value, e.HasKbUnit ? "kB" : null);
        }
    }
}
