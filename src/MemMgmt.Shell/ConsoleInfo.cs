using System;

namespace MemMgmt.Shell
{
    /// <summary>
    /// What memsh knows about its terminal. Redirection decides colour, width and whether
    /// cursor tricks (progress line, line editor) are safe, so it is computed once here.
    /// </summary>
    internal static class ConsoleInfo
    {
        /// <summary>Width used when stdout is not a terminal, so tables are not cut at 80.</summary>
        public const int RedirectedWidth = 120;

        public static readonly bool OutputIsTerminal = !Console.IsOutputRedirected;
        public static readonly bool ErrorIsTerminal = !Console.IsErrorRedirected;
        public static readonly bool InputIsTerminal = !Console.IsInputRedirected;

        /// <summary>Colour only when a human sees it and NO_COLOR (no-color.org) is unset.</summary>
        public static readonly bool NoColor = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

        public static bool ColorOut => OutputIsTerminal && !NoColor;
        public static bool ColorErr => ErrorIsTerminal && !NoColor;

        /// <summary>Current width: the window when a terminal, else a fixed wide page.</summary>
        public static int Width
        {
            get
            {
                if (!OutputIsTerminal) return RedirectedWidth;
                try
                {
                    int w = Console.WindowWidth;
                    return w > 0 ? w : RedirectedWidth;
                }
                catch (Exception e) when (e is System.IO.IOException || e is PlatformNotSupportedException)
                {
                    return RedirectedWidth;
                }
            }
        }

        public static int Height
        {
            get
            {
                if (!OutputIsTerminal) return 50;
                try
                {
                    int h = Console.WindowHeight;
                    return h > 0 ? h : 50;
                }
                catch (Exception e) when (e is System.IO.IOException || e is PlatformNotSupportedException)
                {
                    return 50;
                }
            }
        }
    }
}
