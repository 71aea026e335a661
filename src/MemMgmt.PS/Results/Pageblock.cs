using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;

namespace MemMgmt.PS.Results
{
    /// <summary>One pageblock: its migrate type, skip hint and what its pages are doing.</summary>
    public sealed class Pageblock
    {
        internal Pageblock(PageblockInfo b)
        {
            Node = b.Node;
            Index = b.Index;
            StartPfn = b.StartPfn;
            EndPfn = b.EndPfn;
            Zone = b.Zone;
            MigrateType = b.MigrateType;
            Skip = b.Skip;
            FreePages = b.FreePages;
            PcpPages = b.PcpPages;
            ReservedPages = b.ReservedPages;
            IsolatedPages = b.IsolatedPages;
            UsedPages = b.UsedPages;
            AnonPages = b.GetUsedPages(PageOwner.Anon);
            FilePages = b.GetUsedPages(PageOwner.FileCache);
            ShmemPages = b.GetUsedPages(PageOwner.Shmem);
            SlabReclaimablePages = b.GetUsedPages(PageOwner.SlabReclaimable);
            SlabUnmovablePages = b.GetUsedPages(PageOwner.SlabUnmovable);
            PageTablePages = b.GetUsedPages(PageOwner.PageTable);
            KernelPages = b.GetUsedPages(PageOwner.Kernel) + b.GetUsedPages(PageOwner.None);
            HugeTlbPages = b.GetUsedPages(PageOwner.HugeTlb);
        }

        public MemNode Node { get; }
        public long Index { get; }
        public long StartPfn { get; }
        /// <summary>First pfn after the block.</summary>
        public long EndPfn { get; }
        public ZoneType Zone { get; }
        public MigrateType MigrateType { get; }
        /// <summary>PB_migrate_skip, the compaction skip hint.</summary>
        public bool Skip { get; }
        public long FreePages { get; }
        public long PcpPages { get; }
        public long ReservedPages { get; }
        public long IsolatedPages { get; }
        /// <summary>Allocated pages, all owners.</summary>
        public long UsedPages { get; }
        public long AnonPages { get; }
        public long FilePages { get; }
        public long ShmemPages { get; }
        public long SlabReclaimablePages { get; }
        public long SlabUnmovablePages { get; }
        public long PageTablePages { get; }
        public long KernelPages { get; }
        public long HugeTlbPages { get; }
        /// <summary>Page cache: file cache and shmem.</summary>
        public long PageCachePages => FilePages + ShmemPages;
        /// <summary>Both slab kinds.</summary>
        public long SlabPages => SlabReclaimablePages + SlabUnmovablePages;
        /// <summary>Kernel allocations, page tables and hugetlb pages.</summary>
        public long OtherKernelPages => KernelPages + PageTablePages + HugeTlbPages;

        public override string ToString() => $"{Zone} block 0x{StartPfn:x} {MigrateKind}";

        private string MigrateKind => MigrateTypes.KernelName(MigrateType);
    }
}
