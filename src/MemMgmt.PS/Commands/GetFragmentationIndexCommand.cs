using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.PS.Infrastructure;


namespace MemMgmt.PS.Commands
{
    /// <summary>Get-FragmentationIndex: debugfs extfrag/extfrag_index and extfrag/unusable_index per zone and order.</summary>
    [Cmdlet(VerbsCommon.Get, "FragmentationIndex")]
    [OutputType(typeof(Results.FragmentationIndexRow), typeof(string))]
    public sealed class GetFragmentationIndexCommand : ProcViewCmdlet
    {
        /// <summary>Which index: ExternalFragmentation (extfrag_index) or UnusableFreeSpace (unusable_index). Objects: both by default; -Raw: extfrag_index by default.</summary>
        [Parameter]
        public FragmentationIndexKind[]? Kind { get; set; }

        protected override string RenderKernelText(MemNode node)
        {
            var kind = Kind != null && Kind.Length > 0 ? Kind[0] : FragmentationIndexKind.ExternalFragmentation;
            if (Kind != null && Kind.Length > 1)
                ThrowTerminatingError(Errors.Make("RawNeedsOneKind", ErrorCategory.InvalidArgument,
                    "-Raw prints one debugfs file: give one -Kind (ExternalFragmentation or UnusableFreeSpace).", Kind));
            return NodeViews.FragmentationIndex(node, kind).ToKernelText();
        }

        protected override bool HasOrderColumns => true;

        protected override IEnumerable<object> Objects(MemNode node)
        {
            var kinds = Kind != null && Kind.Length > 0
                ? Kind
                : new[] { FragmentationIndexKind.ExternalFragmentation, FragmentationIndexKind.UnusableFreeSpace };
            foreach (var kind in kinds)
                foreach (var row in NodeViews.FragmentationIndex(node, kind).Rows)
                    yield return new Results.FragmentationIndexRow(node, row.ZoneName, kind, row.Values);
        }
    }
}
