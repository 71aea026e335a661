namespace MemMgmt.Core.Buddy
{
    /// <summary>Pageblock migrate types in the kernel's order; CMA and Isolate exist when the profile configures them.</summary>
    /// <remarks>kernel: enum migratetype (include/linux/mmzone.h, 4.14)</remarks>
    public enum MigrateType : byte
    {
        Unmovable = 0,
        Movable = 1,
        Reclaimable = 2,
        HighAtomic = 3,
        Cma = 4,
        Isolate = 5,
    }

    /// <summary>Constants and tables the buddy allocator shares.</summary>
    public static class MigrateTypes
    {
        /// <summary>MIGRATE_PCPTYPES: the types that have per-cpu lists.</summary>
        public const int PcpTypes = 3;

        /// <summary>Slots in free_area[order].free_list[]: always 6 here; unconfigured types simply stay empty.</summary>
        public const int Count = 6;

        /// <summary>kernel: fallbacks[][] (mm/page_alloc.c, 4.14). CMA and Isolate are never fallbacks.</summary>
        internal static readonly MigrateType[][] Fallbacks =
        {
            new[] { MigrateType.Reclaimable, MigrateType.Movable },   // Unmovable
            new[] { MigrateType.Reclaimable, MigrateType.Unmovable }, // Movable
            new[] { MigrateType.Unmovable, MigrateType.Movable },     // Reclaimable
        };

        /// <summary>The name /proc/pagetypeinfo prints for a type (migratetype_names[]).</summary>
        public static string KernelName(MigrateType type) => type switch
        {
            MigrateType.Unmovable => "Unmovable",
            MigrateType.Movable => "Movable",
            MigrateType.Reclaimable => "Reclaimable",
            MigrateType.HighAtomic => "HighAtomic",
            MigrateType.Cma => "CMA",
            _ => "Isolate",
        };
    }
}
