using System;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>New-MemProcess: start a simulated process that faults in anonymous (and optionally file and shmem)
    /// pages through the allocator, charged to a memory cgroup if one is named.</summary>
    [Cmdlet(VerbsCommon.New, "MemProcess")]
    [OutputType(typeof(SimProcess))]
    public sealed class NewMemProcessCommand : MemNodeCmdlet
    {
        [Parameter(Mandatory = true, Position = 0)]
        public string Name { get; set; } = "";

        [Parameter]
        public int OomScoreAdj { get; set; }

        [Parameter]
        public SwitchParameter Root { get; set; }

        [Parameter]
        public string? Cgroup { get; set; }

        /// <summary>Anonymous memory in bytes (rounded up to pages).</summary>
        [Parameter]
        [ByteSizeTransformation]
        public long Size { get; set; }

        [Parameter]
        public long Pages { get; set; }

        [Parameter]
        public double Percent { get; set; }

        [Parameter]
        [ByteSizeTransformation]
        public long FileSize { get; set; }

        [Parameter]
        [ByteSizeTransformation]
        public long ShmemSize { get; set; }

        private bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);

        private long BytesToPages(MemNode node, long bytes, string parameter)
        {
            if (bytes < 0)
                ThrowTerminatingError(Errors.Make("ProcessSizeOutOfRange", ErrorCategory.InvalidArgument,
                    $"-{parameter} {bytes} is out of range; allowed 0 to {node.ManagedPages * node.Geometry.PageSize} bytes (the node's managed memory).", bytes));
            long pageSize = node.Geometry.PageSize;
            return bytes / pageSize + (bytes % pageSize != 0 ? 1 : 0);
        }

        protected override void ProcessRecord()
        {
            var node = ResolveNode();
            int given = (Bound(nameof(Size)) ? 1 : 0) + (Bound(nameof(Pages)) ? 1 : 0) + (Bound(nameof(Percent)) ? 1 : 0);
            if (given > 1)
                ThrowTerminatingError(Errors.Make("ContradictoryProcessSize", ErrorCategory.InvalidArgument,
                    "Give the anonymous size once: -Size, -Pages or -Percent, not several.", null));
            long anon = 0;
            if (Bound(nameof(Size))) anon = BytesToPages(node, Size, nameof(Size));
            if (Bound(nameof(Pages)))
            {
                if (Pages < 0)
                    ThrowTerminatingError(Errors.Make("ProcessSizeOutOfRange", ErrorCategory.InvalidArgument,
                        $"-Pages {Pages} is out of range; allowed 0 to {node.ManagedPages} (the node's managed pages).", Pages));
                anon = Pages;
            }
            if (Bound(nameof(Percent)))
            {
                if (double.IsNaN(Percent) || Percent < 0 || Percent > 100)
                    ThrowTerminatingError(Errors.Make("PercentOutOfRange", ErrorCategory.InvalidArgument,
                        $"-Percent {Percent} is out of range; allowed 0 to 100 (of the node's managed memory).", Percent));
                anon = (long)Math.Ceiling(node.ManagedPages * Percent / 100.0);
            }
            var o = new ProcessOptions
            {
                Name = Name,
                OomScoreAdj = OomScoreAdj,
                Root = Root,
                Cgroup = Cgroup,
                AnonPages = anon,
                FilePages = BytesToPages(node, FileSize, nameof(FileSize)),
                ShmemPages = BytesToPages(node, ShmemSize, nameof(ShmemSize)),
            };
            SimProcess? p = null;
            TryCore(() => p = Processes.Start(node, o));
            if (p == null) return;
            if (p.FaultFailure != null)
                WriteWarning($"Process {p.Pid} ({p.Name}) mapped {p.Rss} of {p.RequestedPages} pages: {p.FaultFailure}.");
            WriteObject(p);
        }
    }
}
