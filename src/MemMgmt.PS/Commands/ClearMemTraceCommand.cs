using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Clear-MemTrace: empties a node's trace buffer (echo &gt; /sys/kernel/debug/tracing/trace).</summary>
    [Cmdlet(VerbsCommon.Clear, "MemTrace", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(void))]
    public sealed class ClearMemTraceCommand : MemNodeCmdlet
    {
        private readonly HashSet<MemNode> _cleared = new HashSet<MemNode>();

        protected override void ProcessNode(MemNode node)
        {
            if (!_cleared.Add(node)) return;
            int events = 0;
            foreach (var _ in node.Trace.Events(node)) events++;
            if (!ShouldProcess($"trace buffer of node '{node.Name}' ({events} events)", "Clear")) return;
            TryCore(() => Core.Trace.TraceControl.Clear(node));
        }
    }
}
