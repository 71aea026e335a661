using System;

namespace MemMgmt.Core.Stats
{
    /// <summary>One named counter as /proc/vmstat and the zoneinfo stat blocks print it.</summary>
    public sealed class ProcStatEntry
    {
        /// <summary>Creates an entry.</summary>
        /// <param name="name">The vmstat_text[] name, e.g. "nr_free_pages".</param>
        /// <param name="value">The value (the kernel prints it as %lu).</param>
        public ProcStatEntry(string name, long value)
        {
            if (name is null) throw new ArgumentNullException(nameof(name));
            if (name.Length == 0 || name.IndexOfAny(new[] { ' ', '\t', '\n', '\r' }) >= 0)
                throw new ArgumentException("A counter name is one non-empty word.", nameof(name));
            if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "Counters print as unsigned and cannot be negative.");
            Name = name;
            Value = value;
        }

        /// <summary>The counter's name.</summary>
        public string Name { get; }

        /// <summary>The counter's value.</summary>
        public long Value { get; }

        /// <inheritdoc />
        public override string ToString() => Name + " " + CFormat.U(Value);
    }
}
