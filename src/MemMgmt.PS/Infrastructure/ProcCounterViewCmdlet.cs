using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.PS.Results;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>Base of the "name value" views (vmstat, meminfo): -Name filters the counters by wildcard.</summary>
    public abstract class ProcCounterViewCmdlet : ProcViewCmdlet
    {
        /// <summary>Names to show; wildcards allowed.</summary>
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(ProcCounterNameCompleter))]
        public string[]? Name { get; set; }

        protected sealed override IEnumerable<object> Objects(MemNode node)
        {
            var filter = NameFilter.Create(Name);
            foreach (var counter in Counters(node))
                if (filter.IsMatch(counter.Name)) yield return counter;
        }

        /// <summary>Every counter of the file, in the kernel's order.</summary>
        protected abstract IEnumerable<ProcCounter> Counters(MemNode node);
    }
}
