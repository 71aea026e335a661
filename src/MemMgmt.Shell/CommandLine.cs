using System;
using System.Collections.Generic;

namespace MemMgmt.Shell
{
    /// <summary>What memsh was asked to do.</summary>
    internal enum ShellMode
    {
        Interactive,
        Command,
        File,
        Help,
    }

    /// <summary>
    /// memsh's command line, modelled on pwsh's: -Command/-c takes the rest of the line as
    /// script text, -File takes a path and hands everything after it to the script.
    /// Parameter names are case-insensitive and may be abbreviated to a unique prefix.
    /// </summary>
    internal sealed class CommandLine
    {
        public ShellMode Mode { get; private set; } = ShellMode.Interactive;

        public string Script { get; private set; } = string.Empty;

        public string FilePath { get; private set; } = string.Empty;

        public string[] FileArgs { get; private set; } = Array.Empty<string>();

        public string? Error { get; private set; }

        public const string Usage =
@"memsh - a PowerShell console with the MemMgmt module (Linux 4.14 arm64 memory management simulation)

Usage:
  memsh                              interactive shell (reads script lines from stdin when it is not a terminal)
  memsh -Command '<script>'          run script text and exit (-c; '-' reads the script from stdin)
  memsh -File <script.ps1> [args]    run a script file; args bind to its param() block and $args
  memsh -Help | -?                   this text

Options accepted and ignored for pwsh compatibility: -NoProfile, -NoLogo, -NonInteractive.

Exit code: exit N in the script gives N; otherwise 1 after a terminating error (or, for
-Command, when the last statement failed), else 0.
Environment: MEMMGMT_MODULE_PATH overrides the module location; NO_COLOR disables colour;
MEMSH_HISTORY sets the history file (default ~/.memsh_history, empty to disable).";

        private static readonly string[] Known = { "command", "file", "help", "noprofile", "nologo", "noninteractive" };

        public static CommandLine Parse(IReadOnlyList<string> args)
        {
            var cl = new CommandLine();
            for (int i = 0; i < args.Count; i++)
            {
                string a = args[i];
                string name = a.TrimStart('-', '/');
                if (a == "-?" || a == "/?" || a == "-h" || a == "--help")
                {
                    cl.Mode = ShellMode.Help;
                    return cl;
                }
                if (!a.StartsWith('-'))
                {
                    // pwsh treats a bare first argument as a file to run.
                    cl.SetFile(args, i);
                    return cl;
                }
                string? match = string.Equals(name, "c", StringComparison.OrdinalIgnoreCase) ? "command" : Resolve(name);
                switch (match)
                {
                    case "command":
                        if (i + 1 >= args.Count)
                        {
                            cl.Error = "memsh: -Command needs script text.";
                            return cl;
                        }
                        cl.Mode = ShellMode.Command;
                        cl.Script = string.Join(" ", Slice(args, i + 1));
                        return cl;
                    case "file":
                        if (i + 1 >= args.Count)
                        {
                            cl.Error = "memsh: -File needs a script path.";
                            return cl;
                        }
                        cl.SetFile(args, i + 1);
                        return cl;
                    case "help":
                        cl.Mode = ShellMode.Help;
                        return cl;
                    case "noprofile":
                    case "nologo":
                    case "noninteractive":
                        break;
                    default:
                        cl.Error = "memsh: unknown option '" + a + "'. Try memsh -Help.";
                        return cl;
                }
            }
            return cl;
        }

        private void SetFile(IReadOnlyList<string> args, int at)
        {
            Mode = ShellMode.File;
            FilePath = args[at];
            FileArgs = Slice(args, at + 1);
        }

        private static string? Resolve(string name)
        {
            if (name.Length == 0) return null;
            string? found = null;
            foreach (string k in Known)
            {
                if (!k.StartsWith(name, StringComparison.OrdinalIgnoreCase)) continue;
                if (k.Length == name.Length) return k;
                if (found != null) return null;
                found = k;
            }
            return found;
        }

        private static string[] Slice(IReadOnlyList<string> args, int from)
        {
            var r = new string[Math.Max(0, args.Count - from)];
            for (int i = 0; i < r.Length; i++) r[i] = args[from + i];
            return r;
        }
    }
}
