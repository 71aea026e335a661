using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Views
{
    public class NodeViewsTests
    {
        /// <summary>
        /// A fresh default node: 16928 reserved pages at pfn 0x40000, so memory from index 16928 is freed in the largest aligned
        /// blocks: orders 5, 6, 7, 8 (16928 → 17408), then 479 order-10 blocks up to the CMA area, whose 16 order-10 blocks are
        /// freed last onto the CMA lists. 1024 pageblocks: 32 CMA, 992 Movable (memmap_init_zone marks every block Movable).
        /// </summary>
        [Fact]
        public void FreshDefaultNodePagetypeinfo()
        {
            var node = new MemNode(new NodeConfig());
            string expected =
                "Page block order: 9\n" +
                "Pages per block:  512\n" +
                "\n" +
                "Free pages count per migrate type at order       0      1      2      3      4      5      6      7      8      9     10 \n" +
                "Node    0, zone      DMA, type    Unmovable      0      0      0      0      0      0      0      0      0      0      0 \n" +
                "Node    0, zone      DMA, type      Movable      0      0      0      0      0      1      1      1      1      0    479 \n" +
                "Node    0, zone      DMA, type  Reclaimable      0      0      0      0      0      0      0      0      0      0      0 \n" +
                "Node    0, zone      DMA, type   HighAtomic      0      0      0      0      0      0      0      0      0      0      0 \n" +
                "Node    0, zone      DMA, type          CMA      0      0      0      0      0      0      0      0      0      0     16 \n" +
                "Node    0, zone      DMA, type      Isolate      0      0      0      0      0      0      0      0      0      0      0 \n" +
                "\n" +
                "Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic          CMA      Isolate \n" +
                "Node 0, zone      DMA            0          992            0            0           32            0 \n";
            Assert.Equal(expected, NodeViews.PageTypeInfo(node).ToKernelText());
        }

        [Fact]
        public void FreshDefaultNodeBuddyinfoAndIndexes()
        {
            var node = new MemNode(new NodeConfig());
            Assert.Equal("Node 0, zone      DMA      0      0      0      0      0      1      1      1      1      0    495 \n",
                NodeViews.BuddyInfo(node).ToKernelText());
            // A suitable block exists at every order: the fragmentation index is −1000 (printed -1.000) everywhere.
            Assert.StartsWith("Node 0, zone      DMA -1.000 -1.000", NodeViews.FragmentationIndex(node, FragmentationIndexKind.ExternalFragmentation).ToKernelText());
            // unusable_free_index at order 9: free 507360, suitable blocks 2·495 = 990 of 512 pages = 506880; (480·1000)/507360 = 0.
            // At order 10: 495·1024 = 506880 suitable pages as well → 0.000; at order 6 the order-5 block is unusable: 32000/507360 = 0.
            string unusable = NodeViews.FragmentationIndex(node, FragmentationIndexKind.UnusableFreeSpace).ToKernelText();
            Assert.Equal("Node 0, zone      DMA 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 \n", unusable);
        }

        [Fact]
        public void ZoneinfoShowsTheWatermarksAndEmptyZones()
        {
            var node = new MemNode(new NodeConfig());
            string text = NodeViews.ZoneInfo(node).ToKernelText();
            Assert.Contains("Node 0, zone      DMA\n  per-node stats\n", text);
            Assert.Contains("\n  pages free     507360\n        min      5632\n        low      7040\n        high     8448\n        spanned  524288\n        present  524288\n        managed  507360\n", text);
            Assert.Contains("Node 0, zone   Normal\n  pages free     0\n", text);
            Assert.Contains("\n              high:  186\n              batch: 31", text);
            Assert.Contains("start_pfn:           262144\n", text);
            // Round trip through the parser: what we print parses back to the same text.
            Assert.Equal(text, ZoneInfo.Parse(text).ToKernelText());
        }

        [Fact]
        public void MeminfoTotals()
        {
            var node = new MemNode(new NodeConfig());
            var mem = NodeViews.MemInfo(node);
            Assert.Equal(507360L * 4, mem["MemTotal"]);
            Assert.Equal(507360L * 4, mem["MemFree"]);
            Assert.Equal(65536, mem["CmaTotal"]);
            Assert.Equal(2048, mem["Hugepagesize"]);
            Assert.StartsWith("MemTotal:        2029440 kB\n", mem.ToKernelText());
        }

        [Fact]
        public void VmstatCountsBootFreesAndZoneEvents()
        {
            var node = new MemNode(new NodeConfig());
            var vm = NodeViews.VmStat(node);
            Assert.Equal(507360, vm["nr_free_pages"]);
            Assert.Equal(16384, vm["nr_free_cma"]);
            Assert.Equal(507360, vm["pgfree"]);
            Assert.Equal(0, vm["pgalloc_dma"]);
            Assert.NotNull(vm["pgalloc_movable"]);
            Assert.Null(vm["pgalloc_dma32"]);
        }

        /// <summary>SwapCached counts the pages that carry PG_swapcache (total_swapcache_pages), by their size.</summary>
        [Fact]
        public void MeminfoSwapCachedCountsSwapCachePages()
        {
            var node = new MemNode(new NodeConfig());
            var r = MemMgmt.Core.Allocation.PageAllocator.Allocate(node, 2, MemMgmt.Core.Allocation.GfpFlags.GFP_HIGHUSER_MOVABLE);
            Assert.Equal(0, NodeViews.MemInfo(node)["SwapCached"]);
            node.Pages.Set(node.ToIndex(r.Pfn), PageFlags.SwapCache);
            Assert.Equal(4 * 4, NodeViews.MemInfo(node)["SwapCached"]);
        }
    }
}
