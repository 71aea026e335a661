using System.Management.Automation;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-VmPressure: the node's vmpressure events (low, medium, critical), newest last.</summary>
    [Cmdlet(VerbsCommon.Get, "VmPressure")]
    [OutputType(typeof(VmPressureEvent))]
    public sealed class GetVmPressureCommand : MemNodeCmdlet
    {
        /// <summary>Only the newest n events (a count, as -Last is everywhere).</summary>
        [Parameter]
        public int Last { get; set; }

        protected override void ProcessNode(MemNode node)
        {
            bool last = MyInvocation.BoundParameters.ContainsKey(nameof(Last));
            if (last && Last < 1)
                ThrowTerminatingError(Errors.Make("LastOutOfRange", ErrorCategory.InvalidArgument, $"-Last {Last} is out of range; allowed 1 or more.", Last));
            var events = VmPressure.Events(node);
            int first = last ? System.Math.Max(0, events.Count - Last) : 0;
            for (int i = first; i < events.Count; i++) WriteObject(events[i]);
        }
    }
}
