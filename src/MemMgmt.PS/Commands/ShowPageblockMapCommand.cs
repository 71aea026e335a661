using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Show-PageblockMap: the node drawn one cell per pageblock, coloured by migrate type and shaded by how free.</summary>
    [Cmdlet(VerbsCommon.Show, "PageblockMap")]
    [OutputType(typeof(string))]
    public sealed class ShowPageblockMapCommand : MemNodeCmdlet
    {
        private readonly HashSet<MemNode> _shown = new HashSet<MemNode>();

        /// <summary>Plain text: a letter per block, for logs and files.</summary>
        [Parameter]
        public SwitchParameter Raw { get; set; }

        /// <summary>Pageblocks per line; default: what fits the terminal, or 64 with -Raw.</summary>
        [Parameter]
        [ValidateRange(1, 4096)]
        public int Width { get; set; }

        protected override void ProcessNode(MemNode node)
        {
            if (!_shown.Add(node)) return;
            int width = MyInvocation.BoundParameters.ContainsKey(nameof(Width)) ? Width
                : Raw ? PageblockMap.DefaultRawWidth : PageblockMap.CellsForColumns(node, TerminalColumns());
            var lines = Raw ? PageblockMap.RenderRaw(node, width) : PageblockMap.RenderAnsi(node, width);
            foreach (var line in lines) WriteObject(line);
        }

        /// <summary>The host window's width; hosts without a window (redirected, hosted engines) throw or report 0.</summary>
        private int TerminalColumns()
        {
            var rawUi = Host?.UI?.RawUI;
            if (rawUi == null) return PageblockMap.DefaultColumns;
            try
            {
                int w = rawUi.WindowSize.Width;
                return w > 0 ? w : PageblockMap.DefaultColumns;
            }
            catch (System.Exception e) when (e is System.Management.Automation.Host.HostException || e is System.NotImplementedException
                || e is System.NotSupportedException || e is System.IO.IOException)
            {
                return PageblockMap.DefaultColumns;
            }
        }
    }
}
