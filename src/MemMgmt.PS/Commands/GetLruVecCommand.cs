using System.Management.Automation;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-LruVec: each lruvec's list sizes, recent_scanned/recent_rotated and inactive_ratio.</summary>
    [Cmdlet(VerbsCommon.Get, "LruVec")]
    [OutputType(typeof(LruVecStat))]
    public sealed class GetLruVecCommand : MemNodeCmdlet
    {
        /// <summary>Cgroup paths to show ("/" is the root); wildcards allowed.</summary>
        [Parameter(Position = 0)]
        [SupportsWildcards]
        public string[]? Cgroup { get; set; }

        protected override void ProcessNode(MemNode node)
        {
            var filter = NameFilter.Create(Cgroup);
            foreach (var v in LruVecStat.GetAll(node))
                if (filter.IsMatch(v.Cgroup)) WriteObject(v);
        }
    }
}
