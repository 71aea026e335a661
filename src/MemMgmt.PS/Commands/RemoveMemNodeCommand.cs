using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Remove-MemNode: forgets nodes of this session (by name or from the pipeline).</summary>
    [Cmdlet(VerbsCommon.Remove, "MemNode", DefaultParameterSetName = "ByName", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(void))]
    public sealed class RemoveMemNodeCommand : PSCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "ByName")]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(NodeNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[]? Name { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = "ByNode", ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNull]
        [ArgumentCompleter(typeof(NodeNameCompleter))]
        public MemNodeIdentity? Node { get; set; }

        protected override void ProcessRecord()
        {
            var registry = NodeRegistry.ForRunspace(this);
            var targets = new List<MemNode>();
            if (ParameterSetName == "ByNode")
            {
                var node = Node!.Given ?? registry.Find(Node.Name);
                if (node == null || !registry.Contains(node))
                {
                    WriteError(Errors.Make("NodeNotFound", ErrorCategory.ObjectNotFound,
                        $"-Node '{Node.Name}' is not a node of this session (removed already?); existing: {GetMemNodeCommand.Names(registry)}.", Node));
                    return;
                }
                targets.Add(node);
            }
            else
            {
                foreach (var pattern in Name!)
                {
                    var wc = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase);
                    bool found = false;
                    foreach (var n in registry.Nodes)
                        if (wc.IsMatch(n.Name)) { if (!targets.Contains(n)) targets.Add(n); found = true; }
                    if (!found && !WildcardPattern.ContainsWildcardCharacters(pattern))
                        WriteError(Errors.Make("NodeNotFound", ErrorCategory.ObjectNotFound,
                            $"-Name '{pattern}': no node of this session has that name; existing: {GetMemNodeCommand.Names(registry)}.", pattern));
                }
            }
            foreach (var n in targets)
                if (ShouldProcess(n.ToString(), "Remove node")) registry.Remove(n);
        }
    }
}
