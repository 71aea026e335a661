using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Reclaim;

namespace MemMgmt.Core.Node
{
    /// <summary>The allocations a booted kernel has made when userspace starts, for New-MemNode -Booted: made through the
    /// allocator in the order boot makes them, so the fallbacks decide which pageblocks turn Unmovable or Reclaimable.</summary>
    /// <remarks>Sizes are the 2 GiB arm64 6.1 QEMU boot capture's (meminfo, vmstat, pagetypeinfo, dmesg). Every page is
    /// owned as the kernel owns it: slab and kernel pages are never migrated; the reclaimable slab is the root
    /// filesystem's dentry cache on the super_block shrinker; the initramfs is shmem on the LRU.</remarks>
    internal static class KernelBoot
    {
        /// <summary>nr_slab_unreclaimable.</summary>
        internal const int SlabUnreclaimablePages = 1725;
        /// <summary>nr_slab_reclaimable.</summary>
        internal const int SlabReclaimablePages = 2016;
        /// <summary>Reclaimable slab freed again before userspace (pagetypeinfo: free pages left in Reclaimable pageblocks).</summary>
        internal const int SlabReclaimableFreedPages = 810;
        /// <summary>KernelStack 840 kB: 16 KiB vmap stacks, built from order-0 pages.</summary>
        internal const int KernelStackPages = 210;
        /// <summary>nr_page_table_pages.</summary>
        internal const int PageTablePages = 9;
        /// <summary>Unmovable kernel pages no /proc counter names (vmalloc areas, per-cpu chunks, buffers): what is left of
        /// pbmap's "other" at boot (6679) once the pages on the per-cpu lists (zoneinfo: 873 + 1876), the kernel stacks,
        /// the ring buffer and the DMA atomic pools are taken out.</summary>
        internal const int OtherKernelPages = 1480;
        /// <summary>The tracing ring buffer the harness's /init sizes to 4 MiB per CPU (two CPUs).</summary>
        internal const int RingBufferPages = 2048;
        /// <summary>nr_shmem: the initramfs unpacked into rootfs.</summary>
        internal const int ShmemPages = 835;
        /// <summary>nr_anon_pages: init and its shell.</summary>
        internal const int AnonPages = 15;
        /// <summary>The CPU whose per-cpu list takes the pages kernel_init frees. In every captured boot the __init sections'
        /// pageblocks are pbmap "other" (pages on a per-cpu list); in the three DET=1 boots the list is cpu 1's (its pageset
        /// 1843 to 1930 pages, cpu 0's 850 to 873), as in four of the seven non-DET ones (cpu 0's in the other three).</summary>
        internal const int KernelInitCpu = 1;

        /// <summary>kernel: start_kernel … kernel_init (init/main.c, 6.1): early slab, stacks and page tables; populate_rootfs
        /// unpacks the initramfs and frees the initrd; free_initmem returns the __init sections; /init starts tracing.</summary>
        internal static void Run(MemNode node, NodeLayout layout)
        {
            TakeCmaPools(node, layout);
            var transient = new List<long>(SlabReclaimableFreedPages);
            AllocMany(node, SlabUnreclaimablePages, GfpFlags.GFP_KERNEL, PageOwner.SlabUnmovable, null);
            // The first reclaimable slab is freed again (its pages are the free ones left in the first Reclaimable pageblocks).
            AllocMany(node, SlabReclaimableFreedPages, GfpFlags.GFP_KERNEL | GfpFlags.__GFP_RECLAIMABLE, PageOwner.SlabReclaimable, transient);
            Shrinkers.GrowCache(node, "dentry", (long)SlabReclaimablePages * Shrinker.DentriesPerPage);
            foreach (long h in transient) PageAllocator.Free(node, h);
            AllocMany(node, KernelStackPages + OtherKernelPages, GfpFlags.GFP_KERNEL, PageOwner.Kernel, null);
            AllocMany(node, PageTablePages, GfpFlags.GFP_KERNEL, PageOwner.PageTable, null);
            AllocMany(node, ShmemPages, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.Shmem, null);
            int initCpu = System.Math.Min(KernelInitCpu, node.NrCpus - 1);
            foreach (var r in layout.LateFreed) FreeReservedArea(node, r, initCpu);
            AllocMany(node, AnonPages, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.Anon, null);
            AllocMany(node, RingBufferPages, GfpFlags.GFP_KERNEL, PageOwner.Kernel, null);
        }

        private static void AllocMany(MemNode node, int pages, GfpFlags gfp, PageOwner owner, List<long>? keep)
        {
            for (int i = 0; i < pages; i++)
            {
                var r = PageAllocator.Allocate(node, 0, gfp, 0, owner);
                if (!r.Success)
                    throw new MemMgmtException("BootAllocationFailed", ErrorKind.InvalidOperation,
                        $"The node ran out of memory while making the boot allocations ({owner}); use a larger -Size.", node.Config.SizeBytes);
                keep?.Add(r.Handle);
            }
        }

        /// <summary>The DMA atomic pools: the first pages of the CMA area, taken by cma_alloc (BootFreeAll left them out).</summary>
        private static void TakeCmaPools(MemNode node, NodeLayout layout)
        {
            if (layout.CmaBootPages == 0) return;
            int order = 0;
            long poolPages = layout.CmaBootPages / BootImage.DmaAtomicPools;
            while ((1L << (order + 1)) <= poolPages) order++;
            int start = (int)(layout.CmaStartPfn - node.NodeStartPfn);
            for (int i = start; i + (1 << order) <= start + layout.CmaBootPages; i += 1 << order)
            {
                PageAllocator.PrepNewPage(node, i, order, PageOwner.Kernel, GfpFlags.GFP_KERNEL, 0);
                node.Pages.Handle[i] = node.Allocations.Add(i, out _);
            }
        }

        /// <summary>kernel: free_reserved_area (mm/page_alloc.c, 6.1): each page leaves PageReserved and is freed alone.</summary>
        private static void FreeReservedArea(MemNode node, NodeLayout.PfnRange r, int cpu)
        {
            for (long pfn = r.Start; pfn < r.End; pfn++)
            {
                int i = node.ToIndex(pfn);
                node.Pages.Flags[i] = 0;
                node.Pages.Owner[i] = 0;
                PageAllocator.FreePagesIndex(node, i, 0, cpu);
            }
        }
    }
}
