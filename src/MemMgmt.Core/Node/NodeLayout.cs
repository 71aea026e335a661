using System;
using System.Collections.Generic;

namespace MemMgmt.Core.Node
{
    /// <summary>Where the node's RAM, zones, reserved pages and CMA area lie, validated before anything is built.</summary>
    internal sealed class NodeLayout
    {
        internal sealed class ZoneSpec
        {
            public long StartPfn;
            public long Pages;
            public long Reserved;
            /// <summary>present_pages and managed_pages when a capture gives them (-1: Pages, and Pages − Reserved).</summary>
            public long Present = -1;
            public long Managed = -1;
        }

        public long StartPfn;
        public long TotalPages;
        public ZoneSpec[] Zones = Array.Empty<ZoneSpec>();
        /// <summary>Reserved pages sit at the start of RAM (kernel image and memmap), pfns [StartPfn, StartPfn+Reserved).</summary>
        public long ReservedPages;
        /// <summary>Reserved pages at the end of the highest populated zone (the memmap of a very large node).</summary>
        public long TopReservedPages;
        public long CmaStartPfn;
        public long CmaPages;

        internal readonly struct PfnRange
        {
            public PfnRange(long start, long pages) { Start = start; Pages = pages; }
            public long Start { get; }
            public long Pages { get; }
            public long End => Start + Pages;
            public bool Contains(long pfn) => pfn >= Start && pfn < End;
        }

        /// <summary>memblock-reserved ranges that never reach the buddy allocator (not managed).</summary>
        public List<PfnRange> Reserved = new List<PfnRange>();
        /// <summary>Ranges still reserved when memblock_free_all runs and freed at the end of boot (the kernel's __init
        /// sections, the initrd): managed, but free only after the boot allocations (-Booted nodes).</summary>
        public List<PfnRange> LateFreed = new List<PfnRange>();
        /// <summary>First pfn whose struct page is initialised by the deferred init thread (long.MaxValue: none).</summary>
        public long DeferredStartPfn = long.MaxValue;
        /// <summary>Pages at the start of the CMA area taken by the boot's DMA atomic pools (-Booted nodes).</summary>
        public long CmaBootPages;

        public bool IsReservedAtBoot(long pfn)
        {
            foreach (var r in Reserved) if (r.Contains(pfn)) return true;
            foreach (var r in LateFreed) if (r.Contains(pfn)) return true;
            return false;
        }

        private static MemMgmtException Bad(string id, string message, object? target) =>
            new MemMgmtException(id, ErrorKind.InvalidArgument, message, target);

