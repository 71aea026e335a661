using System;
using System.Collections.Generic;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Buddy
{
    /// <summary>What one pageblock holds: its type and skip bit (the pageblock_flags bits) and a census of its pages.</summary>
    public sealed class PageblockInfo
    {
        internal PageblockInfo(MemNode node, long index, long startPfn, ZoneType zone, MigrateType type, bool skip)
        {
            Node = node; Index = index; StartPfn = startPfn; Zone = zone; MigrateType = type; Skip = skip;
        }

        public MemNode Node { get; }
        /// <summary>Block number inside the node (pfn − node_start_pfn) >> pageblock_order.</summary>
        public long Index { get; }
        public long StartPfn { get; }
        public long EndPfn => StartPfn + Node.Geometry.PageblockNrPages;
        public ZoneType Zone { get; }
        public MigrateType MigrateType { get; }
        /// <summary>PB_migrate_skip: the compaction skip hint.</summary>
        public bool Skip { get; }
        /// <summary>Pages of this block on the buddy free lists (part of a free block that may extend past the block).</summary>
        public long FreePages { get; internal set; }
        /// <summary>Pages of this block on a per-cpu list.</summary>
        public long PcpPages { get; internal set; }
        /// <summary>memblock-reserved pages (kernel image, memmap): never given to the buddy allocator.</summary>
        public long ReservedPages { get; internal set; }
        /// <summary>Isolated pages (taken off the LRU for migration).</summary>
        public long IsolatedPages { get; internal set; }
        internal readonly long[] ByOwner = new long[9];
        /// <summary>Allocated pages of this block by owner kind.</summary>
        public long GetUsedPages(PageOwner owner) => ByOwner[(int)owner];
        public long UsedPages { get { long s = 0; foreach (var v in ByOwner) s += v; return s; } }
    }

    /// <summary>Builds PageblockInfo reports by one walk over the page map, block head to block head.</summary>
    public static class PageblockCensus
    {
        /// <summary>Reports the pageblocks [firstBlock, lastBlock] of the node (block numbers as in PageblockInfo.Index).</summary>
        public static IReadOnlyList<PageblockInfo> Take(MemNode node, long firstBlock, long lastBlock)
        {
            if (firstBlock < 0 || lastBlock >= node.PageblockCount || firstBlock > lastBlock)
                throw new MemMgmtException("PageblockOutOfRange", ErrorKind.OutOfRange,
                    $"Pageblocks {firstBlock} to {lastBlock} are out of range; the node has blocks 0 to {node.PageblockCount - 1}.", firstBlock);
            int pbOrder = node.PbOrder;
            var result = new List<PageblockInfo>((int)(lastBlock - firstBlock + 1));
            for (long b = firstBlock; b <= lastBlock; b++)
            {
                int idx = (int)(b << pbOrder);
                result.Add(new PageblockInfo(node, b, node.NodeStartPfn + idx, node.ZoneArr[node.PageblockZone[b]].Type,
                    (MigrateType)node.BlockMigratetype(idx), node.BlockSkip(idx)));
            }
            var pages = node.Pages;
            int start = (int)(firstBlock << pbOrder);
            int end = (int)((lastBlock + 1) << pbOrder);
            // A free block may start before the first requested block: start at the MAX_ORDER-aligned index below.
            int i = start & ~((1 << (node.MaxOrderValue - 1)) - 1);
            while (i < end)
            {
                uint f = pages.Flags[i];
                int span = 1;
                int kind; // 0 free, 1 pcp, 2 allocated, 3 reserved, 4 isolated, 5 other
                if ((f & (uint)PageFlags.Buddy) != 0) { span = 1 << pages.OrderOf(i); kind = 0; }
                else if ((f & (uint)PageFlags.Pcp) != 0) { span = 1 << (pages.OrderOf(i) >> BuddyAllocator.PcpOrderShift); kind = 1; }
                else if ((f & (uint)PageFlags.Allocated) != 0) { span = 1 << pages.OrderOf(i); kind = 2; }
                else if ((f & (uint)PageFlags.Reserved) != 0) kind = 3;
                else if ((f & (uint)PageFlags.Isolated) != 0) kind = 4;
                else kind = 5;
                if (span <= 0 || i + span > pages.NrPages) span = 1;
                // Attribute [i, i+span) to the blocks it overlaps inside the requested range.
                int lo = Math.Max(i, start), hi = Math.Min(i + span, end);
                while (lo < hi)
                {
                    int blockEnd = Math.Min(hi, ((lo >> pbOrder) + 1) << pbOrder);
                    var info = result[(lo >> pbOrder) - (int)firstBlock];
                    long n = blockEnd - lo;
                    switch (kind)
                    {
                        case 0: info.FreePages += n; break;
                        case 1: info.PcpPages += n; break;
                        case 2: info.ByOwner[pages.Owner[i] < info.ByOwner.Length ? pages.Owner[i] : 0] += n; break;
                        case 3: info.ReservedPages += n; break;
                        case 4: info.IsolatedPages += n; break;
                    }
                    lo = blockEnd;
                }
                i += span;
            }
            return result;
        }

        /// <summary>Reports every pageblock of the node.</summary>
        public static IReadOnlyList<PageblockInfo> TakeAll(MemNode node) => Take(node, 0, node.PageblockCount - 1);

        /// <summary>The block number holding a pfn; rejects pfns outside the node.</summary>
        public static long BlockOf(MemNode node, long pfn)
        {
            if (!node.ContainsPfn(pfn))
                throw new MemMgmtException("PfnOutOfRange", ErrorKind.OutOfRange,
                    $"Pfn 0x{pfn:x} is outside node '{node.Name}'; allowed 0x{node.NodeStartPfn:x} to 0x{node.NodeEndPfn - 1:x}.", pfn);
            return (pfn - node.NodeStartPfn) >> node.PbOrder;
        }
    }
}
