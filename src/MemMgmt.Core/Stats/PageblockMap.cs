using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Stats
{
    /// <summary>
    /// The node drawn one cell per pageblock, a line per run of blocks of one zone, each line led by its zone and first
    /// pfn. The plain text form (for logs) is a letter per block, uppercase when less than half the block is free; the
    /// terminal form colours a shade glyph by migrate type, darker the fuller the block, on a white background when the
    /// block's compaction skip bit is set.
    /// </summary>
    public static class PageblockMap
    {
        /// <summary>Blocks per line of the plain text map unless the caller asks for another width.</summary>
        public const int DefaultRawWidth = 64;

        /// <summary>Terminal columns assumed when the host cannot tell its window size.</summary>
        public const int DefaultColumns = 80;

        /// <summary>Glyphs from fullest to freest: under a quarter free, under half, under three quarters, the rest.</summary>
        private static readonly char[] Shades = { '\u2588', '\u2593', '\u2592', '\u2591' };

        private const string Esc = "\u001b[";
        private const string Reset = "\u001b[0m";
        private const string SkipBackground = "47";

        /// <summary>The letter of a migrate type in the plain text map.</summary>
        public static char Letter(MigrateType type) => type switch
        {
            MigrateType.Unmovable => 'U',
            MigrateType.Movable => 'M',
            MigrateType.Reclaimable => 'R',
            MigrateType.HighAtomic => 'H',
            MigrateType.Cma => 'C',
            _ => 'I',
        };

        /// <summary>The SGR foreground colour of a migrate type in the terminal map.</summary>
        public static string Colour(MigrateType type) => type switch
        {
            MigrateType.Unmovable => "31",
            MigrateType.Movable => "32",
            MigrateType.Reclaimable => "33",
            MigrateType.HighAtomic => "35",
            MigrateType.Cma => "34",
            _ => "36",
        };

        /// <summary>0 (under a quarter of the block free) to 3 (at least three quarters free); pcp pages count as free.</summary>
        public static int ShadeLevel(PageblockInfo block)
        {
            long free = block.FreePages + block.PcpPages;
            long pages = block.Node.Geometry.PageblockNrPages;
            long level = free * 4 / pages;
            return level > 3 ? 3 : (int)level;
        }

        /// <summary>Columns taken by a line's zone and pfn before its cells.</summary>
        public static int PrefixLength(MemNode node) => ZoneColumn + 1 + PfnDigits(node) + 2 + 1;

        /// <summary>Cells per line that fit a terminal of the given width (at least one).</summary>
        public static int CellsForColumns(MemNode node, int columns) => Math.Max(1, columns - PrefixLength(node));

        /// <summary>The legend line and the map lines, plain text, width cells per line.</summary>
        public static List<string> RenderRaw(MemNode node, int width)
        {
            var lines = new List<string>
            {
                $"pageblocks of {node.Geometry.PageblockNrPages} pages, {width} per line: U Unmovable, M Movable, R Reclaimable, " +
                "H HighAtomic, C CMA, I Isolate; lowercase: at least half free",
            };
            Render(node, width, lines, (sb, b) =>
            {
                char c = Letter(b.MigrateType);
                sb.Append(ShadeLevel(b) >= 2 ? char.ToLowerInvariant(c) : c);
            });
            return lines;
        }

        /// <summary>The legend line and the map lines with ANSI colours, width cells per line.</summary>
        public static List<string> RenderAnsi(MemNode node, int width)
        {
            var legend = new StringBuilder();
            foreach (MigrateType t in NodeViews.PrintedMigrateTypes(node))
                legend.Append(Esc).Append(Colour(t)).Append('m').Append(Shades[0]).Append(Reset).Append(' ')
                      .Append(MigrateTypes.KernelName(t)).Append("  ");
            legend.Append(Shades[0]).Append(" <25% free ").Append(Shades[1]).Append(" <50% ").Append(Shades[2]).Append(" <75% ")
                  .Append(Shades[3]).Append(" more  ").Append(Esc).Append(SkipBackground).Append('m').Append(' ').Append(Reset).Append(" skip");
            var lines = new List<string> { legend.ToString() };
            Render(node, width, lines, (sb, b) =>
            {
                sb.Append(Esc).Append(Colour(b.MigrateType));
                if (b.Skip) sb.Append(';').Append(SkipBackground);
                sb.Append('m').Append(Shades[ShadeLevel(b)]).Append(Reset);
            });
            return lines;
        }

        /// <summary>Zone names are at most 7 characters (Movable).</summary>
        private const int ZoneColumn = 7;

        private static int PfnDigits(MemNode node) => (node.NodeEndPfn - 1).ToString("x", CultureInfo.InvariantCulture).Length;

        private static void Render(MemNode node, int width, List<string> lines, Action<StringBuilder, PageblockInfo> cell)
        {
            if (width < 1)
                throw new MemMgmtException("MapWidthOutOfRange", ErrorKind.OutOfRange, $"A map line needs at least one cell; got {width}.", width);
            int digits = PfnDigits(node);
            var sb = new StringBuilder();
            int inLine = 0;
            ZoneType zone = default;
            foreach (var b in PageblockCensus.TakeAll(node))
            {
                if (inLine == width || (inLine > 0 && b.Zone != zone))
                {
                    lines.Add(sb.ToString());
                    sb.Clear();
                    inLine = 0;
                }
                if (inLine == 0)
                {
                    zone = b.Zone;
                    sb.Append(b.Zone.ToString().PadRight(ZoneColumn)).Append(" 0x")
                      .Append(b.StartPfn.ToString("x", CultureInfo.InvariantCulture).PadLeft(digits, '0')).Append(' ');
                }
                cell(sb, b);
                inLine++;
            }
            if (inLine > 0) lines.Add(sb.ToString());
        }
    }
}
