using System;
using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Watermarks;

namespace MemMgmt.Core.Node
{
    /// <summary>
    /// Where a captured node's pageblock types, free blocks, reserved and used pages go. With the harness's pbmap, as
    /// CapturePlan.Composition.cs says; without it, per zone the pageblocks are laid
    /// out by type, Movable first, then Unmovable, Reclaimable, HighAtomic and CMA at the top (arm64 reserves CMA
    /// top-down below the DMA limit; where exactly is not in these files). Free blocks of pageblock order and above take whole aligned blocks of their type from the top of its
    /// range; smaller ones fill its blocks from the bottom, never next to a free buddy of their own order (so nothing
    /// merges and buddyinfo comes out exact). The lowest pages left over are the zone's reserved ones (spanned −
    /// managed: kernel image, memmap, holes), wherever they land. The rest are in use, by an owner that fits its block: anon, shmem and file pages in Movable and CMA
    /// blocks (in the proportions of the capture's LRU counters), slab, page tables and kernel pages in Unmovable,
    /// reclaimable slab in Reclaimable, kernel pages in HighAtomic.
    /// </summary>
    internal sealed partial class CapturePlan
    {
        private readonly List<CaptureZone> _zones;
        private readonly Geometry _g;
        private readonly string _directory;
        /// <summary>Order of the free block whose head is at each page index, -1 elsewhere.</summary>
        private readonly sbyte[] _freeAt;
        private readonly PageblockComposition? _composition;

        public CapturePlan(NodeConfig config, NodeLayout layout, List<CaptureZone> zones, Geometry geometry, string directory,
            PageblockComposition? composition)
        {
            _composition = composition;
            Config = config;
            Layout = layout;
            _zones = zones;
            _g = geometry;
            _directory = directory;
            _freeAt = new sbyte[layout.TotalPages];
            for (int i = 0; i < _freeAt.Length; i++) _freeAt[i] = -1;
        }

        public NodeConfig Config { get; }
        public NodeLayout Layout { get; }

        private int ZoneStartIndex(CaptureZone cz) => (int)(cz.Info.Detail!.StartPfn - Layout.StartPfn);

