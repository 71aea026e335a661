using System.Collections.Generic;
using MemMgmt.Core.Node;

namespace MemMgmt.PS.Results
{
    /// <summary>What Test-MemNode found: the invariant checker's verdict on a node.</summary>
    public sealed class NodeTestResult
    {
        internal NodeTestResult(MemNode node, IReadOnlyList<string> violations)
        {
            Node = node;
            var copy = new string[violations.Count];
            for (int i = 0; i < copy.Length; i++) copy[i] = violations[i];
            Violations = copy;
        }

        public MemNode Node { get; }
        public bool Passed => Violations.Length == 0;
        public int ViolationCount => Violations.Length;
        /// <summary>One line per violation (the checker reports at most 50).</summary>
        public string[] Violations { get; }
        /// <summary>The first violation, or null when the node passed.</summary>
        public string? FirstViolation => Violations.Length == 0 ? null : Violations[0];

        public override string ToString() => Passed ? $"{Node.Name}: passed" : $"{Node.Name}: {ViolationCount} violation(s)";
    }
}
