namespace MemMgmt.Core.Node
{
    /// <summary>What a booted arm64 kernel reserves in memblock and where, for New-MemNode -Booted: Debian bookworm's
    /// 6.1.0 arm64 Image booted by QEMU virt with the harness's initramfs (the boot capture's /proc/iomem and dmesg).</summary>
    /// <remarks>memblock hands out early memory top-down from the end of RAM, so the page tables, hash tables and first
    /// per-cpu chunk end up at the top, the memmap just below them, CMA below the memmap and the KFENCE pool below CMA;
    /// the image, the initrd and the device tree sit where the loader put them, low in RAM.</remarks>
    internal static class BootImage
    {
        /// <summary>QEMU loads the Image 2 MiB into RAM and its text starts 64 KiB further (iomem "Kernel code" at 0x40210000).</summary>
        public const long KernelTextOffsetBytes = 0x210000;
        /// <summary>Text and rodata, reserved for good: 40210000-4185ffff "Kernel code".</summary>
        public const long KernelCodeBytes = 0x1650000;
        /// <summary>The __init sections after the code, freed by free_initmem at the end of boot ("Freeing unused kernel memory: 6464K").</summary>
        public const long KernelInitBytes = 0x650000;
        /// <summary>Data and bss after the init sections, reserved for good: 41eb0000-4220ffff "Kernel data".</summary>
        public const long KernelDataBytes = 0x360000;
        /// <summary>hw/arm/boot.c puts the initrd at RAM start + min(RAM/2, 128 MiB).</summary>
        public const long InitrdMaxOffsetBytes = 128L << 20;
        /// <summary>The harness's initramfs as memblock reserves it, whole pages (48000000-48192fff).</summary>
        public const long InitrdBytes = 0x193000;
        /// <summary>free_initrd_mem frees the whole pages inside the image after unpacking ("Freeing initrd memory: 1608K");
        /// the partial last page stays reserved.</summary>
        public const long InitrdFreedBytes = 1608L << 10;
        /// <summary>QEMU places the device tree after the initrd on a 2 MiB boundary; the 1 MiB blob stays reserved (48200000-482fffff).</summary>
        public const long FdtAlignBytes = 2L << 20;
        public const long FdtBytes = 0x100000;
        /// <summary>vmemmap is mapped with 2 MiB sections, so the memmap block memblock hands out is 2 MiB aligned.</summary>
        public const long MemmapAlignBytes = 2L << 20;
        /// <summary>dma_atomic_pool_init preallocates three 256 KiB pools (GFP_KERNEL, GFP_DMA, GFP_DMA32) from the CMA area
        /// ("DMA: preallocated 256 KiB ... pool for atomic allocations"), the area's first pages.</summary>
        public const long DmaAtomicPoolBytes = 256L << 10;
        public const int DmaAtomicPools = 3;
        /// <summary>arm64 6.1 memory sections are 128 MiB (SECTION_SIZE_BITS 27): deferred init starts after the first one.</summary>
        public const long SectionBytes = 128L << 20;
    }
}
