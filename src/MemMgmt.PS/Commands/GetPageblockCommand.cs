using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;
using MemMgmt.PS.Results;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-Pageblock: one object per pageblock with its migrate type, skip bit and page census.</summary>
    [Cmdlet(VerbsCommon.Get, "Pageblock")]
    [OutputType(typeof(Pageblock))]
    public sealed class GetPageblockCommand : MemNodeCmdlet
    {
        /// <summary>Pfns whose pageblocks to report (any pfn inside a block selects it); binds the Pfn of piped
        /// allocations, so `New-PageAllocation -Count 3 | Get-Pageblock` reports their blocks.</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNull]
        public long[]? Pfn { get; set; }

        [Parameter]
        [ValidateNotNull]
        [ArgumentCompleter(typeof(ZoneNameCompleter))]
        public string[]? Zone { get; set; }

        [Parameter]
        [ValidateNotNull]
        public MigrateType[]? MigrateType { get; set; }

        /// <summary>Only blocks whose compaction skip bit is set (-Skip) or clear (-Skip:$false).</summary>
        [Parameter]
        public SwitchParameter Skip { get; set; }

        protected override void ProcessNode(MemNode node)
        {
            // Validate every argument before reporting anything.
            var blocks = new List<long>();
            if (Pfn != null)
                foreach (var p in Pfn)
                    TryCore(() => { long b = PageblockCensus.BlockOf(node, p); if (!blocks.Contains(b)) blocks.Add(b); });
            var zones = new List<ZoneType>();
            if (Zone != null)
                foreach (var z in Zone) TryCore(() => zones.Add(node.ParseZone(z)));
            bool filterSkip = MyInvocation.BoundParameters.ContainsKey(nameof(Skip));

            IEnumerable<PageblockInfo> infos;
            if (Pfn != null)
            {
                var list = new List<PageblockInfo>();
                foreach (var b in blocks) list.AddRange(PageblockCensus.Take(node, b, b));
                infos = list;
            }
            else infos = PageblockCensus.TakeAll(node);

            foreach (var b in infos)
            {
                if (Zone != null && !zones.Contains(b.Zone)) continue;
                if (MigrateType != null && System.Array.IndexOf(MigrateType, b.MigrateType) < 0) continue;
                if (filterSkip && b.Skip != Skip.IsPresent) continue;
                WriteObject(new Pageblock(b));
            }
        }
    }
}
