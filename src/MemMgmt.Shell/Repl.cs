using System;
using System.IO;
using System.Text;

namespace MemMgmt.Shell
{
    /// <summary>
    /// The read-eval loop. Lines are gathered until the parser says the input is complete
    /// (an open `{` continues on the next line), then run as one chunk. Interactive use goes
    /// through the line editor; redirected stdin is read plainly, with no prompt.
    /// </summary>
    internal sealed class Repl
    {
        private const string Prompt = "memsh PS> ";
        private const string ContinuationPrompt = ">> ";
        private readonly ScriptRunner _runner;

        public Repl(ScriptRunner runner) => _runner = runner;

        public int RunInteractive()
        {
            var editor = new LineEditor(_runner.Complete, LineEditor.DefaultHistoryFile());
            Console.Out.WriteLine("memsh (PowerShell " + typeof(System.Management.Automation.PowerShell).Assembly.GetName().Version +
                ", MemMgmt). Tab completes; Ctrl+C stops; Ctrl+D or exit leaves.");
            var chunk = new StringBuilder();
            while (true)
            {
                string? line = editor.ReadLine(chunk.Length == 0 ? Prompt : ContinuationPrompt);
                if (line == null)
                {
                    if (chunk.Length > 0)
                    {
                        chunk.Clear();
                        continue;
                    }
                    Console.Out.WriteLine();
                    return 0;
                }
                if (line == LineEditor.Cancelled)
                {
                    chunk.Clear();
                    continue;
                }
                chunk.Append(line).Append('\n');
                string text = chunk.ToString();
                if (ScriptRunner.IsIncomplete(text)) continue;
                chunk.Clear();
                if (text.Trim().Length == 0) continue;
                editor.AddHistory(text.TrimEnd('\n'));
                _runner.Run(text);
                if (_runner.Host.ShouldExit) return _runner.Host.ExitCode;
            }
        }

        /// <summary>
        /// `echo 'Get-Command' | memsh`: every complete chunk runs as it arrives; a failure does
        /// not stop later lines (as at a prompt). The exit code follows -Command rules for the last chunk.
        /// </summary>
        public static int RunRedirected(ScriptRunner runner, TextReader input)
        {
            var chunk = new StringBuilder();
            RunOutcome last = RunOutcome.Succeeded;
            string? line;
            while ((line = input.ReadLine()) != null)
            {
                chunk.Append(line).Append('\n');
                string text = chunk.ToString();
                if (ScriptRunner.IsIncomplete(text)) continue;
                chunk.Clear();
                if (text.Trim().Length == 0) continue;
                last = runner.Run(text);
                if (runner.Host.ShouldExit) return runner.Host.ExitCode;
            }
            if (chunk.ToString().Trim().Length > 0) last = runner.Run(chunk.ToString());
            return Program.CommandExitCode(runner, last);
        }
    }
}
