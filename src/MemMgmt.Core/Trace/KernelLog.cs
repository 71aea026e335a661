using System;
using System.Collections.Generic;
using System.Globalization;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Trace
{
    /// <summary>printk log levels (include/linux/kern_levels.h).</summary>
    public enum KernLevel : byte { Emerg = 0, Alert, Crit, Err, Warning, Notice, Info, Debug }

    /// <summary>One line of the kernel log, as dmesg shows it.</summary>
    public sealed class KernelLogEntry
    {
        internal KernelLogEntry(MemNode node, long seq, long timeNs, KernLevel level, string text)
        {
            Node = node; Sequence = seq; TimeNs = timeNs; Level = level; Text = text;
        }

        public MemNode Node { get; }
        public long Sequence { get; }
        public long TimeNs { get; }
        public double Timestamp => TimeNs / 1e9;
        public KernLevel Level { get; }
        public string Text { get; }

        /// <summary>The line dmesg prints: "[%5lu.%06lu] text" (printk_time).</summary>
        public string Line
        {
            get
            {
                long sec = TimeNs / 1_000_000_000, usec = TimeNs % 1_000_000_000 / 1000;
                return string.Format(CultureInfo.InvariantCulture, "[{0,5}.{1:000000}] {2}", sec, usec, Text);
            }
        }

        public override string ToString() => Line;
    }

    /// <summary>The node's printk ring buffer (log_buf): the newest lines, oldest overwritten first.</summary>
    public sealed class KernelLog
    {
        public const int DefaultCapacity = 4096;

        private readonly (long Seq, long TimeNs, KernLevel Level, string Text)[] _ring;
        private long _written, _cleared;

        public KernelLog(int capacity = DefaultCapacity) { _ring = new (long, long, KernLevel, string)[capacity]; }

        internal KernelLog Clone()
        {
            var c = new KernelLog(_ring.Length);
            Array.Copy(_ring, c._ring, _ring.Length);
            c._written = _written;
            c._cleared = _cleared;
            return c;
        }

        internal void Write(SnapshotWriter w)
        {
            w.Int(_ring.Length); w.Long(_written); w.Long(_cleared);
            // Only the slots written so far hold lines; the rest are empty.
            long filled = Math.Min(_written, _ring.Length);
            for (long i = 0; i < filled; i++)
            {
                var e = _ring[i];
                w.Long(e.Seq); w.Long(e.TimeNs); w.Byte((byte)e.Level); w.String(e.Text);
            }
        }

        internal static KernelLog Read(SnapshotReader r)
        {
            var log = new KernelLog(r.Int(1, 1 << 24));
            log._written = r.Long(); log._cleared = r.Long();
            if (log._written < 0 || log._cleared < 0 || log._cleared > log._written) throw new SnapshotFormatException("kernel log counters out of range");
            long filled = Math.Min(log._written, log._ring.Length);
            for (long i = 0; i < filled; i++)
                log._ring[i] = (r.Long(), r.Long(), (KernLevel)r.Byte(), r.RequiredString());
            return log;
        }

        public int Capacity => _ring.Length;
        /// <summary>Lines ever logged (the sequence number of the next one).</summary>
        public long Written => _written;

        /// <summary>printk at the node's virtual time.</summary>
        internal void Printk(MemNode node, KernLevel level, string text)
        {
            _ring[_written % _ring.Length] = (_written, node.Clock.NowNs, level, text);
            _written++;
        }

        /// <summary>The lines still in the ring, oldest first.</summary>
        public IReadOnlyList<KernelLogEntry> Entries(MemNode node)
        {
            long first = Math.Max(_cleared, _written - _ring.Length);
            var list = new List<KernelLogEntry>((int)(_written - first));
            for (long s = first; s < _written; s++)
            {
                var r = _ring[s % _ring.Length];
                list.Add(new KernelLogEntry(node, r.Seq, r.TimeNs, r.Level, r.Text));
            }
            return list;
        }

        /// <summary>dmesg -C.</summary>
        public void Clear() => _cleared = _written;
    }
}
