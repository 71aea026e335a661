using System;
using System.Text.RegularExpressions;

namespace MemMgmt.Shell
{
    /// <summary>
    /// SGR escape sequences for ConsoleColor. Written inline rather than through
    /// Console.ForegroundColor so colour and text stay one atomic write.
    /// </summary>
    internal static class Ansi
    {
        public const string Reset = "\u001b[0m";

        /// <summary>CSI sequences (colours, cursor moves) and OSC sequences (titles, links).</summary>
        private static readonly Regex Escapes = new Regex(@"\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)", RegexOptions.Compiled);

        /// <summary>
        /// Removes escape sequences. The engine decorates table headers ($PSStyle) whatever the
        /// host says; like pwsh's own console host, memsh strips them when output is not a terminal.
        /// </summary>
        public static string Strip(string text) => text.IndexOf('\u001b') < 0 ? text : Escapes.Replace(text, string.Empty);

        public static string Wrap(string text, ConsoleColor? fg, ConsoleColor? bg)
        {
            string prefix = (fg.HasValue ? Sgr(fg.Value, false) : string.Empty) + (bg.HasValue ? Sgr(bg.Value, true) : string.Empty);
            if (prefix.Length == 0) return text;
            // Keep a trailing newline outside the colour so the next line starts clean.
            if (text.EndsWith('\n')) return prefix + text.Substring(0, text.Length - 1) + Reset + "\n";
            return prefix + text + Reset;
        }

        /// <summary>Maps the 16 console colours to 30-37/90-97 (40-47/100-107 for background).</summary>
        public static string Sgr(ConsoleColor c, bool background)
        {
            int[] map = { 0, 4, 2, 6, 1, 5, 3, 7 };
            int n = (int)c;
            bool bright = n >= 8;
            int baseCode = map[n & 7];
            // ConsoleColor 7 (Gray) is normal white, 8 (DarkGray) is bright black.
            int code = (bright ? 90 : 30) + baseCode + (background ? 10 : 0);
            return "\u001b[" + code + "m";
        }
    }
}
