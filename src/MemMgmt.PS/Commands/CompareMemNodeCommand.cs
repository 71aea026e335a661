using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Compare-MemNode: what differs between two nodes of the same layout (the what-if report after Copy-MemNode).</summary>
    [Cmdlet(VerbsData.Compare, "MemNode")]
    [OutputType(typeof(NodeDifference))]
    public sealed class CompareMemNodeCommand : PSCmdlet
    {
        private readonly HashSet<MemNode> _shown = new HashSet<MemNode>();

        /// <summary>The node compared against (the unchanged original).</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNull]
        [ArgumentCompleter(typeof(NodeNameCompleter))]
        public MemNodeIdentity? Reference { get; set; }

        /// <summary>The changed node; binds a piped node, or the Node property of any result object.</summary>
        [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Node")]
        [ValidateNotNull]
        [ArgumentCompleter(typeof(NodeNameCompleter))]
        public MemNodeIdentity? Difference { get; set; }

        /// <summary>Only these kinds of difference.</summary>
        [Parameter]
        [ValidateNotNull]
        public NodeDifferenceKind[]? Kind { get; set; }

        protected override void ProcessRecord()
        {
            var reference = Reference!.Resolve(this);
            var difference = Difference!.Resolve(this);
            // Several upstream results (one per sysctl or zone) name the same node: compare it once.
            if (!_shown.Add(difference)) return;
            List<NodeDifference> diffs;
            try
            {
                List<NodeDifference>? found = null;
                NodeLock.Run(this, reference, difference, () => found = NodeComparison.Compare(reference, difference));
                diffs = found!;
            }
            catch (MemMgmt.Core.MemMgmtException e)
            {
                ThrowTerminatingError(Errors.ToRecord(e));
                return;
            }
            foreach (var d in diffs)
                if (Kind == null || System.Array.IndexOf(Kind, d.Kind) >= 0) WriteObject(d);
        }
    }
}
