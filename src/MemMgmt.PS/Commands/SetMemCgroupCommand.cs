using System.Management.Automation;
using MemMgmt.Core.Memcg;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Set-MemCgroup: write memory.low, memory.max or memory.swappiness; a lower memory.max reclaims at once.</summary>
    [Cmdlet(VerbsCommon.Set, "MemCgroup", SupportsShouldProcess = true)]
    [OutputType(typeof(MemCgroup))]
    public sealed class SetMemCgroupCommand : MemNodeCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        public string Name { get; set; } = "";

        [Parameter]
        public long? Low { get; set; }

        [Parameter]
        public long? Max { get; set; }

        [Parameter]
        public int? Swappiness { get; set; }

        protected override void ProcessRecord()
        {
            var node = ResolveNode();
            if (!ShouldProcess(Name, "set memory cgroup limits")) return;
            MemCgroup? cg = null;
            TryCore(() =>
            {
                MemCgroups.Set(node, Name, MemcgBytes.ToPages(node, Low, "Low"), MemcgBytes.ToPages(node, Max, "Max"), Swappiness);
                cg = MemCgroups.Get(node, Name);
            });
            if (cg != null) WriteObject(cg);
        }
    }
}
