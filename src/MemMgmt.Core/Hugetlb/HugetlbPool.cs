using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Hugetlb
{
    /// <summary>The node's pool of persistent huge pages of the default hstate (one pageblock, 2 MiB with 4K pages):
    /// struct hstate's nr_huge_pages and free_huge_pages and the node's hugepage_freelists.</summary>
    /// <remarks>Pages of the pool are never mapped here, so every pool page is free (HugePages_Free = HugePages_Total),
    /// nothing is reserved and there is no surplus (no overcommit).</remarks>
    public sealed class HugetlbPool
    {
        /// <summary>hugepage_freelists[nid]: allocation handles, most recently enqueued last (the list head).</summary>
        private List<long> _free = new List<long>();

        internal HugetlbPool Clone() => new HugetlbPool { _free = new List<long>(_free) };

        internal void Write(SnapshotWriter w) => w.LongList(_free);

        internal static HugetlbPool Read(SnapshotReader r) => new HugetlbPool { _free = r.LongList() };

        /// <summary>nr_huge_pages: pages the pool holds.</summary>
        public long NrHugePages => _free.Count;
        /// <summary>free_huge_pages: pool pages not in use (all of them: nothing maps them).</summary>
        public long FreeHugePages => _free.Count;
        public long ResvHugePages => 0;
        public long SurplusHugePages => 0;

        /// <summary>The pool's page order (huge_page_order of the default hstate: HPAGE_PMD_ORDER, the pageblock order).</summary>
        public static int HugePageOrder(MemNode node) => node.Geometry.PageblockOrder;

        /// <summary>htlb_alloc_mask | __GFP_COMP | __GFP_THISNODE | __GFP_RETRY_MAYFAIL | __GFP_NOWARN: arm64 supports
        /// migrating PMD-sized huge pages, so htlb_alloc_mask is GFP_HIGHUSER_MOVABLE.</summary>
        public const GfpFlags FreshHugePageGfp = GfpFlags.GFP_HIGHUSER_MOVABLE | GfpFlags.__GFP_COMP | GfpFlags.__GFP_THISNODE
            | GfpFlags.__GFP_RETRY_MAYFAIL | GfpFlags.__GFP_NOWARN;

        /// <summary>kernel: set_max_huge_pages (mm/hugetlb.c, 4.14): grow the pool one fresh page at a time and stop at the
        /// first allocation that fails, or shrink it by returning free pages to the buddy allocator. Returns the pool size
        /// (persistent_huge_pages), which is what reading vm.nr_hugepages then shows. The writing task runs on <paramref name="cpu"/>.</summary>
        public static long SetMaxHugePages(MemNode node, long count, int cpu = 0)
        {
            var pool = node.Hugetlb;
            using (Time.Daemons.Burst(node))
            {
                while (count > pool.NrHugePages)
                {
                    if (!AllocFreshHugePage(node, cpu)) break;
                    if (node.Stop != null && node.Stop()) break; // signal_pending: Ctrl+C
                    // The writer allocates page after page while a woken kswapd (and kcompactd) run on the other CPU.
                    Time.Daemons.AfterRequest(node, cpu, Workloads.WorkloadCost.AllocPagesNs);
                }
            }
            // try_to_free_low has nothing to do without highmem; then free_pool_huge_page while above the target.
            while (count < pool.NrHugePages) FreePoolHugePage(node, cpu);
            return pool.NrHugePages;
        }

        /// <summary>kernel: alloc_fresh_huge_page (mm/hugetlb.c, 4.14) with alloc_fresh_huge_page_node: one allocation through
        /// the full allocator (slow path, direct reclaim and compaction included); the page goes to the free list.</summary>
        private static bool AllocFreshHugePage(MemNode node, int cpu)
        {
            var r = PageAllocator.Allocate(node, HugePageOrder(node), FreshHugePageGfp, cpu, PageOwner.HugeTlb);
            if (!r.Success)
            {
                node.Counters.Count(VmEvent.HtlbBuddyAllocFail, 1);
                return false;
            }
            node.Counters.Count(VmEvent.HtlbBuddyAllocSuccess, 1);
            // prep_new_huge_page then put_page: free_huge_page enqueues it at the head of hugepage_freelists.
            node.Hugetlb._free.Add(r.Handle);
            return true;
        }

        /// <summary>A huge page a captured node already has in its pool (allocated while the node was built).</summary>
        internal void Adopt(long handle) => _free.Add(handle);

        /// <summary>kernel: free_pool_huge_page (mm/hugetlb.c, 4.14): the first page of the free list (the most recently
        /// enqueued) goes back to the buddy allocator (update_and_free_page).</summary>
        private static void FreePoolHugePage(MemNode node, int cpu)
        {
            var list = node.Hugetlb._free;
            long handle = list[list.Count - 1];
            list.RemoveAt(list.Count - 1);
            PageAllocator.Free(node, handle, cpu);
        }
    }
}