        /// <summary>Lays out one zone's pageblock types and free blocks; throws when its blocks cannot hold its free blocks.</summary>
        public void Place(CaptureZone cz, CaptureFile pagetypeinfo)
        {
            if (_composition != null)
            {
                PlaceByComposition(cz, pagetypeinfo);
                return;
            }
            int pbOrder = _g.PageblockOrder, pb = _g.PageblockNrPages;
            int zs = ZoneStartIndex(cz);
            int nBlocks = (int)(cz.Info.Spanned >> pbOrder);
            cz.BlockType = new byte[nBlocks];
            var segStart = new int[MigrateTypes.Count];
            var segEnd = new int[MigrateTypes.Count];
            int b0 = 0;
            foreach (var mt in SegmentOrder)
            {
                segStart[(int)mt] = b0;
                for (long k = 0; k < cz.Blocks[(int)mt]; k++) cz.BlockType[b0++] = (byte)mt;
                segEnd[(int)mt] = b0;
            }

            var taken = new bool[nBlocks];
            int maxOrder = _g.MaxOrder;
            string zoneName = cz.Info.ZoneName;
            // Blocks of pageblock order and above: whole aligned pageblocks of their type, from the top of its range.
            for (int o = maxOrder - 1; o >= pbOrder; o--)
            {
                int n = 1 << (o - pbOrder);
                foreach (var mt in SegmentOrder)
                {
                    long want = cz.Free[o, (int)mt];
                    int absFirst = zs >> pbOrder;
                    int g = ((absFirst + segEnd[(int)mt] - n) & ~(n - 1)) - absFirst;
                    for (; want > 0 && g >= segStart[(int)mt]; g -= n)
                    {
                        if (g + n > segEnd[(int)mt]) continue;
                        bool free = true;
                        for (int k = 0; k < n; k++) if (taken[g + k]) { free = false; break; }
                        if (!free) continue;
                        int head = zs + (g << pbOrder);
                        if (o < maxOrder - 1)
                        {
                            int buddy = head ^ (1 << o);
                            if (buddy >= 0 && buddy < _freeAt.Length && _freeAt[buddy] == o) continue;
                        }
                        for (int k = 0; k < n; k++) taken[g + k] = true;
                        _freeAt[head] = (sbyte)o;
                        want--;
                    }
                    if (want > 0)
                        throw Unplaceable(pagetypeinfo, cz, mt, $"{want} of its {cz.Free[o, (int)mt]} free order-{o} blocks find no aligned run of {n} free {MigrateTypes.KernelName(mt)} pageblocks");
                }
            }

            // Smaller blocks: largest first, into holes left beside earlier blocks or else at the next aligned place.
            var holes = new List<int>[pbOrder];
            for (int j = 0; j < pbOrder; j++) holes[j] = new List<int>();
            foreach (var mt in SegmentOrder)
            {
                for (int j = 0; j < pbOrder; j++) holes[j].Clear();
                int bi = segStart[(int)mt] - 1, pos = 0, end = 0;
                for (int o = pbOrder - 1; o >= 0; o--)
                {
                    int size = 1 << o;
                    for (long c = cz.Free[o, (int)mt]; c > 0; c--)
                    {
                        int m = o + 1;
                        while (m < pbOrder && holes[m].Count == 0) m++;
                        if (m < pbOrder)
                        {
                            var list = holes[m];
                            int p = list[list.Count - 1];
                            list.RemoveAt(list.Count - 1);
                            _freeAt[p] = (sbyte)o;
                            // The rest of the hole stays partly in use: no part of it may become a free buddy of this block.
                            for (int j = o; j < m; j++) holes[j].Add(p + (1 << j));
                            continue;
                        }
                        while (true)
                        {
                            pos = (pos + size - 1) & ~(size - 1);
                            if (pos + size > end)
                            {
                                do bi++; while (bi < segEnd[(int)mt] && taken[bi]);
                                if (bi >= segEnd[(int)mt])
                                    throw Unplaceable(pagetypeinfo, cz, mt, $"{c} of its {cz.Free[o, (int)mt]} free order-{o} blocks do not fit in its pageblocks beside the larger ones, with buddies kept apart");
                                int blockStart = zs + (bi << pbOrder);
                                end = blockStart + pb;
                                pos = blockStart;
                                continue;
                            }
                            int buddy = pos ^ size;
                            if (buddy < pos && _freeAt[buddy] == o)
                            {
                                holes[o].Add(pos);
                                pos += size;
                                continue;
                            }
                            _freeAt[pos] = (sbyte)o;
                            pos += size;
                            break;
                        }
                    }
                }
            }
        }

        private static readonly MigrateType[] SegmentOrder =
        {
            MigrateType.Movable, MigrateType.Unmovable, MigrateType.Reclaimable, MigrateType.HighAtomic, MigrateType.Isolate, MigrateType.Cma,
        };

        private MemMgmtException Unplaceable(CaptureFile pagetypeinfo, CaptureZone cz, MigrateType mt, string what)
        {
            int line = pagetypeinfo.FindLine(0, l => l.Contains(", zone ") && l.Contains(cz.Info.ZoneName) && l.Contains(", type ")
                && l.Contains(" " + MigrateTypes.KernelName(mt) + " "));
            return pagetypeinfo.Bad("CaptureUnplaceable", line,
                $"zone {cz.Info.ZoneName}: {cz.Blocks[(int)mt]} {MigrateTypes.KernelName(mt)} pageblocks cannot hold its free blocks: {what}.");
        }

