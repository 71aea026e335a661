using System;
using System.Collections.Generic;

namespace MemMgmt.Core.Node
{
    /// <summary>Which kernel's behaviour and formats the simulation follows; code asks it instead of hard-coding a version.</summary>
    public sealed class KernelProfile
    {
        private KernelProfile(string version, ZoneType[] zoneTypes, int[] lowmemReserveRatio)
        {
            Version = version;
            ZoneTypes = zoneTypes;
            DefaultLowmemReserveRatio = lowmemReserveRatio;
        }

        /// <summary>Linux 4.14 on arm64: zones DMA, Normal, Movable; CMA and memory isolation configured.</summary>
        public static KernelProfile Linux414 { get; } = new KernelProfile("4.14",
            new[] { ZoneType.DMA, ZoneType.Normal, ZoneType.Movable },
            // kernel: sysctl_lowmem_reserve_ratio[MAX_NR_ZONES-1] (mm/page_alloc.c, 4.14): DMA 256, Normal 32.
            new[] { 256, 32 });

        public static IReadOnlyList<KernelProfile> All { get; } = new[] { Linux414 };

        public string Version { get; }
        /// <summary>The zones pg_data_t has, in index order (ZONE_DMA = 0 …), populated or not.</summary>
        public IReadOnlyList<ZoneType> ZoneTypes { get; }
        public int NrZones => ZoneTypes.Count;
        public IReadOnlyList<int> DefaultLowmemReserveRatio { get; }
        public bool HasCma => true;
        public bool HasMemoryIsolation => true;
        /// <summary>ALLOC_HARDER subtracts a quarter of min (4.15+ adds ALLOC_OOM, which halves it).</summary>
        public bool HasAllocOom => false;

        public int ZoneIndex(ZoneType type)
        {
            for (int i = 0; i < ZoneTypes.Count; i++) if (ZoneTypes[i] == type) return i;
            return -1;
        }

        public static KernelProfile Find(string version)
        {
            foreach (var k in All) if (k.Version == version) return k;
            throw new MemMgmtException("UnknownKernelVersion", ErrorKind.InvalidArgument,
                $"Kernel version '{version}' is not simulated; known: {string.Join(", ", Array.ConvertAll(new List<KernelProfile>(All).ToArray(), k => k.Version))}.");
        }
    }
}
