using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.PS.Infrastructure;
using MemMgmt.PS.Results;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-MemInfo: /proc/meminfo — memory totals in kB as the 4.14 arm64 kernel prints them.</summary>
    [Cmdlet(VerbsCommon.Get, "MemInfo")]
    [OutputType(typeof(ProcCounter), typeof(string))]
    public sealed class GetMemInfoCommand : ProcViewCmdlet
    {
        /// <summary>Field names to show; wildcards allowed (e.g. Mem*).</summary>
        [Parameter(Position = 0)]
        [SupportsWildcards]
        public string[]? Name { get; set; }

        protected override string RenderKernelText(MemNode node) => NodeViews.MemInfo(node).ToKernelText();

        protected override IEnumerable<object> Objects(MemNode node)
        {
            var filter = NameFilter.Create(Name);
            foreach (var e in NodeViews.MemInfo(node).Entries)
                if (filter.IsMatch(e.Name)) yield return new ProcCounter(node, e.Name, e.Value, e.HasKbUnit ? "kB" : null);
        }
    }
}
