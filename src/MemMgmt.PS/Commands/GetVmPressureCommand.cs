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
        /// <summary>Only the most recent event.</summary>
        [Parameter]
        public SwitchParameter Last { get; set; }

        protected override void ProcessNode(MemNode node)
        {
            if (Last)
            {
                var e = VmPressure.Last(node);
                if (e != null) WriteObject(e);
                return;
            }
            foreach (var e in VmPressure.Events(node)) WriteObject(e);
        }
    }
}
