using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using Xunit;
using MemMgmt.Core.Swap;
using MemMgmt.Core.Writeback;

namespace MemMgmt.Core.Tests.Reclaim
{
    public class PageListTests
    {
        private static ScanControl Sc(MemNode node, GfpFlags gfp = GfpFlags.GFP_KERNEL) =>
            new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1, GfpMask = gfp, Cpu = 0 };

        private static PageFlags FlagsOf(MemNode node, long handle)
        {
            Assert.True(PageAllocator.TryGetAllocation(node, handle, out long pfn, out _));
            return node.GetPageFlags(pfn);
        }

        /// <summary>page_check_references on file pages: untouched → reclaim; PG_referenced only → RECLAIM_CLEAN (freed when
        /// clean); one young PTE → keep and set PG_referenced; young again → activate; young and VM_EXEC → activate.</summary>
        [Fact]
        public void FileReferencesDecideAsTheKernel()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var f = ReclaimTestKit.Fill(node, PageOwner.FileCache, 4);
            PageAccess.MarkAccessed(node, f[1]);
            PageAccess.TouchMapped(node, f[2]);
            PageAccess.TouchMapped(node, f[3]);
            PageAccess.SetExecutable(node, f[3]);
            long reclaimed = Vmscan.ShrinkInactiveList(node, 4, 0, Sc(node), (int)LruList.InactiveFile);
            Assert.Equal(2, reclaimed);
            Assert.Equal(0, ReclaimTestKit.LiveCount(node, new List<long> { f[0], f[1] }));
            Assert.False(PageAllocator.TryGetAllocation(node, f[0], out _, out _));
            Assert.False(PageAllocator.TryGetAllocation(node, f[1], out _, out _));
            Assert.Equal(PageFlags.Referenced, FlagsOf(node, f[2]) & (PageFlags.Referenced | PageFlags.Active));
            Assert.Equal(PageFlags.Active, FlagsOf(node, f[3]) & PageFlags.Active);
            Assert.Equal(1, node.Counters[VmEvent.PgActivate]);
            PageAccess.TouchMapped(node, f[2]);
            Vmscan.ShrinkInactiveList(node, 4, 0, Sc(node), (int)LruList.InactiveFile);
            Assert.Equal(PageFlags.Active, FlagsOf(node, f[2]) & PageFlags.Active);
            Assert.Equal(2, Lru.Size(node, 0, LruList.ActiveFile));
            Assert.Equal(2, node.Counters[VmEvent.PgActivate]);
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>Anon: a young PTE activates at once; others get a swap slot, are written (pswpout) and stay under
        /// writeback; when the write ends PG_reclaim rotates them to the inactive tail and the next scan frees them.</summary>
        [Fact]
        public void AnonPagesGoThroughSwapWriteback()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB, 64 * NodeConfig.MiB);
            var anon = ReclaimTestKit.Fill(node, PageOwner.Anon, 100);
            Vmscan.ShrinkActiveList(node, 100, 0, Sc(node), (int)LruList.ActiveAnon);
            Assert.Equal(100, Lru.Size(node, 0, LruList.InactiveAnon));
            Assert.Equal(100, node.Counters[VmEvent.PgDeactivate]);
            Assert.Equal(100, node.Counters[VmEvent.PgRefill]);
            for (int i = 0; i < 10; i++) PageAccess.TouchMapped(node, anon[i]);

            // GFP_NOIO cannot swap: all kept.
            Assert.Equal(0, Vmscan.ShrinkInactiveList(node, 100, 0, Sc(node, GfpFlags.GFP_NOIO), (int)LruList.InactiveAnon));
            Assert.Equal(0, node.Swap.UsedPages);
            Assert.Equal(10, Lru.Size(node, 0, LruList.ActiveAnon)); // the young ones were activated

            Assert.Equal(0, Vmscan.ShrinkInactiveList(node, 100, 0, Sc(node), (int)LruList.InactiveAnon));
            Assert.Equal(90, node.Swap.UsedPages);
            Assert.Equal(90, node.Counters[VmEvent.PswpOut]);
            Assert.Equal(90, node.Counters[NodeStatItem.NrWriteback]);
            Assert.Equal(90, Lru.Size(node, 0, LruList.InactiveAnon));
            WritebackIo.Sleep(node, WritebackIo.LatencyNs);
            Assert.Equal(0, node.Counters[NodeStatItem.NrWriteback]);
            Assert.Equal(90, node.Counters[VmEvent.PgRotated]); // 6 full pagevecs of 15 drained on their own
            long freeBefore = node.FreePages;
            Assert.Equal(90, Vmscan.ShrinkInactiveList(node, 100, 0, Sc(node), (int)LruList.InactiveAnon));
            Assert.Equal(10, ReclaimTestKit.LiveCount(node, anon));
            Assert.Equal(90, node.Swap.UsedPages);
            Assert.Equal(0, Lru.Size(node, 0, LruList.InactiveAnon));
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>No free swap slot: add_to_swap fails and the page is activated.</summary>
        [Fact]
        public void FullSwapActivates()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB, 5 * 4096);
            ReclaimTestKit.Fill(node, PageOwner.Anon, 20);
            Vmscan.ShrinkActiveList(node, 20, 0, Sc(node), (int)LruList.ActiveAnon);
            Vmscan.ShrinkInactiveList(node, 20, 0, Sc(node), (int)LruList.InactiveAnon);
            Assert.Equal(5, node.Swap.UsedPages);
            Assert.Equal(15, Lru.Size(node, 0, LruList.ActiveAnon));
            Assert.Equal(5, Lru.Size(node, 0, LruList.InactiveAnon));
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>Direct reclaim meeting dirty page cache: nr_vmscan_immediate, PG_reclaim, activate; every taken page was
        /// unqueued dirty, so the flushers are woken (all dirty pages go under writeback) and PGDAT_DIRTY is set.</summary>
        [Fact]
        public void DirtyFilePagesWakeTheFlushersAndActivate()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var f = ReclaimTestKit.Fill(node, PageOwner.FileCache, 40);
            foreach (var h in f) PageAccess.SetDirty(node, h);
            Assert.Equal(40, node.Counters[NodeStatItem.NrFileDirty]);
            Assert.Equal(0, Vmscan.ShrinkInactiveList(node, 32, 0, Sc(node), (int)LruList.InactiveFile));
            Assert.Equal(32, node.Counters[NodeStatItem.NrVmscanImmediate]);
            Assert.Equal(32, Lru.Size(node, 0, LruList.ActiveFile));
            Assert.Equal(0, node.Counters[NodeStatItem.NrFileDirty]);
            Assert.Equal(40, node.Counters[NodeStatItem.NrWriteback]);
            Assert.True(node.WritebackSt.PgdatDirty);
            // The 8 not scanned are still inactive, clean now and under writeback: a scan marks them for immediate reclaim.
            Assert.Equal(0, Vmscan.ShrinkInactiveList(node, 8, 0, Sc(node), (int)LruList.InactiveFile));
            Assert.True(node.WritebackSt.PgdatWriteback); // nr_writeback == nr_taken
            WritebackIo.Sleep(node, WritebackIo.LatencyNs);
            LruCache.DrainAll(node);
            Assert.Equal(40, node.Counters[NodeStatItem.NrWritten]);
            Assert.Equal(8, node.Counters[VmEvent.PgRotated]); // only the inactive ones rotate; active pages do not
            Assert.Equal(8, Vmscan.ShrinkInactiveList(node, 8, 0, Sc(node), (int)LruList.InactiveFile));
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>mark_page_accessed: the first access sets PG_referenced, the second queues activation in the per-cpu
        /// pagevec, which moves 15 pages at a time (or at lru_add_drain).</summary>
        [Fact]
        public void ActivationIsBatchedInPagevecsOfFifteen()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var f = ReclaimTestKit.Fill(node, PageOwner.FileCache, 20);
            for (int i = 0; i < 14; i++) { PageAccess.MarkAccessed(node, f[i]); PageAccess.MarkAccessed(node, f[i]); }
            Assert.Equal(0, Lru.Size(node, 0, LruList.ActiveFile));
            PageAccess.MarkAccessed(node, f[14]); PageAccess.MarkAccessed(node, f[14]);
            Assert.Equal(15, Lru.Size(node, 0, LruList.ActiveFile));
            Assert.Equal(15, node.Counters[VmEvent.PgActivate]);
            PageAccess.MarkAccessed(node, f[15]); PageAccess.MarkAccessed(node, f[15], 1);
            Assert.Equal(15, Lru.Size(node, 0, LruList.ActiveFile)); // queued on cpu 1
            LruCache.Drain(node, 0);
            Assert.Equal(15, Lru.Size(node, 0, LruList.ActiveFile));
            LruCache.Drain(node, 1);
            Assert.Equal(16, Lru.Size(node, 0, LruList.ActiveFile));
            ReclaimTestKit.AssertClean(node);
        }

        [Fact]
        public void MlockedPagesGoUnevictableAndComeBack()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB, 64 * NodeConfig.MiB);
            var a = ReclaimTestKit.Fill(node, PageOwner.Anon, 10);
            PageAccess.Mlock(node, a[0]);
            Assert.Equal(1, Lru.Size(node, 0, LruList.Unevictable));
            PageAccess.Munlock(node, a[0]);
            Assert.Equal(0, Lru.Size(node, 0, LruList.Unevictable));
            Assert.Equal(0, Lru.Size(node, 0, LruList.InactiveAnon)); // waiting in the lru_add pagevec
            ReclaimTestKit.AssertClean(node);
            PageAccess.MarkAccessed(node, a[0]); // PG_referenced
            PageAccess.MarkAccessed(node, a[0]); // not on an LRU yet: __lru_cache_activate_page marks it active in the pagevec
            LruCache.Drain(node, 0);
            Assert.Equal(10, Lru.Size(node, 0, LruList.ActiveAnon));
            Assert.Equal(1, node.Counters[VmEvent.UnevictablePgsRescued]);
            ReclaimTestKit.AssertClean(node);
        }
    }
}

