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

    /// <summary>Completes the zones the node's kernel profile has (no DMA32 on 4.14 arm64), with each zone's present pages.</summary>
    public sealed class ZoneNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var node = CompletionNode.Of(fakeBoundParameters);
            var profile = node?.Kernel ?? KernelProfile.Linux414;
            var names = new List<string>();
            foreach (var t in profile.ZoneTypes) names.Add(t.ToString());
            return CompletionNode.Matching(names, wordToComplete,
                n => node == null ? n : $"{n}: {node.GetZone(node.ParseZone(n)).PresentPages} present pages");
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

    /// <summary>Completes -Name of Get-VmStat and Get-MemInfo with the counter names of the node's file.</summary>
    public sealed class ProcCounterNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var node = CompletionNode.Of(fakeBoundParameters);
            if (node == null) return Array.Empty<CompletionResult>();
            var names = new List<string>();
            if (string.Equals(commandName, "Get-MemInfo", StringComparison.OrdinalIgnoreCase))
                foreach (var e in Core.Stats.NodeViews.MemInfo(node).Entries) names.Add(e.Name);
            else
                foreach (var e in Core.Stats.NodeViews.VmStat(node).Entries) names.Add(e.Name);
            return CompletionNode.Matching(names, wordToComplete);
        }
    }

    /// <summary>Completes -Event of Get-MemTrace with the tracepoint names.</summary>
    public sealed class TraceEventCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters) =>
            CompletionNode.Matching(Enum.GetNames(typeof(Core.Trace.TraceEventId)), wordToComplete);
    }

    /// <summary>Completes memory cgroup names (as -Name and -Cgroup take them: "web/fe") of the node.</summary>
    public sealed class CgroupNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var node = CompletionNode.Of(fakeBoundParameters);
            if (node == null) return Array.Empty<CompletionResult>();
            var names = new List<string>();
            foreach (var cg in Core.Memcg.MemCgroups.GetAll(node)) if (cg.Name.Length > 0) names.Add(cg.Name);
            return CompletionNode.Matching(names, wordToComplete, n => "/" + n);
        }
    }

    /// <summary>Completes -Id of Stop-MemProcess with the pids of the node's processes.</summary>
    public sealed class ProcessIdCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var node = CompletionNode.Of(fakeBoundParameters);
            var results = new List<CompletionResult>();
            if (node == null) return results;
            foreach (var p in Core.Oom.Processes.GetProcesses(node))
            {
                string pid = p.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (pid.StartsWith(wordToComplete ?? "", StringComparison.Ordinal))
                    results.Add(new CompletionResult(pid, pid + " " + p.Name, CompletionResultType.ParameterValue, $"{p.Name}: {p.Rss} resident pages"));
            }
            return results;
        }
    }

    /// <summary>Completes -Name of Stop-WorkingSet with the node's working sets.</summary>
    public sealed class WorkingSetNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var node = CompletionNode.Of(fakeBoundParameters);
            if (node == null) return Array.Empty<CompletionResult>();
            var names = new List<string>();
            foreach (var ws in Core.Workloads.WorkingSets.Get(node)) names.Add(ws.Name);
            return CompletionNode.Matching(names, wordToComplete);
        }
    }
}