        /// <summary>Sets the pageblock types, allocates every used page to an owner and frees the planned blocks.</summary>
        internal void Populate(MemNode node)
        {
            var pages = node.Pages;
            int pbOrder = node.PbOrder;
            long used = 0;
            foreach (var cz in _zones)
            {
                int zs = ZoneStartIndex(cz);
                for (int b = 0; b < cz.BlockType.Length; b++) node.PageblockBits[(zs >> pbOrder) + b] = cz.BlockType[b];
                used += cz.Info.Managed;
            }
            node.Allocations.EnsureCapacity(used);

            foreach (var cz in _zones)
            {
                var zone = node.ZoneArr[cz.Index];
                int zs = ZoneStartIndex(cz);
                int ze = zs + (int)cz.Info.Spanned;
                if (_composition != null) AllocateUsedPagesByComposition(node, cz);
                else AllocateUsedPagesByType(node, cz);

                // Freed as a running kernel frees (__free_one_page: to the list head), lowest pfn first, since a capture
                // does not say in which order its free pages were freed: the highest pfns end up at the heads.
                for (int i = zs; i < ze;)
                {
                    int o = _freeAt[i];
                    if (o < 0) { i++; continue; }
                    BuddyAllocator.FreeOnePage(zone, i, o, node.BlockMigratetype(i), toTail: false);
                    i += 1 << o;
                }
                zone.CmaPages = cz.CmaPages;
                zone.NrReservedHighatomic = cz.Blocks[(int)MigrateType.HighAtomic] << pbOrder;

                // Watermarks and reserves as captured: zoneinfo prints wmark_pages, which include the boost.
                zone.WatermarkBoost = cz.Info.Boost;
                zone.Watermark[(int)WatermarkLevel.Min] = cz.Info.Min;
                zone.Watermark[(int)WatermarkLevel.Low] = cz.Info.Low;
                zone.Watermark[(int)WatermarkLevel.High] = cz.Info.High;
                if (cz.Info.Protection.Count == zone.LowmemReserveArr.Length)
                    for (int k = 0; k < zone.LowmemReserveArr.Length; k++) zone.LowmemReserveArr[k] = cz.Info.Protection[k];
            }
            LruCache.DrainAll(node);
            // 6.1 sizes the pagesets from the (captured) low watermarks; 4.14 keeps its own.
            WatermarkSetup.ZonePcpUpdateAfterWmarks(node);
            long minPages = 0;
            foreach (var z in node.ZoneArr) minPages += z.RawWatermark((int)WatermarkLevel.Min);
            // min_free_kbytes as the captured min watermarks imply, so a later sysctl write starts from the same place.
            node.Sysctl.MinFreeKbytes = (int)node.Geometry.PagesToKb(minPages);
            // h->max_huge_pages as the write that made the captured pool left it.
            node.Sysctl.MaxHugePages = node.Hugetlb.NrHugePages;
            // 4.4's NR_PAGES_SCANNED as captured, set last: every page freed above cleared it, as free_one_page does.
            if (node.Kernel.ZoneBasedReclaim)
                foreach (var cz in _zones) node.ZoneArr[cz.Index].PagesScanned = cz.Info.Scanned;
            // 4.4's NR_ALLOC_BATCH as captured; ZONE_FAIR_DEPLETED is not printed, and a batch printed as 0 was spent.
            if (node.Kernel.FairZoneAllocation)
                foreach (var cz in _zones)
                {
                    if (cz.Info.Detail == null) continue;
                    foreach (var e in cz.Info.Detail.ZoneStats)
                    {
                        if (e.Name != "nr_alloc_batch") continue;
                        var zone = node.ZoneArr[cz.Index];
                        zone.AllocBatch = e.Value;
                        zone.FairDepleted = e.Value == 0;
                    }
                }
        }

