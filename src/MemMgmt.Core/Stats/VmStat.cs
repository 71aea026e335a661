using System;
using System.Collections.Generic;

namespace MemMgmt.Core.Stats
{
    /// <summary>/proc/vmstat: "name value" lines in vmstat_text[] order.</summary>
    public sealed class VmStat
    {
        /// <summary>Creates the model; names must be unique.</summary>
        public VmStat(IEnumerable<ProcStatEntry> entries)
        {
            Entries = ReadOnly.Copy(entries, nameof(entries));
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (ProcStatEntry e in Entries)
            {
                if (!seen.Add(e.Name))
                    throw new ArgumentException("Counter \"" + e.Name + "\" appears twice.", nameof(entries));
            }
        }

        /// <summary>Counters in print order.</summary>
        public IReadOnlyList<ProcStatEntry> Entries { get; }

        /// <summary>The value of a counter, or null when this kernel does not print it.</summary>
        public long? this[string name]
        {
            get
            {
                foreach (ProcStatEntry e in Entries)
                {
                    if (string.Equals(e.Name, name, StringComparison.Ordinal))
                        return e.Value;
                }

                return null;
            }
        }

        /// <summary>Renders the exact bytes of /proc/vmstat.</summary>
        /// kernel: vmstat_show (mm/vmstat.c, 4.14)
        public string ToKernelText()
        {
            var sb = ReadOnly.NewBuilder();
            foreach (ProcStatEntry e in Entries)
                sb.Append(e.Name).Append(' ').Append(CFormat.U(e.Value)).Append('\n');
            return sb.ToString();
        }

        /// <summary>Parses /proc/vmstat text.</summary>
        public static VmStat Parse(string text)
        {
            var lines = new ProcLines(text, "vmstat", allowEmpty: false);
            var entries = new List<ProcStatEntry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (!lines.AtEnd)
            {
                string line = lines.Next("a counter line \"<name> <value>\"");
                int space = line.IndexOf(' ');
                if (space <= 0 || !CFormat.TryUnsigned(line.Substring(space + 1), out long v))
                    throw lines.Fail("a counter line \"<name> <value>\" (one space, unsigned decimal value)");
                string name = line.Substring(0, space);
                lines.RequireSame(line, name + " " + CFormat.U(v), "a counter line");
                if (!seen.Add(name))
                    throw lines.Fail("each counter once; \"" + name + "\" appeared earlier");
                entries.Add(new ProcStatEntry(name, v));
            }

            return new VmStat(entries);
        }
    }
}
