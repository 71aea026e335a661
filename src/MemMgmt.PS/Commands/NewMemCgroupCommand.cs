using System.Management.Automation;
using MemMgmt.Core.Memcg;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>New-MemCgroup: create a memory cgroup under the root with memory.low, memory.max and swappiness.</summary>
    [Cmdlet(VerbsCommon.New, "MemCgroup")]
    [OutputType(typeof(MemCgroup))]
    public sealed class NewMemCgroupCommand : MemNodeCmdlet
    {
        [Parameter(Mandatory = true, Position = 0)]
        public string Name { get; set; } = "";

        /// <summary>memory.low in bytes (rounded down to pages).</summary>
        [Parameter]
        public long? Low { get; set; }

        /// <summary>memory.max in bytes (rounded down to pages); omit for "max".</summary>
        [Parameter]
        public long? Max { get; set; }

        /// <summary>memory.swappiness, 0 to 100; default vm.swappiness.</summary>
        [Parameter]
        public int? Swappiness { get; set; }

        protected override void ProcessRecord()
        {
            var node = ResolveNode();
            MemCgroup? cg = null;
            TryCore(() => cg = MemCgroups.Create(node, Name, MemcgBytes.ToPages(node, Low, "Low"), MemcgBytes.ToPages(node, Max, "Max"), Swappiness));
            if (cg != null) WriteObject(cg);
        }
    }

    internal static class MemcgBytes
    {
        /// <summary>page_counter_memparse: bytes / PAGE_SIZE; negative sizes are rejected.</summary>
        internal static long? ToPages(Core.Node.MemNode node, long? bytes, string name)
        {
            if (!bytes.HasValue) return null;
            if (bytes.Value < 0)
                throw new Core.MemMgmtException("MemcgSizeOutOfRange", Core.ErrorKind.OutOfRange, $"-{name} {bytes.Value} is out of range; use 0 or more bytes.", bytes.Value);
            return bytes.Value / node.Geometry.PageSize;
        }
    }
}
