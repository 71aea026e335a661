using System.Management.Automation;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Set-MemCgroup: write memory.low, memory.max or memory.swappiness; a lower memory.max reclaims at once.</summary>
    [Cmdlet(VerbsCommon.Set, "MemCgroup", SupportsShouldProcess = true)]
    [OutputType(typeof(MemCgroup))]
    public sealed class SetMemCgroupCommand : MemNodeCmdlet
    {
        /// <summary>The group's path below the root ("web/frontend" or "/web/frontend").</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(CgroupNameCompleter))]
        public string Name { get; set; } = "";

        [Parameter]
        [MemcgLimitTransformation]
        public long? Low { get; set; }

        [Parameter]
        [MemcgLimitTransformation]
        public long? Max { get; set; }

        [Parameter]
        public int? Swappiness { get; set; }

        protected override void ProcessNode(MemNode node)
        {
            MemCgroup? cg = null;
            long? low = null, max = null;
            if (!TryCore(() =>
            {
                cg = MemCgroups.Get(node, Name);
                low = MemcgBytes.ToPages(node, Low, "Low");
                max = MemcgBytes.ToPages(node, Max, "Max");
            })) return;
            if (!ShouldProcess(cg!.Path, "set memory cgroup limits")) return;
            TryCore(() => MemCgroups.Set(node, Name, low, max, Swappiness));
            WriteObject(cg);
        }
    }
}
