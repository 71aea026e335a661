using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Trace;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Get-MemTrace: the node's tracepoint events, as objects or as the ftrace buffer's text.</summary>
    [Cmdlet(VerbsCommon.Get, "MemTrace")]
    [OutputType(typeof(TraceEvent), typeof(string))]
    public sealed class GetMemTraceCommand : MemNodeCmdlet
    {
        [Parameter(Position = 0)]
        [SupportsWildcards]
        public string[]? Event { get; set; }

        [Parameter]
        public int Last { get; set; }

        [Parameter]
        public SwitchParameter Raw { get; set; }

        [Parameter]
        public SwitchParameter Clear { get; set; }

        private readonly HashSet<MemNode> _shown = new HashSet<MemNode>();

        protected override void ProcessRecord()
        {
            var node = ResolveNode();
            if (!_shown.Add(node)) return;
            if (MyInvocation.BoundParameters.ContainsKey(nameof(Last)) && Last < 1)
                ThrowTerminatingError(Errors.Make("LastOutOfRange", ErrorCategory.InvalidArgument, $"-Last {Last} is out of range; allowed 1 or more.", Last));
            var patterns = new List<WildcardPattern>();
            if (Event != null)
                foreach (var e in Event)
                {
                    var p = new WildcardPattern(e, WildcardOptions.IgnoreCase);
                    bool any = false;
                    foreach (var name in System.Enum.GetNames(typeof(TraceEventId))) if (p.IsMatch(name)) any = true;
                    if (!any)
                        ThrowTerminatingError(Errors.Make("UnknownTraceEvent", ErrorCategory.ObjectNotFound,
                            $"'{e}' names no tracepoint; known: {string.Join(", ", System.Enum.GetNames(typeof(TraceEventId)))}.", e));
                    patterns.Add(p);
                }
            var selected = new List<TraceEvent>();
            foreach (var ev in node.Trace.Events(node))
            {
                if (patterns.Count > 0)
                {
                    bool match = false;
                    foreach (var p in patterns) if (p.IsMatch(ev.Name)) { match = true; break; }
                    if (!match) continue;
                }
                selected.Add(ev);
            }
            if (Last > 0 && selected.Count > Last) selected.RemoveRange(0, selected.Count - Last);
            if (Raw)
            {
                foreach (var line in ProcViewCmdlet.SplitLines(node.Trace.RenderFtrace(node, selected))) WriteObject(line);
            }
            else
            {
                foreach (var ev in selected) WriteObject(ev);
            }
            if (Clear) TryCore(() => Core.Trace.TraceControl.Clear(node));
        }
    }
}
