using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>Base of the views of a node's ring buffers (the trace buffer, the kernel log): -Last keeps the newest
    /// entries, -Raw prints the kernel's text (Clear-MemTrace and Clear-MemKernelLog empty them). Each node is shown once per
    /// pipeline, even when several upstream objects name it.</summary>
    public abstract class BufferViewCmdlet : MemNodeCmdlet
    {
        /// <summary>Only the newest n entries.</summary>
        [Parameter]
        public int Last { get; set; }

        [Parameter]
        public SwitchParameter Raw { get; set; }

        private readonly HashSet<MemNode> _shown = new HashSet<MemNode>();

        protected sealed override void ProcessNode(MemNode node)
        {
            if (!_shown.Add(node)) return;
            if (MyInvocation.BoundParameters.ContainsKey(nameof(Last)) && Last < 1)
                ThrowTerminatingError(Errors.Make("LastOutOfRange", ErrorCategory.InvalidArgument, $"-Last {Last} is out of range; allowed 1 or more.", Last));
            Show(node);
        }

        /// <summary>Selects and writes the node's buffer.</summary>
        protected abstract void Show(MemNode node);

        /// <summary>Drops all but the newest -Last entries of <paramref name="selected"/> (oldest first).</summary>
        protected void KeepLast<T>(List<T> selected)
        {
            if (Last > 0 && selected.Count > Last) selected.RemoveRange(0, selected.Count - Last);
        }
    }
}
