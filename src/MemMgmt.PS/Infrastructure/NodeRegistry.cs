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
        /// <summary>Guards _nodes and _current: a runspace's registry is also read from other threads (completers, a
        /// pipeline stopped from another thread), so no reader sees the list mid-change.</summary>
        private readonly object _gate = new object();
        private MemNode? _current;

        /// <summary>The registry of the runspace the cmdlet runs in (keyed by its session state's module-independent engine object).</summary>
        public static NodeRegistry ForRunspace(PSCmdlet cmdlet)
        {
            object key = (object?)System.Management.Automation.Runspaces.Runspace.DefaultRunspace ?? cmdlet.SessionState;
            return PerRunspace.GetValue(key, _ => new NodeRegistry());
        }

        /// <summary>The registry of the thread's default runspace, if it has one (for argument completers).</summary>
        public static NodeRegistry? ForDefaultRunspace()
        {
            object? key = System.Management.Automation.Runspaces.Runspace.DefaultRunspace;
            return key != null && PerRunspace.TryGetValue(key, out var r) ? r : null;
        }

        public MemNode? Current
        {
            get { lock (_gate) return _current; }
        }

        /// <summary>A snapshot of the nodes in creation order (safe to enumerate while a pipeline removes nodes).</summary>
        public IReadOnlyList<MemNode> Nodes
        {
            get { lock (_gate) return _nodes.ToArray(); }
        }

        public void Add(MemNode node, bool makeCurrent = true)
        {
            lock (_gate)
            {
                _nodes.Add(node);
                if (makeCurrent) _current = node;
            }
        }

        public bool Remove(MemNode node)
        {
            lock (_gate)
            {
                bool removed = _nodes.Remove(node);
                if (ReferenceEquals(_current, node)) _current = _nodes.Count > 0 ? _nodes[_nodes.Count - 1] : null;
                return removed;
            }
        }

        public void SetCurrent(MemNode node)
        {
            lock (_gate)
            {
                if (!_nodes.Contains(node)) _nodes.Add(node);
                _current = node;
            }
        }

        /// <summary>The node of this runspace with the given name (case-insensitive), or null.</summary>
        public MemNode? Find(string name)
        {
            lock (_gate)
                foreach (var n in _nodes) if (string.Equals(n.Name, name, StringComparison.OrdinalIgnoreCase)) return n;
            return null;
        }

        public bool Contains(MemNode node)
        {
            lock (_gate) return _nodes.Contains(node);
        }

        /// <summary>The first of node0, node1 … that no node of this runspace uses.</summary>
        public string NextDefaultName()
        {
            for (int i = 0; ; i++)
            {
                string candidate = "node" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (Find(candidate) == null) return candidate;
            }
        }

        /// <summary>A name no node of this runspace uses yet.</summary>
        public string UniqueName(string stem)
        {
            for (int i = 0; ; i++)
            {
                string candidate = i == 0 ? stem : stem + "-" + i;
                if (Find(candidate) == null) return candidate;
            }
        }
    }
}
