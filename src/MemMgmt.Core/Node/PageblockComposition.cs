using System;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Node
{
    /// <summary>
    /// What the QEMU harness's pbmap (shared/harness/arm64-qemu/pbmap.c, from /proc/kpageflags and kpagecount) says of each
    /// 512-page pageblock: its free pages, the pages of each kind in use (anon, shmem, file, slab, page tables, hugetlb,
    /// memblock-reserved, other) and how many of its free pages sit at odd pfns. New-MemNode -FromCapture lays each block
    /// out with this composition when the capture has a pbmap.txt.
    /// </summary>
    internal sealed class PageblockComposition
    {
        /// <summary>pbmap's block size (its BLOCK): a pageblock of 4K pages with hugetlb.</summary>
        internal const int BlockPages = 512;

        /// <summary>pbmap's columns after the pfn, in file order.</summary>
        internal enum Part { Free, Anon, Shmem, File, Slab, PageTable, Huge, Reserved, Other, FreeOdd }

        private const int Parts = 10;
        private const string Header = "pfn free anon shmem file slab pgtable huge reserved other free_odd";

        private readonly int[] _counts;
        private readonly bool[] _present;

        private PageblockComposition(int blocks)
        {
            _counts = new int[blocks * Parts];
            _present = new bool[blocks];
        }

        /// <summary>Pages of <paramref name="part"/> in the block; a block pbmap did not list is a hole, all of it reserved.</summary>
        public int Count(int block, Part part) =>
            _present[block] ? _counts[block * Parts + (int)part] : part == Part.Reserved ? BlockPages : 0;

        /// <summary>Pages in the block the kernel cannot migrate away: slab, page tables, reserved and other pages.</summary>
        public int Pinned(int block) => Count(block, Part.Slab) + Count(block, Part.PageTable) + Count(block, Part.Reserved) + Count(block, Part.Other);

        /// <summary>Whether most of the block's free pages sat at odd pfns.</summary>
        public bool FreeMostlyOdd(int block) => 2 * Count(block, Part.FreeOdd) > Count(block, Part.Free);

        /// <summary>Reads pbmap.txt for a node of <paramref name="nodePages"/> pages from <paramref name="nodeStartPfn"/>;
        /// block i of the result is the node's i-th pageblock.</summary>
        public static PageblockComposition Parse(CaptureFile file, long nodeStartPfn, long nodePages)
        {
            var lines = file.Text.Split('\n');
            if (lines.Length == 0 || lines[0].Trim() != Header)
                throw file.Bad("CaptureFormatInvalid", 1, $"expected the pbmap header \"{Header}\".");
            var map = new PageblockComposition((int)(nodePages / BlockPages));
            for (int i = 1; i < lines.Length; i++)
            {
                string line = lines[i].Trim();
                if (line.Length == 0 || line[0] == '#') continue; // pbmap's closing totals
                int lineNo = i + 1;
                var t = ProcLines.Tokens(line);
                var v = new long[t.Length];
                bool numeric = t.Length == Parts + 1;
                for (int k = 0; numeric && k < t.Length; k++) numeric = long.TryParse(t[k], out v[k]) && v[k] >= 0;
                if (!numeric)
                    throw file.Bad("CaptureFormatInvalid", lineNo, $"expected a pfn and {Parts} page counts (non-negative integers), found \"{line}\".");
                long pfn = v[0];
                if (pfn % BlockPages != 0 || pfn < nodeStartPfn || pfn >= nodeStartPfn + nodePages)
                    throw file.Bad("CaptureCountsInconsistent", lineNo,
                        $"pfn {pfn} is not the start of a {BlockPages}-page block of the node (pfns {nodeStartPfn} to {nodeStartPfn + nodePages - 1}).");
                int block = (int)((pfn - nodeStartPfn) / BlockPages);
                if (map._present[block])
                    throw file.Bad("CaptureCountsInconsistent", lineNo, $"pfn {pfn} is listed twice.");
                long sum = 0;
                for (int k = 1; k <= (int)Part.Other + 1; k++) sum += v[k];
                if (sum > BlockPages)
                    throw file.Bad("CaptureCountsInconsistent", lineNo, $"the block at pfn {pfn} counts {sum} pages; a block has {BlockPages}.");
                if (v[Parts] > v[1])
                    throw file.Bad("CaptureCountsInconsistent", lineNo, $"the block at pfn {pfn} has {v[Parts]} free pages at odd pfns but {v[1]} free pages.");
                map._present[block] = true;
                for (int k = 0; k < Parts; k++) map._counts[block * Parts + k] = (int)v[k + 1];
            }
            return map;
        }
    }
}
