using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.PS.Infrastructure;
using MemMgmt.PS.Results;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-VmStat: /proc/vmstat — the node's counters and events by their kernel names.</summary>
    [Cmdlet(VerbsCommon.Get, "VmStat")]
    [OutputType(typeof(ProcCounter), typeof(string))]
    public sealed class GetVmStatCommand : ProcViewCmdlet
    {
        /// <summary>Counter names to show; wildcards allowed (e.g. compact_*).</summary>
        [Parameter(Position = 0)]
        [SupportsWildcards]
        public string[]? Name { get; set; }

        protected override string RenderKernelText(MemNode node) => NodeViews.VmStat(node).ToKernelText();

        protected override IEnumerable<object> Objects(MemNode node)
        {
            var filter = NameFilter.Create(Name);
            foreach (var e in NodeViews.VmStat(node).Entries)
                if (filter.IsMatch(e.Name)) yield return new ProcCounter(node, e.Name, e.Value, null);
        }
    }
}
