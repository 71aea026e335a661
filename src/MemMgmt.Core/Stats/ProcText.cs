using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace MemMgmt.Core.Stats
{
    /// <summary>printf-style helpers matching the kernel's seq_printf conversions.</summary>
    internal static class CFormat
    {
        internal static string U(long value) => value.ToString(CultureInfo.InvariantCulture);

        /// <summary>%Nlu / %Nd / %Ns: right-aligned in a field of at least <paramref name="width"/>.</summary>
        internal static string Right(string s, int width) => s.Length >= width ? s : s.PadLeft(width);

        internal static string Right(long value, int width) => Right(U(value), width);

        /// <summary>%-Ns: left-aligned in a field of at least <paramref name="width"/>.</summary>
        internal static string Left(string s, int width) => s.Length >= width ? s : s.PadRight(width);

        /// <summary>%0Nd: zero padded, the sign counting towards the width as in C.</summary>
        internal static string ZeroPadded(int value, int width)
        {
            string digits = Math.Abs((long)value).ToString(CultureInfo.InvariantCulture);
            string sign = value < 0 ? "-" : string.Empty;
            int pad = width - sign.Length - digits.Length;
            return pad > 0 ? sign + new string('0', pad) + digits : sign + digits;
        }

        /// <summary>
        /// The kernel's <c>"%d.%03d", index / 1000, index % 1000</c> with C's truncating division:
        /// -1000 prints "-1.000"; a value such as -500 would print "0.-500".
        /// </summary>
        internal static string Thousandths(int index)
        {
            int whole = index / 1000;
            int frac = index % 1000;
            return whole.ToString(CultureInfo.InvariantCulture) + "." + ZeroPadded(frac, 3);
        }

        internal static bool TryUnsigned(string s, out long value)
        {
            return long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }

        internal static bool TrySigned(string s, out long value)
        {
            return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        }

        /// <summary>Inverse of <see cref="Thousandths"/>; false unless re-formatting gives the same text.</summary>
        internal static bool TryThousandths(string s, out int value)
        {
            value = 0;
            int dot = s.IndexOf('.');
            if (dot <= 0 || dot == s.Length - 1)
                return false;
            if (!int.TryParse(s.Substring(0, dot), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int whole))
                return false;
            if (!int.TryParse(s.Substring(dot + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int frac))
                return false;
            bool negative = whole < 0 || frac < 0 || s[0] == '-';
            long v = (long)whole * 1000 + (negative && frac > 0 ? -frac : frac);
            if (v < int.MinValue || v > int.MaxValue)
                return false;
            value = (int)v;
            return Thousandths(value) == s;
        }
    }

    /// <summary>A cursor over the lines of a /proc file, producing <see cref="ProcTextFormatException"/>s.</summary>
    internal sealed class ProcLines
    {
        private readonly string[] _lines;
        private int _index;

        internal ProcLines(string text, string fileKind, bool allowEmpty)
        {
            if (text is null)
                throw new ArgumentNullException(nameof(text));
            FileKind = fileKind;
            if (text.Length == 0)
            {
                if (!allowEmpty)
                    throw new ProcTextFormatException(fileKind, 1, string.Empty, "at least one line of " + fileKind + " text");
                _lines = Array.Empty<string>();
                return;
            }

            string[] parts = text.Split('\n');
            if (parts[parts.Length - 1].Length != 0)
                throw new ProcTextFormatException(fileKind, parts.Length, parts[parts.Length - 1], "the last line to end with a newline");
            _lines = new string[parts.Length - 1];
            Array.Copy(parts, _lines, _lines.Length);
        }

        internal string FileKind { get; }

        internal bool AtEnd => _index >= _lines.Length;

        /// <summary>1-based number of the line <see cref="Peek"/> returns.</summary>
        internal int LineNumber => _index + 1;

        internal string Peek() => AtEnd ? string.Empty : _lines[_index];

        /// <summary>The line <paramref name="ahead"/> lines after the one <see cref="Peek"/> returns ("" past the end).</summary>
        internal string PeekAhead(int ahead) => _index + ahead < _lines.Length ? _lines[_index + ahead] : string.Empty;

        internal string Next(string expected)
        {
            if (AtEnd)
                throw new ProcTextFormatException(FileKind, LineNumber, string.Empty, expected + " (the text ended early)");
            return _lines[_index++];
        }

        /// <summary>Consumes the next line, which must be exactly <paramref name="exact"/>.</summary>
        internal void Expect(string exact)
        {
            string line = Next("\"" + exact + "\"");
            if (!string.Equals(line, exact, StringComparison.Ordinal))
                throw Error(_index, line, "\"" + exact + "\"");
        }

        /// <summary>An exception for the line most recently returned by <see cref="Next"/>.</summary>
        internal ProcTextFormatException Fail(string expected) => Error(_index, _lines[_index - 1], expected);

        /// <summary>Fails unless <paramref name="rendered"/> reproduces the line just read byte for byte.</summary>
        internal void RequireSame(string line, string rendered, string what)
        {
            if (!string.Equals(line, rendered, StringComparison.Ordinal))
                throw Fail(what + " in the kernel's exact layout \"" + rendered + "\"");
        }

        private ProcTextFormatException Error(int lineNumber, string line, string expected) =>
            new ProcTextFormatException(FileKind, lineNumber, line, expected);

        internal static string[] Tokens(string line) => line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
    }

    internal static class ReadOnly
    {
        internal static IReadOnlyList<T> Copy<T>(IEnumerable<T> items, string paramName)
        {
            if (items is null)
                throw new ArgumentNullException(paramName);
            var list = new List<T>(items);
            foreach (T item in list)
            {
                if (item is null)
                    throw new ArgumentException("The sequence contains a null element.", paramName);
            }

            return list.AsReadOnly();
        }

        internal static IReadOnlyList<long> Counts(IEnumerable<long> items, string paramName)
        {
            IReadOnlyList<long> list = Copy(items, paramName);
            foreach (long v in list)
            {
                if (v < 0)
                    throw new ArgumentOutOfRangeException(paramName, v, "Counts cannot be negative.");
            }

            return list;
        }

        internal static StringBuilder NewBuilder() => new StringBuilder(4096);
    }
}
