using System.Management.Automation;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>New-MemCgroup: create a memory cgroup (mkdir) under the root or under -Parent, with memory.low,
    /// memory.max and swappiness.</summary>
    [Cmdlet(VerbsCommon.New, "MemCgroup")]
    [OutputType(typeof(MemCgroup))]
    public sealed class NewMemCgroupCommand : MemNodeCmdlet
    {
        /// <summary>The group's name, or a path below the root or below -Parent ("web/frontend").</summary>
        [Parameter(Mandatory = true, Position = 0)]
        public string Name { get; set; } = "";

        /// <summary>The parent group's path ("web", "/web"); default the root.</summary>
        [Parameter]
        [ArgumentCompleter(typeof(CgroupNameCompleter))]
        public string? Parent { get; set; }

        /// <summary>memory.low in bytes (rounded down to pages), or "max".</summary>
        [Parameter]
        [MemcgLimitTransformation]
        public long? Low { get; set; }

        /// <summary>memory.max in bytes (rounded down to pages), or "max"; omit for "max".</summary>
        [Parameter]
        [MemcgLimitTransformation]
        public long? Max { get; set; }

        /// <summary>memory.swappiness, 0 to 100; default the parent's (vm.swappiness under the root).</summary>
        [Parameter]
        public int? Swappiness { get; set; }

        protected override void ProcessNode(MemNode node)
        {
            MemCgroup? cg = null;
            TryCore(() => cg = MemCgroups.Create(node, Name, MemcgBytes.ToPages(node, Low, "Low"), MemcgBytes.ToPages(node, Max, "Max"), Swappiness, Parent));
            if (cg != null) WriteObject(cg);
        }
    }

    internal static class MemcgBytes
    {
        /// <summary>page_counter_memparse: "max" stays unlimited, bytes / PAGE_SIZE otherwise; negative sizes are rejected.</summary>
        internal static long? ToPages(Core.Node.MemNode node, long? bytes, string name)
        {
            if (!bytes.HasValue) return null;
            if (bytes.Value == long.MaxValue) return MemCgroup.Unlimited;
            if (bytes.Value < 0)
                throw new Core.MemMgmtException("MemcgSizeOutOfRange", Core.ErrorKind.OutOfRange, $"-{name} {bytes.Value} is out of range; use 0 or more bytes, or 'max'.", bytes.Value);
            return bytes.Value / node.Geometry.PageSize;
        }
    }
}
