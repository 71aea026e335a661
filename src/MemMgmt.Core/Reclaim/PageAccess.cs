using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>The access model workloads drive: page-cache accesses (mark_page_accessed), loads and stores through a
    /// mapping (the PTE young bit page_referenced finds), dirtying, mlock. Every call validates the handle first.</summary>
    public static class PageAccess
    {
        internal static int Resolve(MemNode node, long handle)
        {
            int slot = node.Allocations.Resolve(handle);
            if (slot < 0)
                throw new MemMgmtException("AllocationNotLive", ErrorKind.InvalidOperation,
                    $"Allocation handle 0x{handle:x} is not live on node '{node.Name}': it was freed, reclaimed, or belongs to another node.", handle);
            return node.Allocations.IndexOf(slot);
        }

        private static void CheckCpu(MemNode node, int cpu)
        {
            if (cpu < 0 || cpu >= node.NrCpus)
                throw new MemMgmtException("CpuOutOfRange", ErrorKind.OutOfRange, $"Cpu {cpu} is out of range; the node has CPUs 0 to {node.NrCpus - 1}.", cpu);
        }

        /// <summary>A read or write through the page cache (read(2), write(2)): kernel: mark_page_accessed (mm/swap.c, 4.14).</summary>
        public static void MarkAccessed(MemNode node, long handle, int cpu = 0)
        {
            CheckCpu(node, cpu);
            LruCache.MarkPageAccessed(node, cpu, Resolve(node, handle));
        }

        /// <summary>A load or store through a user mapping: the hardware sets the PTE's young (access) flag; an unmapped
        /// anon or swap-cache page is mapped again (do_swap_page finds it in the swap cache).</summary>
        public static void TouchMapped(MemNode node, long handle) => TouchMappedIndex(node, Resolve(node, handle));

        internal static void TouchMappedIndex(MemNode node, int index) => node.Pages.Set(index, PageFlags.Mapped | PageFlags.PteYoung);

        internal static void MarkAccessedIndex(MemNode node, int cpu, int index) => LruCache.MarkPageAccessed(node, cpu, index);

        /// <summary>A write to a page-cache or shmem page: kernel: set_page_dirty (account_page_dirtied counts nr_dirty
        /// and nr_dirtied only for page cache; shmem's backing device does not account dirty pages).</summary>
        public static void SetDirty(MemNode node, long handle)
        {
            int index = Resolve(node, handle);
            var owner = (PageOwner)node.Pages.Owner[index];
            if (owner != PageOwner.FileCache && owner != PageOwner.Shmem)
                throw new MemMgmtException("PageNotFileBacked", ErrorKind.InvalidOperation,
                    $"Allocation 0x{handle:x} is {owner}; only FileCache and Shmem pages are dirtied through this call.", handle);
            SetDirtyIndex(node, index);
        }

        internal static void SetDirtyIndex(MemNode node, int index)
        {
            var pages = node.Pages;
            if (pages.Has(index, PageFlags.Dirty)) return;
            pages.Set(index, PageFlags.Dirty);
            if (pages.Has(index, PageFlags.SwapBacked)) return;
            int nr = 1 << pages.OrderOf(index);
            int zid = node.ZoneIdOfIndex(index);
            node.Counters.Mod(NodeStatItem.NrFileDirty, zid, nr);
            node.Counters.Mod(NodeStatItem.NrDirtied, zid, nr);
        }

        /// <summary>Marks a mapped page executable (VM_EXEC): shrink_active_list keeps referenced ones active.</summary>
        public static void SetExecutable(MemNode node, long handle, bool exec = true)
        {
            int index = Resolve(node, handle);
            if (exec) node.Pages.Set(index, PageFlags.Exec); else node.Pages.Clear(index, PageFlags.Exec);
        }

        /// <summary>kernel: do_mlock then mlock_vma_page (mm/mlock.c, 4.14): lru_add_drain_all flushes the pagevecs first, then
        /// PG_mlocked, isolate and put back on the unevictable list.</summary>
        public static void Mlock(MemNode node, long handle)
        {
            int index = Resolve(node, handle);
            var pages = node.Pages;
            LruCache.DrainAll(node);
            if (pages.Has(index, PageFlags.Mlocked)) return;
            pages.Set(index, PageFlags.Mlocked);
            node.Counters.Count(VmEvent.UnevictablePgsMlocked);
            if (!pages.Has(index, PageFlags.Lru)) return;
            int nr = 1 << pages.OrderOf(index);
            Lru.Del(node, index, nr);
            pages.Clear(index, PageFlags.Active);
            pages.Set(index, PageFlags.Unevictable);
            Lru.AddToList(node, index, nr);
            node.Counters.Count(VmEvent.UnevictablePgsCulled);
        }

        /// <summary>kernel: munlock_vma_page (mm/mlock.c, 4.14): clear PG_mlocked; putback_lru_page queues the page on cpu 0's
        /// lru_add pagevec, so it reaches an evictable list when that drains.</summary>
        public static void Munlock(MemNode node, long handle)
        {
            int index = Resolve(node, handle);
            var pages = node.Pages;
            if (!pages.Has(index, PageFlags.Mlocked)) return;
            pages.Clear(index, PageFlags.Mlocked);
            node.Counters.Count(VmEvent.UnevictablePgsMunlocked);
            if (!pages.Has(index, PageFlags.Lru)) { pages.Clear(index, PageFlags.Unevictable); return; }
            Lru.Del(node, index, 1 << pages.OrderOf(index));
            LruCache.PutbackLruPage(node, 0, index); // evictable again: through lru_cache_add, counts unevictable_pgs_rescued
        }
    }
}
