using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Time;

namespace MemMgmt.Core.Stats
{
    /// <summary>One sample of a recording: the node's free memory by order, each populated zone's fragmentation index at
    /// the recording's order, and the chosen vmstat counters, at one virtual time.</summary>
    public sealed class MemSample
    {
        internal MemSample(double timeMs, long freePages, long[] freeBlocks, string[] zones, int[] fragIndex, long[] counters)
        {
            TimeMs = timeMs; FreePages = freePages; FreeBlocks = freeBlocks; Zones = zones; FragmentationIndex = fragIndex; Counters = counters;
        }

        /// <summary>Virtual time of the sample, in milliseconds since the node was made.</summary>
        public double TimeMs { get; }
        /// <summary>nr_free_pages summed over the zones.</summary>
        public long FreePages { get; }
        /// <summary>Free blocks by order (free_area[order].nr_free summed over the zones).</summary>
        public IReadOnlyList<long> FreeBlocks { get; }
        /// <summary>The populated zones, in the order of FragmentationIndex.</summary>
        public IReadOnlyList<string> Zones { get; }
        /// <summary>Each populated zone's fragmentation_index at the recording's order, in thousandths (-1000 when a block
        /// of that order is free, as extfrag_index prints -1.000).</summary>
        public IReadOnlyList<int> FragmentationIndex { get; }
        /// <summary>The recording's counters, in the order of MemRecording.Counters.</summary>
        public IReadOnlyList<long> Counters { get; }
    }

    /// <summary>
    /// A timeline recorder: while it runs, stepping the node's time goes in slices of the recording's interval, and a
    /// sample is taken at the start and after every slice.
    /// </summary>
    public sealed class MemRecording
    {
        private static readonly ConditionalWeakTable<MemNode, MemRecording> Active = new ConditionalWeakTable<MemNode, MemRecording>();
        private readonly List<MemSample> _samples = new List<MemSample>();
        private readonly string[] _counters;

        private MemRecording(MemNode node, int order, string[] counters, long intervalNs)
        {
            Node = node; Order = order; _counters = counters; IntervalNs = intervalNs;
        }

        public MemNode Node { get; }
        /// <summary>The order whose fragmentation index is sampled.</summary>
        public int Order { get; }
        /// <summary>vmstat names of the sampled counters.</summary>
        public IReadOnlyList<string> Counters => _counters;
        /// <summary>Virtual time between samples.</summary>
        public long IntervalNs { get; }
        public IReadOnlyList<MemSample> Samples => _samples;
        /// <summary>Whether Step advances the node through this recording.</summary>
        public bool IsRunning { get; private set; }

        /// <summary>The node's running recording, or null.</summary>
        public static MemRecording? RunningOn(MemNode node) => Active.TryGetValue(node, out var r) ? r : null;

        /// <summary>Starts a recording on the node and takes its first sample. Validates everything first: the order
        /// (0 to MAX_ORDER-1), every counter name (a /proc/vmstat name), the interval (positive) and that the node has no
        /// running recording.</summary>
        public static MemRecording Start(MemNode node, int order, IReadOnlyList<string> counters, long intervalNs)
        {
            if (order < 0 || order >= node.Geometry.MaxOrder)
                throw new MemMgmtException("OrderOutOfRange", ErrorKind.OutOfRange,
                    $"-Order {order} is out of range; allowed 0 to {node.Geometry.MaxOrder - 1}.", order);
            if (intervalNs <= 0)
                throw new MemMgmtException("IntervalOutOfRange", ErrorKind.OutOfRange,
                    $"The sampling interval {intervalNs / 1e6} ms is out of range; allowed more than 0.", intervalNs);
            var vmstat = NodeViews.VmStat(node);
            var names = new string[counters.Count];
            for (int i = 0; i < names.Length; i++)
            {
                if (vmstat[counters[i]] == null)
                    throw new MemMgmtException("UnknownCounter", ErrorKind.InvalidArgument,
                        $"'{counters[i]}' is not a /proc/vmstat counter of this node; Get-VmStat lists the names.", counters[i]);
                names[i] = counters[i];
            }
            if (RunningOn(node) != null)
                throw new MemMgmtException("RecordingRunning", ErrorKind.InvalidOperation,
                    $"Node '{node.Name}' is already recording; stop that recording first.", node.Name);
            var rec = new MemRecording(node, order, names, intervalNs) { IsRunning = true };
            rec.TakeSample();
            Active.Add(node, rec);
            return rec;
        }

        /// <summary>Stops the node's running recording and returns it; NoRecording when none runs.</summary>
        public static MemRecording Stop(MemNode node)
        {
            var rec = RunningOn(node) ?? throw new MemMgmtException("NoRecording", ErrorKind.InvalidOperation,
                $"Node '{node.Name}' has no running recording; start one with Start-MemRecording.", node.Name);
            Active.Remove(node);
            rec.IsRunning = false;
            return rec;
        }

        /// <summary>Advances the node's time by ns in slices that end on the recording's interval, sampling after each,
        /// and reports the whole step as one Daemons.Step would.</summary>
        public StepReport Step(long ns, CancellationToken cancel)
        {
            if (ns < 0)
                throw new MemMgmtException("DurationOutOfRange", ErrorKind.OutOfRange, $"Duration {ns} ns is out of range; allowed 0 or more.", ns);
            long end = Node.Clock.NowNs + ns;
            StepReport? total = null;
            var compactions = new List<ZoneCompactionReport>();
            do
            {
                long now = Node.Clock.NowNs;
                long next = (now / IntervalNs + 1) * IntervalNs;
                var slice = Daemons.Step(Node, Math.Min(end, next) - now, cancel);
                compactions.AddRange(slice.Compactions);
                if (total == null) total = slice;
                else
                {
                    total.KcompactdRan |= slice.KcompactdRan;
                    if (total.Kswapd == null) total.Kswapd = slice.Kswapd;
                    else if (slice.Kswapd != null) total.Kswapd.Merge(slice.Kswapd);
                }
                total.EndNs = slice.EndNs;
                TakeSample();
            }
            while (Node.Clock.NowNs < end && !cancel.IsCancellationRequested);
            total.Compactions = compactions;
            return total;
        }

        private void TakeSample()
        {
            int maxOrder = Node.Geometry.MaxOrder;
            var free = new long[maxOrder];
            var zones = new List<string>();
            var frag = new List<int>();
            long freePages = 0;
            foreach (var zone in Node.Zones)
            {
                if (!zone.IsPopulated) continue;
                var nr = new long[maxOrder];
                for (int o = 0; o < maxOrder; o++) { nr[o] = zone.GetNrFree(o); free[o] += nr[o]; }
                freePages += zone.FreePages;
                zones.Add(zone.Name);
                frag.Add(Fragmentation.FragmentationIndex(nr, Order));
            }
            var vmstat = NodeViews.VmStat(Node);
            var values = new long[_counters.Length];
            for (int i = 0; i < values.Length; i++) values[i] = vmstat[_counters[i]] ?? 0;
            _samples.Add(new MemSample(Node.Clock.NowMs, freePages, free, zones.ToArray(), frag.ToArray(), values));
        }
    }
}
