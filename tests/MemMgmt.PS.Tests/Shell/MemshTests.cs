using System;
using System.IO;
using Xunit;

namespace MemMgmt.PS.Tests.Shell
{
    /// <summary>memsh's contract with scripts: modes, output, error text and exit codes.</summary>
    public sealed class MemshTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "memsh-tests-" + Guid.NewGuid().ToString("N"));

        public MemshTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private string Script(string name, string text)
        {
            string path = Path.Combine(_dir, name);
            File.WriteAllText(path, text);
            return path;
        }

        [Fact]
        public void Command_success_prints_output_and_exits_0()
        {
            MemshResult r = Memsh.Run(null, "-Command", "'hello'; 1 + 1");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("hello\n2\n", r.Stdout);
        }

        [Fact]
        public void Short_c_joins_remaining_arguments_into_the_script()
        {
            MemshResult r = Memsh.Run(null, "-c", "'a'", "+", "'b'");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("ab\n", r.Stdout);
        }

        [Fact]
        public void Throw_exits_1_with_message_and_error_id_on_stderr()
        {
            MemshResult r = Memsh.Run(null, "-Command", "throw 'boom'; 'not reached'");
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.DoesNotContain("not reached", r.Stdout, StringComparison.Ordinal);
            Assert.Contains("boom", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("+ FullyQualifiedErrorId : boom", r.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public void Exit_statement_sets_the_exit_code()
        {
            MemshResult r = Memsh.Run(null, "-Command", "'before'; exit 7; 'after'");
            Assert.True(r.ExitCode == 7, r.ToString());
            Assert.Equal("before\n", r.Stdout);
        }

        [Fact]
        public void Unknown_command_exits_nonzero_with_CommandNotFoundException()
        {
            MemshResult r = Memsh.Run(null, "-Command", "Get-NoSuchThing");
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.Contains("Get-NoSuchThing", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("FullyQualifiedErrorId : CommandNotFoundException", r.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public void Exit_code_follows_the_last_statement_like_pwsh()
        {
            MemshResult r = Memsh.Run(null, "-Command", "Get-NoSuchThing; 'recovered'");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("recovered\n", r.Stdout);
        }

        [Fact]
        public void ThrowTerminatingError_shows_id_and_category_and_exits_1()
        {
            const string script =
                "function Test-Range { [CmdletBinding()] param() " +
                "$PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(" +
                "[System.ArgumentOutOfRangeException]::new('Order', 'Order 11 is out of range'), 'OrderOutOfRange', 'InvalidArgument', 11)) }; Test-Range";
            MemshResult r = Memsh.Run(null, "-Command", script);
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.Contains("Test-Range: Order 11 is out of range", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("+ CategoryInfo          : InvalidArgument", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("+ FullyQualifiedErrorId : OrderOutOfRange,Test-Range", r.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public void Parse_error_exits_1_and_names_the_error()
        {
            MemshResult r = Memsh.Run(null, "-Command", "if (");
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.Contains("ParserError:", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("IfStatementMissingCondition", r.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public void File_binds_named_switch_positional_and_remaining_args()
        {
            string path = Script("args.ps1",
                "param([int]$Count, [switch]$Force, [string]$Name = 'none')\n" +
                "\"Count=$Count Force=$Force Name=$Name Rest=$($args -join ',')\"\n");
            MemshResult r = Memsh.Run(null, "-File", path, "-Count", "5", "-Force", "node0", "x", "it's");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("Count=5 Force=True Name=node0 Rest=x,it's\n", r.Stdout);
        }

        [Fact]
        public void File_exit_and_throw_give_exit_codes()
        {
            MemshResult exit = Memsh.Run(null, "-File", Script("exit.ps1", "'x'\nexit 3\n'y'\n"));
            Assert.True(exit.ExitCode == 3, exit.ToString());
            Assert.Equal("x\n", exit.Stdout);

            MemshResult thrown = Memsh.Run(null, "-File", Script("throw.ps1", "throw 'bad'\n"));
            Assert.True(thrown.ExitCode == 1, thrown.ToString());
            Assert.Contains("throw.ps1:1", thrown.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public void File_with_parse_error_reports_file_and_line()
        {
            MemshResult r = Memsh.Run(null, "-File", Script("broken.ps1", "'ok'\nif (\n"));
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.Contains("broken.ps1:2 char:", r.Stderr, StringComparison.Ordinal);
            Assert.Equal(string.Empty, r.Stdout);
        }

        [Fact]
        public void Piped_stdin_runs_each_chunk_including_multiline_ones()
        {
            MemshResult r = Memsh.Run("'first'\nfunction f {\n  'inside'\n}\nf\nGet-NoSuchThing\n'last'\n");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("first\ninside\nlast\n", r.Stdout);
            Assert.Contains("CommandNotFoundException", r.Stderr, StringComparison.Ordinal);
        }

        [Fact]
        public void Piped_stdin_honours_exit()
        {
            MemshResult r = Memsh.Run("'a'\nexit 4\n'b'\n");
            Assert.True(r.ExitCode == 4, r.ToString());
            Assert.Equal("a\n", r.Stdout);
        }

        [Fact]
        public void Objects_are_formatted_by_Out_Default_with_format_views()
        {
            MemshResult r = Memsh.Run(null, "-Command", "Get-Command Get-Command");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Matches(@"CommandType\s+Name\s+Version\s+Source", r.Stdout);
            Assert.Contains("Microsoft.PowerShell.Core", r.Stdout, StringComparison.Ordinal);
        }

        [Fact]
        public void MemMgmt_module_is_imported()
        {
            MemshResult r = Memsh.Run(null, "-Command", "[bool](Get-Module MemMgmt, MemMgmt.PS)");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("True\n", r.Stdout);
        }

        [Fact]
        public void Help_prints_usage()
        {
            MemshResult r = Memsh.Run(null, "-?");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("memsh -Command", r.Stdout, StringComparison.Ordinal);
        }
    }
}
