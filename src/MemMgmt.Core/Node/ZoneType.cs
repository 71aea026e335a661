namespace MemMgmt.Core.Node
{
    /// <summary>Zone types in the kernel's order. Which exist depends on the kernel profile (arm64 4.14: DMA, Normal, Movable).</summary>
    /// <remarks>kernel: enum zone_type (include/linux/mmzone.h)</remarks>
    public enum ZoneType : byte
    {
        DMA = 0,
        DMA32 = 1,
        Normal = 2,
        Movable = 3,
    }
}
