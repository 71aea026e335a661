using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using MemMgmt.Core.Node;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>Shared by the completers that offer names living on a node: the node the command line names
    /// with -Node (an object or a name), else the runspace's current node.</summary>
    internal static class CompletionNode
    {
        public static MemNode? Of(IDictionary fakeBoundParameters)
        {
            var registry = NodeRegistry.ForDefaultRunspace();
            object? bound = fakeBoundParameters != null && fakeBoundParameters.Contains("Node") ? fakeBoundParameters["Node"] : null;
            if (bound is PSObject pso) bound = pso.BaseObject;
            if (bound is MemNode node) return node;
            if (bound is string name) return registry?.Find(name);
            return registry?.Current;
        }

        public static IEnumerable<CompletionResult> Matching(IEnumerable<string> names, string? wordToComplete, Func<string, string>? tooltip = null)
        {
            string w = (wordToComplete ?? "").Trim('\'', '"');
            foreach (var n in names)
                if (n.StartsWith(w, StringComparison.OrdinalIgnoreCase))
                {
                    string text = n.IndexOfAny(new[] { ' ', '\t', '$', '`', '\'', '"', ';', '(', ')', '{', '}', ',' }) >= 0 ? "'" + n.Replace("'", "''") + "'" : n;
                    yield return new CompletionResult(text, n, CompletionResultType.ParameterValue, tooltip == null ? n : tooltip(n));
                }
        }
    }

    /// <summary>Completes shrinker names registered on the node.</summary>
    public sealed class ShrinkerNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var node = CompletionNode.Of(fakeBoundParameters);
            if (node == null) return Array.Empty<CompletionResult>();
            var names = new List<string>();
            foreach (var s in Core.Reclaim.Shrinkers.Get(node)) names.Add(s.Name);
            return CompletionNode.Matching(names, wordToComplete);
        }
    }
}