namespace MemMgmt.Core.Tests.Reclaim
{
    public class ShmemTests
    {
        /// <summary>Dirty shmem goes to swap through shmem_writepage; without a free slot it is activated, never dropped.</summary>
        [Fact]
        public void DirtyShmemNeedsSwap()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var s = ReclaimTestKit.Fill(node, PageOwner.Shmem, 10);
            foreach (var h in s) PageAccess.SetDirty(node, h);
            Assert.Equal(0, node.Counters[NodeStatItem.NrFileDirty]); // shmem does not account dirty pages
            var sc = new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1 };
            Assert.Equal(0, Vmscan.ShrinkInactiveList(node, 10, 0, sc, (int)LruList.InactiveAnon));
            Assert.Equal(10, ReclaimTestKit.LiveCount(node, s));
            Assert.Equal(10, Lru.Size(node, 0, LruList.ActiveAnon));
            SwapDevice.Configure(node, 64 * NodeConfig.MiB);
            Vmscan.ShrinkActiveList(node, 10, 0, sc, (int)LruList.ActiveAnon);
            Vmscan.ShrinkInactiveList(node, 10, 0, sc, (int)LruList.InactiveAnon);
            Assert.Equal(10, node.Swap.UsedPages);
            WritebackIo.Sleep(node, WritebackIo.LatencyNs);
            Assert.Equal(10, Vmscan.ShrinkInactiveList(node, 10, 0, sc, (int)LruList.InactiveAnon));
            Assert.Equal(0, ReclaimTestKit.LiveCount(node, s));
            Assert.Equal(0, node.Counters[NodeStatItem.NrShmem]);
            Assert.Equal("PageNotFileBacked", Assert.Throws<MemMgmtException>(() =>
                PageAccess.SetDirty(node, ReclaimTestKit.Fill(node, PageOwner.Anon, 1)[0])).ErrorId);
            ReclaimTestKit.AssertClean(node);
        }
    }
}

