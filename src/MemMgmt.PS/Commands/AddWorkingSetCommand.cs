using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Workloads;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Add-WorkingSet: start an access workload (HotSet, Streaming or Random) whose accesses run as Step-MemNode
    /// advances virtual time.</summary>
    [Cmdlet(VerbsCommon.Add, "WorkingSet")]
    [OutputType(typeof(WorkingSet))]
    public sealed class AddWorkingSetCommand : MemNodeCmdlet
    {
        [Parameter(Position = 0)]
        public WorkingSetPattern Pattern { get; set; } = WorkingSetPattern.HotSet;

        [Parameter]
        public PageOwner Owner { get; set; } = PageOwner.Anon;

        [Parameter]
        public double Percent { get; set; }

        [Parameter]
        [ByteSizeTransformation]
        public long Size { get; set; }

        [Parameter]
        public int PagesPerRound { get; set; }

        [Parameter]
        public double AccessPercent { get; set; }

        [Parameter]
        public double IntervalMilliseconds { get; set; } = 10;

        [Parameter]
        public ulong Seed { get; set; }

        [Parameter]
        public string? Name { get; set; }

        [Parameter]
        public int Cpu { get; set; }

        [Parameter]
        public SwitchParameter Write { get; set; }

        private bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);

        protected override void ProcessNode(MemNode node)
        {
            if (double.IsNaN(IntervalMilliseconds) || IntervalMilliseconds < 0.001 || IntervalMilliseconds > 1e6)
                ThrowTerminatingError(Errors.Make("IntervalOutOfRange", ErrorCategory.InvalidArgument,
                    $"-IntervalMilliseconds {IntervalMilliseconds} is out of range; allowed 0.001 to 1000000.", IntervalMilliseconds));
            // A Streaming read is always page cache: -Owner defaults to FileCache for it.
            var owner = !Bound(nameof(Owner)) && Pattern == WorkingSetPattern.Streaming ? PageOwner.FileCache : Owner;
            var o = new WorkingSetOptions
            {
                Pattern = Pattern,
                Owner = owner,
                IntervalNs = (long)(IntervalMilliseconds * 1e6),
                Name = Name,
                Cpu = Cpu,
                Write = Write.IsPresent,
            };
            if (Bound(nameof(Percent))) o.Percent = Percent;
            if (Bound(nameof(Size))) o.SizeBytes = Size;
            if (Bound(nameof(PagesPerRound))) o.PagesPerRound = PagesPerRound;
            if (Bound(nameof(AccessPercent))) o.AccessFraction = PercentArgument.ToFraction(this, nameof(AccessPercent), AccessPercent, exclusiveZero: true);
            if (Bound(nameof(Seed))) o.Seed = Seed;
            WorkingSet? ws = null;
            TryCore(() => ws = WorkingSets.Add(node, o));
            if (ws != null) WriteObject(ws);
        }
    }
}
