using System;
using System.Collections.Generic;

namespace MemMgmt.Core.Stats
{
    /// <summary>
    /// One /proc/meminfo line. The kernel pads "Name:" to a label column and right-aligns the value in a field:
    /// most lines are "%-16s%8lu kB" (show_val_kb); HardwareCorrupted is "HardwareCorrupted: %5lu kB" and the
    /// HugePages_Total/Free/Rsvd/Surp lines are "HugePages_Xxxx:   %5lu" without a unit.
    /// </summary>
    public sealed class MemInfoEntry
    {
        /// <summary>Creates a line; widths default to the kernel's for <paramref name="name"/>.</summary>
        /// <param name="name">Field name without the colon, e.g. "MemTotal".</param>
        /// <param name="value">Value as printed (kB for kB lines, a count otherwise).</param>
        /// <param name="hasKbUnit">Whether the line ends in " kB"; null chooses the kernel's usage for the name.</param>
        /// <param name="labelWidth">Width "Name:" is padded to; null for the kernel's.</param>
        /// <param name="valueWidth">Minimum width of the value; null for the kernel's.</param>
        public MemInfoEntry(string name, long value, bool? hasKbUnit = null, int? labelWidth = null, int? valueWidth = null)
        {
            if (name is null) throw new ArgumentNullException(nameof(name));
            if (name.Length == 0 || name.IndexOfAny(new[] { ' ', ':', '\n', '\t' }) >= 0)
                throw new ArgumentException("A meminfo name is one word without a colon.", nameof(name));
            if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "meminfo values print unsigned.");
            Name = name;
            Value = value;
            bool narrow = IsNarrow(name);
            HasKbUnit = hasKbUnit ?? !IsHugePagesCount(name);
            LabelWidth = labelWidth ?? (narrow ? 19 : 16);
            ValueWidth = valueWidth ?? (narrow ? 5 : 8);
            if (LabelWidth < 0 || ValueWidth < 0) throw new ArgumentOutOfRangeException(nameof(labelWidth));
        }

        /// <summary>Field name without the colon.</summary>
        public string Name { get; }

        /// <summary>Value (kB for kB lines).</summary>
        public long Value { get; }

        /// <summary>Whether the line ends in " kB".</summary>
        public bool HasKbUnit { get; }

        /// <summary>Width of the "Name:" label column.</summary>
        public int LabelWidth { get; }

        /// <summary>Minimum width of the value field.</summary>
        public int ValueWidth { get; }

        /// <summary>The line as the kernel prints it, without the newline.</summary>
        /// kernel: show_val_kb, hugetlb_report_meminfo (fs/proc/meminfo.c, mm/hugetlb.c)
        public string ToKernelLine() =>
            CFormat.Left(Name + ":", LabelWidth) + CFormat.Right(Value, ValueWidth) + (HasKbUnit ? " kB" : string.Empty);

        private static bool IsHugePagesCount(string name) =>
            name == "HugePages_Total" || name == "HugePages_Free" || name == "HugePages_Rsvd" || name == "HugePages_Surp";

        private static bool IsNarrow(string name) => IsHugePagesCount(name) || name == "HardwareCorrupted";
    }

    /// <summary>/proc/meminfo: ordered lines.</summary>
    public sealed class MemInfo
    {
        /// <summary>Creates the model; names must be unique.</summary>
        public MemInfo(IEnumerable<MemInfoEntry> entries)
        {
            Entries = ReadOnly.Copy(entries, nameof(entries));
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (MemInfoEntry e in Entries)
            {
                if (!seen.Add(e.Name))
                    throw new ArgumentException("Field \"" + e.Name + "\" appears twice.", nameof(entries));
            }
        }

        /// <summary>Lines in print order.</summary>
        public IReadOnlyList<MemInfoEntry> Entries { get; }

        /// <summary>The value of a field, or null when absent.</summary>
        public long? this[string name]
        {
            get
            {
                foreach (MemInfoEntry e in Entries)
                {
                    if (string.Equals(e.Name, name, StringComparison.Ordinal))
                        return e.Value;
                }

                return null;
            }
        }

        /// <summary>Renders the exact bytes of /proc/meminfo.</summary>
        /// kernel: meminfo_proc_show (fs/proc/meminfo.c)
        public string ToKernelText()
        {
            var sb = ReadOnly.NewBuilder();
            foreach (MemInfoEntry e in Entries)
                sb.Append(e.ToKernelLine()).Append('\n');
            return sb.ToString();
        }

        /// <summary>Parses /proc/meminfo; every line must be in the kernel's alignment for its name.</summary>
        public static MemInfo Parse(string text)
        {
            var lines = new ProcLines(text, "meminfo", allowEmpty: false);
            var entries = new List<MemInfoEntry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (!lines.AtEnd)
            {
                string line = lines.Next("a meminfo line \"<Name>: <value>[ kB]\"");
                int colon = line.IndexOf(':');
                if (colon <= 0)
                    throw lines.Fail("a meminfo line \"<Name>: <value>[ kB]\"");
                string name = line.Substring(0, colon);
                string rest = line.Substring(colon + 1);
                bool kb = rest.EndsWith(" kB", StringComparison.Ordinal);
                if (kb) rest = rest.Substring(0, rest.Length - 3);
                if (!CFormat.TryUnsigned(rest.TrimStart(' '), out long v) || name.IndexOf(' ') >= 0)
                    throw lines.Fail("a meminfo line \"<Name>: <value>[ kB]\" with an unsigned decimal value");
                var entry = new MemInfoEntry(name, v, kb);
                lines.RequireSame(line, entry.ToKernelLine(), "a meminfo line");
                if (!seen.Add(name))
                    throw lines.Fail("each field once; \"" + name + "\" appeared earlier");
                entries.Add(entry);
            }

            return new MemInfo(entries);
        }
    }
}