namespace MemMgmt.Core.Tests.Reclaim
{
    public class OwnerFreeTests
    {
        [Fact]
        public void FreeingDirtyOrSwapCachedPagesUndoesTheirAccounting()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB, 64 * NodeConfig.MiB);
            var f = ReclaimTestKit.Fill(node, PageOwner.FileCache, 5);
            foreach (var h in f) PageAccess.SetDirty(node, h);
            Assert.Equal(5, node.Counters[NodeStatItem.NrFileDirty]);
            foreach (var h in f) PageAllocator.Free(node, h);
            Assert.Equal(0, node.Counters[NodeStatItem.NrFileDirty]);

            var a = ReclaimTestKit.Fill(node, PageOwner.Anon, 5);
            var sc = new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1 };
            Vmscan.ShrinkActiveList(node, 5, 0, sc, (int)LruList.ActiveAnon);
            Vmscan.ShrinkInactiveList(node, 5, 0, sc, (int)LruList.InactiveAnon); // into the swap cache, under writeback
            Assert.Equal(5, node.Swap.UsedPages);
            foreach (var h in a) PageAllocator.Free(node, h); // the process exits
            Assert.Equal(0, node.Swap.UsedPages);
            WritebackIo.Sleep(node, WritebackIo.LatencyNs);
            Assert.Equal(0, node.Counters[NodeStatItem.NrWriteback]);
            ReclaimTestKit.AssertClean(node);
        }
    }
}
