using System;
using System.Collections.ObjectModel;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using System.Text;

namespace MemMgmt.Shell
{
    /// <summary>How one chunk of input ended; decides the exit code and the REPL's next step.</summary>
    internal enum RunOutcome
    {
        /// <summary>Ran, and $? was true after the last statement.</summary>
        Succeeded,
        /// <summary>Ran to the end, but the last statement failed ($? false).</summary>
        Failed,
        /// <summary>A terminating error (throw, ThrowTerminatingError, parse error).</summary>
        Terminated,
        /// <summary>Ctrl+C stopped the pipeline.</summary>
        Stopped,
    }

    /// <summary>
    /// Owns the runspace (the real engine, Core cmdlets, MemMgmt imported) and runs text in it
    /// the way an interactive console does: each chunk is `&lt;script&gt; | Out-Default`, in global
    /// scope, errors printed as they are written, terminating errors caught and printed.
    /// </summary>
    internal sealed class ScriptRunner : IDisposable
    {
        /// <summary>Global variable that carries $? out of the user's script block.</summary>
        private const string StatusVariable = "__memshLastStatus";

        private readonly MemHost _host;
        private readonly Runspace _runspace;
        private readonly object _gate = new object();
        private PowerShell? _current;

        public ScriptRunner(MemHost host, string? manifest)
        {
            _host = host;
            string? formats = FormatsNotInManifest(manifest);
            try
            {
                _runspace = OpenRunspace(host, formats);
            }
            catch (RuntimeException e) when (formats != null)
            {
                // A broken Format.ps1xml must be visible, but should not stop the shell.
                host.UI.WriteErrorLine(ErrorRenderer.Render(e.ErrorRecord));
                _runspace = OpenRunspace(host, null);
            }
        }

        private static Runspace OpenRunspace(MemHost host, string? formats)
        {
            InitialSessionState iss = InitialSessionState.CreateDefault2();
            if (formats != null)
            {
                iss.Formats.Add(new SessionStateFormatEntry(formats));
                iss.ThrowOnRunspaceOpenError = true;
            }
            Runspace rs = RunspaceFactory.CreateRunspace(host, iss);
            // Host UI calls (prompts for -Confirm, ReadLine) then happen on memsh's own thread.
            rs.ThreadOptions = PSThreadOptions.UseCurrentThread;
            rs.Open();
            return rs;
        }

        public MemHost Host => _host;

        public Runspace Runspace => _runspace;

        /// <summary>True while a pipeline runs: Ctrl+C then stops it instead of ending memsh.</summary>
        public bool IsBusy
        {
            get
            {
                lock (_gate) return _current != null;
            }
        }

        /// <summary>
        /// Imports the module from <paramref name="manifest"/>. A failure is printed, not
        /// fatal: the Core cmdlets still work and the user sees why MemMgmt is missing.
        /// </summary>
        public bool ImportModule(string? manifest)
        {
            if (manifest == null)
            {
                _host.UI.WriteErrorLine("memsh: the MemMgmt module was not found (looked in $" + ModuleLocator.EnvVar + ", " +
                    Path.Combine(AppContext.BaseDirectory, "MemMgmt") + " and out/MemMgmt above it). Build src/MemMgmt.Shell first.");
                return false;
            }
            RunOutcome first = Import(manifest);
            if (first == RunOutcome.Succeeded) return true;
            if (first == RunOutcome.Stopped) return false;
            // A manifest the engine rejects should not cost the user the cmdlets: load the binary module itself.
            string dll = Path.Combine(Path.GetDirectoryName(manifest) ?? ".", "MemMgmt.PS.dll");
            if (!File.Exists(dll)) return false;
            _host.UI.WriteWarningLine("memsh: importing " + dll + " directly because the manifest failed to import (see above).");
            return Import(dll) == RunOutcome.Succeeded;
        }

        private RunOutcome Import(string path)
        {
            using PowerShell ps = PowerShell.Create();
            ps.Runspace = _runspace;
            ps.AddCommand("Import-Module").AddParameter("Name", path).AddParameter("Global");
            RunOutcome outcome = Invoke(ps);
            return outcome == RunOutcome.Succeeded && ps.HadErrors ? RunOutcome.Failed : outcome;
        }

        /// <summary>
        /// The module's Format.ps1xml when the manifest does not list it in FormatsToProcess:
        /// loading it with the session keeps the table views working either way.
        /// </summary>
        private static string? FormatsNotInManifest(string? manifest)
        {
            if (manifest == null || !File.Exists(manifest)) return null;
            string ps1xml = Path.Combine(Path.GetDirectoryName(manifest) ?? ".", "MemMgmt.Format.ps1xml");
            if (!File.Exists(ps1xml)) return null;
            return File.ReadAllText(manifest).Contains("FormatsToProcess", StringComparison.OrdinalIgnoreCase) ? null : ps1xml;
        }

        /// <summary>True when the parser only wants more text (an open brace or quote), so the REPL keeps reading.</summary>
        public static bool IsIncomplete(string script)
        {
            Parser.ParseInput(script, out _, out ParseError[] errors);
            return errors.Length > 0 && Array.TrueForAll(errors, e => e.IncompleteInput);
        }

