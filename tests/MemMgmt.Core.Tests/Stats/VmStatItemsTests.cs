using System;
using System.Linq;
using MemMgmt.Core.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Stats
{
    public class VmStatItemsTests
    {
        [Fact]
        public void V61NamesAreExactlyTheArm64CapturesVmStatNames()
        {
            VmStat capture = VmStat.Parse(ProcCaptures.Read(ProcCaptures.Arm64, "vmstat.txt"));
            Assert.Equal(capture.Entries.Select(e => e.Name), VmStatItems.AllVmStatNames(KernelTextFormat.V6_1));
        }

        [Fact]
        public void V61ZoneAndNodeNamesAreTheArm64CapturesZoneInfoBlocks()
        {
            ZoneInfo zi = ZoneInfo.Parse(ProcCaptures.Read(ProcCaptures.Arm64, "zoneinfo.txt"));
            ZoneInfoZone dma = zi.Zones[0];
            Assert.Equal(VmStatItems.NodeItems(KernelTextFormat.V6_1), dma.NodeStats!.Select(e => e.Name));
            Assert.Equal(VmStatItems.ZoneItems(KernelTextFormat.V6_1).Concat(VmStatItems.NumaItems(KernelTextFormat.V6_1)),
                dma.Detail!.ZoneStats.Select(e => e.Name));
        }

        [Fact]
        public void BuildVmStatRendersEveryNameInOrder()
        {
            VmStat v = VmStatItems.BuildVmStat(KernelTextFormat.V6_1, n => n.Length);
            string text = v.ToKernelText();
            Assert.StartsWith("nr_free_pages 13\nnr_zone_inactive_anon 21\n", text);
            Assert.EndsWith("zswpout 7\nnr_unstable 0\n", text);
            Assert.Equal(text, VmStat.Parse(text).ToKernelText());
        }

        [Fact]
        public void V414ListsFollowThe414Enums()
        {
            var zone = VmStatItems.ZoneItems(KernelTextFormat.V4_14);
            var node = VmStatItems.NodeItems(KernelTextFormat.V4_14);
            Assert.Equal("nr_free_pages", zone[0]);
            Assert.Contains("nr_kernel_stack", zone);     // a zone counter in 4.14, a node counter in 6.x
            Assert.Contains("nr_page_table_pages", zone);
            Assert.DoesNotContain("nr_kernel_stack", node);
            Assert.Contains("nr_kernel_stack", VmStatItems.NodeItems(KernelTextFormat.V6_1));
            Assert.Contains("workingset_refault", node);  // split into _anon/_file in 5.9
            Assert.Contains("nr_unstable", node);          // a real node counter in 4.14
            Assert.Empty(VmStatItems.DeprecatedTrailer(KernelTextFormat.V4_14));
            var events = VmStatItems.EventItems(KernelTextFormat.V4_14);
            Assert.Equal(new[] { "pgalloc_dma", "pgalloc_normal", "pgalloc_movable" }, events.Where(e => e.StartsWith("pgalloc_", StringComparison.Ordinal)));
            Assert.Contains("compact_daemon_free_scanned", events);
            Assert.Equal("swap_ra_hit", events.Last());
            var all = VmStatItems.AllVmStatNames(KernelTextFormat.V4_14);
            Assert.Equal(all.Count, all.Distinct().Count());
        }

        [Fact]
        public void V618ListIsNotModelled()
        {
            Assert.Throws<NotSupportedException>(() => VmStatItems.NodeItems(KernelTextFormat.V6_18));
        }
    }
}
