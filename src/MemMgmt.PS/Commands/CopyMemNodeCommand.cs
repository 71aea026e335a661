using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Copy-MemNode: an independent deep copy of a node for what-if runs.</summary>
    [Cmdlet(VerbsCommon.Copy, "MemNode")]
    [OutputType(typeof(MemNode))]
    public sealed class CopyMemNodeCommand : MemNodeCmdlet
    {
        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        [Parameter]
        public SwitchParameter SetCurrent { get; set; }

        protected override void ProcessNode(MemNode node)
        {
            var registry = NodeRegistry.ForRunspace(this);
            string name = Name ?? registry.UniqueName(node.Name + "-copy");
            if (registry.Find(name) != null)
            {
                WriteError(Errors.Make("NodeNameInUse", ErrorCategory.ResourceExists,
                    $"-Name '{name}' is already used by a node of this session; pick another name.", name));
                return;
            }
            MemNode? copy = null;
            if (!TryCore(() => copy = node.Clone(name), terminating: false)) return;
            registry.Add(copy!, makeCurrent: SetCurrent.IsPresent);
            WriteObject(copy);
        }
    }
}
