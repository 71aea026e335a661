using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace MemMgmt.Shell
{
    /// <summary>
    /// Console-backed host UI. Out-Default renders every object through WriteLine here, so
    /// format views from the module's Format.ps1xml reach the terminal unchanged. Errors,
    /// warnings, verbose and debug lines go to stderr/stdout with colour only on a terminal,
    /// so redirected output stays plain text that tests and scripts can compare.
    /// </summary>
    internal sealed class MemHostUI : PSHostUserInterface
    {
        private readonly MemHostRawUI _raw = new MemHostRawUI();
        private readonly object _gate = new object();
        private bool _progressShown;

        public override PSHostRawUserInterface RawUI => _raw;

        /// <summary>Lets the formatter colour table headers (via $PSStyle) only on a real terminal.</summary>
        public override bool SupportsVirtualTerminal => ConsoleInfo.ColorOut;

        public override void Write(string value) => WriteOut(value, null, null);

        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) =>
            WriteOut(value, foregroundColor, backgroundColor);

        public override void WriteLine(string value) => WriteOut(value + "\n", null, null);

        public override void WriteErrorLine(string value) => WriteErr(value, ConsoleColor.Red);

        public override void WriteWarningLine(string message) =>
            WriteErr("WARNING: " + message, ConsoleColor.Yellow);

        public override void WriteVerboseLine(string message) =>
            WriteErr("VERBOSE: " + message, ConsoleColor.Cyan);

        public override void WriteDebugLine(string message) =>
            WriteErr("DEBUG: " + message, ConsoleColor.Magenta);

        public override void WriteInformation(InformationRecord record)
        {
            // Write-Host style records are already printed by the engine through Write/WriteLine.
        }

        /// <summary>
        /// One line at the bottom of the output, rewritten in place; nothing when stdout is
        /// not a terminal (progress in a log file is noise). A Completed record erases it.
        /// </summary>
        public override void WriteProgress(long sourceId, ProgressRecord record)
        {
            if (record == null || !ConsoleInfo.OutputIsTerminal) return;
            lock (_gate)
            {
                if (record.RecordType == ProgressRecordType.Completed)
                {
                    ClearProgressLocked();
                    return;
                }
                var sb = new StringBuilder();
                sb.Append(record.Activity);
                if (!string.IsNullOrEmpty(record.StatusDescription)) sb.Append(": ").Append(record.StatusDescription);
                if (record.PercentComplete >= 0) sb.Append(" [").Append(record.PercentComplete.ToString(CultureInfo.InvariantCulture)).Append("%]");
                if (!string.IsNullOrEmpty(record.CurrentOperation)) sb.Append(' ').Append(record.CurrentOperation);
                if (record.SecondsRemaining >= 0) sb.Append(" (").Append(record.SecondsRemaining.ToString(CultureInfo.InvariantCulture)).Append("s left)");
                int width = Math.Max(10, ConsoleInfo.Width - 1);
                string line = sb.Length > width ? sb.ToString(0, width) : sb.ToString();
                Console.Out.Write("\r" + (ConsoleInfo.ColorOut ? "\u001b[7m" + line + "\u001b[0m" : line) + "\u001b[K");
                Console.Out.Flush();
                _progressShown = true;
            }
        }

        /// <summary>Removes a visible progress line; the REPL calls it when a pipeline ends.</summary>
        public void ClearProgress()
        {
            lock (_gate) ClearProgressLocked();
        }

        private void ClearProgressLocked()
        {
            if (!_progressShown) return;
            Console.Out.Write("\r\u001b[K");
            Console.Out.Flush();
            _progressShown = false;
        }

        private void WriteOut(string value, ConsoleColor? fg, ConsoleColor? bg)
        {
            lock (_gate)
            {
                ClearProgressLocked();
                if (ConsoleInfo.ColorOut && (fg.HasValue || bg.HasValue))
                {
                    Console.Out.Write(Ansi.Wrap(value, fg, bg));
                }
                else
                {
                    Console.Out.Write(ConsoleInfo.ColorOut ? value : Ansi.Strip(value));
                }
            }
        }

        private void WriteErr(string value, ConsoleColor fg)
        {
            lock (_gate)
            {
                ClearProgressLocked();
                Console.Out.Flush();
                Console.Error.Write((ConsoleInfo.ColorErr ? Ansi.Wrap(value, fg, null) : Ansi.Strip(value)) + "\n");
                Console.Error.Flush();
            }
        }

        public override string ReadLine()
        {
            ClearProgress();
            return Console.In.ReadLine() ?? throw new PSInvalidOperationException("memsh: input ended while a command was waiting for a line.");
        }

        /// <summary>Reads without echo on a terminal; from a pipe it is just the next line.</summary>
        public override SecureString ReadLineAsSecureString()
        {
            ClearProgress();
            var s = new SecureString();
            if (!ConsoleInfo.InputIsTerminal)
            {
                foreach (char c in Console.In.ReadLine() ?? string.Empty) s.AppendChar(c);
                s.MakeReadOnly();
                return s;
            }
            while (true)
            {
                ConsoleKeyInfo k = Console.ReadKey(true);
                if (k.Key == ConsoleKey.Enter) break;
                if (k.Key == ConsoleKey.Backspace)
                {
                    if (s.Length > 0) s.RemoveAt(s.Length - 1);
                    continue;
                }
                if (k.KeyChar != '\0') s.AppendChar(k.KeyChar);
            }
            Console.Out.Write("\n");
            s.MakeReadOnly();
            return s;
        }

        /// <summary>Asks for each field on its own line; SecureString and PSCredential fields are read hidden.</summary>
        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
        {
            WriteCaption(caption, message);
            var result = new Dictionary<string, PSObject>(StringComparer.OrdinalIgnoreCase);
            foreach (FieldDescription fd in descriptions)
            {
                string label = string.IsNullOrEmpty(fd.Label) ? fd.Name : fd.Label.Replace("&", string.Empty, StringComparison.Ordinal);
                Write(label + ": ");
                string typeName = fd.ParameterTypeFullName ?? string.Empty;
                if (typeName == typeof(SecureString).FullName)
                {
                    result[fd.Name] = PSObject.AsPSObject(ReadLineAsSecureString());
                }
                else if (typeName == typeof(PSCredential).FullName)
                {
                    result[fd.Name] = PSObject.AsPSObject(PromptForCredential(null!, null!, ReadLine(), string.Empty));
                }
                else
                {
                    result[fd.Name] = PSObject.AsPSObject(ReadLine());
                }
            }
            return result;
        }

        /// <summary>
        /// The -Confirm dialog: "[Y] Yes  [N] No ... (default is "Y"):". Accepts a hot key or
        /// a full label, "?" lists help; end of input picks the default so scripts never hang.
        /// </summary>
        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
        {
            WriteCaption(caption, message);
            var keys = new string[choices.Count];
            var line = new StringBuilder();
            for (int i = 0; i < choices.Count; i++)
            {
                keys[i] = HotKey(choices[i].Label);
                line.Append('[').Append(keys[i]).Append("] ").Append(choices[i].Label.Replace("&", string.Empty, StringComparison.Ordinal)).Append("  ");
            }
            line.Append("[?] Help");
            if (defaultChoice >= 0 && defaultChoice < choices.Count) line.Append(" (default is \"").Append(keys[defaultChoice]).Append("\")");
            line.Append(": ");
            while (true)
            {
                Write(line.ToString());
                string? answer = Console.In.ReadLine();
                if (answer == null)
                {
                    WriteLine(string.Empty);
                    return defaultChoice;
                }
                answer = answer.Trim();
                if (answer.Length == 0 && defaultChoice >= 0) return defaultChoice;
                if (answer == "?")
                {
                    for (int i = 0; i < choices.Count; i++) WriteLine(keys[i] + " - " + choices[i].HelpMessage);
                    continue;
                }
                for (int i = 0; i < choices.Count; i++)
                {
                    if (string.Equals(answer, keys[i], StringComparison.OrdinalIgnoreCase) ||
                        string.Equals(answer, choices[i].Label.Replace("&", string.Empty, StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase))
                    {
                        // Suspend would need a nested prompt (EnterNestedPrompt), which memsh does not have.
                        if (choices[i].Label.Replace("&", string.Empty, StringComparison.Ordinal) == "Suspend")
                        {
                            WriteLine("Suspend is not available in memsh; choose another answer.");
                            break;
                        }
                        return i;
                    }
                }
            }
        }

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
            PromptForCredential(caption, message, userName, targetName, PSCredentialTypes.Default, PSCredentialUIOptions.Default);

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName,
            PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options)
        {
            WriteCaption(caption, message);
            if (string.IsNullOrEmpty(userName))
            {
                Write("User: ");
                userName = ReadLine();
            }
            Write("Password for user " + userName + ": ");
            return new PSCredential(userName, ReadLineAsSecureString());
        }

        private void WriteCaption(string? caption, string? message)
        {
            if (!string.IsNullOrEmpty(caption)) WriteLine(caption);
            if (!string.IsNullOrEmpty(message)) WriteLine(message);
        }

        /// <summary>The character after '&amp;' in a choice label (as "&amp;Yes" gives Y), else its first letter.</summary>
        private static string HotKey(string label)
        {
            int amp = label.IndexOf('&', StringComparison.Ordinal);
            if (amp >= 0 && amp + 1 < label.Length) return char.ToUpperInvariant(label[amp + 1]).ToString();
            return label.Length > 0 ? char.ToUpperInvariant(label[0]).ToString() : "?";
        }
    }
}
