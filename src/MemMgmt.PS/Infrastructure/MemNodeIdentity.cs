using System.Management.Automation;
using MemMgmt.Core.Node;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>
    /// What a -Node argument names: a node, or the name of a node of the session. The engine builds it from either
    /// (its constructors are the conversions); the cmdlet resolves it when it runs, so an unknown name is the
    /// cmdlet's own NodeNotFound error rather than a binding failure.
    /// </summary>
    public sealed class MemNodeIdentity
    {
        private readonly MemNode? _node;

        /// <summary>The node itself.</summary>
        public MemNodeIdentity(MemNode node) { _node = node; Name = node.Name; }

        /// <summary>A node name, looked up in the runspace's nodes when the cmdlet runs.</summary>
        public MemNodeIdentity(string name) { Name = name; }

        /// <summary>The node's name as given.</summary>
        public string Name { get; }

        /// <summary>The node when one was given, null when only a name was.</summary>
        public MemNode? Given => _node;

        /// <summary>
        /// The node this identity names; an unknown name throws the terminating error NodeNotFound (ObjectNotFound)
        /// naming the session's nodes.
        /// </summary>
        public MemNode Resolve(PSCmdlet cmdlet)
        {
            if (_node != null) return _node;
            var registry = NodeRegistry.ForRunspace(cmdlet);
            var found = registry.Find(Name);
            if (found != null) return found;
            cmdlet.ThrowTerminatingError(Errors.Make("NodeNotFound", ErrorCategory.ObjectNotFound,
                $"-Node '{Name}': no node of this session has that name; existing: {Commands.GetMemNodeCommand.Names(registry)}.", Name));
            return null!; // not reached: ThrowTerminatingError throws
        }

        public override string ToString() => Name;
    }
}
