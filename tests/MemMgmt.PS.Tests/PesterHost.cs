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
    /// <summary>
    /// One It as Pester reported it: Path is "Describe > Context > It" as Pester expanded the names,
    /// Key the same path of the unexpanded names (numbered where it repeats), which is stable between
    /// discovery and run. Result is Passed, Failed, Skipped or NotRun (discovery only).
    /// </summary>
    public sealed record PesterTestResult(string Path, string Key, string Result, string? Message, string? StackTrace);

    /// <summary>The outcome of one test file; Error is set when the file itself failed (parse error, throwing Describe body, top-level BeforeAll).</summary>
    public sealed record PesterFileResult(string File, string? Error, IReadOnlyList<PesterTestResult> Tests)
    {
        /// <summary>Finds an It by its key.</summary>
        public PesterTestResult? Find(string key) => Tests.FirstOrDefault(t => t.Key == key);
    }

    /// <summary>
    /// Hosts the PowerShell engine (Microsoft.PowerShell.SDK) and runs Pester files with the
    /// real Invoke-Pester from the Pester NuGet package, the way a user's pwsh would: the
    /// test files import the module from the assembled out/MemMgmt folder, not from bin/.
    /// </summary>
    public static class PesterHost
    {
        static string Metadata(string key) => typeof(PesterHost).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

        /// <summary>Repository root, baked in at build time so tests find out/ and tests/Pester wherever they run from.</summary>
        public static string RepoRoot { get; } = Metadata("RepoRoot");

        /// <summary>Pester.psd1 in the restored Pester package (its tools/ folder).</summary>
        public static string PesterManifest { get; } = Metadata("PesterManifest");

        /// <summary>The manifest `dotnet build` assembles; importing it is what users do.</summary>
        public static string ModuleManifest => Path.Combine(RepoRoot, "out", "MemMgmt", "MemMgmt.psd1");

        /// <summary>The scenario files: tests/Pester/*.Tests.ps1.</summary>
        public static string PesterDirectory => Path.Combine(RepoRoot, "tests", "Pester");

        static string BridgeScript => Path.Combine(AppContext.BaseDirectory, "Invoke-PesterFile.ps1");

        // xunit runs classes in parallel; each file runs once, in its own runspace.
        static readonly ConcurrentDictionary<string, Lazy<PesterFileResult>> Runs = new(StringComparer.Ordinal);

        /// <summary>The cached run of a scenario file in tests/Pester, in a fresh runspace.</summary>
        public static PesterFileResult RunScenario(string fileName) =>
            Runs.GetOrAdd(fileName, f => new Lazy<PesterFileResult>(() => Invoke(new[] { Path.Combine(PesterDirectory, f) }, discoveryOnly: false).Single())).Value;

        /// <summary>
        /// Runs Invoke-Pester on <paramref name="testFiles"/> in one fresh runspace and returns one
        /// result per file. Never throws: an engine or Pester failure comes back as each file's Error.
        /// </summary>
        public static IReadOnlyList<PesterFileResult> Invoke(IReadOnlyList<string> testFiles, bool discoveryOnly)
        {
            try
            {
                using var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
                runspace.Open();
                using var ps = PowerShell.Create(runspace);
                ps.AddCommand(BridgeScript)
                    .AddParameter("PesterManifest", PesterManifest)
                    .AddParameter("Path", testFiles.ToArray());
                if (discoveryOnly)
                {
                    ps.AddParameter("DiscoveryOnly");
                }

                var output = ps.Invoke();
                var results = output.Select(Convert).ToList();
                var missing = testFiles.Select(Path.GetFileName).Except(results.Select(r => r.File)).ToList();
                if (missing.Count > 0)
                {
                    var errors = string.Join(Environment.NewLine, ps.Streams.Error.Select(e => $"{e}{Environment.NewLine}{e.ScriptStackTrace}"));
                    results.AddRange(missing.Select(f => new PesterFileResult(f!, $"Invoke-Pester returned no result for {f}. {errors}", Array.Empty<PesterTestResult>())));
                }

                return results;
            }
            catch (Exception ex)
            {
                var record = (ex as IContainsErrorRecord)?.ErrorRecord;
                var error = $"{ex.GetType().Name}: {ex.Message}{Environment.NewLine}{record?.ScriptStackTrace}";
                return testFiles.Select(f => new PesterFileResult(Path.GetFileName(f), error, Array.Empty<PesterTestResult>())).ToList();
            }
        }

        static PesterFileResult Convert(PSObject result)
        {
            var tests = ((object[]?)result.Properties["Tests"].Value ?? Array.Empty<object>())
                .Select(PSObject.AsPSObject)
                .Select(t => new PesterTestResult(
                    (string)t.Properties["Path"].Value,
                    (string)t.Properties["Key"].Value,
                    (string)t.Properties["Result"].Value,
                    t.Properties["Message"].Value?.ToString(),
                    t.Properties["StackTrace"].Value?.ToString()))
                .ToList();
            return new PesterFileResult((string)result.Properties["File"].Value, result.Properties["Error"].Value?.ToString(), tests);
        }
    }
}
