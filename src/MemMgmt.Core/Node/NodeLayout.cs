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
            // arm64 reserves CMA top-down below the DMA limit: the top of the lowest zone.
            l.CmaPages = cmaPages;
            l.CmaStartPfn = first.StartPfn + first.Pages - cmaPages;
            return l;
        }
    }
}
