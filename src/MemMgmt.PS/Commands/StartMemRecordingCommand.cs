using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Start-MemRecording: sample free pages by order, the fragmentation index and chosen counters as time steps.</summary>
    [Cmdlet(VerbsLifecycle.Start, "MemRecording")]
    [OutputType(typeof(MemRecording))]
    public sealed class StartMemRecordingCommand : MemNodeCmdlet
    {
        /// <summary>PAGE_ALLOC_COSTLY_ORDER: the first order the allocator treats as costly.</summary>
        private const int DefaultOrder = 3;

        /// <summary>vmstat counters to sample.</summary>
        [Parameter(Position = 0)]
        [ValidateNotNull]
        public string[] Counter { get; set; } = new string[0];

        /// <summary>The order whose fragmentation index is sampled.</summary>
        [Parameter]
        public int Order { get; set; } = DefaultOrder;

        /// <summary>Virtual time between samples, in milliseconds.</summary>
        [Parameter]
        public double IntervalMilliseconds { get; set; } = 10;

        protected override void ProcessNode(MemNode node)
        {
            if (double.IsNaN(IntervalMilliseconds) || IntervalMilliseconds <= 0 || IntervalMilliseconds > 1e9)
                ThrowTerminatingError(Errors.Make("IntervalOutOfRange", ErrorCategory.InvalidArgument,
                    $"-IntervalMilliseconds {IntervalMilliseconds} is out of range; allowed more than 0, at most 1000000000.", IntervalMilliseconds));
            MemRecording? rec = null;
            TryCore(() => rec = MemRecording.Start(node, Order, Counter, (long)(IntervalMilliseconds * 1e6)));
            WriteObject(rec);
        }
    }
}
