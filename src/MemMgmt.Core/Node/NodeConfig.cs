using System;
using System.Collections.Generic;

namespace MemMgmt.Core.Node
{
    /// <summary>How to build a node: a named profile's values, each overridable by New-MemNode's parameters.</summary>
    public sealed class NodeConfig
    {
        public const long GiB = 1L << 30;
        public const long MiB = 1L << 20;

        public string Profile { get; set; } = "qemu-virt-2g";
        public string? Name { get; set; }
        public long SizeBytes { get; set; } = 2 * GiB;
        public int PageSize { get; set; } = 4096;
        public bool HugeTlb { get; set; } = true;
        public bool TransparentHugepage { get; set; } = true;
        public int Cpus { get; set; } = 2;
        /// <summary>Physical address where RAM starts (QEMU virt: 1 GiB, pfn 0x40000 with 4K pages).</summary>
        public long RamStartBytes { get; set; } = GiB;
        public long CmaBytes { get; set; } = 64 * MiB;
        /// <summary>memblock-reserved pages (kernel image, memmap); null derives them from the size.</summary>
        public long? ReservedPages { get; set; }
        /// <summary>Explicit zone sizes in bytes, lowest zone first; null applies the arm64 rule.</summary>
        public IReadOnlyList<KeyValuePair<ZoneType, long>>? ZoneLayout { get; set; }
        public ulong Seed { get; set; } = 1;
        public int NodeId { get; set; }
        public bool DisableMobilityGrouping { get; set; }
        public KernelProfile Kernel { get; set; } = KernelProfile.Linux414;
        /// <summary>Start in the state a booted kernel leaves: its memblock reservations where the kernel puts them and its
        /// boot allocations (slab, stacks, page tables, ring buffer, the initramfs) made through the allocator.</summary>
        public bool Booted { get; set; }
        /// <summary>Memory the host can give the node, in bytes; null asks the host (MemAvailable and the runtime's
        /// limit). A node whose page arrays need more is refused before anything is allocated.</summary>
        public long? HostAvailableBytes { get; set; }

        public NodeConfig Clone() => (NodeConfig)MemberwiseClone();

        /// <summary>Pages reserved for the kernel image, initrd and early allocations besides the memmap,
        /// taken from the arm64 QEMU capture (present 524288 − managed 507360 − memmap 8192).</summary>
        public const long BootReservedBytes = 8736L * 4096;

        /// <summary>Default reserve: the memmap (64-byte struct page per page) plus the boot reservation.</summary>
        public long DefaultReservedPages(long pages) => pages * 64 / PageSize + BootReservedBytes / PageSize;

        private static readonly Dictionary<string, (string Description, Action<NodeConfig> Apply)> Profiles =
            new Dictionary<string, (string, Action<NodeConfig>)>(StringComparer.OrdinalIgnoreCase)
            {
                ["qemu-virt-2g"] = ("QEMU virt, 2 GiB at 1 GiB, Cortex-A53 x2, 4K pages, 64 MiB CMA, Linux 4.14 (the default)", c => { }),
                ["qemu-virt-4g"] = ("QEMU virt, 4 GiB at 1 GiB (DMA below 4 GiB, Normal above), Cortex-A53 x2, Linux 4.14",
                    c => { c.SizeBytes = 4 * GiB; }),
                ["a53-1g-nocma"] = ("1 GiB Cortex-A53 x2 board without CMA, Linux 4.14",
                    c => { c.SizeBytes = GiB; c.CmaBytes = 0; }),
                ["a53-16k-8g"] = ("8 GiB, 16K pages, Cortex-A53 x2, Linux 4.14",
                    c => { c.SizeBytes = 8 * GiB; c.PageSize = 16384; }),
            };

        public static IEnumerable<string> ProfileNames => Profiles.Keys;

        public static string DescribeProfile(string name) => Profiles[name].Description;

        /// <summary>A config holding the named profile's values.</summary>
        public static NodeConfig FromProfile(string name)
        {
            if (!Profiles.TryGetValue(name, out var p))
                throw new MemMgmtException("UnknownProfile", ErrorKind.InvalidArgument,
                    $"Profile '{name}' is not known; known profiles: {string.Join(", ", Profiles.Keys)}.", name);
            var c = new NodeConfig { Profile = name };
            p.Apply(c);
            return c;
        }
    }
}
