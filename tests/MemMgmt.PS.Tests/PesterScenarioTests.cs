using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace MemMgmt.PS.Tests
{
    /// <summary>
    /// Every It in tests/Pester/*.Tests.ps1 becomes one xunit test case. The
    /// member data runs Pester's Discovery only (Run.SkipRun, all files in one
    /// runspace), so the list of cases is known (and pre-enumerated by xunit)
    /// before anything runs; each case then looks up its result in the cached
    /// run of its file, which runs with Invoke-Pester in a fresh runspace.
    /// </summary>
    public sealed class PesterScenarioTests
    {
        /// <summary>Path reported for a file that could not be discovered (parse error, throwing Describe body).</summary>
        public const string DiscoveryCase = "<discovery>";

        /// <summary>Its that will run (and the discovery failures).</summary>
        public static IEnumerable<object[]> Runnable() => Cases(skipped: false);

        /// <summary>Its marked -Skip (on themselves or an enclosing block).</summary>
        public static IEnumerable<object[]> Skipped() => Cases(skipped: true);

        static readonly Lazy<IReadOnlyList<PesterFileResult>> Discovery = new(() =>
            PesterHost.Invoke(
                Directory.Exists(PesterHost.PesterDirectory)
                    ? Directory.GetFiles(PesterHost.PesterDirectory, "*.Tests.ps1").OrderBy(f => f, StringComparer.Ordinal).ToList()
                    : new List<string>(),
                discoveryOnly: true));

        static IEnumerable<object[]> Cases(bool skipped)
        {
            foreach (var discovered in Discovery.Value)
            {
                if (discovered.Error != null)
                {
                    if (!skipped)
                    {
                        yield return new object[] { new PesterCase(discovered.File, DiscoveryCase, DiscoveryCase) };
                    }

                    continue;
                }

                foreach (var test in discovered.Tests.Where(t => (t.Result == "Skipped") == skipped))
                {
                    yield return new object[] { new PesterCase(discovered.File, test.Key, test.Path) };
                }
            }
        }

        /// <summary>Reports one Pester It: fails with the Pester message and script stack trace.</summary>
        [Theory(DisplayName = "Pester")]
        [MemberData(nameof(Runnable))]
        [MemberData(nameof(Skipped), Skip = "Skipped in Pester (-Skip)")]
        public void It(PesterCase it)
        {
            var (file, test) = (it.File, it.Key);
            var run = PesterHost.RunScenario(file);
            if (run.Error != null)
            {
                Assert.Fail($"{file} failed before its tests ran:\n{run.Error}");
            }

            Assert.NotEqual(DiscoveryCase, test);
            var result = run.Find(test);
            if (result == null)
            {
                Assert.Fail($"'{test}' was discovered but not found in the run of {file}; do its blocks or tests depend on data that changes between discovery and run?");
                return;
            }

            if (result.Result == "Failed")
            {
                Assert.Fail($"{result.Message}\n{result.StackTrace}");
            }

            // Skipped here is Set-ItResult -Skipped at run time; -Skip is known at discovery and skipped by xunit.
            Assert.True(result.Result is "Passed" or "Skipped", $"'{test}' was not run (result {result.Result})");
        }
    }
}
