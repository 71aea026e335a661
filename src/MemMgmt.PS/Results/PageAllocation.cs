using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;

namespace MemMgmt.PS.Results
{
    /// <summary>One live allocation made by New-PageAllocation (what alloc_pages returned).</summary>
    public sealed class PageAllocation
    {
        internal PageAllocation(AllocationResult r)
        {
            Node = r.Node;
            Handle = r.Handle;
            Pfn = r.Pfn;
            Order = r.Order;
            Gfp = r.Gfp;
            Owner = r.Owner;
            Cpu = r.Cpu;
            Zone = r.Zone ?? ZoneType.Normal;
            MigrateType = r.MigrateType;
            BlockMigrateType = r.BlockMigrateType;
            Source = r.Source;
        }

        public MemNode Node { get; }
        /// <summary>The simulator's handle: stays valid while the allocation lives, even if migration moves its pages.</summary>
        public long Handle { get; }
        /// <summary>The first pfn at allocation time.</summary>
        public long Pfn { get; }
        /// <summary>The pfn as the kernel prints it (hex, no prefix).</summary>
        public string PfnHex => Pfn.ToString("x");
        public int Order { get; }
        public long Pages => 1L << Order;
        public GfpFlags Gfp { get; }
        public PageOwner Owner { get; }
        public int Cpu { get; }
        public ZoneType Zone { get; }
        /// <summary>The request's migrate type (gfpflags_to_migratetype).</summary>
        public MigrateType MigrateType { get; }
        /// <summary>The pageblock's type right after the allocation.</summary>
        public MigrateType BlockMigrateType { get; }
        public AllocSource Source { get; }

        public override string ToString() => $"0x{Handle:x} pfn 0x{Pfn:x} order {Order}";
    }
}
