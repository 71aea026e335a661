using System.Management.Automation;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Invoke-DropCaches: echo N &gt; /proc/sys/vm/drop_caches (1 page cache, 2 slab, 3 both).</summary>
    [Cmdlet(VerbsLifecycle.Invoke, "DropCaches", SupportsShouldProcess = true)]
    [OutputType(typeof(DropCachesResult))]
    public sealed class InvokeDropCachesCommand : MemNodeCmdlet
    {
        /// <summary>The value written to vm.drop_caches: 1 to 4.</summary>
        [Parameter(Position = 0)]
        public int Mode { get; set; } = 3;

        protected override void ProcessNode(MemNode node)
        {
            if (!ShouldProcess(node.Name, $"drop caches (vm.drop_caches={Mode})")) return;
            DropCachesResult? r = null;
            TryCore(() => r = DropCaches.Drop(node, Mode));
            if (r != null) WriteObject(r);
        }
    }
}
