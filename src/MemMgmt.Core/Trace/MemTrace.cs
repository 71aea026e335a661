using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Trace
{
    /// <summary>The tracepoints the simulator emits, by their kernel names.</summary>
    public enum TraceEventId : byte
    {
        mm_compaction_isolate_migratepages,
        mm_compaction_isolate_freepages,
        mm_compaction_migratepages,
        mm_compaction_begin,
        mm_compaction_end,
        mm_compaction_try_to_compact_pages,
        mm_compaction_finished,
        mm_compaction_suitable,
        mm_compaction_deferred,
        mm_compaction_defer_compaction,
        mm_compaction_defer_reset,
        mm_compaction_kcompactd_sleep,
        mm_compaction_wakeup_kcompactd,
        mm_compaction_kcompactd_wake,
        mm_page_alloc_extfrag,
        mm_migrate_pages,
        mm_vmscan_kswapd_sleep,
        mm_vmscan_kswapd_wake,
        mm_vmscan_wakeup_kswapd,
        mm_vmscan_direct_reclaim_begin,
        mm_vmscan_direct_reclaim_end,
        mm_vmscan_lru_isolate,
        mm_vmscan_lru_shrink_inactive,
        mm_vmscan_lru_shrink_active,
        mm_vmscan_inactive_list_is_low,
        mm_shrink_slab_start,
        mm_shrink_slab_end,
        balance_dirty_pages,
        compact_retry,
    }

    /// <summary>One recorded event: raw fields in a fixed struct so recording allocates nothing.</summary>
    internal struct TraceRecord
    {
        internal long TimeNs;
        internal TraceEventId Id;
        internal byte Cpu;
        internal byte Task;
        internal long A, B, C, D, E, F, G;
    }

    /// <summary>A tracepoint event with its kernel field names, as Get-MemTrace returns it.</summary>
    public sealed class TraceEvent
    {
        internal TraceEvent(MemNode node, long seq, long timeNs, string task, int pid, int cpu, TraceEventId id,
            IReadOnlyDictionary<string, object> fields, string text)
        {
            Node = node; Sequence = seq; TimeNs = timeNs; Task = task; Pid = pid; Cpu = cpu; Event = id; Fields = fields; Text = text;
        }

        public MemNode Node { get; }
        public long Sequence { get; }
        public long TimeNs { get; }
        public double Timestamp => TimeNs / 1e9;
        public string Task { get; }
        public int Pid { get; }
        public int Cpu { get; }
        public TraceEventId Event { get; }
        public string Name => Event.ToString();
        /// <summary>TP_STRUCT__entry fields by their kernel names.</summary>
        public IReadOnlyDictionary<string, object> Fields { get; }
        /// <summary>The TP_printk text.</summary>
        public string Text { get; }

        /// <summary>The line /sys/kernel/debug/tracing/trace prints for this event.</summary>
        public string ToFtraceLine()
        {
            string head = (Task + "-" + Pid.ToString(CultureInfo.InvariantCulture)).PadLeft(22);
            long sec = TimeNs / 1_000_000_000, usec = TimeNs % 1_000_000_000 / 1000;
            return string.Format(CultureInfo.InvariantCulture, "{0} [{1:000}] .... {2,5}.{3:000000}: {4}: {5}", head, Cpu, sec, usec, Name, Text);
        }

        public override string ToString() => ToFtraceLine();
    }

    /// <summary>The node's trace ring buffer (the ftrace instance): tracepoints record into it while enabled.</summary>
    public sealed class MemTrace
    {
        private TraceRecord[] _ring;
        /// <summary>TP_printk text of events whose producer formats it (most mm_vmscan_* ones), beside their ring slots; made on first use.</summary>
        private string?[]? _text;
        private long _written;
        internal static readonly string[] TaskNames = { "memsh", "kcompactd0", "kswapd0" };
        internal static readonly int[] TaskPids = { 1000, 33, 32 };
        internal const byte TaskUser = 0, TaskKcompactd = 1, TaskKswapd = 2;

        internal MemTrace(int capacity) { _ring = new TraceRecord[capacity]; Enabled = true; }

        internal MemTrace Clone()
        {
            var c = (MemTrace)MemberwiseClone();
            c._ring = (TraceRecord[])_ring.Clone();
            c._text = (string?[]?)_text?.Clone();
            return c;
        }

        /// <summary>The buffer's settings, and with <paramref name="events"/> its recorded events; without them the
        /// loaded buffer is empty.</summary>
        internal void Write(SnapshotWriter w, bool events)
        {
            w.Int(_ring.Length); w.Bool(Enabled); w.Byte(CurrentTask); w.Bool(events);
            if (!events) return;
            w.Long(_written);
            long filled = Math.Min(_written, _ring.Length);
            w.Bool(_text != null);
            for (long i = 0; i < filled; i++)
            {
                ref var e = ref _ring[i];
                w.Long(e.TimeNs); w.Byte((byte)e.Id); w.Byte(e.Cpu); w.Byte(e.Task);
                w.Long(e.A); w.Long(e.B); w.Long(e.C); w.Long(e.D); w.Long(e.E); w.Long(e.F); w.Long(e.G);
                if (_text != null) w.String(_text[i]);
            }
        }

        internal static MemTrace Read(SnapshotReader r)
        {
            var t = new MemTrace(r.Int(16, 1 << 24)) { Enabled = r.Bool(), CurrentTask = r.Byte() };
            if (!r.Bool()) return t;
            t._written = r.Long();
            if (t._written < 0) throw new SnapshotFormatException("trace event count out of range");
            long filled = Math.Min(t._written, t._ring.Length);
            if (r.Bool()) t._text = new string?[t._ring.Length];
            for (long i = 0; i < filled; i++)
            {
                ref var e = ref t._ring[i];
                e.TimeNs = r.Long(); e.Id = (TraceEventId)r.Byte(); e.Cpu = r.Byte(); e.Task = r.Byte();
                e.A = r.Long(); e.B = r.Long(); e.C = r.Long(); e.D = r.Long(); e.E = r.Long(); e.F = r.Long(); e.G = r.Long();
                if (t._text != null) t._text[i] = r.String();
            }
            return t;
        }

        /// <summary>tracing_on: events are recorded only while true (default true).</summary>
        public bool Enabled { get; set; }
        /// <summary>Ring capacity in events (buffer_size_kb, in events); older events are overwritten.</summary>
        public int Capacity => _ring.Length;
        /// <summary>Events recorded since the last clear, including those overwritten.</summary>
        public long Written => _written;
        /// <summary>The task recording now (direct work in the caller's context or kcompactd).</summary>
        internal byte CurrentTask;

        internal void Clear() => _written = 0;

        internal void Resize(int capacity)
        {
            if (capacity < 16 || capacity > 1 << 24)
                throw new MemMgmtException("TraceBufferSizeOutOfRange", ErrorKind.OutOfRange,
                    $"Trace buffer size {capacity} is out of range; allowed 16 to 16777216 events.", capacity);
            _ring = new TraceRecord[capacity];
            _text = null;
            _written = 0;
        }

        internal void Record(MemNode node, TraceEventId id, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0, long g = 0)
        {
            if (!Enabled) return;
            ref var r = ref _ring[_written % _ring.Length];
            r.TimeNs = node.Clock.NowNs;
            r.Id = id;
            r.Cpu = 0;
            r.Task = CurrentTask;
            r.A = a; r.B = b; r.C = c; r.D = d; r.E = e; r.F = f; r.G = g;
            if (_text != null) _text[_written % _ring.Length] = null;
            _written++;
        }

        /// <summary>Records an event whose producer formats its TP_printk text itself ("field=value …", as vmscan's are).</summary>
        internal void RecordText(MemNode node, TraceEventId id, string text)
        {
            if (!Enabled) return;
            _text ??= new string?[_ring.Length];
            long slot = _written % _ring.Length;
            Record(node, id);
            _text[slot] = text;
        }

        /// <summary>The recorded events, oldest first.</summary>
        public IReadOnlyList<TraceEvent> Events(MemNode node)
        {
            long first = _written > _ring.Length ? _written - _ring.Length : 0;
            var list = new List<TraceEvent>((int)(_written - first));
            for (long s = first; s < _written; s++) list.Add(Render(node, s, _ring[s % _ring.Length], _text?[s % _ring.Length]));
            return list;
        }

        /// <summary>The buffer as `cat /sys/kernel/debug/tracing/trace` prints it.</summary>
        public string RenderFtrace(MemNode node, IEnumerable<TraceEvent>? events = null)
        {
            var list = events == null ? new List<TraceEvent>(Events(node)) : new List<TraceEvent>(events);
            var sb = new StringBuilder();
            sb.Append("# tracer: nop\n#\n");
            sb.Append("# entries-in-buffer/entries-written: ").Append(list.Count).Append('/').Append(_written).Append("   #P:").Append(node.NrCpus).Append('\n');
            sb.Append("#\n");
            sb.Append("#                              _-----=> irqs-off\n");
            sb.Append("#                             / _----=> need-resched\n");
            sb.Append("#                            | / _---=> hardirq/softirq\n");
            sb.Append("#                            || / _--=> preempt-depth\n");
            sb.Append("#                            ||| /     delay\n");
            sb.Append("#           TASK-PID   CPU#  ||||    TIMESTAMP  FUNCTION\n");
            sb.Append("#              | |       |   ||||       |         |\n");
            foreach (var e in list) sb.Append(e.ToFtraceLine()).Append('\n');
            return sb.ToString();
        }

        private static string ZoneName(MemNode node, long idx) => node.Kernel.ZoneTypes[(int)idx].ToString();

        private static string Hex(long v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);

        private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

        /// <summary>arm64 4.14 vmemmap: struct page address for a pfn (VMEMMAP_START 0xffff7e0000000000, 64-byte pages).</summary>
        internal static string PagePointer(long pfn) => unchecked((ulong)(0xffff7e0000000000UL + (ulong)pfn * 64UL)).ToString("x16", CultureInfo.InvariantCulture);

        /// <summary>An event recorded as text: its fields are the text's "name=value" pairs (numbers where they parse).</summary>
        private static TraceEvent RenderText(MemNode node, long seq, TraceRecord r, string text, Dictionary<string, object> f)
        {
            if (r.Id == TraceEventId.mm_shrink_slab_start || r.Id == TraceEventId.mm_shrink_slab_end) return RenderPhrases(node, seq, r, text, f);
            foreach (var token in text.Split(' '))
            {
                int eq = token.IndexOf('=');
                if (eq <= 0) continue;
                string value = token.Substring(eq + 1);
                f[token.Substring(0, eq)] = long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) ? n : (object)value;
            }
            return new TraceEvent(node, seq, r.TimeNs, TaskNames[r.Task], TaskPids[r.Task], r.Cpu, r.Id, f, text);
        }

        /// <summary>The shrinker events print "phrase value" pairs rather than name=value (TP_printk of
        /// mm_shrink_slab_start/end, 4.14); each phrase maps to the event's field name.</summary>
        private static readonly (string Phrase, string Field)[] ShrinkSlabPhrases =
        {
            ("nid: ", "nid"), ("objects to shrink ", "nr_objects_to_shrink"), ("gfp_flags ", "gfp_flags"),
            ("pgs_scanned ", "pgs_scanned"), ("lru_pgs ", "lru_pgs"), ("cache items ", "cache_items"), ("delta ", "delta"),
            ("unused scan count ", "unused_scan"), ("new scan count ", "new_scan"), ("total_scan ", "total_scan"),
            ("last shrinker return val ", "retval"),
        };

        private static TraceEvent RenderPhrases(MemNode node, long seq, TraceRecord r, string text, Dictionary<string, object> f)
        {
            int sp = text.IndexOf(' ');
            if (sp > 0) f["shrink"] = text.Substring(0, sp);
            foreach (var (phrase, field) in ShrinkSlabPhrases)
            {
                int at = text.IndexOf(phrase, StringComparison.Ordinal);
                if (at < 0) continue;
                int start = at + phrase.Length, end = start;
                while (end < text.Length && text[end] != ' ' && text[end] != ':') end++;
                string value = text.Substring(start, end - start);
                f[field] = long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) ? n : (object)value;
            }
            return new TraceEvent(node, seq, r.TimeNs, TaskNames[r.Task], TaskPids[r.Task], r.Cpu, r.Id, f, text);
        }

        private TraceEvent Render(MemNode node, long seq, TraceRecord r, string? recordedText)
        {
            var f = new Dictionary<string, object>(StringComparer.Ordinal);
            string text;
            if (recordedText != null) return RenderText(node, seq, r, recordedText, f);
            switch (r.Id)
            {
                case TraceEventId.mm_compaction_isolate_migratepages:
                case TraceEventId.mm_compaction_isolate_freepages:
                    // TP: start_pfn, end_pfn, nr_scanned, nr_taken
                    f["start_pfn"] = r.A; f["end_pfn"] = r.B; f["nr_scanned"] = r.C; f["nr_taken"] = r.D;
                    text = $"range=({Hex(r.A)} ~ {Hex(r.B)}) nr_scanned={I(r.C)} nr_taken={I(r.D)}";
                    break;
                case TraceEventId.mm_compaction_migratepages:
                    f["nr_migrated"] = r.A; f["nr_failed"] = r.B;
                    text = $"nr_migrated={I(r.A)} nr_failed={I(r.B)}";
                    break;
                case TraceEventId.mm_compaction_begin:
                    f["zone_start"] = r.A; f["migrate_pfn"] = r.B; f["free_pfn"] = r.C; f["zone_end"] = r.D; f["sync"] = r.E != 0;
                    text = $"zone_start={Hex(r.A)} migrate_pfn={Hex(r.B)} free_pfn={Hex(r.C)} zone_end={Hex(r.D)}, mode={(r.E != 0 ? "sync" : "async")}";
                    break;
                case TraceEventId.mm_compaction_end:
                    f["zone_start"] = r.A; f["migrate_pfn"] = r.B; f["free_pfn"] = r.C; f["zone_end"] = r.D; f["sync"] = r.E != 0; f["status"] = (CompactResult)r.F;
                    text = $"zone_start={Hex(r.A)} migrate_pfn={Hex(r.B)} free_pfn={Hex(r.C)} zone_end={Hex(r.D)}, mode={(r.E != 0 ? "sync" : "async")} status={CompactionNames.Status((CompactResult)r.F)}";
                    break;
                case TraceEventId.mm_compaction_try_to_compact_pages:
                    f["order"] = (int)r.A; f["gfp_mask"] = (GfpFlags)r.B; f["prio"] = (int)r.C;
                    // TP_printk("order=%d gfp_mask=0x%x priority=%d"): the raw mask, not show_gfp_flags.
                    text = $"order={I(r.A)} gfp_mask=0x{((uint)r.B).ToString("x", CultureInfo.InvariantCulture)} priority={I(r.C)}";
                    break;
                case TraceEventId.mm_compaction_finished:
                case TraceEventId.mm_compaction_suitable:
                    f["nid"] = node.NodeId; f["idx"] = (int)r.A; f["order"] = (int)r.B; f["ret"] = (CompactResult)r.C;
                    text = $"node={node.NodeId} zone={ZoneName(node, r.A),-8} order={I(r.B)} ret={CompactionNames.Status((CompactResult)r.C)}";
                    break;
                case TraceEventId.mm_compaction_deferred:
                case TraceEventId.mm_compaction_defer_compaction:
                case TraceEventId.mm_compaction_defer_reset:
                    f["nid"] = node.NodeId; f["idx"] = (int)r.A; f["order"] = (int)r.B; f["considered"] = (int)r.C; f["defer_shift"] = (int)r.D; f["order_failed"] = (int)r.E;
                    text = $"node={node.NodeId} zone={ZoneName(node, r.A),-8} order={I(r.B)} order_failed={I(r.E)} consider={I(r.C)} limit={I(1L << (int)r.D)}";
                    break;
                case TraceEventId.mm_compaction_kcompactd_sleep:
                    f["nid"] = node.NodeId;
                    text = $"nid={node.NodeId}";
                    break;
                case TraceEventId.mm_compaction_wakeup_kcompactd:
                case TraceEventId.mm_compaction_kcompactd_wake:
                    f["nid"] = node.NodeId; f["order"] = (int)r.A; f["classzone_idx"] = (int)r.B;
                    text = $"nid={node.NodeId} order={I(r.A)} classzone_idx={ZoneName(node, r.B),-8}";
                    break;
                case TraceEventId.mm_page_alloc_extfrag:
                    f["page"] = r.A; f["alloc_order"] = (int)r.B; f["fallback_order"] = (int)r.C; f["alloc_migratetype"] = (int)r.D;
                    f["fallback_migratetype"] = (int)r.E; f["change_ownership"] = r.F != 0;
                    text = $"page={PagePointer(r.A)} pfn={I(r.A)} alloc_order={I(r.B)} fallback_order={I(r.C)} pageblock_order={node.PbOrder} alloc_migratetype={I(r.D)} fallback_migratetype={I(r.E)} fragmenting={(r.C < node.PbOrder ? 1 : 0)} change_ownership={I(r.F)}";
                    break;
                case TraceEventId.mm_vmscan_kswapd_sleep:
                    f["nid"] = (long)node.NodeId;
                    text = $"nid={node.NodeId}";
                    break;
                case TraceEventId.mm_vmscan_kswapd_wake:
                case TraceEventId.mm_vmscan_wakeup_kswapd:
                    f["nid"] = (long)node.NodeId; f["zid"] = r.A; f["order"] = r.B;
                    text = $"nid={node.NodeId} zid={I(r.A)} order={I(r.B)}";
                    break;
                case TraceEventId.mm_vmscan_direct_reclaim_end:
                    f["nr_reclaimed"] = r.A;
                    text = $"nr_reclaimed={I(r.A)}";
                    break;
                case TraceEventId.compact_retry:
                    // include/trace/events/oom.h (4.14): the priority and compact_result_to_feedback's class by name.
                    f["order"] = (int)r.A; f["priority"] = (CompactPriority)r.B; f["result"] = (CompactResult)r.C;
                    f["retries"] = (int)r.D; f["max_retries"] = (int)r.E; f["ret"] = r.F != 0;
                    text = $"order={I(r.A)} priority={CompactionNames.PriorityName((CompactPriority)r.B)} compaction_result={CompactionNames.Feedback((CompactResult)r.C)} retries={I(r.D)} max_retries={I(r.E)} should_retry={I(r.F)}";
                    break;
                default: // mm_migrate_pages
                    f["succeeded"] = r.A; f["failed"] = r.B; f["mode"] = (MigrateMode)r.C; f["reason"] = "compaction";
                    text = $"nr_succeeded={I(r.A)} nr_failed={I(r.B)} mode={CompactionNames.Mode((MigrateMode)r.C)} reason=compaction";
                    break;
            }
            int task = r.Task;
            return new TraceEvent(node, seq, r.TimeNs, TaskNames[task], TaskPids[task], r.Cpu, r.Id, f, text);
        }
    }

    /// <summary>show_gfp_flags (include/trace/events/mmflags.h, 4.14): composite names first, then single bits, joined by '|'.</summary>
    public static class GfpText
    {
        private static readonly (GfpFlags Mask, string Name)[] Table =
        {
            (GfpFlags.GFP_TRANSHUGE, "GFP_TRANSHUGE"),
            (GfpFlags.GFP_TRANSHUGE_LIGHT, "GFP_TRANSHUGE_LIGHT"),
            (GfpFlags.GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE"),
            (GfpFlags.GFP_HIGHUSER, "GFP_HIGHUSER"),
            (GfpFlags.GFP_USER, "GFP_USER"),
            (GfpFlags.GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT"),
            (GfpFlags.GFP_KERNEL, "GFP_KERNEL"),
            (GfpFlags.GFP_NOFS, "GFP_NOFS"),
            (GfpFlags.GFP_ATOMIC, "GFP_ATOMIC"),
            (GfpFlags.GFP_NOIO, "GFP_NOIO"),
            (GfpFlags.GFP_NOWAIT, "GFP_NOWAIT"),
            (GfpFlags.GFP_DMA, "GFP_DMA"),
            (GfpFlags.__GFP_HIGHMEM, "__GFP_HIGHMEM"),
            (GfpFlags.GFP_DMA32, "GFP_DMA32"),
            (GfpFlags.__GFP_HIGH, "__GFP_HIGH"),
            (GfpFlags.__GFP_ATOMIC, "__GFP_ATOMIC"),
            (GfpFlags.__GFP_IO, "__GFP_IO"),
            (GfpFlags.__GFP_FS, "__GFP_FS"),
            (GfpFlags.__GFP_COLD, "__GFP_COLD"),
            (GfpFlags.__GFP_NOWARN, "__GFP_NOWARN"),
            (GfpFlags.__GFP_RETRY_MAYFAIL, "__GFP_RETRY_MAYFAIL"),
            (GfpFlags.__GFP_NOFAIL, "__GFP_NOFAIL"),
            (GfpFlags.__GFP_NORETRY, "__GFP_NORETRY"),
            (GfpFlags.__GFP_COMP, "__GFP_COMP"),
            (GfpFlags.__GFP_ZERO, "__GFP_ZERO"),
            (GfpFlags.__GFP_NOMEMALLOC, "__GFP_NOMEMALLOC"),
            (GfpFlags.__GFP_MEMALLOC, "__GFP_MEMALLOC"),
            (GfpFlags.__GFP_HARDWALL, "__GFP_HARDWALL"),
            (GfpFlags.__GFP_THISNODE, "__GFP_THISNODE"),
            (GfpFlags.__GFP_RECLAIMABLE, "__GFP_RECLAIMABLE"),
            (GfpFlags.__GFP_MOVABLE, "__GFP_MOVABLE"),
            (GfpFlags.__GFP_ACCOUNT, "__GFP_ACCOUNT"),
            (GfpFlags.__GFP_WRITE, "__GFP_WRITE"),
            (GfpFlags.__GFP_RECLAIM, "__GFP_RECLAIM"),
            (GfpFlags.__GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM"),
            (GfpFlags.__GFP_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM"),
        };

        /// <summary>The mask as the kernel's trace output prints it; "none" for 0.</summary>
        public static string Show(GfpFlags gfp)
        {
            if (gfp == 0) return "none";
            var parts = new List<string>();
            uint rest = (uint)gfp;
            foreach (var (mask, name) in Table)
            {
                uint m = (uint)mask;
                if (m != 0 && (rest & m) == m) { parts.Add(name); rest &= ~m; }
            }
            if (rest != 0) parts.Add("0x" + rest.ToString("x", CultureInfo.InvariantCulture));
            return string.Join("|", parts);
        }
    }
}

namespace MemMgmt.Core.Trace
{
    /// <summary>What `echo > trace` and tracing_on do.</summary>
    public static class TraceControl
    {
        /// <summary>Empties the node's trace buffer.</summary>
        public static void Clear(MemNode node) => node.Trace.Clear();

        /// <summary>Sets the buffer size in events (clears it); 16 to 16777216.</summary>
        public static void Resize(MemNode node, int events) => node.Trace.Resize(events);
    }
}
