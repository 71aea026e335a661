using System;

namespace MemMgmt.Core.Node
{
    /// <summary>Per-page flags the simulator acts on; kernel PG_* names where one exists.</summary>
    /// <remarks>Bits 24 to 31 of a page's flags word are not flags: they hold the page's order byte
    /// (<see cref="PageMap.OrderShift"/>), so a buddy test reads one word, as the kernel's reads one struct page.</remarks>
    [Flags]
    public enum PageFlags : uint
    {
        None = 0,
        /// <summary>PageBuddy: head of a free block on a free_area list; Order holds page_private.</summary>
        Buddy = 1u << 0,
        Lru = 1u << 1,
        Active = 1u << 2,
        Referenced = 1u << 3,
        Dirty = 1u << 4,
        Writeback = 1u << 5,
        SwapBacked = 1u << 6,
        Unevictable = 1u << 7,
        Mlocked = 1u << 8,
        Mapped = 1u << 9,
        /// <summary>PageReserved: memblock memory (kernel image, memmap) never given to the buddy allocator.</summary>
        Reserved = 1u << 10,
        /// <summary>PageHead of a compound page (__GFP_COMP).</summary>
        Head = 1u << 11,
        /// <summary>On a per-cpu pageset list (the kernel knows it by refcount 0 and list membership).</summary>
        Pcp = 1u << 12,
        /// <summary>Isolated for migration (lru isolation / isolate_movable_page).</summary>
        Isolated = 1u << 13,
        /// <summary>__PageMovable: a non-LRU page with movable_ops (zsmalloc, balloon).</summary>
        NonLruMovable = 1u << 14,
        /// <summary>PageSlab.</summary>
        Slab = 1u << 15,
        /// <summary>Head of an allocation made through the simulator (has a handle).</summary>
        Allocated = 1u << 16,
        /// <summary>Mapped executable (VM_EXEC): reclaim keeps referenced ones active.</summary>
        Exec = 1u << 17,
        /// <summary>the young bit of the page's PTE(s), set by accesses through a mapping; page_referenced tests and clears it.</summary>
        PteYoung = 1u << 18,
        /// <summary>PG_reclaim, rotate to the inactive tail when writeback ends.</summary>
        Reclaim = 1u << 19,
        /// <summary>PG_swapcache, the page has a swap slot.</summary>
        SwapCache = 1u << 20,
        /// <summary>PG_workingset (4.20+): the page was once deactivated from an active list, so it belonged to the
        /// workingset; its shadow remembers that, and a refault that activates it counts as a restore.</summary>
        Workingset = 1u << 21,
        /// <summary>Queued on a CPU's lru_add pagevec, not yet on an LRU list (the kernel knows it by the reference the
        /// pagevec holds); cleared when the pagevec drains or the page is freed.</summary>
        LruAddQueued = 1u << 22,
    }

    /// <summary>Who owns an allocated page: decides migratability and reclaimability.</summary>
    public enum PageOwner : byte
    {
        None = 0,
        Anon = 1,
        FileCache = 2,
        Shmem = 3,
        SlabReclaimable = 4,
        SlabUnmovable = 5,
        PageTable = 6,
        Kernel = 7,
        HugeTlb = 8,
    }
}
