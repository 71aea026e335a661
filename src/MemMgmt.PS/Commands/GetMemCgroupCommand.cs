using System.Management.Automation;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-MemCgroup: the node's memory cgroups (pre-order, parents first) with usage, memory.low/max,
    /// swappiness and events; -File prints one of their cgroup2 files as cat would.</summary>
    [Cmdlet(VerbsCommon.Get, "MemCgroup", DefaultParameterSetName = "Object")]
    [OutputType(typeof(MemCgroup), ParameterSetName = new[] { "Object" })]
    [OutputType(typeof(string), ParameterSetName = new[] { "File" })]
    public sealed class GetMemCgroupCommand : MemNodeCmdlet
    {
        /// <summary>Group paths below the root ("web", "web/frontend", "/web/*"); wildcards allowed.</summary>
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(CgroupNameCompleter))]
        public string[]? Name { get; set; }

        /// <summary>Print this cgroup2 file of each group instead of objects.</summary>
        [Parameter(Mandatory = true, ParameterSetName = "File")]
        [ValidateSet("memory.current", "memory.low", "memory.max", "memory.events")]
        public string File { get; set; } = "";

        protected override void ProcessNode(MemNode node)
        {
            bool any = false;
            string[]? patterns = null;
            if (Name != null)
            {
                patterns = new string[Name.Length];
                for (int i = 0; i < Name.Length; i++) patterns[i] = MemcgPaths.Relative(Name[i]);
            }
            var filter = NameFilter.Create(patterns);
            foreach (var cg in MemCgroups.GetAll(node))
            {
                if (!filter.IsMatch(cg.Name)) continue;
                any = true;
                if (ParameterSetName == "File") WriteObject(cg.ReadFile(File));
                else WriteObject(cg);
            }
            if (!any && Name != null)
                foreach (var n in Name)
                    if (!WildcardPattern.ContainsWildcardCharacters(n))
                        TryCore(() => MemCgroups.Get(node, n), terminating: false);
        }
    }

    internal static class MemcgPaths
    {
        /// <summary>A path pattern relative to the root: "/web/frontend" and "web/frontend/" become "web/frontend".</summary>
        internal static string Relative(string path) => (path ?? "").Trim('/');
    }
}
