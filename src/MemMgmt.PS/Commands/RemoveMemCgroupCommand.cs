using System.Management.Automation;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Remove-MemCgroup: rmdir a memory cgroup that has no children; its pages move to the parent.</summary>
    [Cmdlet(VerbsCommon.Remove, "MemCgroup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(MemcgRemoval))]
    public sealed class RemoveMemCgroupCommand : MemNodeCmdlet
    {
        /// <summary>The group's path below the root ("web/frontend" or "/web/frontend").</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(CgroupNameCompleter))]
        public string Name { get; set; } = "";

        protected override void ProcessNode(MemNode node)
        {
            MemCgroup? cg = null;
            if (!TryCore(() => cg = MemCgroups.GetRemovable(node, Name), terminating: false)) return;
            if (!ShouldProcess($"cgroup '{cg!.Path}' on node '{node.Name}' ({cg.Usage} pages move to '{cg.Parent}')", "Remove memory cgroup")) return;
            MemcgRemoval? r = null;
            TryCore(() => r = MemCgroups.Remove(node, Name), terminating: false);
            if (r != null) WriteObject(r);
        }
    }
}
