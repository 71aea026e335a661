using System;

namespace MemMgmt.Shell
{
    /// <summary>
    /// SGR escape sequences for ConsoleColor. Written inline rather than through
    /// Console.ForegroundColor so colour and text stay one atomic write.
    /// </summary>
    internal static class Ansi
    {
        public const string Reset = "\u001b[0m";

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
