using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Text;

namespace MemMgmt.Shell
{
    /// <summary>
    /// A small single-row line editor for the interactive prompt: cursor keys, Home/End,
    /// Backspace/Delete, history, Tab/Shift+Tab completion cycling through the engine's
    /// completions. Lines longer than the terminal scroll sideways instead of wrapping, so
    /// redrawing never has to track wrapped rows.
    /// </summary>
    internal sealed class LineEditor
    {
        /// <summary>Returned when Ctrl+C abandoned the line (distinct from an empty line).</summary>
        public static readonly string Cancelled = new string('\u0003', 1);

        private const int MaxHistory = 1000;
        private readonly Func<string, int, CommandCompletion?> _complete;
        private readonly string? _historyFile;
        private readonly List<string> _history = new List<string>();

        private readonly StringBuilder _buf = new StringBuilder();
        private int _pos;
        private int _scroll;
        private string _prompt = string.Empty;

        // Completion cycling state: valid while consecutive keys are Tab/Shift+Tab.
        private CommandCompletion? _completion;
        private string _completionInput = string.Empty;
        private int _completionIndex;

        public LineEditor(Func<string, int, CommandCompletion?> complete, string? historyFile)
        {
            _complete = complete;
            _historyFile = historyFile;
            LoadHistory();
        }

        /// <summary>$MEMSH_HISTORY, else ~/.memsh_history; an empty MEMSH_HISTORY turns persistence off.</summary>
        public static string? DefaultHistoryFile()
        {
            string? env = Environment.GetEnvironmentVariable("MEMSH_HISTORY");
            if (env != null) return env.Length == 0 ? null : env;
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".memsh_history");
        }

        public void AddHistory(string line)
        {
            if (line.Length == 0 || (_history.Count > 0 && _history[^1] == line)) return;
            _history.Add(line);
            if (_history.Count > MaxHistory) _history.RemoveAt(0);
            if (_historyFile == null || line.Contains('\n', StringComparison.Ordinal)) return;
            try
            {
                File.AppendAllText(_historyFile, line + "\n");
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                // History is a convenience; a read-only home must not break the shell.
            }
        }

        /// <summary>
        /// Reads one line. Returns null on Ctrl+D at an empty line, <see cref="Cancelled"/>
        /// on Ctrl+C. Ctrl+C is read as a key here (TreatControlCAsInput) and given back to
        /// the CancelKeyPress handler while commands run.
        /// </summary>
        public string? ReadLine(string prompt)
        {
            _prompt = prompt;
            _buf.Clear();
            _pos = 0;
            _scroll = 0;
            _completion = null;
            int historyIndex = _history.Count;
            string pending = string.Empty;
            Console.Out.Write(prompt);
            Console.Out.Flush();
            bool saved = Console.TreatControlCAsInput;
            Console.TreatControlCAsInput = true;
            try
            {
                while (true)
                {
                    ConsoleKeyInfo k = Console.ReadKey(true);
                    bool ctrl = (k.Modifiers & ConsoleModifiers.Control) != 0;
                    if (k.Key != ConsoleKey.Tab) _completion = null;

                    if (k.Key == ConsoleKey.Enter)
                    {
                        _scroll = 0;
                        Console.Out.Write("\r" + _prompt + _buf + "\u001b[K\n");
                        return _buf.ToString();
                    }
                    if (ctrl && k.Key == ConsoleKey.C)
                    {
                        Console.Out.Write("^C\n");
                        return Cancelled;
                    }
                    if (ctrl && k.Key == ConsoleKey.D)
                    {
                        if (_buf.Length == 0)
                        {
                            return null;
                        }
                        Delete();
                        continue;
                    }

                    switch (k.Key)
                    {
                        case ConsoleKey.LeftArrow:
                            if (_pos > 0) _pos--;
                            break;
                        case ConsoleKey.RightArrow:
                            if (_pos < _buf.Length) _pos++;
                            break;
                        case ConsoleKey.Home:
                            _pos = 0;
                            break;
                        case ConsoleKey.End:
                            _pos = _buf.Length;
                            break;
                        case ConsoleKey.A when ctrl:
                            _pos = 0;
                            break;
                        case ConsoleKey.E when ctrl:
                            _pos = _buf.Length;
                            break;
                        case ConsoleKey.U when ctrl:
                            _buf.Remove(0, _pos);
                            _pos = 0;
                            break;
                        case ConsoleKey.K when ctrl:
                            _buf.Remove(_pos, _buf.Length - _pos);
                            break;
                        case ConsoleKey.L when ctrl:
                            Console.Out.Write("\u001b[H\u001b[2J");
                            break;
                        case ConsoleKey.Escape:
                            _buf.Clear();
                            _pos = 0;
                            break;
                        case ConsoleKey.Backspace:
                            if (_pos > 0)
                            {
                                _buf.Remove(_pos - 1, 1);
                                _pos--;
                            }
                            break;
                        case ConsoleKey.Delete:
                            Delete();
                            break;
                        case ConsoleKey.UpArrow:
                        case ConsoleKey.DownArrow:
                            if (historyIndex == _history.Count) pending = _buf.ToString();
                            historyIndex += k.Key == ConsoleKey.UpArrow ? -1 : 1;
                            historyIndex = Math.Clamp(historyIndex, 0, _history.Count);
                            SetText(historyIndex == _history.Count ? pending : _history[historyIndex]);
                            break;
                        case ConsoleKey.Tab:
                            Complete((k.Modifiers & ConsoleModifiers.Shift) != 0);
                            break;
                        default:
                            if (k.KeyChar >= ' ' && !ctrl)
                            {
                                _buf.Insert(_pos, k.KeyChar);
                                _pos++;
                            }
                            break;
                    }
                    Render();
                }
            }
            finally
            {
                Console.TreatControlCAsInput = saved;
            }
        }

