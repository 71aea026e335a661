using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-BuddyInfo: /proc/buddyinfo — free blocks per order of each populated zone.</summary>
    [Cmdlet(VerbsCommon.Get, "BuddyInfo")]
    [OutputType(typeof(Results.BuddyInfoRow), typeof(string))]
    public sealed class GetBuddyInfoCommand : ProcViewCmdlet
    {
        protected override string RenderKernelText(MemNode node) => NodeViews.BuddyInfo(node).ToKernelText();

        protected override bool HasOrderColumns => true;

        protected override IEnumerable<object> Objects(MemNode node)
        {
            foreach (var row in NodeViews.BuddyInfo(node).Rows)
                yield return new Results.BuddyInfoRow(node, row.ZoneName, row.FreeBlocks);
        }
    }
}
