using System.Management.Automation;
using MemMgmt.Core;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;
using MemMgmt.PS.Results;

namespace MemMgmt.PS.Commands
{
    /// <summary>New-PageAllocation: alloc_pages(gfp, order) Count times on one CPU.</summary>
    [Cmdlet(VerbsCommon.New, "PageAllocation")]
    [OutputType(typeof(PageAllocation))]
    public sealed class NewPageAllocationCommand : MemNodeCmdlet
    {
        [Parameter(Mandatory = true, Position = 0)]
        public int Order { get; set; }

        [Parameter(Position = 1)]
        public GfpFlags Gfp { get; set; } = GfpFlags.GFP_KERNEL;

        [Parameter]
        public int Count { get; set; } = 1;

        [Parameter]
        public int Cpu { get; set; }

        [Parameter]
        public PageOwner Owner { get; set; }

        private volatile bool _stopping;

        protected override void StopProcessing() => _stopping = true;

        protected override void ProcessNode(MemNode node)
        {
            if (Count < 1)
                ThrowTerminatingError(Errors.Make("CountOutOfRange", ErrorCategory.InvalidArgument,
                    $"-Count {Count} is out of range; allowed 1 to {int.MaxValue}.", Count));
            if (MyInvocation.BoundParameters.ContainsKey(nameof(Owner)) && Owner == PageOwner.None)
                ThrowTerminatingError(Errors.Make("OwnerInvalid", ErrorCategory.InvalidArgument,
                    "-Owner None is not an owner; allowed: Anon, FileCache, Shmem, SlabReclaimable, SlabUnmovable, PageTable, Kernel, HugeTlb (omit it to derive the owner from -Gfp).", Owner));
            TryCore(() => PageAllocator.Validate(node, Order, Cpu));
            PageOwner? owner = MyInvocation.BoundParameters.ContainsKey(nameof(Owner)) ? Owner : (PageOwner?)null;
            PageAllocator.ReserveHandles(node, Count, Order);
            var progress = new ProgressWriter(this, 7, $"New-PageAllocation on '{node.Name}'", "allocations");
            for (int i = 0; i < Count && !_stopping; i++)
            {
                if (Count > 1 && (i & 1023) == 0) progress.Report(i, Count);
                var r = PageAllocator.Allocate(node, Order, Gfp, Cpu, owner);
                MemMgmt.Core.Time.Daemons.AfterAllocationRequest(node, Cpu);
                foreach (var step in r.Steps) WriteVerbose($"alloc_pages(order {Order}, {Gfp}): {step}");
                if (r.Success)
                {
                    WriteObject(new PageAllocation(r));
                    continue;
                }
                // The slow path gave up (reclaim and compaction made no progress): the same request would fail again.
                string done = Count > 1 ? $" ({i} of {Count} allocations succeeded; the rest were not attempted)" : "";
                WriteError(Errors.Make("AllocationFailed", ErrorCategory.ResourceUnavailable,
                    $"alloc_pages(order {Order}, {Gfp}) on node '{node.Name}' cpu {Cpu} failed in the {r.Path} path: {r.FailureReason}{done}.",
                    r));
                break;
            }
            progress.Complete();
        }
    }
}
