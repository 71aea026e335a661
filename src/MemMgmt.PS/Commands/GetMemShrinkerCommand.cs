using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-MemShrinker: the node's registered slab shrinkers, the superblock's first.</summary>
    [Cmdlet(VerbsCommon.Get, "MemShrinker")]
    [OutputType(typeof(Shrinker))]
    public sealed class GetMemShrinkerCommand : MemNodeCmdlet
    {
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(ShrinkerNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[]? Name { get; set; }

        protected override void ProcessNode(MemNode node)
        {
            var shrinkers = Shrinkers.Get(node);
            var filter = NameFilter.Create(Name);
            foreach (var s in shrinkers)
                if (filter.IsMatch(s.Name)) WriteObject(WithNode(s, node));
            if (Name == null) return;
            foreach (var pattern in Name)
            {
                if (WildcardPattern.ContainsWildcardCharacters(pattern)) continue;
                bool found = false;
                foreach (var s in shrinkers) if (string.Equals(s.Name, pattern, System.StringComparison.OrdinalIgnoreCase)) found = true;
                if (!found)
                    WriteError(Errors.Make("ShrinkerNotFound", ErrorCategory.ObjectNotFound,
                        $"-Name '{pattern}': no shrinker of that name is registered on node '{node.Name}'.", pattern));
            }
        }

        /// <summary>A Shrinker does not know its node; the note property lets it pipe to Unregister-MemShrinker.</summary>
        internal static PSObject WithNode(Shrinker s, Core.Node.MemNode node)
        {
            var o = PSObject.AsPSObject(s);
            o.Properties.Add(new PSNoteProperty("Node", node));
            o.Properties.Add(new PSNoteProperty("NodeName", node.Name));
            return o;
        }
    }
}
