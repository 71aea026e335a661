using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Stop-MemProcess: a simulated process exits; its anonymous and shmem pages and swap entries are freed.</summary>
    [Cmdlet(VerbsLifecycle.Stop, "MemProcess", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(SimProcess))]
    public sealed class StopMemProcessCommand : MemNodeCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("Pid")]
        public int[] Id { get; set; } = new int[0];

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            var node = ResolveNode();
            // Every pid is checked before any process exits.
            var found = new List<SimProcess>();
            bool bad = false;
            foreach (var id in Id)
            {
                SimProcess? p = null;
                if (TryCore(() => p = Processes.GetProcess(node, id), terminating: false)) { if (!found.Contains(p!)) found.Add(p!); }
                else bad = true;
            }
            if (bad) return;
            foreach (var p in found)
            {
                if (!ShouldProcess($"process {p.Pid} ({p.Name}) on node '{node.Name}', {p.Rss} resident pages", "Exit")) continue;
                long freed = Processes.Exit(node, p.Pid);
                WriteVerbose($"Process {p.Pid} ({p.Name}) exited; {freed} pages freed.");
                if (PassThru) WriteObject(p);
            }
        }
    }
}
