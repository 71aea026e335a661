using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>Lets -PageSize take 4096, 4KB (the PowerShell number), or the strings '4K', '4KB', '4KiB'.
    /// Anything else passes through unchanged so the cmdlet rejects it with PageSizeNotSupported.</summary>
    public sealed class PageSizeTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            object value = inputData is PSObject pso ? pso.BaseObject : inputData;
            if (value is string s)
            {
                string t = s.Trim().ToUpperInvariant();
                int mult = 1;
                foreach (var suffix in new[] { "KIB", "KB", "K" })
                {
                    if (t.EndsWith(suffix, StringComparison.Ordinal)) { t = t.Substring(0, t.Length - suffix.Length); mult = 1024; break; }
                }
                if (int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n <= int.MaxValue / mult) return n * mult;
            }
            return inputData;
        }
    }

    /// <summary>Completes -PageSize with the arm64 page sizes.</summary>
    public sealed class PageSizeCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            foreach (var v in new[] { "4KB", "16KB", "64KB" })
                if (v.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
                    yield return new CompletionResult(v, v, CompletionResultType.ParameterValue, v + " pages");
        }
    }

    /// <summary>Completes -Profile with NodeConfig.ProfileNames.</summary>
    public sealed class ProfileCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            foreach (var name in Core.Node.NodeConfig.ProfileNames)
                if (name.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
                    yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, Core.Node.NodeConfig.DescribeProfile(name));
        }
    }

    /// <summary>Completes New-MemNode -Kernel with the kernel profiles (KernelProfile.All).</summary>
    public sealed class KernelCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            foreach (var k in Core.Node.KernelProfile.All)
                if (k.Version.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
                    yield return new CompletionResult(k.Version, k.Version, CompletionResultType.ParameterValue, k.Description);
        }
    }

    /// <summary>Completes -Name of the sysctl cmdlets with VmSysctl.Names: those the node's kernel has (the -Node given, else
    /// the current node), or every name when there is no node.</summary>
    public sealed class SysctlNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            string w = wordToComplete ?? "";
            var node = CompletionNode.Of(fakeBoundParameters);
            foreach (var e in Core.Sysctl.VmSysctl.Entries)
            {
                if (node != null && !Core.Sysctl.VmSysctl.Exists(node, e)) continue;
                string name = "vm." + e.Name;
                if (name.StartsWith(w, StringComparison.OrdinalIgnoreCase) || e.Name.StartsWith(w, StringComparison.OrdinalIgnoreCase))
                    yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, e.Allowed);
            }
        }
    }

    /// <summary>Completes node names from the runspace's registry.</summary>
    public sealed class NodeNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var registry = NodeRegistry.ForDefaultRunspace();
            if (registry == null) yield break;
            foreach (var n in registry.Nodes)
                if (n.Name.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
                    yield return new CompletionResult(n.Name, n.Name, CompletionResultType.ParameterValue, n.ToString());
        }
    }
}
