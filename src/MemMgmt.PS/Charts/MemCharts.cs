using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.PS.Infrastructure;
using ScottPlot;

namespace MemMgmt.PS.Charts
{
    /// <summary>The charts Export-MemChart draws, built as ScottPlot plots.</summary>
    public static class MemCharts
    {
        /// <summary>Pixels per pageblock cell, in both directions, of the pageblock map image.</summary>
        public const int CellPixels = 8;

        /// <summary>Pageblocks per row of the pageblock map image.</summary>
        public const int MapColumns = 64;

        /// <summary>How much of the way to white a wholly free block's colour goes (a full block shows the type's colour).</summary>
        public const double FreeLightening = 0.75;

        /// <summary>Size of the FreeByOrder and Timeline images unless -Width/-Height say otherwise.</summary>
        public const int DefaultWidth = 800, DefaultHeight = 500;

        /// <summary>The colour of a migrate type: the hues of the terminal map (Show-PageblockMap).</summary>
        public static (byte R, byte G, byte B) TypeColour(MigrateType type) => type switch
        {
            MigrateType.Unmovable => (0xd6, 0x27, 0x28),
            MigrateType.Movable => (0x2c, 0xa0, 0x2c),
            MigrateType.Reclaimable => (0xe6, 0xb8, 0x00),
            MigrateType.HighAtomic => (0xc0, 0x00, 0xc0),
            MigrateType.Cma => (0x1f, 0x77, 0xb4),
            _ => (0x17, 0xbe, 0xcf),
        };

        /// <summary>A block's fill: its type's colour moved toward white by FreeLightening times its free fraction
        /// (buddy and pcp pages), each channel rounded down.</summary>
        public static (byte R, byte G, byte B) CellColour(MigrateType type, long freePages, long blockPages)
        {
            var c = TypeColour(type);
            double f = FreeLightening * Math.Min(1.0, (double)freePages / blockPages);
            byte Mix(byte v) => (byte)(v + (int)((255 - v) * f));
            return (Mix(c.R), Mix(c.G), Mix(c.B));
        }

        private static Color ToColor((byte R, byte G, byte B) c) => new Color(c.R, c.G, c.B);

        /// <summary>One CellPixels square per pageblock, MapColumns to a row, in pfn order from the top left, without axes:
        /// block i is at column i % MapColumns, row i / MapColumns. A block whose skip bit is set gets a black bar over the
        /// top quarter of its cell.</summary>
        public static Plot PageblockMap(MemNode node, out int width, out int height)
        {
            var blocks = PageblockCensus.TakeAll(node);
            int rows = (blocks.Count + MapColumns - 1) / MapColumns;
            int cols = Math.Min(MapColumns, blocks.Count);
            width = cols * CellPixels;
            height = rows * CellPixels;
            var plot = new Plot();
            plot.Layout.Frameless();
            plot.HideGrid();
            long blockPages = node.Geometry.PageblockNrPages;
            for (int i = 0; i < blocks.Count; i++)
            {
                var b = blocks[i];
                double x = i % MapColumns, top = rows - i / MapColumns;
                var rect = plot.Add.Rectangle(x, x + 1, top - 1, top);
                rect.FillColor = ToColor(CellColour(b.MigrateType, b.FreePages + b.PcpPages, blockPages));
                rect.LineWidth = 0;
                if (b.Skip)
                {
                    var bar = plot.Add.Rectangle(x, x + 1, top - 0.25, top);
                    bar.FillColor = Colors.Black;
                    bar.LineWidth = 0;
                }
            }
            plot.Axes.SetLimits(0, cols, 0, rows);
            return plot;
        }

        /// <summary>Free pages by order, one stacked bar per order, one segment per migrate type (free blocks times 2^order,
        /// summed over the populated zones).</summary>
        public static Plot FreeByOrder(MemNode node)
        {
            var plot = new Plot();
            var types = NodeViews.PrintedMigrateTypes(node);
            var bars = new List<Bar>();
            for (int o = 0; o < node.Geometry.MaxOrder; o++)
            {
                double acc = 0;
                foreach (var t in types)
                {
                    long pages = 0;
                    foreach (var zone in node.Zones)
                        if (zone.IsPopulated) pages += zone.CountFreeList(o, t) << o;
                    if (pages == 0) continue;
                    bars.Add(new Bar { Position = o, ValueBase = acc, Value = acc + pages, FillColor = ToColor(TypeColour(t)), LineWidth = 0 });
                    acc += pages;
                }
            }
            plot.Add.Bars(bars.ToArray());
            foreach (var t in types)
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = MigrateTypes.KernelName(t), FillColor = ToColor(TypeColour(t)) });
            plot.ShowLegend();
            plot.Title($"Free pages by order and migrate type: {node.Name}");
            plot.XLabel("order");
            plot.YLabel("free pages");
            plot.Axes.Margins(bottom: 0);
            return plot;
        }

        /// <summary>The recording's columns over virtual time: free blocks by order and the counters on the left axis, the
        /// fragmentation indexes on the right one.</summary>
        public static Plot Timeline(IReadOnlyList<PSObject> rows)
        {
            var plot = new Plot();
            var first = rows[0];
            double[] xs = Column(rows, SampleRows.TimeColumn);
            foreach (var p in first.Properties)
            {
                string name = p.Name;
                if (name == SampleRows.TimeColumn || name == SampleRows.FreePagesColumn) continue;
                var line = plot.Add.ScatterLine(xs, Column(rows, name));
                line.LegendText = name;
                if (name.StartsWith(SampleRows.FragPrefix, StringComparison.Ordinal))
                {
                    line.Axes.YAxis = plot.Axes.Right;
                    line.LinePattern = LinePattern.Dashed;
                }
            }
            plot.ShowLegend();
            plot.Title("Timeline");
            plot.XLabel("virtual time (ms)");
            plot.YLabel("free blocks / counter value");
            plot.Axes.Right.Label.Text = "fragmentation index";
            return plot;
        }

        /// <summary>A numeric column of the rows (samples straight from Stop-MemRecording, or read back by Import-Csv).</summary>
        public static double[] Column(IReadOnlyList<PSObject> rows, string name)
        {
            var values = new double[rows.Count];
            for (int i = 0; i < rows.Count; i++)
            {
                object? v = rows[i].Properties[name]?.Value;
                if (v is PSObject pso) v = pso.BaseObject;
                values[i] = v switch
                {
                    null => double.NaN,
                    string s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : double.NaN,
                    IConvertible c => c.ToDouble(CultureInfo.InvariantCulture),
                    _ => double.NaN,
                };
            }
            return values;
        }
    }
}
