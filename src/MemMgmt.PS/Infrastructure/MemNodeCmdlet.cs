using System;
using System.Management.Automation;
using MemMgmt.Core;
using MemMgmt.Core.Node;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>
    /// Base of every cmdlet that works on a node: -Node binds a MemNode from the pipeline by value, or the Node
    /// property of any result object by property name, or a node name (resolved when the record runs); without it the runspace's current node is used.
    /// </summary>
    public abstract class MemNodeCmdlet : PSCmdlet
    {
        /// <summary>The node to work on, or its name; default: the current node (the last one New-MemNode made or Get-MemNode -Current set).</summary>
        [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNull]
        [ArgumentCompleter(typeof(NodeNameCompleter))]
        public MemNodeIdentity? Node { get; set; }

        /// <summary>
        /// Resolves the node and runs <see cref="ProcessNode"/> under its lock: one record's work on a node is atomic
        /// for other runspaces, and the lock is released when the record is done (not held across the pipeline).
        /// </summary>
        protected sealed override void ProcessRecord()
        {
            var node = ResolveNode();
            NodeLock.Run(this, node, () => ProcessNode(node));
        }

        /// <summary>The cmdlet's work for one record on the resolved node, called with the node's lock held.</summary>
        protected abstract void ProcessNode(MemNode node);

        /// <summary>
        /// The node this record works on; writes a terminating NodeNotFound error for an unknown -Node name and
        /// NoCurrentNode when -Node is absent and there is no current node.
        /// </summary>
        protected MemNode ResolveNode()
        {
            if (Node != null) return Node.Resolve(this);
            var current = NodeRegistry.ForRunspace(this).Current;
            if (current != null) return current;
            ThrowTerminatingError(new ErrorRecord(
                new InvalidOperationException("There is no current node: create one with New-MemNode, or pass -Node."),
                "NoCurrentNode", ErrorCategory.InvalidOperation, null));
            throw new InvalidOperationException(); // not reached: ThrowTerminatingError throws
        }

        /// <summary>Runs a Core operation and turns its MemMgmtException into an ErrorRecord with the same id.</summary>
        protected bool TryCore(Action action, bool terminating = true)
        {
            try
            {
                action();
                return true;
            }
            catch (MemMgmtException e)
            {
                var record = Errors.ToRecord(e);
                if (terminating) ThrowTerminatingError(record);
                WriteError(record);
                return false;
            }
        }
    }
}
