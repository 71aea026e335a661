using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using MemMgmt.Core.Node;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>The nodes a runspace has made, and which one is current; one registry per runspace.</summary>
    public sealed class NodeRegistry
    {
        private static readonly ConditionalWeakTable<object, NodeRegistry> PerRunspace = new ConditionalWeakTable<object, NodeRegistry>();
        private readonly List<MemNode> _nodes = new List<MemNode>();

        /// <summary>The registry of the runspace the cmdlet runs in (keyed by its session state's module-independent engine object).</summary>
        public static NodeRegistry ForRunspace(PSCmdlet cmdlet)
        {
            object key = (object?)System.Management.Automation.Runspaces.Runspace.DefaultRunspace ?? cmdlet.SessionState;
            return PerRunspace.GetValue(key, _ => new NodeRegistry());
        }

        public MemNode? Current { get; private set; }

        public IReadOnlyList<MemNode> Nodes => _nodes;

        public void Add(MemNode node, bool makeCurrent = true)
        {
            _nodes.Add(node);
            if (makeCurrent) Current = node;
        }

        public bool Remove(MemNode node)
        {
            bool removed = _nodes.Remove(node);
            if (ReferenceEquals(Current, node)) Current = _nodes.Count > 0 ? _nodes[_nodes.Count - 1] : null;
            return removed;
        }

        public void SetCurrent(MemNode node)
        {
            if (!_nodes.Contains(node)) _nodes.Add(node);
            Current = node;
        }

        /// <summary>A name no node of this runspace uses yet.</summary>
        public string UniqueName(string stem)
        {
            for (int i = 0; ; i++)
            {
                string candidate = i == 0 ? stem : stem + "-" + i;
                bool used = false;
                foreach (var n in _nodes) if (string.Equals(n.Name, candidate, StringComparison.OrdinalIgnoreCase)) { used = true; break; }
                if (!used) return candidate;
            }
        }
    }
}
