using System;

namespace MemMgmt.Core.Stats
{
    /// <summary>
    /// Raised by the /proc text parsers when the input is not in the kernel's layout.
    /// Carries the 1-based line number, the offending line and what was expected there.
    /// </summary>
    public sealed class ProcTextFormatException : FormatException
    {
        /// <summary>Creates the exception.</summary>
        /// <param name="fileKind">Which file was being parsed, e.g. "pagetypeinfo".</param>
        /// <param name="lineNumber">1-based line number of the offending line.</param>
        /// <param name="lineText">The offending line without its newline ("" past the end).</param>
        /// <param name="expected">What the parser expected at that point.</param>
        public ProcTextFormatException(string fileKind, int lineNumber, string lineText, string expected)
            : base(BuildMessage(fileKind, lineNumber, lineText, expected))
        {
            FileKind = fileKind;
            LineNumber = lineNumber;
            LineText = lineText;
            Expected = expected;
        }

        /// <summary>Which file was being parsed ("pagetypeinfo", "buddyinfo", "zoneinfo", ...).</summary>
        public string FileKind { get; }

        /// <summary>1-based line number of the offending line.</summary>
        public int LineNumber { get; }

        /// <summary>The offending line, without its trailing newline.</summary>
        public string LineText { get; }

        /// <summary>What the parser expected at that line.</summary>
        public string Expected { get; }

        private static string BuildMessage(string fileKind, int lineNumber, string lineText, string expected)
        {
            return fileKind + " line " + lineNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)
                + ": expected " + expected + ", found \"" + lineText + "\"";
        }
    }
}