        /// <summary>Applies the arm64 4.14 zone rule (ZONE_DMA up to the first 4 GiB boundary above the RAM start) or an explicit layout.</summary>
        public static NodeLayout Compute(NodeConfig c, Geometry g)
        {
            if (c.Cpus < 1 || c.Cpus > 64)
                throw Bad("CpusOutOfRange", $"Cpus {c.Cpus} is out of range; allowed 1 to 64.", c.Cpus);
            long blockBytes = (long)g.PageblockNrPages << g.PageShift;
            long maxBlockBytes = 1L << (g.MaxOrder - 1 + g.PageShift);
            if (c.SizeBytes <= 0 || c.SizeBytes % blockBytes != 0)
                throw Bad("SizeNotPageblockMultiple",
                    $"Size {c.SizeBytes} bytes is not a positive whole number of pageblocks ({blockBytes} bytes each with {g.PageSize / 1024}K pages).", c.SizeBytes);
            long maxBytes = NodeMemory.MaxNodeBytes(g.PageShift);
            if (c.SizeBytes > maxBytes)
                throw Bad("SizeTooLarge",
                    $"Size {c.SizeBytes} bytes is above the limit of {NodeMemory.Describe(maxBytes)} per node with {g.PageSize / 1024}K pages " +
                    $"(allowed up to {NodeMemory.Describe(NodeMemory.MaxBytes4K)} with 4K pages, {NodeMemory.Describe(NodeMemory.MaxBytesLargePages)} with 16K or 64K pages).", c.SizeBytes);
            if (c.RamStartBytes < 0 || c.RamStartBytes % maxBlockBytes != 0)
                throw Bad("RamStartMisaligned", $"RAM start 0x{c.RamStartBytes:x} must be aligned to a MAX_ORDER block ({maxBlockBytes} bytes).", c.RamStartBytes);

            var l = new NodeLayout { StartPfn = c.RamStartBytes >> g.PageShift, TotalPages = c.SizeBytes >> g.PageShift };
            var zones = c.Kernel.ZoneTypes;
            var sizes = new long[zones.Count];
            if (c.ZoneLayout == null)
            {
                long dmaLimit = (c.RamStartBytes & ~((1L << 32) - 1)) + (1L << 32);
                long end = c.RamStartBytes + c.SizeBytes;
                long dmaBytes = Math.Min(end, dmaLimit) - c.RamStartBytes;
                if (dmaBytes < 0) dmaBytes = 0;
                sizes[c.Kernel.ZoneIndex(ZoneType.DMA)] = dmaBytes;
                sizes[c.Kernel.ZoneIndex(ZoneType.Normal)] = c.SizeBytes - dmaBytes;
            }
            else
            {
                long sum = 0;
                int last = -1;
                foreach (var kv in c.ZoneLayout)
                {
                    int zi = c.Kernel.ZoneIndex(kv.Key);
                    if (zi < 0)
                        throw Bad("ZoneNotPresent", $"Zone {kv.Key} does not exist on arm64 {c.Kernel.Version}; allowed: {string.Join(", ", zones)}.", kv.Key);
                    if (zi <= last)
                        throw Bad("ZoneLayoutOrder", $"Zone {kv.Key} is listed twice or out of order; list zones from the lowest ({string.Join(", ", zones)}).", kv.Key);
                    if (kv.Value < 0 || kv.Value % blockBytes != 0)
                        throw Bad("ZoneSizeNotPageblockMultiple", $"Zone {kv.Key} size {kv.Value} bytes is not a whole number of pageblocks ({blockBytes} bytes).", kv.Value);
                    sizes[zi] = kv.Value;
                    sum += kv.Value;
                    last = zi;
                }
                if (sum != c.SizeBytes)
                    throw Bad("ZoneLayoutSizeMismatch", $"Zone sizes add up to {sum} bytes but the node size is {c.SizeBytes} bytes.", c.ZoneLayout);
            }

            if (c.Booted)
            {
                if (g.PageSize != 4096)
                    throw Bad("BootedNeeds4KPages", $"-Booted places a 4K-page arm64 kernel's boot memory; PageSize {g.PageSize} is not supported with it (allowed: 4096).", g.PageSize);
                if (c.ReservedPages != null)
                    throw Bad("BootedWithReservedPages", $"ReservedPages {c.ReservedPages} cannot be combined with -Booted, which places the boot reservations itself.", c.ReservedPages);
            }
            long reserved = c.ReservedPages ?? c.DefaultReservedPages(l.TotalPages);
            long cmaPages = c.CmaBytes >> g.PageShift;
            long cmaAlign = 1L << Math.Max(g.MaxOrder - 1, g.PageblockOrder);
            if (c.CmaBytes < 0 || (cmaPages & (cmaAlign - 1)) != 0)
                throw Bad("CmaSizeMisaligned", $"CMA size {c.CmaBytes} bytes must be a multiple of {cmaAlign << g.PageShift} bytes (MAX_ORDER and pageblock aligned).", c.CmaBytes);

            l.Zones = new ZoneSpec[zones.Count];
            long pfn = l.StartPfn;
            int lowest = -1;
            for (int z = 0; z < zones.Count; z++)
            {
                long pages = sizes[z] >> g.PageShift;
                l.Zones[z] = new ZoneSpec { StartPfn = pages > 0 ? pfn : 0, Pages = pages };
                if (pages > 0 && lowest < 0) lowest = z;
                pfn += pages;
            }
            var first = l.Zones[lowest];
            int highest = lowest;
            for (int z = zones.Count - 1; z > lowest; z--) if (l.Zones[z].Pages > 0) { highest = z; break; }
            if (c.Booted)
            {
                PlaceBootMemory(l, c, g, lowest, highest, reserved, cmaPages);
                return l;
            }
            // memblock allocates top-down: on a node too large for its memmap to fit below the DMA limit, the memmap
            // (64 bytes of struct page per page) sits at the top of the highest zone and only the boot reservation
            // (kernel image, initrd) stays at the start of RAM. Smaller nodes keep the whole reservation low, as the
            // QEMU capture shows.
            if (c.ReservedPages == null && highest != lowest && reserved + cmaPages + g.PageblockNrPages > first.Pages)
            {
                long memmap = l.TotalPages * 64 / g.PageSize;
                var top = l.Zones[highest];
                if (memmap + g.PageblockNrPages <= top.Pages)
                {
                    top.Reserved = memmap;
                    l.TopReservedPages = memmap;
                    reserved -= memmap;
                }
            }
            if (reserved < 0 || reserved + cmaPages + g.PageblockNrPages > first.Pages)
            {
                long room = first.Pages - g.PageblockNrPages;
                // Name the setting the user can change: an explicit reservation, else the CMA area or the size.
                if (c.ReservedPages != null && cmaPages + g.PageblockNrPages <= first.Pages)
                    throw Bad("ReservedPagesOutOfRange",
                        $"ReservedPages {reserved} plus CMA {cmaPages} pages leave less than one pageblock in zone {zones[lowest]} ({first.Pages} pages); allowed 0 to {Math.Max(0, room - cmaPages)}.", reserved);
                throw Bad("CmaSizeTooLarge",
                    $"A CMA area of {cmaPages} pages plus the {(c.ReservedPages == null ? "boot" : "given")} reservation of {reserved} pages leave less than one pageblock in zone {zones[lowest]} ({first.Pages} pages): " +
                    $"give -CmaSize at most {Math.Max(0, room - reserved) / cmaAlign * cmaAlign * g.PageSize / 1024 / 1024} MiB (0 for none) or a larger -Size.", cmaPages);
            }
            first.Reserved = reserved;
            l.ReservedPages = reserved;
            if (reserved > 0) l.Reserved.Add(new PfnRange(first.StartPfn, reserved));
            if (l.TopReservedPages > 0) l.Reserved.Add(new PfnRange(l.Zones[highest].StartPfn + l.Zones[highest].Pages - l.TopReservedPages, l.TopReservedPages));
            // arm64 reserves CMA top-down below the DMA limit: the top of the lowest zone.
            l.CmaPages = cmaPages;
            l.CmaStartPfn = first.StartPfn + first.Pages - cmaPages;
            return l;
        }

