using System.Management.Automation;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Invoke-Reclaim: direct reclaim (try_to_free_pages) for an order and GFP mask, or for a number of pages.</summary>
    [Cmdlet(VerbsLifecycle.Invoke, "Reclaim", DefaultParameterSetName = "Order")]
    [OutputType(typeof(ReclaimReport))]
    public sealed class InvokeReclaimCommand : MemNodeCmdlet
    {
        /// <summary>The allocation order reclaim works for (sc.order).</summary>
        [Parameter(ParameterSetName = "Order", Position = 0)]
        public int Order { get; set; }

        /// <summary>Pages to reclaim instead of SWAP_CLUSTER_MAX (32).</summary>
        [Parameter(ParameterSetName = "Pages", Mandatory = true)]
        public long Pages { get; set; }

        /// <summary>The GFP mask of the reclaiming allocation; default GFP_KERNEL.</summary>
        [Parameter]
        public GfpFlags Gfp { get; set; } = GfpFlags.GFP_KERNEL;

        /// <summary>The CPU whose pagevecs reclaim drains.</summary>
        [Parameter]
        public int Cpu { get; set; }

        private readonly System.Threading.CancellationTokenSource _cancel = new System.Threading.CancellationTokenSource();

        protected override void StopProcessing() => _cancel.Cancel();

        protected override void ProcessNode(MemNode node)
        {
            ReclaimReport? report = null;
            var progress = new ProgressWriter(this, 5, $"Invoke-Reclaim '{node.Name}'", "pages reclaimed");
            TryCore(() => report = ParameterSetName == "Pages"
                ? Vmscan.ReclaimPages(node, Pages, Gfp, Cpu, _cancel.Token, progress.Report)
                : Vmscan.TryToFreePages(node, Order, Gfp, Cpu));
            progress.Complete();
            if (report != null) WriteObject(report);
        }
    }
}
