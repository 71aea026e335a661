using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Workloads;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Add-Pressure: fill memory through alloc_pages, fragment it by a pattern, then make requests of -Order; or,
    /// with -Access, start anon/file/shmem working sets whose accesses run as Step-MemNode advances time.</summary>
    [Cmdlet(VerbsCommon.Add, "Pressure", DefaultParameterSetName = FragmentSet)]
    [OutputType(typeof(PressureReport), ParameterSetName = new[] { FragmentSet })]
    [OutputType(typeof(WorkingSet), ParameterSetName = new[] { AccessSet })]
    public sealed class AddPressureCommand : MemNodeCmdlet
    {
        private const string FragmentSet = "Fragment", AccessSet = "Access";

        [Parameter(Position = 0, ParameterSetName = FragmentSet)]
        public int Order { get; set; }

        [Parameter]
        public double Percent { get; set; }

        [Parameter]
        public long Size { get; set; }

        [Parameter(ParameterSetName = FragmentSet)]
        public PressurePattern Pattern { get; set; } = PressurePattern.EveryOther;

        [Parameter(ParameterSetName = FragmentSet)]
        public int ChunkPages { get; set; }

        [Parameter(ParameterSetName = FragmentSet)]
        public PageParity Parity { get; set; }

        [Parameter(ParameterSetName = FragmentSet)]
        public GfpFlags Gfp { get; set; }

        [Parameter(ParameterSetName = FragmentSet)]
        public double UnmovablePercent { get; set; }

        [Parameter(ParameterSetName = FragmentSet)]
        public double ReclaimablePercent { get; set; }

        [Parameter(ParameterSetName = FragmentSet)]
        public double FilePercent { get; set; }

        [Parameter(ParameterSetName = FragmentSet)]
        public double PinnedPercent { get; set; }

        [Parameter(ParameterSetName = FragmentSet)]
        public double DirtyPercent { get; set; }

        [Parameter(ParameterSetName = FragmentSet)]
        public double WritebackPercent { get; set; }

        [Parameter(ParameterSetName = FragmentSet)]
        public double MlockedPercent { get; set; }

        [Parameter(ParameterSetName = FragmentSet)]
        public int Requests { get; set; }

        [Parameter(ParameterSetName = FragmentSet)]
        public GfpFlags RequestGfp { get; set; }

        [Parameter(ParameterSetName = FragmentSet)]
        public SwitchParameter IgnoreWatermarks { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = AccessSet)]
        public WorkingSetPattern Access { get; set; }

        [Parameter(ParameterSetName = AccessSet)]
        public PageOwner[] Owner { get; set; } = { PageOwner.Anon };

        [Parameter(ParameterSetName = AccessSet)]
        public double AccessPercent { get; set; }

        [Parameter(ParameterSetName = AccessSet)]
        public int PagesPerRound { get; set; }

        [Parameter(ParameterSetName = AccessSet)]
        public SwitchParameter Write { get; set; }

        [Parameter]
        public ulong Seed { get; set; }

        [Parameter]
        public int Cpu { get; set; }

        private readonly CancellationTokenSource _cancel = new CancellationTokenSource();

        protected override void StopProcessing() => _cancel.Cancel();

        private bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);

        protected override void ProcessNode(MemNode node)
        {
            if (ParameterSetName == AccessSet) { StartWorkingSets(node); return; }
            if (UnmovablePercent + ReclaimablePercent > 100)
                ThrowTerminatingError(Errors.Make("PercentOutOfRange", ErrorCategory.InvalidArgument,
                    $"-UnmovablePercent {UnmovablePercent} plus -ReclaimablePercent {ReclaimablePercent} exceed 100.", UnmovablePercent));
            var o = new PressureOptions
            {
                Order = Order,
                Pattern = Pattern,
                UnmovableFraction = PercentArgument.ToFraction(this, nameof(UnmovablePercent), UnmovablePercent),
                ReclaimableFraction = PercentArgument.ToFraction(this, nameof(ReclaimablePercent), ReclaimablePercent),
                FileFraction = PercentArgument.ToFraction(this, nameof(FilePercent), FilePercent),
                PinnedFraction = PercentArgument.ToFraction(this, nameof(PinnedPercent), PinnedPercent),
                DirtyFraction = PercentArgument.ToFraction(this, nameof(DirtyPercent), DirtyPercent),
                WritebackFraction = PercentArgument.ToFraction(this, nameof(WritebackPercent), WritebackPercent),
                MlockedFraction = PercentArgument.ToFraction(this, nameof(MlockedPercent), MlockedPercent),
                Cpu = Cpu,
                ExtraGfp = IgnoreWatermarks ? GfpFlags.__GFP_MEMALLOC : GfpFlags.None,
            };
            if (Bound(nameof(Percent))) o.Percent = Percent;
            if (Bound(nameof(Size))) o.SizeBytes = Size;
            if (Bound(nameof(ChunkPages))) o.ChunkPages = ChunkPages;
            if (Bound(nameof(Parity))) o.Parity = Parity;
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

        /// <summary>The -Access form: one working set per -Owner, each of -Percent/-Size, all validated before any starts.</summary>
        private void StartWorkingSets(MemNode node)
        {
            if (Owner == null || Owner.Length == 0)
                ThrowTerminatingError(Errors.Make("OwnerRequired", ErrorCategory.InvalidArgument,
                    "-Owner needs at least one of Anon, FileCache, Shmem.", Owner));
            // A Streaming read is page cache: -Owner defaults to FileCache for it, as in Add-WorkingSet.
            var owners = !Bound(nameof(Owner)) && Access == WorkingSetPattern.Streaming ? new[] { PageOwner.FileCache } : Owner!;
            var seen = new HashSet<PageOwner>();
            var list = new List<WorkingSetOptions>();
            foreach (var owner in owners)
            {
                if (!seen.Add(owner))
                    ThrowTerminatingError(Errors.Make("DuplicateOwner", ErrorCategory.InvalidArgument,
                        $"-Owner names {owner} twice; give each of Anon, FileCache, Shmem at most once.", owner));
                var o = new WorkingSetOptions { Pattern = Access, Owner = owner, Cpu = Cpu, Write = Write.IsPresent };
                if (Bound(nameof(Percent))) o.Percent = Percent;
                if (Bound(nameof(Size))) o.SizeBytes = Size;
                if (Bound(nameof(AccessPercent))) o.AccessFraction = PercentArgument.ToFraction(this, nameof(AccessPercent), AccessPercent, exclusiveZero: true);
                if (Bound(nameof(PagesPerRound))) o.PagesPerRound = PagesPerRound;
                if (Bound(nameof(Seed))) o.Seed = Seed + (ulong)list.Count; // each owner's set its own sequence
                TryCore(() => o.Validate(node));
                list.Add(o);
            }
            foreach (var o in list)
            {
                WorkingSet? ws = null;
                TryCore(() => ws = WorkingSets.Add(node, o));
                if (ws != null) WriteObject(ws);
            }
        }
    }
}
