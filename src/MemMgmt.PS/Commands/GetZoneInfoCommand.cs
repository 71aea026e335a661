using System;
using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.PS.Infrastructure;
using MemMgmt.PS.Results;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-ZoneInfo: /proc/zoneinfo — watermarks, sizes, protection, counters and pagesets of every zone.</summary>
    [Cmdlet(VerbsCommon.Get, "ZoneInfo")]
    [OutputType(typeof(ZoneInfoResult), typeof(string))]
    public sealed class GetZoneInfoCommand : ProcViewCmdlet
    {
        /// <summary>Only these zones (the node's profile names them: DMA, Normal, Movable on 4.14); all by default.</summary>
        [Parameter]
        [ValidateNotNull]
        [ArgumentCompleter(typeof(ZoneNameCompleter))]
        public string[]? Zone { get; set; }

        private readonly List<ZoneType> _zones = new List<ZoneType>();

        protected override void ProcessNode(MemNode node)
        {
            _zones.Clear();
            if (Zone != null)
                foreach (var z in Zone) TryCore(() => _zones.Add(node.ParseZone(z)));
            base.ProcessNode(node);
        }

        protected override string RenderKernelText(MemNode node) => NodeViews.ZoneInfo(node).ToKernelText();

        protected override IEnumerable<object> Objects(MemNode node)
        {
            foreach (var zone in node.Zones)
            {
                if (Zone != null && !_zones.Contains(zone.Type)) continue;
                var pagesets = new List<ZonePageset>();
                for (int cpu = 0; cpu < zone.CpuCount; cpu++)
                {
                    var p = zone.GetPageset(cpu);
                    pagesets.Add(new ZonePageset(cpu, p.Count, p.High, p.Batch, NodeViews.StatThreshold(node, zone)));
                }
                yield return new ZoneInfoResult(node, zone, NodeViews.ZoneStats(zone), pagesets);
            }
        }
    }
}
