using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Trace;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-MemKernelLog: the node's kernel log (dmesg): the OOM killer's reports.</summary>
    [Cmdlet(VerbsCommon.Get, "MemKernelLog")]
    [OutputType(typeof(KernelLogEntry), typeof(string))]
    public sealed class GetMemKernelLogCommand : BufferViewCmdlet
    {
        /// <summary>The least important level shown (dmesg --level up to it).</summary>
        [Parameter]
        public KernLevel Level { get; set; } = KernLevel.Debug;

        protected override void Show(MemNode node)
        {
            if (Level < KernLevel.Emerg || Level > KernLevel.Debug)
                ThrowTerminatingError(Errors.Make("LevelOutOfRange", ErrorCategory.InvalidArgument, $"-Level {(int)Level} is out of range; allowed Emerg (0) to Debug (7).", Level));
            var log = OomKiller.KernelLog(node);
            var selected = new List<KernelLogEntry>();
            foreach (var e in log.Entries(node)) if (e.Level <= Level) selected.Add(e);
            KeepLast(selected);
            foreach (var e in selected)
            {
                if (Raw) WriteObject(e.Line);
                else WriteObject(e);
            }
            if (Clear) log.Clear();
        }
    }
}
