using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>
    /// Base of the /proc views: objects by default, the kernel's exact text with -Raw (one string per line, so
    /// Out-Default and Set-Content reproduce the file byte for byte). Each node is shown once per pipeline, even
    /// when several upstream reports (one per zone) name it.
    /// </summary>
    public abstract class ProcViewCmdlet : MemNodeCmdlet
    {
        private readonly HashSet<MemNode> _shown = new HashSet<MemNode>();

        /// <summary>Print exactly what the kernel file prints.</summary>
        [Parameter]
        public SwitchParameter Raw { get; set; }

        protected override void ProcessNode(MemNode node)
        {
            if (!_shown.Add(node)) return;
            if (Raw)
            {
                string text = RenderKernelText(node);
                foreach (var line in SplitLines(text)) WriteObject(line);
            }
            else
            {
                bool tag = HasOrderColumns && node.Geometry.MaxOrder != DefaultMaxOrder;
                foreach (var o in Objects(node)) WriteObject(tag ? TagMaxOrder(o, node.Geometry.MaxOrder) : o);
            }
        }

        /// <summary>MAX_ORDER of 4K pages: the column count of the plain table views.</summary>
        private const int DefaultMaxOrder = 11;

        /// <summary>Rows with one column per order; with 16K/64K pages (MAX_ORDER 12 or 14) they get the
        /// "#MaxOrder12"/"#MaxOrder14" view, so the table shows every order as the kernel file does.</summary>
        protected virtual bool HasOrderColumns => false;

        private static PSObject TagMaxOrder(object row, int maxOrder)
        {
            var pso = PSObject.AsPSObject(row);
            pso.TypeNames.Insert(0, row.GetType().FullName + "#MaxOrder" + maxOrder);
            return pso;
        }

        /// <summary>The file's lines without their newlines; the text always ends in one.</summary>
        internal static IEnumerable<string> SplitLines(string text)
        {
            int start = 0;
            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] != '\n') continue;
                yield return text.Substring(start, i - start);
                start = i + 1;
            }
            if (start < text.Length) yield return text.Substring(start);
        }

        protected abstract string RenderKernelText(MemNode node);

        protected abstract IEnumerable<object> Objects(MemNode node);
    }
}
