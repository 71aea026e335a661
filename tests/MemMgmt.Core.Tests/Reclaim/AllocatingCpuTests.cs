using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Sysctl;
using Xunit;

namespace MemMgmt.Core.Tests.Reclaim
{
    /// <summary>__alloc_pages_direct_reclaim (mm/page_alloc.c, 4.14) runs try_to_free_pages in the allocating task, so
    /// shrink_inactive_list's lru_add_drain() empties that CPU's pagevecs and free_hot_cold_page_list puts the reclaimed
    /// pages on that CPU's pcp lists; the other CPU's pagevecs and pcp lists are not touched.</summary>
    public class AllocatingCpuTests
    {
        private static int PcpPages(MemNode node, int cpu)
        {
            int n = 0;
            foreach (var z in node.PopulatedZones) n += z.GetPageset(cpu).Count;
            return n;
        }

        [Fact]
        public void DirectReclaimFromAnAllocationOnCpu1DrainsAndFreesOnCpu1()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            // pcp->high of 8 (batch 2): most reclaimed pages overflow to the buddy lists, so the allocation succeeds on
            // the first try after reclaim and __alloc_pages_direct_reclaim does not need its drain_all_pages retry.
            var dma = node.GetZone(ZoneType.DMA);
            VmSysctl.Write(node, "percpu_pagelist_fraction", (dma.ManagedPages / 8).ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(8, dma.GetPageset(1).High);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            BuddyAllocator.DrainAllPages(node);
            // One page-cache page waits on CPU 0's lru_add pagevec (its allocation refilled CPU 0's pcp list by a batch).
            Assert.NotEqual(0, PageAllocator.AllocateNoWatermarks(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.FileCache, cpu: 0));
            Assert.Equal(1, node.LruvecSt.Pvecs[0].AddN);
            int pcp0 = PcpPages(node, 0);
            Assert.Equal(0, PcpPages(node, 1));

            var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 1, PageOwner.Anon);

            Assert.True(r.Success, r.FailureReason);
            var rep = Assert.Single(r.Reclaims);
            Assert.True(rep.NrReclaimed > 8, $"reclaimed {rep.NrReclaimed}");
            Assert.Equal($"reclaimed {rep.NrReclaimed} pages; allocation succeeded",
                Assert.Single(r.Steps, s => s.Step == "__alloc_pages_direct_reclaim").Detail);
            // The reclaimed pages went through CPU 1's pcp list (free_hot_cold_page on the allocating CPU); CPU 0's
            // list and lru_add pagevec were not touched.
            Assert.InRange(PcpPages(node, 1), 1, 8);
            Assert.Equal(pcp0, PcpPages(node, 0));
            Assert.Equal(1, node.LruvecSt.Pvecs[0].AddN);
            ReclaimTestKit.AssertClean(node);
        }
    }
}
