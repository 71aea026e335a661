using System.Collections.Generic;
using System.Globalization;
using System.Text;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Writeback;

namespace MemMgmt.Core.Stats
{
    /// <summary>One line of the bdi stats file: its label, value and unit ("kB", "kBps" or none).</summary>
    public readonly struct BdiStatEntry
    {
        internal BdiStatEntry(string name, long value, string? unit) { Name = name; Value = value; Unit = unit; }
        public string Name { get; }
        public long Value { get; }
        public string? Unit { get; }
    }

    /// <summary>/sys/kernel/debug/bdi/254:0/stats for the node's one backing device, the disk its page cache is written to.
    /// kernel: bdi_debug_stats_show (mm/backing-dev.c, 4.14).</summary>
    public sealed class BdiStats
    {
        /// <summary>The simulated device's major:minor (a virtio disk, as on the QEMU virt board).</summary>
        public const string Device = "254:0";

        /// <summary>enum wb_state bits (include/linux/backing-dev-defs.h, 4.14).</summary>
        private const long WbRegistered = 1 << 0, WbWritebackRunning = 1 << 1, WbHasDirtyIo = 1 << 2;

        private readonly List<BdiStatEntry> _entries = new List<BdiStatEntry>();

        public IReadOnlyList<BdiStatEntry> Entries => _entries;

        /// <summary>The figures: wb_stat counters in kB (K(x) = pages &lt;&lt; (PAGE_SHIFT − 10)), the global dirty limits,
        /// the device's write bandwidth, the dirty-inode lists (dirty batches stand in for inodes: the simulator keeps
        /// dirty age per batch of dirtying) and the wb state bits.</summary>
        public static BdiStats Build(MemNode node)
        {
            var f = node.FlusherSt;
            int shift = node.Geometry.PageShift - 10;
            long K(long pages) => pages << shift;
            PageWriteback.GlobalDirtyLimits(node, out long background, out long thresh);
            // wb_calc_thresh: this wb's share of recent writeout; as the only device it is all of it once it has
            // written anything, and nothing before.
            long wbThresh = f.BdiWritten > 0 ? thresh : 0;
            long dirtyBatches = 0;
            for (int i = 0; i < f.EpochCount; i++) if (f.EpochPages[(f.EpochHead + i) % f.EpochPages.Length] > 0) dirtyBatches++;
            long state = WbRegistered | (f.Running ? WbWritebackRunning : 0) | (dirtyBatches > 0 ? WbHasDirtyIo : 0);
            var s = new BdiStats();
            s.Add("BdiWriteback", K(FileWritebackPages(node)), "kB");
            s.Add("BdiReclaimable", K(node.Counters[NodeStatItem.NrFileDirty]), "kB");
            s.Add("BdiDirtyThresh", K(wbThresh), "kB");
            s.Add("DirtyThresh", K(thresh), "kB");
            s.Add("BackgroundThresh", K(background), "kB");
            s.Add("BdiDirtied", K(node.Counters[NodeStatItem.NrDirtied]), "kB");
            s.Add("BdiWritten", K(f.BdiWritten), "kB");
            s.Add("BdiWriteBandwidth", K(PageWriteback.BandwidthPages(node)), "kBps");
            s.Add("b_dirty", f.Running ? 0 : dirtyBatches, null);
            s.Add("b_io", f.Running ? dirtyBatches : 0, null);
            s.Add("b_more_io", 0, null);
            s.Add("b_dirty_time", 0, null);
            s.Add("bdi_list", 1, null);
            s.Add("state", state, null);
            return s;
        }

        private void Add(string name, long value, string? unit) => _entries.Add(new BdiStatEntry(name, value, unit));

        /// <summary>WB_WRITEBACK: page-cache pages with a write in flight (swap-outs belong to the swap device).</summary>
        private static long FileWritebackPages(MemNode node)
        {
            var wbs = node.WritebackSt;
            var pages = node.Pages;
            const uint mask = (uint)(PageFlags.Allocated | PageFlags.Writeback | PageFlags.SwapBacked);
            const uint want = (uint)(PageFlags.Allocated | PageFlags.Writeback);
            long n = 0;
            for (int i = 0; i < wbs.WbCount; i++)
            {
                int slot = (wbs.WbHead + i) % wbs.WbIndex.Length;
                int index = wbs.WbIndex[slot];
                if (index >= 0 && (pages.Flags[index] & mask) == want) n += wbs.WbPages[slot];
            }
            return n;
        }

        /// <summary>The file's text: a label padded to 20 columns, the value right-aligned in 10 (hex for state), the unit.</summary>
        public string ToKernelText()
        {
            var sb = new StringBuilder();
            foreach (var e in _entries)
            {
                sb.Append((e.Name + ":").PadRight(20));
                string v = e.Name == "state" ? e.Value.ToString("x", CultureInfo.InvariantCulture) : e.Value.ToString(CultureInfo.InvariantCulture);
                sb.Append(v.PadLeft(10));
                if (e.Unit != null) sb.Append(' ').Append(e.Unit);
                sb.Append('\n');
            }
            return sb.ToString();
        }
    }
}
