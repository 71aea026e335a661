using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Tests.Reclaim;
using Xunit;

namespace MemMgmt.Core.Tests.Fidelity
{
    /// <summary>Reclaim decisions checked against mm/vmscan.c, mm/swap.c and mm/memory.c of 4.14.177.</summary>
    public class ReclaimFidelityTests
    {
        /// <summary>do_anonymous_page and the file fault's alloc_set_pte (mm/memory.c, 4.14) build the PTE with
        /// mk_pte(page, vma->vm_page_prot); arm64's PAGE_DEFAULT/PROT_DEFAULT include PTE_AF
        /// (arch/arm64/include/asm/pgtable-prot.h), so a just-faulted page is young and the first page_referenced
        /// (mm/rmap.c, 4.14) finds a reference and clears it.</summary>
        [Fact]
        public void FaultedPtesAreYoung()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            var anon = PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0, PageOwner.Anon);
            Assert.True(anon.Success);
            int a = PageAccess.Resolve(node, anon.Handle);
            Assert.True(node.Pages.Has(a, PageFlags.Mapped));
            Assert.True(node.Pages.Has(a, PageFlags.PteYoung));

            var p = Processes.Spawn(node, "reader");
            var file = Processes.Allocate(node, p, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.FileCache);
            Assert.True(file.Success);
            int f = PageAccess.Resolve(node, file.Handle);
            Assert.True(node.Pages.Has(f, PageFlags.Mapped));
            Assert.True(node.Pages.Has(f, PageFlags.PteYoung));

            // shrink_active_list's page_referenced consumes the young bit of the faulted anon page.
            LruCache.DrainAll(node);
            var sc = new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1 };
            Vmscan.ShrinkActiveList(node, 32, 0, sc, (int)LruList.ActiveAnon);
            Assert.False(node.Pages.Has(a, PageFlags.PteYoung));
            ReclaimTestKit.AssertClean(node);
        }
        /// <summary>shrink_page_list (mm/vmscan.c, 4.14): for a page under writeback, case 1 (kswapd, PageReclaim,
        /// PGDAT_WRITEBACK) counts nr_immediate and case 2 sets PG_reclaim and counts nr_writeback — both `goto
        /// activate_locked`, so the page goes to the active list (pgactivate) instead of staying inactive. When the write
        /// ends, rotate_reclaimable_page (mm/swap.c) takes it though it is active and pagevec_move_tail_fn clears
        /// PG_active on the way to the inactive tail.</summary>
        [Fact]
        public void WritebackPagesAreActivatedWithPgReclaimAndRotatedBack()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            var f = ReclaimTestKit.Fill(node, PageOwner.FileCache, 10);
            foreach (var h in f)
            {
                int i = PageAccess.Resolve(node, h);
                PageAccess.SetDirtyIndex(node, i);
                Writeback.WritebackIo.Start(node, i);
            }
            var sc = new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1, GfpMask = GfpFlags.GFP_KERNEL };
            Assert.Equal(0, Vmscan.ShrinkInactiveList(node, 10, 0, sc, (int)LruList.InactiveFile));
            Assert.Equal(10, Lru.Size(node, 0, LruList.ActiveFile));
            Assert.Equal(10, node.Counters[VmEvent.PgActivate]);
            foreach (var h in f)
            {
                int i = PageAccess.Resolve(node, h);
                Assert.True(node.Pages.Has(i, PageFlags.Reclaim));
                Assert.True(node.Pages.Has(i, PageFlags.Active));
            }
            Writeback.WritebackIo.Sleep(node, Writeback.WritebackIo.LatencyNs);
            LruCache.DrainAll(node);
            Assert.Equal(10, node.Counters[VmEvent.PgRotated]);
            Assert.Equal(0, Lru.Size(node, 0, LruList.ActiveFile));
            Assert.Equal(10, Lru.Size(node, 0, LruList.InactiveFile));
            foreach (var h in f) Assert.False(node.Pages.Has(PageAccess.Resolve(node, h), PageFlags.Reclaim));
            ReclaimTestKit.AssertClean(node);
        }
    }
}