        /// <summary>Marks the zone's lowest pages not free reserved, then gives each page in use an owner that fits its block type.</summary>
        private void AllocateUsedPagesByType(MemNode node, CaptureZone cz)
        {
            var pages = node.Pages;
            int zs = ZoneStartIndex(cz);
            int ze = zs + (int)cz.Info.Spanned;
            // The pages outside managed_pages (memblock-reserved, holes) are the lowest pages not free.
            long reserved = cz.Info.Spanned - cz.Info.Managed;
            int reservedEnd = zs;
            for (; reservedEnd < ze && reserved > 0;)
            {
                if (_freeAt[reservedEnd] >= 0) { reservedEnd += 1 << _freeAt[reservedEnd]; continue; }
                pages.Flags[reservedEnd] = (uint)PageFlags.Reserved;
                pages.Owner[reservedEnd] = (byte)PageOwner.Kernel;
                reserved--;
                reservedEnd++;
            }

            // Used pages per block type first, so each type's owners can be mixed in the capture's proportions.
            var usedByType = new long[MigrateTypes.Count];
            for (int i = reservedEnd; i < ze;)
            {
                if (_freeAt[i] >= 0) { i += 1 << _freeAt[i]; continue; }
                usedByType[node.BlockMigratetype(i)]++;
                i++;
            }
            var movable = new OwnerMix(
                (PageOwner.Anon, Math.Max(0, NodeStat(cz, "nr_inactive_anon") + NodeStat(cz, "nr_active_anon") - NodeStat(cz, "nr_shmem"))),
                (PageOwner.Shmem, NodeStat(cz, "nr_shmem")),
                (PageOwner.FileCache, NodeStat(cz, "nr_inactive_file") + NodeStat(cz, "nr_active_file")));
            long slab = NodeStat(cz, "nr_slab_unreclaimable"), pt = Math.Max(NodeStat(cz, "nr_page_table_pages"), ZoneStat(cz, "nr_page_table_pages"));
            var unmovable = new OwnerMix(
                (PageOwner.SlabUnmovable, slab),
                (PageOwner.PageTable, pt),
                (PageOwner.Kernel, Math.Max(0, usedByType[(int)MigrateType.Unmovable] - slab - pt)));

            for (int i = reservedEnd; i < ze;)
            {
                if (_freeAt[i] >= 0) { i += 1 << _freeAt[i]; continue; }
                var owner = (MigrateType)node.BlockMigratetype(i) switch
                {
                    MigrateType.Movable => movable.Next(),
                    MigrateType.Cma => movable.Next(),
                    MigrateType.Unmovable => unmovable.Next(),
                    MigrateType.Reclaimable => PageOwner.SlabReclaimable,
                    _ => PageOwner.Kernel,
                };
                PageAllocator.PrepNewPage(node, i, 0, owner, GfpFlags.GFP_KERNEL, 0);
                pages.Handle[i] = node.Allocations.Add(i, out _);
                i++;
            }
        }

        /// <summary>The built node must show the capture's buddyinfo and block counts exactly.</summary>
        internal void Verify(MemNode node)
        {
            foreach (var cz in _zones)
            {
                var zone = node.ZoneArr[cz.Index];
                for (int o = 0; o < node.MaxOrderValue; o++)
                {
                    if (zone.NrFree[o] != cz.Buddy[o])
                        throw new MemMgmtException("CaptureBuildInconsistent", ErrorKind.InvalidOperation,
                            $"Building from '{_directory}': zone {cz.Info.ZoneName} order {o} has {zone.NrFree[o]} free blocks, the capture {cz.Buddy[o]}.", _directory);
                    for (int t = 0; t < MigrateTypes.Count; t++)
                        if (zone.CountFreeList(o, (MigrateType)t) != cz.Free[o, t])
                            throw new MemMgmtException("CaptureBuildInconsistent", ErrorKind.InvalidOperation,
                                $"Building from '{_directory}': zone {cz.Info.ZoneName} order {o} type {(MigrateType)t} has {zone.CountFreeList(o, (MigrateType)t)} free blocks, the capture {cz.Free[o, t]}.", _directory);
                }
            }
        }

        private static long NodeStat(CaptureZone cz, string name)
        {
            if (cz.Info.NodeStats != null)
                foreach (var e in cz.Info.NodeStats) if (e.Name == name) return e.Value;
            return ZoneStat(cz, name);
        }

        private static long ZoneStat(CaptureZone cz, string name)
        {
            if (cz.Info.Detail != null)
                foreach (var e in cz.Info.Detail.ZoneStats) if (e.Name == name) return e.Value;
            return 0;
        }

        /// <summary>Hands out owners in given proportions, evenly interleaved (smooth weighted round robin).</summary>
        private sealed class OwnerMix
        {
            private readonly PageOwner[] _owners;
            private readonly long[] _weight;
            private readonly long[] _credit;
            private readonly long _total;

            public OwnerMix(params (PageOwner Owner, long Weight)[] parts)
            {
                _owners = new PageOwner[parts.Length];
                _weight = new long[parts.Length];
                _credit = new long[parts.Length];
                for (int i = 0; i < parts.Length; i++) { _owners[i] = parts[i].Owner; _weight[i] = Math.Max(0, parts[i].Weight); _total += _weight[i]; }
                if (_total == 0) { _weight[0] = 1; _total = 1; }
            }

            public PageOwner Next()
            {
                int best = 0;
                for (int i = 0; i < _credit.Length; i++)
                {
                    _credit[i] += _weight[i];
                    if (_credit[i] > _credit[best]) best = i;
                }
                _credit[best] -= _total;
                return _owners[best];
            }
        }
    }
}
