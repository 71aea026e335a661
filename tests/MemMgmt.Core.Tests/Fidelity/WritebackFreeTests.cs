using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Tests.Compaction;
using MemMgmt.Core.Workloads;
using MemMgmt.Core.Writeback;
using Xunit;

namespace MemMgmt.Core.Tests.Fidelity
{
    /// <summary>A page freed while its write is in flight: end_page_writeback (mm/filemap.c, 4.14) settles NR_WRITEBACK
    /// once, and the completion leaves a page that reuses the pfn alone.</summary>
    public class WritebackFreeTests
    {
        [Fact]
        public void FreeingAPageUnderAQueuedWriteSettlesNrWritebackOnceAndSparesTheReusedPfn()
        {
            var node = Scenario.Node(64);
            var a = PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0, PageOwner.FileCache);
            Assert.True(a.Success);
            PageAllocator.TryGetAllocation(node, a.Handle, out long pfn, out _);
            int index = node.ToIndex(pfn);
            WritebackIo.Start(node, index, node.Clock.NowNs + WritebackIo.LatencyNs);
            Assert.Equal(1, node.Counters[NodeStatItem.NrWriteback]);

            Pressure.FreeOne(node, a.Handle, 0);
            Assert.Equal(1, node.Counters[NodeStatItem.NrWriteback]); // the device still writes it

            // The pfn comes back (the same cpu's pcp list is LIFO) and is put under writeback of its own, with no write.
            var b = PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0, PageOwner.FileCache);
            PageAllocator.TryGetAllocation(node, b.Handle, out long pfnB, out _);
            Assert.Equal(pfn, pfnB);
            node.Pages.Set(index, PageFlags.Writeback);
            node.Counters.Mod(NodeStatItem.NrWriteback, node.ZoneIdOfIndex(index), 1);

            node.Clock.Advance(WritebackIo.LatencyNs);
            WritebackIo.CompleteDue(node);
            Assert.Equal(1, node.Counters[NodeStatItem.NrWriteback]); // only the new page's state is left
            Assert.True(node.Pages.Has(index, PageFlags.Writeback));

            Pressure.FreeOne(node, b.Handle, 0);
            Assert.Equal(0, node.Counters[NodeStatItem.NrWriteback]);
            Scenario.AssertConsistent(node);
        }
    }
}
