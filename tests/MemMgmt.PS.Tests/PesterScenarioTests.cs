using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace MemMgmt.PS.Tests
{
    /// <summary>
    /// Every It in tests/Pester/*.Tests.ps1 becomes one xunit test case. The
    /// member data runs PesterLite's Discovery phase only, so the list of cases
    /// is known (and pre-enumerated by xunit) before anything runs; each case
    /// then looks up its result in the cached full run of its file.
    /// </summary>
    public sealed class PesterScenarioTests
    {
        /// <summary>Path reported for a file that could not be discovered (parse error, failing import, throwing Describe body).</summary>
        public const string DiscoveryCase = "<discovery>";

        /// <summary>Its that will run (and the discovery failures).</summary>
        public static IEnumerable<object[]> Runnable() => Cases(skipped: false);

        /// <summary>Its marked -Skip (on themselves or an enclosing block).</summary>
        public static IEnumerable<object[]> Skipped() => Cases(skipped: true);

        static IEnumerable<object[]> Cases(bool skipped)
        {
            var files = Directory.Exists(PesterHost.PesterDirectory)
                ? Directory.GetFiles(PesterHost.PesterDirectory, "*.Tests.ps1").OrderBy(f => f, System.StringComparer.Ordinal)
                : Enumerable.Empty<string>();
            foreach (var path in files)
            {
                var discovered = PesterHost.Invoke(path, discoveryOnly: true);
                if (discovered.DiscoveryError != null)
                {
                    if (!skipped)
                    {
                        yield return new object[] { new PesterCase(discovered.File, DiscoveryCase) };
                    }

                    continue;
                }

                foreach (var test in discovered.Tests.Where(t => (t.Result == "Skipped") == skipped))
                {
                    yield return new object[] { new PesterCase(discovered.File, test.Path) };
                }
            }
        }

        /// <summary>Reports one Pester It: fails with the Pester message and script stack trace.</summary>
        [Theory(DisplayName = "Pester")]
        [MemberData(nameof(Runnable))]
        [MemberData(nameof(Skipped), Skip = "Skipped in Pester (-Skip)")]
        public void It(PesterCase it)
        {
            var (file, test) = (it.File, it.Path);
            var run = PesterHost.RunScenario(file);
            if (run.DiscoveryError != null)
            {
                Assert.Fail($"{file} failed before its tests ran:\n{run.DiscoveryError}");
            }

            Assert.NotEqual(DiscoveryCase, test);
            var result = run.Find(test);
            if (result == null)
            {
                Assert.Fail($"'{test}' was discovered but not found in the run of {file}; are the test names data-dependent?");
                return;
            }

            if (result.Result == "Failed")
            {
                Assert.Fail($"{result.Message}\n{result.StackTrace}");
            }

            Assert.True(result.Result is "Passed" or "Skipped", $"unexpected result {result.Result}");
        }
    }
}
