using System;
using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>6.1's per-cpu lists for orders 1..PAGE_ALLOC_COSTLY_ORDER and THP (pcp_allowed_order, order_to_pindex,
    /// __rmqueue_pcplist's batch, free_unref_page, free_pcppages_bulk, drain) against 4.14's order-0-only pcp.</summary>
    public class Kernel61PcpHighOrderTests
    {
        private static MemNode Node(KernelProfile kernel) =>
            new MemNode(new NodeConfig { SizeBytes = 512L << 20, CmaBytes = 0, Kernel = kernel, Seed = 1 });

        private static Zone MainZone(MemNode node) => node.Zones.OrderByDescending(z => z.ManagedPages).First();

        private static int PagesetCount(MemNode node, Zone zone, int cpu) =>
            NodeViews.ZoneInfo(node).Zones.Single(z => z.ZoneName == zone.Type.ToString()).Detail!.Pagesets[cpu].Count;

        private static long BuddyFree(MemNode node, Zone zone)
        {
            var row = NodeViews.BuddyInfo(node).Rows.Single(r => r.ZoneName == zone.Type.ToString());
            long pages = 0;
            for (int o = 0; o < row.FreeBlocks.Count; o++) pages += row.FreeBlocks[o] << o;
            return pages;
        }

        private static void AssertConsistent(MemNode node) => Assert.Empty(InvariantChecker.Check(node));

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void Kernel61_CheapOrder_AllocAndFree_GoThroughThePcp_CountingPages(int order)
        {
            var node = Node(KernelProfile.Linux61);
            var zone = MainZone(node);
            var pcp = zone.GetPageset(0);
            Assert.Equal(0, pcp.Count);
            long free0 = zone.NrFreePages;
            // __rmqueue_pcplist: an empty list takes max(batch >> order, 2) blocks (batch > 1).
            int blocks = Math.Max(pcp.Batch >> order, 2);
            var r = PageAllocator.Allocate(node, order, GfpFlags.GFP_KERNEL);
            Assert.True(r.Success);
            Assert.Equal(AllocSource.PcpList, r.Source);
            Assert.Equal((blocks - 1) << order, pcp.Count);
            Assert.Equal(pcp.Count, PagesetCount(node, zone, 0));
            Assert.Equal(free0 - ((long)blocks << order), zone.NrFreePages);
            // buddyinfo shows the buddy lists only: the pcp blocks are not in it.
            Assert.Equal(zone.NrFreePages, BuddyFree(node, zone));
            AssertConsistent(node);

            PageAllocator.Free(node, r.Handle);
            Assert.Equal(blocks << order, pcp.Count);
            Assert.Equal(pcp.Count, PagesetCount(node, zone, 0));
            Assert.Equal(free0 - ((long)blocks << order), zone.NrFreePages);
            AssertConsistent(node);

            // A second request of the order is served from the list without touching the buddy lists.
            var again = PageAllocator.Allocate(node, order, GfpFlags.GFP_KERNEL);
            Assert.Equal(AllocSource.PcpList, again.Source);
            Assert.Equal(r.Pfn, again.Pfn);
            Assert.Equal(free0 - ((long)blocks << order), zone.NrFreePages);
        }

        [Fact]
        public void Kernel61_Order4_UsesTheBuddyLists()
        {
            var node = Node(KernelProfile.Linux61);
            var zone = MainZone(node);
            long free0 = zone.NrFreePages;
            var r = PageAllocator.Allocate(node, 4, GfpFlags.GFP_HIGHUSER_MOVABLE);
            Assert.Equal(AllocSource.Buddy, r.Source);
            Assert.Equal(0, zone.GetPageset(0).Count);
            Assert.Equal(free0 - 16, zone.NrFreePages);
            PageAllocator.Free(node, r.Handle);
            Assert.Equal(0, zone.GetPageset(0).Count);
            Assert.Equal(free0, zone.NrFreePages);
            AssertConsistent(node);
        }

        [Fact]
        public void Kernel61_ThpOrder_TakesTwoBlocks_OnTheMovableThpList()
        {
            var node = Node(KernelProfile.Linux61);
            var zone = MainZone(node);
            int pb = node.PbOrder;
            Assert.True(BuddyAllocator.PcpAllowedOrder(node, pb));
            var r = PageAllocator.Allocate(node, pb, GfpFlags.GFP_HIGHUSER_MOVABLE | GfpFlags.__GFP_COMP);
            Assert.Equal(AllocSource.PcpList, r.Source);
            // batch >> pageblock_order is 0: the floor of 2 blocks, one handed out.
            Assert.Equal(1 << pb, zone.GetPageset(0).Count);
            Assert.Equal(BuddyAllocator.NrLowOrderPcpLists + 1, BuddyAllocator.OrderToPindex((int)MigrateType.Movable, pb));
            Assert.Equal(BuddyAllocator.NrLowOrderPcpLists, BuddyAllocator.OrderToPindex((int)MigrateType.Unmovable, pb));
            AssertConsistent(node);
        }

        [Theory]
        [InlineData(1, 0, 3)]
        [InlineData(2, 1, 7)]
        [InlineData(3, 2, 11)]
        [InlineData(0, 1, 1)]
        public void OrderToPindex_AndBack(int order, int mt, int pindex)
        {
            Assert.Equal(pindex, BuddyAllocator.OrderToPindex(mt, order));
            Assert.Equal(order, BuddyAllocator.PindexToOrder(pindex, 9));
        }

        [Fact]
        public void NrPcpLists_FourteenOn61WithThp_ThreeOn414()
        {
            var n61 = Node(KernelProfile.Linux61);
            Assert.Equal(14, BuddyAllocator.NrPcpLists(n61.Kernel, n61.Geometry));
            Assert.Equal(3, BuddyAllocator.NrPcpLists(KernelProfile.Linux414, n61.Geometry));
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        [InlineData(9)]
        public void Kernel414_NeverPutsHigherOrdersOnThePcp(int order)
        {
            var node = Node(KernelProfile.Linux414);
            var zone = MainZone(node);
            var r = PageAllocator.Allocate(node, order, GfpFlags.GFP_HIGHUSER_MOVABLE);
            Assert.Equal(AllocSource.Buddy, r.Source);
            Assert.Equal(0, zone.GetPageset(0).Count);
            PageAllocator.Free(node, r.Handle);
            Assert.Equal(0, zone.GetPageset(0).Count);
            AssertConsistent(node);
        }

        /// <summary>Order-2 and order-3 blocks and order-0 pages on both CPUs' lists.</summary>
        private static MemNode NodeWithHigherOrderPcpPages()
        {
            var node = Node(KernelProfile.Linux61);
            for (int cpu = 0; cpu < node.NrCpus; cpu++)
                foreach (int order in new[] { 0, 2, 3 })
                    PageAllocator.Free(node, PageAllocator.Allocate(node, order, GfpFlags.GFP_KERNEL, cpu).Handle, cpu);
            Assert.All(Enumerable.Range(0, node.NrCpus), cpu => Assert.True(MainZone(node).GetPageset(cpu).Count > 8));
            AssertConsistent(node);
            return node;
        }

        [Fact]
        public void DrainAllPages_EmptiesTheHigherOrderLists_BackToTheBuddyLists()
        {
            var node = NodeWithHigherOrderPcpPages();
            var zone = MainZone(node);
            long pcpPages = zone.GetPageset(0).Count + zone.GetPageset(1).Count;
            long free = zone.NrFreePages;
            PageAllocator.DrainAllPages(node);
            Assert.Equal(0, zone.GetPageset(0).Count);
            Assert.Equal(0, zone.GetPageset(1).Count);
            Assert.Equal(free + pcpPages, zone.NrFreePages);
            Assert.Equal(zone.NrFreePages, BuddyFree(node, zone));
            AssertConsistent(node);
        }

        [Fact]
        public void DrainPagesZone_OfOneCpu_LeavesTheOther()
        {
            var node = NodeWithHigherOrderPcpPages();
            var zone = MainZone(node);
            int other = zone.GetPageset(1).Count;
            BuddyAllocator.DrainPagesZone(zone, 0);
            Assert.Equal(0, zone.GetPageset(0).Count);
            Assert.Equal(other, zone.GetPageset(1).Count);
            AssertConsistent(node);
        }

        [Fact]
        public void FreeHigh_AFreeWithFreeFactorSet_FlushesTheWholePcp()
        {
            var node = NodeWithHigherOrderPcpPages();
            var zone = MainZone(node);
            var pcp = zone.GetPageset(0);
            var r = PageAllocator.Allocate(node, 2, GfpFlags.GFP_KERNEL);
            // Allocations halve free_factor; with it set a cheap-order free flushes pcp->count pages (free_high).
            pcp.FreeFactor = 1;
            long free = zone.NrFreePages;
            int before = pcp.Count;
            PageAllocator.Free(node, r.Handle);
            Assert.Equal(0, pcp.Count);
            Assert.Equal(free + before + 4, zone.NrFreePages);
            AssertConsistent(node);
        }

        [Fact]
        public void CloneAndSnapshot_CarryTheHigherOrderLists()
        {
            var node = NodeWithHigherOrderPcpPages();
            var copy = node.Clone();
            AssertConsistent(copy);
            Assert.Equal(MainZone(node).GetPageset(0).Count, MainZone(copy).GetPageset(0).Count);
            var path = System.IO.Path.GetTempFileName();
            try
            {
                NodeSnapshot.Export(node, path, includeTrace: false);
                var loaded = NodeSnapshotFile.Open(path).ToNode("loaded");
                AssertConsistent(loaded);
                Assert.Equal(MainZone(node).GetPageset(1).Count, MainZone(loaded).GetPageset(1).Count);
                // The loaded node's lists work: the next order-3 request comes from cpu 0's list.
                var r = PageAllocator.Allocate(loaded, 3, GfpFlags.GFP_KERNEL);
                Assert.Equal(AllocSource.PcpList, r.Source);
            }
            finally { System.IO.File.Delete(path); }
        }
    }
}
