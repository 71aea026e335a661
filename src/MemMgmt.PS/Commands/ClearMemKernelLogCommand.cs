using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Oom;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Clear-MemKernelLog: empties a node's kernel log (dmesg --clear).</summary>
    [Cmdlet(VerbsCommon.Clear, "MemKernelLog", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(void))]
    public sealed class ClearMemKernelLogCommand : MemNodeCmdlet
    {
        private readonly HashSet<MemNode> _cleared = new HashSet<MemNode>();

        protected override void ProcessNode(MemNode node)
        {
            if (!_cleared.Add(node)) return;
            var log = OomKiller.KernelLog(node);
            int lines = 0;
            foreach (var _ in log.Entries(node)) lines++;
            if (!ShouldProcess($"kernel log of node '{node.Name}' ({lines} lines)", "Clear")) return;
            log.Clear();
        }
    }
}