        private void Delete()
        {
            if (_pos < _buf.Length) _buf.Remove(_pos, 1);
        }

        private void SetText(string text)
        {
            _buf.Clear().Append(text.Replace('\n', ' '));
            _pos = _buf.Length;
        }

        /// <summary>
        /// First Tab asks the engine; later Tabs walk its match list (Shift+Tab backwards),
        /// always replacing the same span of the original text.
        /// </summary>
        private void Complete(bool backwards)
        {
            if (_completion == null)
            {
                _completionInput = _buf.ToString();
                _completion = _complete(_completionInput, _pos);
                if (_completion == null || _completion.CompletionMatches.Count == 0)
                {
                    _completion = null;
                    Console.Out.Write("\u0007");
                    return;
                }
                _completionIndex = backwards ? _completion.CompletionMatches.Count - 1 : 0;
            }
            else
            {
                int n = _completion.CompletionMatches.Count;
                _completionIndex = (_completionIndex + (backwards ? n - 1 : 1)) % n;
            }
            string text = _completion.CompletionMatches[_completionIndex].CompletionText;
            int start = _completion.ReplacementIndex;
            string result = _completionInput.Substring(0, start) + text + _completionInput.Substring(start + _completion.ReplacementLength);
            _buf.Clear().Append(result);
            _pos = start + text.Length;
        }

        /// <summary>Redraws prompt and the visible window of the buffer on the current row.</summary>
        private void Render()
        {
            int room = Math.Max(10, ConsoleInfo.Width - _prompt.Length - 1);
            if (_pos < _scroll) _scroll = _pos;
            if (_pos > _scroll + room) _scroll = _pos - room;
            if (_buf.Length <= room) _scroll = 0;
            int len = Math.Min(room, _buf.Length - _scroll);
            string visible = _buf.ToString(_scroll, len);
            int back = _scroll + len - _pos;
            var sb = new StringBuilder();
            sb.Append('\r').Append(_prompt).Append(visible).Append("\u001b[K");
            if (back > 0) sb.Append("\u001b[").Append(back).Append('D');
            Console.Out.Write(sb.ToString());
            Console.Out.Flush();
        }

        private void LoadHistory()
        {
            if (_historyFile == null || !File.Exists(_historyFile)) return;
            try
            {
                foreach (string line in File.ReadAllLines(_historyFile))
                {
                    if (line.Length > 0) _history.Add(line);
                }
                if (_history.Count > MaxHistory) _history.RemoveRange(0, _history.Count - MaxHistory);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                // Unreadable history: start empty.
            }
        }
    }
}
