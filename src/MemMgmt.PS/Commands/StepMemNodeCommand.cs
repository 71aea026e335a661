using System.Management.Automation;
using System.Threading;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Time;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Step-MemNode: advance the node's virtual clock; woken daemons (kcompactd) run.</summary>
    [Cmdlet(VerbsCommon.Step, "MemNode")]
    [OutputType(typeof(StepReport))]
    public sealed class StepMemNodeCommand : MemNodeCmdlet
    {
        [Parameter(Position = 0)]
        public double Milliseconds { get; set; } = 100;

        private readonly CancellationTokenSource _cancel = new CancellationTokenSource();

        protected override void StopProcessing() => _cancel.Cancel();

        protected override void ProcessRecord()
        {
            var node = ResolveNode();
            if (double.IsNaN(Milliseconds) || Milliseconds < 0 || Milliseconds > 1e9)
                ThrowTerminatingError(Errors.Make("DurationOutOfRange", ErrorCategory.InvalidArgument,
                    $"-Milliseconds {Milliseconds} is out of range; allowed 0 to 1000000000.", Milliseconds));
            StepReport? report = null;
            TryCore(() => report = Daemons.Step(node, (long)(Milliseconds * 1e6), _cancel.Token));
            if (report != null) WriteObject(report);
        }
    }
}
