using System.Management.Automation;
using MemMgmt.Core;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;
using MemMgmt.PS.Results;

namespace MemMgmt.PS.Commands
{
    /// <summary>Remove-PageAllocation: __free_pages for allocations made by New-PageAllocation.</summary>
    [Cmdlet(VerbsCommon.Remove, "PageAllocation", DefaultParameterSetName = "ByObject", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(void))]
    public sealed class RemovePageAllocationCommand : PSCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "ByObject", ValueFromPipeline = true)]
        [ValidateNotNull]
        public PageAllocation? InputObject { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = "ByHandle", ValueFromPipelineByPropertyName = true)]
        public long Handle { get; set; }

        /// <summary>The node the allocation belongs to; with -InputObject it must be the allocation's own node.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNull]
        [ArgumentCompleter(typeof(NodeNameCompleter))]
        public MemNodeIdentity? Node { get; set; }

        [Parameter]
        public int Cpu { get; set; }

        protected override void ProcessRecord()
        {
            MemNode node;
            long handle;
            if (ParameterSetName == "ByObject")
            {
                var a = InputObject!;
                var given = Node?.Resolve(this);
                if (given != null && !ReferenceEquals(given, a.Node))
                {
                    WriteError(Errors.Make("AllocationNodeMismatch", ErrorCategory.InvalidArgument,
                        $"-InputObject {a} belongs to node '{a.Node.Name}', but -Node is '{given.Name}'; omit -Node or pass the allocation's own node.", a));
                    return;
                }
                node = a.Node;
                handle = a.Handle;
            }
            else
            {
                var resolved = Node?.Resolve(this) ?? NodeRegistry.ForRunspace(this).Current;
                if (resolved == null)
                {
                    ThrowTerminatingError(Errors.Make("NoCurrentNode", ErrorCategory.InvalidOperation,
                        "There is no current node: create one with New-MemNode, or pass -Node.", null));
                    return;
                }
                node = resolved;
                handle = Handle;
            }

            // The lookup and the free each run under the node's lock; the -Confirm prompt between them does not.
            string target = "";
            NodeLock.Run(this, node, () => target = PageAllocator.TryGetAllocation(node, handle, out long pfn, out int order)
                ? $"allocation 0x{handle:x} (pfn 0x{pfn:x}, order {order}) on node '{node.Name}'"
                : $"allocation 0x{handle:x} on node '{node.Name}'");
            if (!ShouldProcess(target, "Free pages")) return;
            MemMgmtException? failed = null;
            NodeLock.Run(this, node, () =>
            {
                try { PageAllocator.Free(node, handle, Cpu); }
                catch (MemMgmtException e) { failed = e; }
            });
            if (failed != null) WriteError(Errors.ToRecord(failed));
        }
    }
}
