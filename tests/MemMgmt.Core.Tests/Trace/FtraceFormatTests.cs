using System;
using System.IO;
using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Tests.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Trace
{
    /// <summary>The trace buffer's layout per profile: 4.14's trace_print_context ("%16s-%-5d [%03d] " and four latency
    /// flags, kernel/trace/trace_output.c) and 6.1's, checked against the real 6.1 kernel's trace in the QEMU captures.</summary>
    public class FtraceFormatTests
    {
        private static string[] CaptureLines(string scenario, string phase) => ProcCaptures.HarnessFile(scenario, phase, "trace.txt").Split('\n');

        private static MemNode Node(KernelProfile kernel) => new MemNode(new NodeConfig { Kernel = kernel });

        /// <summary>The TP_printk text: what follows "name: " after the timestamp.</summary>
        private static string Event(string line, string name) => line.Substring(line.IndexOf(name + ": ", StringComparison.Ordinal) + name.Length + 2);

        [Fact]
        public void Linux61_HeaderIsTheCapturedKernels()
        {
            var node = Node(KernelProfile.Linux61);
            string[] ours = node.Trace.RenderFtrace(node).Split('\n');
            string[] real = CaptureLines("odd", "frag");
            // Line 3 counts the entries; every other header line is fixed text.
            for (int i = 0; i < 12; i++)
                if (i != 2) Assert.Equal(real[i], ours[i]);
            Assert.StartsWith("# entries-in-buffer/entries-written: ", ours[2]);
        }

        [Fact]
        public void Linux61_EventLinesHaveTheCapturedColumnsAndTexts()
        {
            var node = Node(KernelProfile.Linux61);
            string[] real = CaptureLines("odd", "frag");
            string realExtfrag = real.First(l => l.Contains("mm_page_alloc_extfrag: "));
            string realCompact = CaptureLines("odd", "hugepages1").First(l => l.Contains("mm_compaction_try_to_compact_pages: "));
            // pfn 0x4e000, order 0 from a MAX_ORDER Movable block, ownership changed (the capture's first fallback).
            node.Trace.Record(node, TraceEventId.mm_page_alloc_extfrag, 0x4e000, 0, 10, 0, 1, 1);
            var gfp = GfpFlags.GFP_HIGHUSER_MOVABLE | GfpFlags.__GFP_NOWARN | GfpFlags.__GFP_RETRY_MAYFAIL | GfpFlags.__GFP_COMP | GfpFlags.__GFP_THISNODE;
            node.Trace.Record(node, TraceEventId.mm_compaction_try_to_compact_pages, 9, (long)gfp, 2);
            var events = node.Trace.Events(node);
            Assert.Equal(Event(realExtfrag, "mm_page_alloc_extfrag"), events[0].Text);
            Assert.Equal(Event(realCompact, "mm_compaction_try_to_compact_pages"), events[1].Text);
            string line = events[0].ToFtraceLine();
            // The same columns: '[' after "%16s-%-7d ", the timestamp's point, the colon after it.
            Assert.Equal(realExtfrag.IndexOf('['), line.IndexOf('['));
            Assert.Equal(realExtfrag.IndexOf(": ", StringComparison.Ordinal), line.IndexOf(": ", StringComparison.Ordinal));
            Assert.Matches(@"^ {11}memsh-1000    \[000\] \.\.\.\.\. +\d+\.\d{6}: mm_page_alloc_extfrag: ", line);
        }

        [Fact]
        public void Linux414_PrintsThePidInFiveColumnsAndTheRawMask()
        {
            var node = Node(KernelProfile.Linux414);
            node.Trace.CurrentTask = MemTrace.TaskKswapd;
            node.Trace.Record(node, TraceEventId.mm_vmscan_kswapd_sleep);
            node.Trace.CurrentTask = MemTrace.TaskUser;
            node.Trace.Record(node, TraceEventId.mm_compaction_try_to_compact_pages, 3, (long)GfpFlags.GFP_HIGHUSER_MOVABLE, 1);
            node.Trace.Record(node, TraceEventId.mm_page_alloc_extfrag, 0x4e000, 0, 10, 0, 1, 1);
            var events = node.Trace.Events(node);
            Assert.Equal("         kswapd0-32    [000] ....     0.000000: mm_vmscan_kswapd_sleep: nid=0", events[0].ToFtraceLine());
            Assert.Equal("order=3 gfp_mask=0x14200ca priority=1", events[1].Text);
            Assert.StartsWith("page=ffff7e0001380000 pfn=319488 alloc_order=0", events[2].Text);
        }
    }
}
