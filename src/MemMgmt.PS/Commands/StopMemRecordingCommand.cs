using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Stop-MemRecording: ends the node's recording and writes its samples as rows.</summary>
    [Cmdlet(VerbsLifecycle.Stop, "MemRecording")]
    [OutputType(typeof(PSObject))]
    public sealed class StopMemRecordingCommand : MemNodeCmdlet
    {
        protected override void ProcessNode(MemNode node)
        {
            MemRecording? rec = null;
            TryCore(() => rec = MemRecording.Stop(node));
            foreach (var s in rec!.Samples) WriteObject(SampleRows.ToRow(rec, s));
        }
    }
}
