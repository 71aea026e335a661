using System.Management.Automation;
using System.Threading;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Invoke-Kcompactd: wakeup_kcompactd (with -Order) and kcompactd_do_work when woken.</summary>
    [Cmdlet(VerbsLifecycle.Invoke, "Kcompactd")]
    [OutputType(typeof(ZoneCompactionReport))]
    public sealed class InvokeKcompactdCommand : MemNodeCmdlet
    {
        [Parameter(Position = 0)]
        public int Order { get; set; }

        [Parameter]
        [ArgumentCompleter(typeof(ZoneNameCompleter))]
        public string? Zone { get; set; }

        private readonly CancellationTokenSource _cancel = new CancellationTokenSource();

        protected override void StopProcessing() => _cancel.Cancel();

        protected override void ProcessNode(MemNode node)
        {
            int? order = MyInvocation.BoundParameters.ContainsKey(nameof(Order)) ? Order : (int?)null;
            ZoneType? zone = null;
            if (Zone != null) TryCore(() => zone = node.ParseZone(Zone));
            TryCore(() => CompactionCommands.ValidateKcompactd(node, order, zone));
            CompactionRun? run = null;
            TryCore(() => run = CompactionCommands.Kcompactd(node, order, zone, _cancel.Token));
            if (run == null) return;
            if (run.Trigger != "kcompactd")
                WriteWarning(order.HasValue
                    ? $"kcompactd of node '{node.Name}' was not woken: no zone up to the classzone is compaction_suitable for order {order}."
                    : $"kcompactd of node '{node.Name}' has no pending wakeup; give -Order to wake it.");
            foreach (var z in run.Zones) WriteObject(z);
        }
    }
}
