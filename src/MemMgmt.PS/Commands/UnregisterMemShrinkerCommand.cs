using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Unregister-MemShrinker: unregister_shrinker for a shrinker made by Register-MemShrinker.</summary>
    [Cmdlet(VerbsLifecycle.Unregister, "MemShrinker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(void))]
    public sealed class UnregisterMemShrinkerCommand : MemNodeCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(ShrinkerNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = "";

        protected override void ProcessNode(MemNode node)
        {
            Shrinker? target = null;
            foreach (var s in Shrinkers.Get(node))
                if (string.Equals(s.Name, Name, System.StringComparison.OrdinalIgnoreCase)) target = s;
            // Checks (unknown name, the superblock's own) run even under -WhatIf, so a dry run reports what would fail.
            if (target == null || target.IsSuperBlock)
            {
                TryCore(() => Shrinkers.Unregister(node, Name), terminating: false);
                return;
            }
            if (!ShouldProcess($"shrinker '{target.Name}' ({target.Objects} objects) on node '{node.Name}'", "Unregister")) return;
            TryCore(() => Shrinkers.Unregister(node, Name), terminating: false);
        }
    }
}
