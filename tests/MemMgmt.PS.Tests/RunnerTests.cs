using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace MemMgmt.PS.Tests
{
    /// <summary>
    /// Tests of PesterLite itself, on small inline Pester files: a runner that
    /// cannot fail proves nothing, so these check that failures, messages,
    /// scoping and data expansion behave as in Pester 5.
    /// </summary>
    public sealed class RunnerTests
    {
        /// <summary>Writes <paramref name="script"/> to a fresh temp dir and runs it (without importing MemMgmt).</summary>
        static PesterFileResult Run(string script, bool discoveryOnly = false)
        {
            var dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "pesterlite-" + Guid.NewGuid().ToString("N")));
            var file = Path.Combine(dir.FullName, "Inline.Tests.ps1");
            File.WriteAllText(file, script);
            try
            {
                return PesterHost.Invoke(file, discoveryOnly, importModule: false);
            }
            finally
            {
                dir.Delete(recursive: true);
            }
        }

        static PesterTestResult Single(PesterFileResult run, string path)
        {
            Assert.Null(run.DiscoveryError);
            var result = run.Find(path);
            Assert.True(result != null, $"no test '{path}' in: {string.Join(", ", run.Tests.Select(t => t.Path))}");
            return result!;
        }

        [Fact]
        public void FailingShouldFailsWithPesterMessageAndStack()
        {
            var run = Run("Describe 'd' {\n  It 'fails' {\n    3 | Should -Be 4\n  }\n  It 'passes' { 4 | Should -Be 4 }\n}\n");
            var failed = Single(run, "d > fails");
            Assert.Equal("Failed", failed.Result);
            Assert.Equal("Expected 4, but got 3.", failed.Message);
            Assert.Contains("Inline.Tests.ps1: line 3", failed.StackTrace);
            Assert.DoesNotContain("PesterLite.psm1", failed.StackTrace);
            Assert.Equal("Passed", Single(run, "d > passes").Result);
        }

        /// <summary>Assertion, and the Pester message it must fail with (null: it must pass).</summary>
        public static readonly TheoryData<string, string?> Assertions = new()
        {
            { "1 | Should -Be 1", null },
            { "'a' | Should -Be 'A'", null },
            { "'a' | Should -BeExactly 'A'", "Expected exactly 'A', but got 'a'." },
            { "1 | Should -Not -Be 1", "Expected 1 to be different from the actual value, but got the same value." },
            { "@(1, 2) | Should -Be @(1, 2)", null },
            { "@(1, 2) | Should -Be @(1, 3)", "Expected @(1, 3), but got @(1, 2)." },
            { "$null | Should -Be $null", null },
            { "@() | Should -Be $null", null },
            { "$null | Should -Be ''", "Expected '', but got $null." },
            { "4 | Should -Be 3 -Because 'two and two'", "Expected 3, because two and two, but got 4." },
            { "'abc' | Should -Be 'abd'", "Expected strings to be the same, but they were different.\nExpected length: 3\nActual length:   3\nStrings differ at index 2.\nExpected: 'abd'\nBut was:  'abc'" },
            { "$null | Should -BeNullOrEmpty", null },
            { "@() | Should -BeNullOrEmpty", null },
            { "'x' | Should -BeNullOrEmpty", "Expected $null or empty, but got 'x'." },
            { "'' | Should -Not -BeNullOrEmpty", "Expected a value, but got $null or empty." },
            { "$false | Should -BeTrue", "Expected $true, but got $false." },
            { "$true | Should -BeFalse", "Expected $false, but got $true." },
            { "$true | Should -Not -BeTrue", "Expected $false, but got $true." },
            { "2 | Should -BeGreaterThan 3", "Expected the actual value to be greater than 3, but got 2." },
            { "4 | Should -BeLessThan 3", "Expected the actual value to be less than 3, but got 4." },
            { "3 | Should -BeGreaterOrEqual 3", null },
            { "3 | Should -BeLessOrEqual 2", "Expected the actual value to be less than or equal to 2, but got 3." },
            { "4 | Should -Not -BeGreaterThan 3", "Expected the actual value to be less than or equal to 3, but got 4." },
            { "'hello' | Should -Match '^h.l'", null },
            { "'hello' | Should -Match '^x'", "Expected regular expression '^x' to match 'hello', but it did not match." },
            { "'Hello' | Should -MatchExactly '^h'", "Expected regular expression '^h' to case sensitively match 'Hello', but it did not match." },
            { "'hello' | Should -Not -Match 'ell'", "Expected regular expression 'ell' to not match 'hello', but it did match." },
            { "'Node0' | Should -BeLike 'node*'", null },
            { "'Node0' | Should -BeLike 'zone*'", "Expected like wildcard 'zone*' to match 'Node0', but it did not match." },
            { "1, 2, 3 | Should -Contain 2", null },
            { "1, 2, 3 | Should -Contain 5", "Expected 5 to be found in collection @(1, 2, 3), but it was not found." },
            { "1, 2, 3 | Should -Not -Contain 2", "Expected 2 to not be found in collection @(1, 2, 3), but it was found." },
            { "2 | Should -BeIn 1, 2", null },
            { "5 | Should -BeIn 1, 2", "Expected collection @(1, 2) to contain 5, but it was not found." },
            { "'x' | Should -BeOfType [string]", null },
            { "5 | Should -BeOfType ([System.ValueType])", null },
            { "5 | Should -BeOfType System.String", "Expected the value to have type [System.String] or any of its subtypes, but got 5 with type [System.Int32]." },
            { "1, 2 | Should -HaveCount 2", null },
            { "1, 2 | Should -HaveCount 3", "Expected a collection with size 3, but got collection with size 2 @(1, 2)." },
            { "@() | Should -HaveCount 0", null },
            { "$PSCommandPath | Should -Exist", null },
            { "'/no/such/file' | Should -Exist", "Expected path '/no/such/file' to exist, but it did not exist." },
            { "{ throw 'boom' } | Should -Throw", null },
            { "{ 1 } | Should -Throw", "Expected an exception to be thrown, but no exception was thrown." },
            { "{ throw 'boom' } | Should -Throw 'bo*'", null },
            { "{ throw 'boom' } | Should -Throw -ExpectedMessage 'bang'", "Expected an exception with message like 'bang' to be thrown, but the message was 'boom'." },
            { "{ throw [ArgumentException]::new('bad') } | Should -Throw -ExceptionType ([ArgumentException])", null },
            { "{ throw 'boom' } | Should -Throw -ExceptionType ([ArgumentException])", "Expected an exception of type [System.ArgumentException] to be thrown, but got [System.Management.Automation.RuntimeException]: 'boom'." },
            // Pester matches -ErrorId as 'like *id*' on FullyQualifiedErrorId ("Id,Command" for cmdlets).
            { "{ Import-Module /no/such.psd1 -ErrorAction Stop } | Should -Throw -ErrorId 'Modules_ModuleNotFound'", null },
            { "{ Fail-WithId } | Should -Throw -ErrorId 'MemMgmt.BadOrder'", null },
            { "{ Fail-WithId } | Should -Throw -ErrorId 'MemMgmt.Other'", "Expected an exception with FullyQualifiedErrorId 'MemMgmt.Other' to be thrown, but got 'MemMgmt.BadOrder,Fail-WithId'." },
            { "{ 1 } | Should -Not -Throw", null },
            { "Get-Command Fail-WithId | Should -HaveParameter Verbose -Type ([switch])", null },
            { "Get-Command Import-Module | Should -HaveParameter Name -Type string[]", null },
            { "Get-Command Fail-WithId | Should -HaveParameter Order -Mandatory", "Expected command Fail-WithId to have a mandatory parameter Order, but the parameter is missing." },
            { "Get-Command Test-ModuleManifest | Should -HaveParameter Path -Type int -Mandatory", "Expected command Test-ModuleManifest to have a mandatory parameter Path of type [int], but it was of type [System.String]." },
            { "Get-Command Fail-WithId | Should -Not -HaveParameter Verbose", "Expected command Fail-WithId to not have a parameter Verbose, but it had the parameter." },
            { "$e = { Fail-WithId } | Should -Throw -PassThru; $e.CategoryInfo.Category | Should -Be 'InvalidArgument'", null },
        };

        static readonly Lazy<PesterFileResult> AssertionRun = new(() =>
        {
            var its = Assertions.Select((row, i) => $"  It 'a{i}' {{ {row[0]} }}");
            return Run(
                "BeforeAll {\n  function Fail-WithId { [CmdletBinding()] param()\n" +
                "    $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new([ArgumentException]::new('bad order'), 'MemMgmt.BadOrder', 'InvalidArgument', 11)) }\n}\n" +
                "Describe 'Should' {\n" + string.Join("\n", its) + "\n}\n");
        });

        [Theory]
        [MemberData(nameof(Assertions))]
        public void ShouldOperatorsPassOrFailLikePester(string assertion, string? expectedMessage)
        {
            var index = Assertions.Select(r => (string)r[0]).ToList().IndexOf(assertion);
            var result = Single(AssertionRun.Value, $"Should > a{index}");
            Assert.True(
                result.Result == (expectedMessage == null ? "Passed" : "Failed"),
                $"{assertion} => {result.Result}: {result.Message}\n{result.StackTrace}");
            Assert.Equal(expectedMessage, result.Message);
        }

        [Fact]
        public void ForEachExpandsNamesAndProvidesData()
        {
            var run = Run(
                "Describe 'order <Order>' -ForEach @(@{ Order = 0 }, @{ Order = 3 }) {\n" +
                "  It 'allocates <Count> at order <Order> (<Name.Length>)' -TestCases @(@{ Count = 1; Name = 'ab' }, @{ Count = 2; Name = 'abc' }) {\n" +
                "    $Count | Should -BeIn 1, 2; $_.Count | Should -Be $Count; $Order | Should -BeIn 0, 3 }\n" +
                "  It 'item <_>' -ForEach 'x', 'y' { $_ | Should -BeIn 'x', 'y' }\n" +
                "}\n");
            Assert.Null(run.DiscoveryError);
            Assert.Equal(
                new[]
                {
                    "order 0 > allocates 1 at order 0 (2)", "order 0 > allocates 2 at order 0 (3)", "order 0 > item x", "order 0 > item y",
                    "order 3 > allocates 1 at order 3 (2)", "order 3 > allocates 2 at order 3 (3)", "order 3 > item x", "order 3 > item y",
                },
                run.Tests.Select(t => t.Path));
            Assert.All(run.Tests, t => Assert.Equal("Passed", t.Result));
        }

        [Fact]
        public void BlocksRunInPesterOrderWithPesterScoping()
        {
            var run = Run(
                "BeforeAll { $log = [System.Collections.Generic.List[string]]::new(); $rootRoot = $PSScriptRoot }\n" +
                "Describe 'd' {\n" +
                "  BeforeAll { $log.Add('BA d'); $inD = 1 }\n" +
                "  BeforeEach { $log.Add('BE d'); $each = 'e' }\n" +
                "  AfterEach { $log.Add('AE d') }\n" +
                "  AfterAll { $log.Add('AA d') }\n" +
                "  $bodyVar = 'only during discovery'\n" +
                "  It 'i1' { $log.Add('i1'); $bodyVar | Should -BeNullOrEmpty; $inD | Should -Be 1; $each | Should -Be 'e'; $leak = 1 }\n" +
                "  Context 'c' {\n" +
                "    BeforeAll { $log.Add('BA c'); $inC = 1 }\n" +
                "    BeforeEach { $log.Add('BE c') }\n" +
                "    AfterEach { $log.Add('AE c') }\n" +
                "    AfterAll { $log.Add('AA c') }\n" +
                "    It 'i2' { $log.Add('i2'); $inD | Should -Be 1; $inC | Should -Be 1 }\n" +
                "  }\n" +
                "  It 'i3' {\n" +
                "    $inC | Should -BeNullOrEmpty; $leak | Should -BeNullOrEmpty\n" +
                "    $rootRoot | Should -Be $PSScriptRoot; [System.IO.Path]::GetFileName($PSCommandPath) | Should -Be 'Inline.Tests.ps1'\n" +
                "    ($log -join ',') | Should -Be 'BA d,BE d,i1,AE d,BA c,BE d,BE c,i2,AE c,AE d,AA c,BE d' }\n" +
                "}\n");
            Assert.Null(run.DiscoveryError);
            Assert.All(run.Tests, t => Assert.True(t.Result == "Passed", $"{t.Path}: {t.Message}\n{t.StackTrace}"));
            Assert.Equal(3, run.Tests.Count);
        }

        [Fact]
        public void DiscoveryRunsBodiesButNotItsOrBeforeAll()
        {
            var marker = Path.Combine(Path.GetTempPath(), "pesterlite-marker-" + Guid.NewGuid().ToString("N"));
            var run = Run(
                $"BeforeDiscovery {{ $cases = 1, 2 }}\n" +
                $"Describe 'd' {{\n  BeforeAll {{ [System.IO.File]::WriteAllText('{marker}', 'ba') }}\n" +
                $"  It 'x<_>' -ForEach $cases {{ [System.IO.File]::WriteAllText('{marker}', 'it') }}\n  It 'skipped' -Skip {{ }}\n}}\n",
                discoveryOnly: true);
            Assert.False(File.Exists(marker));
            Assert.Equal(new[] { "d > x1", "d > x2", "d > skipped" }, run.Tests.Select(t => t.Path));
            Assert.Equal(new[] { "NotRun", "NotRun", "Skipped" }, run.Tests.Select(t => t.Result));
        }

        [Fact]
        public void FailuresOutsideItsFailTheirTests()
        {
            var run = Run(
                "Describe 'broken setup' {\n  BeforeAll { throw 'no node' }\n  It 'a' { }\n  Context 'c' { It 'b' { } }\n}\n" +
                "Describe 'broken teardown' {\n  AfterAll { throw 'leak' }\n  It 'a' { }\n  It 'z' { }\n}\n" +
                "Describe 'skips' -Skip {\n  It 's' { throw 'must not run' }\n}\n" +
                "Describe 'runtime skip' {\n  It 'r' { Set-ItResult -Skipped -Because 'not yet'; throw 'must not run' }\n}\n");
            Assert.Equal("BeforeAll failed: RuntimeException: no node", Single(run, "broken setup > a").Message);
            Assert.Equal("Failed", Single(run, "broken setup > c > b").Result);
            Assert.Equal("Passed", Single(run, "broken teardown > a").Result);
            Assert.Equal("AfterAll failed: RuntimeException: leak", Single(run, "broken teardown > z").Message);
            Assert.Equal("Skipped", Single(run, "skips > s").Result);
            Assert.Equal("Skipped", Single(run, "runtime skip > r").Result);
        }

        [Fact]
        public void EmptyForEachIsAnErrorUnlessAllowed()
        {
            Assert.Contains("-ForEach of 'x' is null or empty", Run("Describe 'd' { It 'x' -ForEach @() { } }").DiscoveryError);
            var allowed = Run("Describe 'd' { It 'x' -ForEach $null -AllowNullOrEmptyForEach { }; It 'y' { } }");
            Assert.Equal(new[] { "d > y" }, allowed.Tests.Select(t => t.Path));
        }

        [Fact]
        public void DuplicateNamesAreNumbered()
        {
            var run = Run("Describe 'd' { It 'same' { }; It 'same' { 1 | Should -Be 2 } }");
            Assert.Equal(new[] { "d > same", "d > same #2" }, run.Tests.Select(t => t.Path));
            Assert.Equal("Failed", Single(run, "d > same #2").Result);
        }

        [Fact]
        public void ParseErrorsAndThrowingBodiesAreDiscoveryErrors()
        {
            Assert.Contains("Inline.Tests.ps1", Run("Describe 'd' {\n  It 'x' { \n").DiscoveryError);
            Assert.Contains("RuntimeException: body broke", Run("Describe 'd' { throw 'body broke' }").DiscoveryError);
        }
    }
}
