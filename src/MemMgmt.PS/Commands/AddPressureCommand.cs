using System.Management.Automation;
using System.Threading;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Workloads;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.Core.PS { }

namespace MemMgmt.PS.Commands
{
    /// <summary>Add-Pressure: fill memory through alloc_pages, fragment it by a pattern, then make requests of -Order.</summary>
    [Cmdlet(VerbsCommon.Add, "Pressure")]
    [OutputType(typeof(PressureReport))]
    public sealed class AddPressureCommand : MemNodeCmdlet
    {
        [Parameter(Position = 0)]
        public int Order { get; set; }

        [Parameter]
        public double Percent { get; set; }

        [Parameter]
        public long Size { get; set; }

        [Parameter]
        public PressurePattern Pattern { get; set; } = PressurePattern.EveryOther;

        [Parameter]
        public int ChunkPages { get; set; }

        [Parameter]
        public GfpFlags Gfp { get; set; }

        [Parameter]
        public double Unmovable { get; set; }

        [Parameter]
        public double Reclaimable { get; set; }

        [Parameter]
        public double File { get; set; }

        [Parameter]
        public double Pinned { get; set; }

        [Parameter]
        public double Dirty { get; set; }

        [Parameter]
        public double Writeback { get; set; }

        [Parameter]
        public double Mlocked { get; set; }

        [Parameter]
        public int Requests { get; set; }

        [Parameter]
        public GfpFlags RequestGfp { get; set; }

        [Parameter]
        public SwitchParameter IgnoreWatermarks { get; set; }

        [Parameter]
        public ulong Seed { get; set; }

        [Parameter]
        public int Cpu { get; set; }

        private readonly CancellationTokenSource _cancel = new CancellationTokenSource();

        protected override void StopProcessing() => _cancel.Cancel();

        private bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);

        protected override void ProcessRecord()
        {
            var node = ResolveNode();
            var o = new PressureOptions
            {
                Order = Order,
                Pattern = Pattern,
                UnmovableFraction = Unmovable,
                ReclaimableFraction = Reclaimable,
                FileFraction = File,
                PinnedFraction = Pinned,
                DirtyFraction = Dirty,
                WritebackFraction = Writeback,
                MlockedFraction = Mlocked,
                Cpu = Cpu,
                ExtraGfp = IgnoreWatermarks ? GfpFlags.__GFP_MEMALLOC : GfpFlags.None,
            };
            if (Bound(nameof(Percent))) o.Percent = Percent;
            if (Bound(nameof(Size))) o.SizeBytes = Size;
            if (Bound(nameof(ChunkPages))) o.ChunkPages = ChunkPages;
            if (Bound(nameof(Gfp))) o.Gfp = Gfp;
            if (Bound(nameof(Requests))) o.Requests = Requests;
            if (Bound(nameof(RequestGfp))) o.RequestGfp = RequestGfp;
            if (Bound(nameof(Seed))) o.Seed = Seed;
            TryCore(() => o.Validate(node));
            var progress = new ProgressRecord(1, "Add-Pressure", $"Filling node '{node.Name}'");
            o.Progress = (done, total) =>
            {
                progress.PercentComplete = total > 0 ? (int)(done * 100 / total) : 0;
                progress.StatusDescription = $"{done} of {total} pages";
                WriteProgress(progress);
            };
            PressureReport? report = null;
            TryCore(() => report = Pressure.Run(node, o, _cancel.Token));
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
            if (report != null) WriteObject(report);
        }
    }
}
