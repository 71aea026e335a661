using System;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>
    /// The per-zone reclaim state a 4.4 kernel keeps and /proc/zoneinfo prints for each populated zone: the pages scanned
    /// since a page was last freed to the zone, whether reclaim has given up on it, and its inactive_ratio. Node-based
    /// kernels (4.8 and later, so 4.14 and 6.1) have none of it. The zoneinfo renderer and Get-ZoneInfo's objects both
    /// read it here, so the text and the objects cannot disagree.
    /// kernel: zoneinfo_show_print (mm/vmstat.c, 4.4) — the scanned, all_unreclaimable and inactive_ratio fields.
    /// </summary>
    public sealed class ZoneReclaimState
    {
        private ZoneReclaimState(long scanned, bool allUnreclaimable, long inactiveRatio)
        {
            Scanned = scanned;
            AllUnreclaimable = allUnreclaimable;
            InactiveRatio = inactiveRatio;
        }

        /// <summary>zone_page_state(zone, NR_PAGES_SCANNED): pages scanned since free_pcppages_bulk or free_one_page last
        /// returned a page to the zone.</summary>
        public long Scanned { get; }

        /// <summary>!zone_reclaimable(zone): scanned has reached six times the zone's reclaimable pages.</summary>
        public bool AllUnreclaimable { get; }

        /// <summary>zone-&gt;inactive_ratio, from calculate_zone_inactive_ratio.</summary>
        public long InactiveRatio { get; }

        /// <summary>The zone's reclaim state on a node with zone-based reclaim (<see cref="KernelProfile.ZoneBasedReclaim"/>),
        /// or null on a node whose kernel reclaims per node and keeps no such state per zone.</summary>
        public static ZoneReclaimState? Of(MemNode node, Zone zone)
        {
            if (node is null) throw new ArgumentNullException(nameof(node));
            if (zone is null) throw new ArgumentNullException(nameof(zone));
            if (!node.Kernel.ZoneBasedReclaim) return null;
            return new ZoneReclaimState(zone.PagesScanned, !ZoneReclaim.ZoneReclaimable(node, zone), ZoneReclaim.ZoneInactiveRatio(node, zone));
        }

        /// <inheritdoc/>
        public override string ToString() => $"scanned {Scanned}, all_unreclaimable {(AllUnreclaimable ? 1 : 0)}, inactive_ratio {InactiveRatio}";
    }
}
