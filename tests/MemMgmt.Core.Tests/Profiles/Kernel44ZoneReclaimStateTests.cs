using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Tests.Reclaim;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>ZoneReclaimState: the per-zone scanned / all_unreclaimable / inactive_ratio that 4.4's zoneinfo prints
    /// (zoneinfo_show_print, mm/vmstat.c, 4.4) and Get-ZoneInfo's objects carry; null where the kernel reclaims per node.</summary>
    public class Kernel44ZoneReclaimStateTests
    {
        private static MemNode Node(KernelProfile kernel, long sizeBytes) =>
            new MemNode(new NodeConfig { SizeBytes = sizeBytes, CmaBytes = 0, Kernel = kernel });

        /// <summary>The three numbers of each zone section of a 4.4 zoneinfo text, read from the text alone.</summary>
        private static Dictionary<string, (long Scanned, long AllUnreclaimable, long InactiveRatio)> FromText(string text)
        {
            var result = new Dictionary<string, (long, long, long)>();
            foreach (Match m in Regex.Matches(text, @"^Node 0, zone +(\w+)\n(.*?)(?=^Node |\z)", RegexOptions.Multiline | RegexOptions.Singleline))
            {
                string body = m.Groups[2].Value;
                long Field(string pattern) => long.Parse(Regex.Match(body, pattern, RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture);
                result[m.Groups[1].Value] = (Field(@"^        scanned  (\d+)$"), Field(@"^  all_unreclaimable: (\d+)$"), Field(@"^  inactive_ratio:    (\d+)$"));
            }
            return result;
        }

        private static void AssertStateMatchesText(MemNode node)
        {
            var text = FromText(NodeViews.ZoneInfo(node).ToKernelText());
            var populated = node.Zones.Where(z => z.IsPopulated).ToList();
            Assert.Equal(populated.Select(z => z.Name).OrderBy(n => n), text.Keys.OrderBy(n => n));
            foreach (var zone in populated)
            {
                var state = ZoneReclaimState.Of(node, zone);
                Assert.NotNull(state);
                var printed = text[zone.Name];
                Assert.Equal(printed.Scanned, state!.Scanned);
                Assert.Equal(printed.AllUnreclaimable, state.AllUnreclaimable ? 1 : 0);
                Assert.Equal(printed.InactiveRatio, state.InactiveRatio);
            }
        }

        [Fact]
        public void FreshNode_NothingScanned_ReclaimableZones_RatioFromManagedSize()
        {
            var node = Node(KernelProfile.Linux44, 4L << 30);
            AssertStateMatchesText(node);
            foreach (var zone in node.Zones.Where(z => z.IsPopulated))
            {
                var s = ZoneReclaimState.Of(node, zone)!;
                Assert.Equal(0, s.Scanned);
                // calculate_zone_inactive_ratio (mm/page_alloc.c, 4.4): int_sqrt(10 * managed GiB), 1 below 1 GiB.
                long gb = zone.ManagedPages >> 18;
                long expected = gb == 0 ? 1 : (long)System.Math.Floor(System.Math.Sqrt(10 * gb));
                Assert.Equal(expected, s.InactiveRatio);
            }
            // A 4 GiB node has a zone of at least 2 GiB, so some ratio is above 1 and the comparison is not trivially 1 = 1.
            Assert.Contains(node.Zones.Where(z => z.IsPopulated), z => ZoneReclaimState.Of(node, z)!.InactiveRatio > 1);
        }

        /// <summary>Fruitless direct reclaim (every LRU page pinned) scans the zones until one reaches six times its
        /// reclaimable pages: the object and the zoneinfo text then both say scanned N, all_unreclaimable 1.</summary>
        [Fact]
        public void AfterFruitlessReclaim_ObjectsEqualTheRenderedZoneinfo_AndAZoneIsUnreclaimable()
        {
            var node = Node(KernelProfile.Linux44, 512L << 20);
            var handles = ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            var pages = node.Pages;
            for (int i = 0; i < pages.NrPages; i++)
                if ((pages.Flags[i] & (uint)PageFlags.Lru) != 0) pages.ExtraRefs[i] = 1; // pinned: scanned, never reclaimed

            Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL);
            AssertStateMatchesText(node);
            Assert.Contains(node.Zones, z => z.IsPopulated && ZoneReclaimState.Of(node, z)!.Scanned > 0);
            Assert.DoesNotContain(node.Zones, z => z.IsPopulated && ZoneReclaimState.Of(node, z)!.AllUnreclaimable);

            var dma = node.GetZone(ZoneType.DMA);
            long reclaimable = Vmscan.ZoneReclaimablePages(node, dma);
            for (int round = 0; round < 20 && ZoneReclaimState.Of(node, dma)!.Scanned < 6 * reclaimable; round++)
                Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL);
            var state = ZoneReclaimState.Of(node, dma)!;
            Assert.True(state.Scanned >= 6 * reclaimable, $"scanned {state.Scanned} of {reclaimable} reclaimable");
            Assert.True(state.AllUnreclaimable);
            AssertStateMatchesText(node);
            Assert.Equal(state.Scanned, FromText(NodeViews.ZoneInfo(node).ToKernelText())["DMA"].Scanned);

            // A page freed back to the zone clears the count (free_pcppages_bulk), in both views.
            PageAllocator.Free(node, handles[0]);
            PageAllocator.DrainAllPages(node);
            Assert.Equal(0, ZoneReclaimState.Of(node, dma)!.Scanned);
            Assert.False(ZoneReclaimState.Of(node, dma)!.AllUnreclaimable);
            AssertStateMatchesText(node);
        }

        [Fact]
        public void NodeBasedKernels_HaveNoZoneReclaimState()
        {
            foreach (var kernel in new[] { KernelProfile.Linux414, KernelProfile.Linux61 })
            {
                var node = Node(kernel, 1L << 30);
                foreach (var zone in node.Zones) Assert.Null(ZoneReclaimState.Of(node, zone));
                Assert.DoesNotContain("all_unreclaimable", NodeViews.ZoneInfo(node).ToKernelText());
            }
        }
    }
}
