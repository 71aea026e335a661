using System.Management.Automation;
using MemMgmt.Core;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Invoke-Kswapd: wake kswapd (optionally for an order and classzone) and run it now, or let it run for a
    /// stretch of virtual time.</summary>
    [Cmdlet(VerbsLifecycle.Invoke, "Kswapd")]
    [OutputType(typeof(KswapdReport))]
    public sealed class InvokeKswapdCommand : MemNodeCmdlet
    {
        /// <summary>wakeup_kswapd's order; when given (or -Zone is), kswapd is woken the kernel's way first.</summary>
        [Parameter(Position = 0)]
        public int? Order { get; set; }

        /// <summary>The classzone of the wakeup (the allocation's highest zone); default the node's highest zone.</summary>
        [Parameter]
        [ArgumentCompleter(typeof(ZoneNameCompleter))]
        public string? Zone { get; set; }

        /// <summary>Instead of running kswapd now, advance virtual time by this many milliseconds with kswapd running as it would.</summary>
        [Parameter]
        public double? Milliseconds { get; set; }

        private readonly System.Threading.CancellationTokenSource _cancel = new System.Threading.CancellationTokenSource();

        protected override void StopProcessing() => _cancel.Cancel();

        protected override void ProcessNode(MemNode node)
        {
            KswapdReport? report = null;
            var progress = new ProgressWriter(this, 4, $"Invoke-Kswapd '{node.Name}'", "ns of virtual time");
            TryCore(() =>
            {
                if (Milliseconds.HasValue && (Milliseconds.Value < 0 || double.IsNaN(Milliseconds.Value) || Milliseconds.Value > 3.6e6))
                    throw new MemMgmtException("DurationOutOfRange", ErrorKind.OutOfRange,
                        $"Milliseconds {Milliseconds.Value} is out of range; use 0 to 3600000.", Milliseconds.Value);
                int classzone = node.Zones.Count - 1;
                if (Zone != null) classzone = node.GetZone(node.ParseZone(Zone)).ZoneIndex;
                if (Order.HasValue || Zone != null) Kswapd.Wakeup(node, Order ?? 0, classzone);
                report = Milliseconds.HasValue
                    ? Kswapd.Advance(node, (long)(Milliseconds.Value * 1e6), _cancel.Token, progress.Report)
                    : Kswapd.Run(node);
            });
            progress.Complete();
            if (report != null) WriteObject(report);
        }
    }
}
