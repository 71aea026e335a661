using System;

namespace MemMgmt.Shell
{
    /// <summary>Entry point: parse the command line, start the engine, dispatch to a mode.</summary>
    internal static class Program
    {
        private static int Main(string[] args)
        {
            CommandLine cl = CommandLine.Parse(args);
            if (cl.Error != null)
            {
                Console.Error.WriteLine(cl.Error);
                return 64;
            }
            if (cl.Mode == ShellMode.Help)
            {
                Console.Out.WriteLine(CommandLine.Usage);
                return 0;
            }

            var host = new MemHost();
            string? manifest = ModuleLocator.Find();
            ModuleLocator.AddToModulePath(manifest);
            using var runner = new ScriptRunner(host, manifest);
            bool interactive = cl.Mode == ShellMode.Interactive && ConsoleInfo.InputIsTerminal && ConsoleInfo.OutputIsTerminal;
            // Ctrl+C while a pipeline runs stops that pipeline; an interactive shell never dies of it.
            Console.CancelKeyPress += (sender, e) =>
            {
                if (runner.IsBusy) runner.Stop();
                e.Cancel = runner.IsBusy || interactive;
            };
            runner.ImportModule(manifest);

            switch (cl.Mode)
            {
                case ShellMode.Command when cl.Script == "-":
                    return Repl.RunRedirected(runner, Console.In);
                case ShellMode.Command:
                    return CommandExitCode(runner, runner.Run(cl.Script));
                case ShellMode.File:
                    return runner.RunFile(cl.FilePath, cl.FileArgs);
                default:
                    // The line editor needs a terminal on both sides; otherwise read lines plainly.
                    return interactive
                        ? new Repl(runner).RunInteractive()
                        : Repl.RunRedirected(runner, Console.In);
            }
        }

        /// <summary>pwsh -Command rules: `exit N` wins, else 0 only when $? was true at the end.</summary>
        internal static int CommandExitCode(ScriptRunner runner, RunOutcome outcome)
        {
            if (runner.Host.ShouldExit) return runner.Host.ExitCode;
            return outcome == RunOutcome.Succeeded ? 0 : 1;
        }
    }
}