        /// <summary>Where a booted kernel's memblock reservations lie: the image, initrd and device tree low, where the
        /// loader put them; top-down from the end of RAM the early allocations, the memmap, CMA (below the DMA limit) and
        /// the KFENCE pool. The total reserved for good is the same as without -Booted.</summary>
        /// <remarks>kernel: arm64_memblock_init, bootmem_init, mm_init (arch/arm64/mm/init.c, init/main.c, 6.1).</remarks>
        private static void PlaceBootMemory(NodeLayout l, NodeConfig c, Geometry g, int lowest, int highest, long reserved, long cmaPages)
        {
            int shift = g.PageShift;
            long Pages(long bytes) => (bytes + (1L << shift) - 1) >> shift;
            long AlignDown(long pfn, long align) => pfn & ~(align - 1);
            var first = l.Zones[lowest];
            var top = l.Zones[highest];
            long start = first.StartPfn;

            long code = start + (BootImage.KernelTextOffsetBytes >> shift);
            long init = code + Pages(BootImage.KernelCodeBytes);
            long data = init + Pages(BootImage.KernelInitBytes);
            long imageEnd = data + Pages(BootImage.KernelDataBytes);
            long initrd = start + (Math.Min(l.TotalPages << shift >> 1, BootImage.InitrdMaxOffsetBytes) >> shift);
            long initrdPages = Pages(BootImage.InitrdBytes), initrdFreed = BootImage.InitrdFreedBytes >> shift;
            long fdt = initrd + (((BootImage.InitrdBytes + BootImage.FdtAlignBytes - 1) & ~(BootImage.FdtAlignBytes - 1)) >> shift);
            long lowEnd = Math.Max(imageEnd, fdt + Pages(BootImage.FdtBytes));
            long lowKept = Pages(BootImage.KernelCodeBytes) + Pages(BootImage.KernelDataBytes) + (initrdPages - initrdFreed) + Pages(BootImage.FdtBytes);
            long kfence = Pages(c.Kernel.KfencePoolBytes);
            long memmap = l.TotalPages * 64 / g.PageSize;
            long early = reserved - memmap - lowKept - kfence;

            long end = top.StartPfn + top.Pages;
            long memmapEnd = AlignDown(end - early, BootImage.MemmapAlignBytes >> shift);
            long memmapStart = memmapEnd - memmap;
            long cmaAlign = c.Kernel.CmaPageblockAligned ? g.PageblockNrPages : 1L << Math.Max(g.MaxOrder - 1, g.PageblockOrder);
            long cmaEnd = highest == lowest ? memmapStart : first.StartPfn + first.Pages;
            long cmaStart = AlignDown(cmaEnd, cmaAlign) - cmaPages;
            long kfenceEnd = cmaPages > 0 && highest == lowest ? cmaStart : memmapStart;
            long lowestTop = Math.Min(kfenceEnd - kfence, highest == lowest || cmaPages == 0 ? long.MaxValue : cmaStart);
            if (early < 0 || lowEnd + g.PageblockNrPages > Math.Min(lowestTop, first.StartPfn + first.Pages) || memmapStart < top.StartPfn)
                throw Bad("BootedNodeTooSmall",
                    $"A booted kernel's memory (image, initrd and device tree up to {((lowEnd - start) << shift) >> 20} MiB into RAM, {memmap} memmap pages, {cmaPages} CMA pages and {early + kfence} early pages at the top) does not fit a node of {l.TotalPages << shift >> 20} MiB; use a larger -Size or a smaller -CmaSize.", c.SizeBytes);

            l.Reserved.Add(new PfnRange(code, Pages(BootImage.KernelCodeBytes)));
            l.LateFreed.Add(new PfnRange(init, Pages(BootImage.KernelInitBytes)));
            l.Reserved.Add(new PfnRange(data, Pages(BootImage.KernelDataBytes)));
            l.LateFreed.Add(new PfnRange(initrd, initrdFreed));
            if (initrdPages > initrdFreed) l.Reserved.Add(new PfnRange(initrd + initrdFreed, initrdPages - initrdFreed));
            l.Reserved.Add(new PfnRange(fdt, Pages(BootImage.FdtBytes)));
            if (kfence > 0) l.Reserved.Add(new PfnRange(kfenceEnd - kfence, kfence));
            l.Reserved.Add(new PfnRange(memmapStart, memmap));
            l.Reserved.Add(new PfnRange(end - early, early));
            foreach (var r in l.Reserved)
                foreach (var z in l.Zones)
                    if (r.Start >= z.StartPfn && r.Start < z.StartPfn + z.Pages) z.Reserved += r.Pages;
            l.ReservedPages = reserved;
            l.CmaPages = cmaPages;
            l.CmaStartPfn = cmaStart;
            if (cmaPages > 0) l.CmaBootPages = Math.Min(cmaPages, Pages(BootImage.DmaAtomicPoolBytes) * BootImage.DmaAtomicPools);
            if (c.Kernel.DeferredStructPageInit)
            {
                long section = BootImage.SectionBytes >> shift;
                long deferred = (top.StartPfn + section + section - 1) & ~(section - 1);
                if (deferred < end) l.DeferredStartPfn = deferred;
            }
        }
    }
}
