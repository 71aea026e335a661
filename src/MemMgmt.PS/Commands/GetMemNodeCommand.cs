using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-MemNode: the nodes of this session, by name (wildcards), or the current one. From the pipeline it
    /// takes node names only: strings, or the NodeName of result objects (never another object's Name).</summary>
    [Cmdlet(VerbsCommon.Get, "MemNode", DefaultParameterSetName = "ByName")]
    [OutputType(typeof(MemNode))]
    public sealed class GetMemNodeCommand : PSCmdlet
    {
        [Parameter(Position = 0, ParameterSetName = "ByName", ValueFromPipeline = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(NodeNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[]? Name { get; set; }

        /// <summary>The NodeName of a piped result object (the node it describes).</summary>
        [Parameter(Mandatory = true, ParameterSetName = "ByNodeName", ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NodeNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string? NodeName { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = "Current")]
        public SwitchParameter Current { get; set; }

        private readonly System.Collections.Generic.HashSet<MemNode> _named = new System.Collections.Generic.HashSet<MemNode>();

        protected override void ProcessRecord()
        {
            var registry = NodeRegistry.ForRunspace(this);
            if (Current)
            {
                if (registry.Current == null)
                    WriteError(Errors.Make("NoCurrentNode", ErrorCategory.ObjectNotFound,
                        "There is no current node: create one with New-MemNode.", null));
                else WriteObject(registry.Current);
                return;
            }
            if (ParameterSetName == "ByNodeName")
            {
                var node = registry.Find(NodeName!);
                // Several rows of one node (a zone each, say) name it once.
                if (node != null) { if (_named.Add(node)) WriteObject(node); }
                else WriteError(Errors.Make("NodeNotFound", ErrorCategory.ObjectNotFound,
                    $"-NodeName '{NodeName}': no node of this session has that name; existing: {Names(registry)}.", NodeName));
                return;
            }
            if (Name == null)
            {
                foreach (var n in registry.Nodes) WriteObject(n);
                return;
            }
            foreach (var pattern in Name)
            {
                var wc = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase);
                bool found = false;
                foreach (var n in registry.Nodes)
                    if (wc.IsMatch(n.Name)) { WriteObject(n); found = true; }
                if (!found && !WildcardPattern.ContainsWildcardCharacters(pattern))
                    WriteError(Errors.Make("NodeNotFound", ErrorCategory.ObjectNotFound,
                        $"-Name '{pattern}': no node of this session has that name; existing: {Names(registry)}.", pattern));
            }
        }

        internal static string Names(NodeRegistry registry)
        {
            var names = new System.Collections.Generic.List<string>();
            foreach (var n in registry.Nodes) names.Add(n.Name);
            return names.Count == 0 ? "(none)" : string.Join(", ", names);
        }
    }
}
