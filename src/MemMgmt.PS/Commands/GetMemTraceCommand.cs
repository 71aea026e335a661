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
    public sealed class GetMemTraceCommand : BufferViewCmdlet
    {
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(TraceEventCompleter))]
        public string[]? Event { get; set; }

        protected override void Show(MemNode node)
        {
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
            KeepLast(selected);
            if (Raw)
            {
                foreach (var line in ProcViewCmdlet.SplitLines(node.Trace.RenderFtrace(node, selected))) WriteObject(line);
            }
            else
            {
                foreach (var ev in selected) WriteObject(ev);
            }
        }
    }
}
