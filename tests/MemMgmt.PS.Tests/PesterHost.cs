using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;

namespace MemMgmt.PS.Tests
{
    /// <summary>One It as PesterLite reported it: Result is Passed, Failed, Skipped or NotRun (discovery only).</summary>
    public sealed record PesterTestResult(string Path, string Result, string? Message, string? StackTrace);

    /// <summary>The outcome of one test file; DiscoveryError is set when the file (or the module import) failed before any It ran.</summary>
    public sealed record PesterFileResult(string File, string? DiscoveryError, IReadOnlyList<PesterTestResult> Tests)
    {
        /// <summary>Finds an It by its "Describe > Context > It" path.</summary>
        public PesterTestResult? Find(string path) => Tests.FirstOrDefault(t => t.Path == path);
    }

    /// <summary>
    /// Hosts the real PowerShell engine (System.Management.Automation) and runs
    /// Pester files through PesterLite, the way a user's pwsh would: the module
    /// is imported from the assembled out/MemMgmt folder, not from bin/.
    /// </summary>
    public static class PesterHost
    {
        /// <summary>Repository root, baked in at build time so tests find out/ and tests/Pester wherever they run from.</summary>
        public static string RepoRoot { get; } = typeof(PesterHost).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;

        /// <summary>The manifest `dotnet build` assembles; importing it is what users do.</summary>
        public static string ModuleManifest => Path.Combine(RepoRoot, "out", "MemMgmt", "MemMgmt.psd1");

        /// <summary>The scenario files: tests/Pester/*.Tests.ps1.</summary>
        public static string PesterDirectory => Path.Combine(RepoRoot, "tests", "Pester");

        static string RunnerModule => Path.Combine(AppContext.BaseDirectory, "PesterLite", "PesterLite.psm1");

        // xunit runs classes in parallel; each file runs once, in its own runspace.
        static readonly ConcurrentDictionary<string, Lazy<PesterFileResult>> Runs = new(StringComparer.Ordinal);

        /// <summary>The cached full run (Discovery then Run) of a scenario file in tests/Pester.</summary>
        public static PesterFileResult RunScenario(string fileName) =>
            Runs.GetOrAdd(fileName, f => new Lazy<PesterFileResult>(() => Invoke(Path.Combine(PesterDirectory, f), discoveryOnly: false))).Value;

        /// <summary>
        /// Runs PesterLite on one file in a fresh runspace. Never throws: engine
        /// or import failures come back as DiscoveryError so they fail tests.
        /// </summary>
        public static PesterFileResult Invoke(string testFile, bool discoveryOnly, bool importModule = true)
        {
            var file = Path.GetFileName(testFile);
            try
            {
                using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
                runspace.Open();
                using var ps = PowerShell.Create(runspace);
                Import(ps, RunnerModule);
                if (importModule)
                {
                    Import(ps, ModuleManifest);
                }

                ps.AddCommand("Invoke-PesterLite").AddParameter("Path", testFile);
                if (discoveryOnly)
                {
                    ps.AddParameter("DiscoveryOnly");
                }

                var output = ps.Invoke();
                if (output.Count != 1)
                {
                    var errors = string.Join(Environment.NewLine, ps.Streams.Error.Select(e => e.ToString()));
                    return new PesterFileResult(file, $"PesterLite returned {output.Count} objects. {errors}", Array.Empty<PesterTestResult>());
                }

                var result = output[0];
                var discoveryError = result.Properties["DiscoveryError"].Value is PSObject de
                    ? $"{de.Properties["Message"].Value}{Environment.NewLine}{de.Properties["StackTrace"].Value}"
                    : null;
                var tests = ((IEnumerable<object>?)(result.Properties["Tests"].Value as object[]) ?? Array.Empty<object>())
                    .Select(o => PSObject.AsPSObject(o))
                    .Select(t => new PesterTestResult(
                        (string)t.Properties["Path"].Value,
                        (string)t.Properties["Result"].Value,
                        t.Properties["Message"].Value?.ToString(),
                        t.Properties["StackTrace"].Value?.ToString()))
                    .ToList();
                return new PesterFileResult(file, discoveryError, tests);
            }
            catch (Exception ex)
            {
                var record = (ex as IContainsErrorRecord)?.ErrorRecord;
                return new PesterFileResult(file, $"{ex.GetType().Name}: {ex.Message}{Environment.NewLine}{record?.ScriptStackTrace}", Array.Empty<PesterTestResult>());
            }
        }

        static void Import(PowerShell ps, string path)
        {
            ps.AddCommand("Import-Module").AddParameter("Name", path).AddParameter("ErrorAction", "Stop");
            ps.Invoke();
            ps.Commands.Clear();
        }
    }
}
