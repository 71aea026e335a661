using System.Linq;
using MemMgmt.Core.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Stats
{
    /// <summary>
    /// Hand-built models rendered in the 4.14 layouts, compared with text written out by hand from the 4.14-era
    /// print code (pagetypeinfo_showfree_print, pagetypeinfo_showblockcount_print, zoneinfo_show_print).
    /// </summary>
    public class Kernel414LayoutTests
    {
        private static readonly string[] Types414 = { "Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate" };

        private static PageTypeInfo SmallPageTypeInfo(bool cap) => new PageTypeInfo(
            pageBlockOrder: 3, pagesPerBlock: 8, orderCount: 4, migrateTypeNames: Types414,
            freeRows: new[]
            {
                new PageTypeFreeRow(0, "DMA", "Unmovable", new long[] { 1, 0, 2, 0 }),
                new PageTypeFreeRow(0, "DMA", "Movable", new long[] { 12, 5, 0, 123456 }),
                new PageTypeFreeRow(0, "DMA", "Reclaimable", new long[] { 0, 0, 0, 0 }),
                new PageTypeFreeRow(0, "DMA", "HighAtomic", new long[] { 0, 0, 0, 0 }),
                new PageTypeFreeRow(0, "DMA", "Isolate", new long[] { 0, 0, 0, 0 }),
                new PageTypeFreeRow(0, "Normal", "Unmovable", new long[] { 7, 3, 1, 0 }),
                new PageTypeFreeRow(0, "Normal", "Movable", new long[] { 1234567, 0, 0, 1 }),
                new PageTypeFreeRow(0, "Normal", "Reclaimable", new long[] { 0, 0, 0, 0 }),
                new PageTypeFreeRow(0, "Normal", "HighAtomic", new long[] { 0, 0, 0, 0 }),
                new PageTypeFreeRow(0, "Normal", "Isolate", new long[] { 0, 0, 0, 0 }),
            },
            blockRows: new[]
            {
                new PageTypeBlockRow(0, "DMA", new long[] { 2, 510, 0, 0, 0 }),
                new PageTypeBlockRow(0, "Normal", new long[] { 31, 1921, 6, 1, 0 }),
            },
            capFreeCounts: cap);

        [Fact]
        public void PageTypeInfo414LayoutMatchesHandWrittenText()
        {
            string expected =
                "Page block order: 3\n" +
                "Pages per block:  8\n" +
                "\n" +
                "Free pages count per migrate type at order       0      1      2      3 \n" +
                "Node    0, zone      DMA, type    Unmovable      1      0      2      0 \n" +
                "Node    0, zone      DMA, type      Movable     12      5      0 123456 \n" +
                "Node    0, zone      DMA, type  Reclaimable      0      0      0      0 \n" +
                "Node    0, zone      DMA, type   HighAtomic      0      0      0      0 \n" +
                "Node    0, zone      DMA, type      Isolate      0      0      0      0 \n" +
                "Node    0, zone   Normal, type    Unmovable      7      3      1      0 \n" +
                "Node    0, zone   Normal, type      Movable 1234567      0      0      1 \n" +
                "Node    0, zone   Normal, type  Reclaimable      0      0      0      0 \n" +
                "Node    0, zone   Normal, type   HighAtomic      0      0      0      0 \n" +
                "Node    0, zone   Normal, type      Isolate      0      0      0      0 \n" +
                "\n" +
                "Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic      Isolate \n" +
                "Node 0, zone      DMA            2          510            0            0            0 \n" +
                "Node 0, zone   Normal           31         1921            6            1            0 \n";
            PageTypeInfo model = SmallPageTypeInfo(cap: PageTypeInfo.CapsFreeCounts(KernelTextFormat.V4_14));
            Assert.Equal(expected, model.ToKernelText());

            PageTypeInfo back = PageTypeInfo.Parse(expected);
            Assert.False(back.CapFreeCounts); // exact counts >= 100000 mean 4.14
            Assert.Equal(1234567, back.FreeRows[6].FreeBlocks[0]);
            Assert.Equal(expected, back.ToKernelText());
        }

        [Fact]
        public void PageTypeInfo6xCapsLargeCountsAsTheKernelPrintsThem()
        {
            string text = SmallPageTypeInfo(cap: PageTypeInfo.CapsFreeCounts(KernelTextFormat.V6_1)).ToKernelText();
            Assert.Contains("Node    0, zone      DMA, type      Movable     12      5      0 >100000 \n", text);
            Assert.Contains("Node    0, zone   Normal, type      Movable >100000      0      0      1 \n", text);
            PageTypeInfo back = PageTypeInfo.Parse(text);
            Assert.True(back.CapFreeCounts);
            Assert.Equal(PageTypeInfo.FreeCountCap, back.FreeRows[1].FreeBlocks[3]);
            Assert.Equal(text, back.ToKernelText());
        }

        [Fact]
        public void PageTypeInfoWithTwoNodesPrintsOneSectionPerNode()
        {
            var model = new PageTypeInfo(9, 512, 2, new[] { "Unmovable", "Movable" },
                new[]
                {
                    new PageTypeFreeRow(0, "DMA", "Unmovable", new long[] { 1, 2 }),
                    new PageTypeFreeRow(0, "DMA", "Movable", new long[] { 3, 4 }),
                    new PageTypeFreeRow(1, "Normal", "Unmovable", new long[] { 5, 6 }),
                    new PageTypeFreeRow(1, "Normal", "Movable", new long[] { 7, 8 }),
                },
                new[] { new PageTypeBlockRow(0, "DMA", new long[] { 1, 2 }), new PageTypeBlockRow(1, "Normal", new long[] { 3, 4 }) },
                capFreeCounts: false);
            string text = model.ToKernelText();
            Assert.Equal(2, text.Split('\n').Count(l => l == "Page block order: 9"));
            PageTypeInfo back = PageTypeInfo.Parse(text);
            Assert.Equal(text, back.ToKernelText());
            Assert.Equal(new[] { 0, 0, 1, 1 }, back.FreeRows.Select(r => r.NodeId));
        }

        internal static ZoneInfo SmallZoneInfo(KernelTextFormat format)
        {
            var pagesets = new[]
            {
                new ZonePageset(0, 7, 186, 31, 12),
                new ZonePageset(1, 0, 186, 31, 12),
            };
            var dma = new ZoneInfoZone(0, "DMA", free: 1000, min: 16, low: 20, high: 24, spanned: 4096, present: 4096, managed: 4000,
                protection: new long[] { 0, 0, 0 },
                nodeStats: new[]
                {
                    new ProcStatEntry("nr_inactive_anon", 10),
                    new ProcStatEntry("nr_active_anon", 20),
                    new ProcStatEntry("nr_mapped", 5),
                },
                detail: new ZoneInfoDetail(
                    new[]
                    {
                        new ProcStatEntry("nr_free_pages", 1000),
                        new ProcStatEntry("nr_zone_inactive_anon", 10),
                        new ProcStatEntry("nr_mlock", 0),
                        new ProcStatEntry("numa_hit", 42),
                    },
                    pagesets, nodeUnreclaimable: false, startPfn: 262144),
                boost: 0, promo: 28, cma: 0);
            var normal = new ZoneInfoZone(0, "Normal", 0, 0, 0, 0, 0, 0, 0, new long[] { 0, 0, 0 });
            var movable = new ZoneInfoZone(0, "Movable", 0, 0, 0, 0, 0, 0, 0, new long[] { 0, 0, 0 });
            return new ZoneInfo(format, new[] { dma, normal, movable });
        }

        [Fact]
        public void ZoneInfo414LayoutMatchesHandWrittenText()
        {
            string expected =
                "Node 0, zone      DMA\n" +
                "  per-node stats\n" +
                "      nr_inactive_anon 10\n" +
                "      nr_active_anon 20\n" +
                "      nr_mapped    5\n" +
                "  pages free     1000\n" +
                "        min      16\n" +
                "        low      20\n" +
                "        high     24\n" +
                "        spanned  4096\n" +
                "        present  4096\n" +
                "        managed  4000\n" +
                "        protection: (0, 0, 0)\n" +
                "      nr_free_pages 1000\n" +
                "      nr_zone_inactive_anon 10\n" +
                "      nr_mlock     0\n" +
                "      numa_hit     42\n" +
                "  pagesets\n" +
                "    cpu: 0\n" +
                "              count: 7\n" +
                "              high:  186\n" +
                "              batch: 31\n" +
                "  vm stats threshold: 12\n" +
                "    cpu: 1\n" +
                "              count: 0\n" +
                "              high:  186\n" +
                "              batch: 31\n" +
                "  vm stats threshold: 12\n" +
                "  node_unreclaimable:  0\n" +
                "  start_pfn:           262144\n" +
                "Node 0, zone   Normal\n" +
                "  pages free     0\n" +
                "        min      0\n" +
                "        low      0\n" +
                "        high     0\n" +
                "        spanned  0\n" +
                "        present  0\n" +
                "        managed  0\n" +
                "        protection: (0, 0, 0)\n" +
                "Node 0, zone  Movable\n" +
                "  pages free     0\n" +
                "        min      0\n" +
                "        low      0\n" +
                "        high     0\n" +
                "        spanned  0\n" +
                "        present  0\n" +
                "        managed  0\n" +
                "        protection: (0, 0, 0)\n";
            ZoneInfo model = SmallZoneInfo(KernelTextFormat.V4_14);
            Assert.Equal(expected, model.ToKernelText());

            ZoneInfo back = ZoneInfo.Parse(expected);
            Assert.Equal(KernelTextFormat.V4_14, back.Format);
            Assert.Equal(expected, back.ToKernelText());
        }

        [Fact]
        public void ZoneInfoSameModelIn61And618LayoutsAddsTheirLines()
        {
            ZoneInfo model = SmallZoneInfo(KernelTextFormat.V4_14);
            string v61 = model.ToKernelText(KernelTextFormat.V6_1);
            Assert.Contains("  pages free     1000\n        boost    0\n        min      16\n", v61);
            Assert.Contains("        managed  4000\n        cma      0\n        protection: (0, 0, 0)\n", v61);
            Assert.DoesNotContain("promo", v61);
            Assert.Contains("              count: 7\n              high:  186\n              batch: 31\n  vm stats threshold: 12\n", v61);
            Assert.Equal(KernelTextFormat.V6_1, ZoneInfo.Parse(v61).Format);
            Assert.Equal(v61, ZoneInfo.Parse(v61).ToKernelText());

            string v618 = model.ToKernelText(KernelTextFormat.V6_18);
            Assert.Contains("        high     24\n        promo    28\n        spanned  4096\n", v618);
            Assert.Contains("              count:    7\n              high:     186\n              batch:    31\n              high_min: 0\n              high_max: 0\n", v618);
            Assert.Equal(KernelTextFormat.V6_18, ZoneInfo.Parse(v618).Format);
            Assert.Equal(v618, ZoneInfo.Parse(v618).ToKernelText());
        }

        [Fact]
        public void Arm64CaptureRenderedIn414LayoutDropsBoostAndCma()
        {
            ZoneInfo zi = ZoneInfo.Parse(ProcCaptures.Read(ProcCaptures.Arm64, "zoneinfo.txt"));
            string v414 = zi.ToKernelText(KernelTextFormat.V4_14);
            Assert.DoesNotContain("boost", v414);
            Assert.DoesNotContain("        cma ", v414);
            Assert.Equal(v414, ZoneInfo.Parse(v414).ToKernelText());
        }

        [Fact]
        public void ModelRejectsNodeStatsOnTheWrongZoneAndDetailOnEmptyZones()
        {
            var detail = new ZoneInfoDetail(new ProcStatEntry[0], new ZonePageset[0], false, 0);
            Assert.Throws<System.ArgumentException>(() =>
                new ZoneInfoZone(0, "Normal", 0, 0, 0, 0, 0, 0, 0, new long[] { 0 }, detail: detail));
            Assert.Throws<System.ArgumentException>(() =>
                new ZoneInfoZone(0, "Normal", 0, 0, 0, 0, 10, 10, 10, new long[] { 0 }));
            var empty = new ZoneInfoZone(0, "DMA", 0, 0, 0, 0, 0, 0, 0, new long[] { 0, 0 }, nodeStats: new ProcStatEntry[0]);
            var full = new ZoneInfoZone(0, "Normal", 0, 0, 0, 0, 10, 10, 10, new long[] { 0, 0 }, detail: detail);
            Assert.Throws<System.ArgumentException>(() => new ZoneInfo(KernelTextFormat.V4_14, new[] { empty, full }));
        }
    }
}
