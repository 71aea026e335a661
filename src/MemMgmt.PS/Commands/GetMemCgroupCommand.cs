using System.Management.Automation;
using MemMgmt.Core.Memcg;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-MemCgroup: the node's memory cgroups with usage, memory.low/max, swappiness and events.</summary>
    [Cmdlet(VerbsCommon.Get, "MemCgroup")]
    [OutputType(typeof(MemCgroup))]
    public sealed class GetMemCgroupCommand : MemNodeCmdlet
    {
        [Parameter(Position = 0)]
        [SupportsWildcards]
        public string[]? Name { get; set; }

        protected override void ProcessRecord()
        {
            var node = ResolveNode();
            bool any = false;
            var filter = NameFilter.Create(Name);
            foreach (var cg in MemCgroups.GetAll(node))
                if (filter.IsMatch(cg.Name)) { WriteObject(cg); any = true; }
            if (!any && Name != null)
                foreach (var n in Name)
                    if (!WildcardPattern.ContainsWildcardCharacters(n))
                        TryCore(() => MemCgroups.Get(node, n), terminating: false);
        }
    }
}
