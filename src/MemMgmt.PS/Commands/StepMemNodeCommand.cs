using System.Management.Automation;
using System.Threading;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
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

        protected override void ProcessNode(MemNode node)
        {
            if (double.IsNaN(Milliseconds) || Milliseconds < 0 || Milliseconds > 1e9)
                ThrowTerminatingError(Errors.Make("DurationOutOfRange", ErrorCategory.InvalidArgument,
                    $"-Milliseconds {Milliseconds} is out of range; allowed 0 to 1000000000.", Milliseconds));
            StepReport? report = null;
            var recording = MemRecording.RunningOn(node);
            long ns = (long)(Milliseconds * 1e6);
            var progress = new ProgressWriter(this, 3, $"Step-MemNode '{node.Name}'", "ns of virtual time");
            TryCore(() => report = recording != null ? recording.Step(ns, _cancel.Token) : Daemons.Step(node, ns, _cancel.Token, progress.Report));
            progress.Complete();
            if (report == null) return;
            if (_cancel.IsCancellationRequested)
                WriteWarning($"Step-MemNode on node '{node.Name}' was stopped after {(report.EndNs - report.StartNs) / 1e6} ms of virtual time; the node is consistent (Test-MemNode).");
            WriteObject(report);
        }
    }
}