        /// <summary>Runs script text as typed at a prompt or given to -Command.</summary>
        public RunOutcome Run(string script)
        {
            Parser.ParseInput(script, out _, out ParseError[] errors);
            if (errors.Length > 0)
            {
                _host.UI.WriteErrorLine(ErrorRenderer.Render(errors));
                return RunOutcome.Terminated;
            }
            using PowerShell ps = PowerShell.Create();
            ps.Runspace = _runspace;
            // The appended statement records $? of the user's last statement; it outputs nothing.
            ps.AddScript(script + "\n$global:" + StatusVariable + " = $?").AddCommand("Out-Default");
            _runspace.SessionStateProxy.SetVariable("global:" + StatusVariable, true);
            return Invoke(ps);
        }

        /// <summary>
        /// Runs a script file with command-line arguments, as `pwsh -File` does. The call is
        /// written as script text (`&amp; 'file' -Name 'value' 'x'`) so the engine's own binder
        /// pairs -Name with its value, handles switches and leaves the rest in $args.
        /// Returns the exit code: the script's `exit N`, 1 after a terminating error, else 0.
        /// </summary>
        public int RunFile(string path, string[] args)
        {
            string full = Path.GetFullPath(path);
            if (!File.Exists(full))
            {
                _host.UI.WriteErrorLine("memsh: the script file '" + path + "' does not exist.");
                return 64;
            }
            Parser.ParseFile(full, out _, out ParseError[] parseErrors);
            if (parseErrors.Length > 0)
            {
                _host.UI.WriteErrorLine(ErrorRenderer.Render(parseErrors));
                return 1;
            }
            var sb = new StringBuilder("& ").Append(Quote(full));
            foreach (string a in args)
            {
                sb.Append(' ');
                int colon = a.IndexOf(':', StringComparison.Ordinal);
                if (IsParameterName(a)) sb.Append(a);
                else if (colon > 1 && IsParameterName(a.Substring(0, colon + 1))) sb.Append(a, 0, colon + 1).Append(Quote(a.Substring(colon + 1)));
                else sb.Append(Quote(a));
            }
            _runspace.SessionStateProxy.SetVariable("global:LASTEXITCODE", 0);
            RunOutcome outcome = Run(sb.ToString());
            if (_host.ShouldExit) return _host.ExitCode;
            if (outcome == RunOutcome.Terminated || outcome == RunOutcome.Stopped) return 1;
            object? code = _runspace.SessionStateProxy.GetVariable("LASTEXITCODE");
            return code is int n ? n : 0;
        }

        /// <summary>Ctrl+C: ask the running pipeline to stop; cmdlets see StopProcessing.</summary>
        public void Stop()
        {
            lock (_gate) _current?.BeginStop(null, null);
        }

        /// <summary>Tab completion through the engine, so cmdlets, parameters and enum values all complete.</summary>
        public CommandCompletion? Complete(string input, int cursor)
        {
            try
            {
                using PowerShell ps = PowerShell.Create();
                ps.Runspace = _runspace;
                return CommandCompletion.CompleteInput(input, cursor, null, ps);
            }
            catch (Exception e) when (e is RuntimeException || e is InvalidOperationException)
            {
                return null;
            }
        }

        private RunOutcome Invoke(PowerShell ps)
        {
            ps.Streams.Error.DataAdded += (sender, e) =>
            {
                var list = (PSDataCollection<ErrorRecord>)sender!;
                _host.UI.WriteErrorLine(ErrorRenderer.Render(list[e.Index]));
            };
            lock (_gate) _current = ps;
            try
            {
                Collection<PSObject> results = ps.Invoke();
                foreach (PSObject o in results) _host.UI.WriteLine(o?.ToString() ?? string.Empty);
            }
            catch (PipelineStoppedException)
            {
                // The terminal already echoed ^C; the prompt (or exit code 1) says the rest.
                return RunOutcome.Stopped;
            }
            catch (RuntimeException e)
            {
                // A script file's parse errors arrive as a ParseException, possibly wrapped.
                ParseException? parse = e as ParseException ?? e.ErrorRecord?.Exception as ParseException ?? e.InnerException as ParseException;
                _host.UI.WriteErrorLine(parse?.Errors is { Length: > 0 } errors ? ErrorRenderer.Render(errors) : ErrorRenderer.Render(e.ErrorRecord!));
                return RunOutcome.Terminated;
            }
            finally
            {
                lock (_gate) _current = null;
                _host.MemUI.ClearProgress();
            }
            if (ps.InvocationStateInfo.State == PSInvocationState.Stopped) return RunOutcome.Stopped;
            return LastStatementSucceeded() ? RunOutcome.Succeeded : RunOutcome.Failed;
        }

        /// <summary>$? after the chunk, which is what pwsh -Command turns into its exit code.</summary>
        private bool LastStatementSucceeded()
        {
            object? v = _runspace.SessionStateProxy.GetVariable(StatusVariable);
            return v is not bool b || b;
        }

        private static bool IsParameterName(string a)
        {
            if (a.Length < 2 || a[0] != '-' || !(char.IsLetter(a[1]) || a[1] == '_')) return false;
            for (int i = 2; i < a.Length; i++)
            {
                char c = a[i];
                if (c == ':' && i == a.Length - 1) return true;
                if (!(char.IsLetterOrDigit(c) || c == '_' || c == '-')) return false;
            }
            return true;
        }

        private static string Quote(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";

        public void Dispose() => _runspace.Dispose();
    }
}
