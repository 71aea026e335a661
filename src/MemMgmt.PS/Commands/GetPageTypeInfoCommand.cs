using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.PS.Infrastructure;
using MemMgmt.PS.Results;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-PageTypeInfo: /proc/pagetypeinfo — free blocks per order for each zone and migrate type, and pageblock counts.</summary>
    [Cmdlet(VerbsCommon.Get, "PageTypeInfo")]
    [OutputType(typeof(PageTypeInfoRow), typeof(string))]
    public sealed class GetPageTypeInfoCommand : ProcViewCmdlet
    {
        protected override string RenderKernelText(MemNode node) => NodeViews.PageTypeInfo(node).ToKernelText();

        protected override bool HasOrderColumns => true;

        protected override IEnumerable<object> Objects(MemNode node)
        {
            var info = NodeViews.PageTypeInfo(node);
            foreach (var row in info.FreeRows)
            {
                long blocks = 0;
                foreach (var b in info.BlockRows)
                {
                    if (b.ZoneName != row.ZoneName) continue;
                    for (int t = 0; t < info.MigrateTypeNames.Count; t++)
                        if (info.MigrateTypeNames[t] == row.MigrateType) blocks = b.Blocks[t];
                }
                yield return new PageTypeInfoRow(node, row.ZoneName, row.MigrateType, row.FreeBlocks, blocks, node.Geometry.PageShift);
            }
        }
    }
}
