using System.Collections.Generic;
using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Trace;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>6.1's fast free-list search for the free scanner (fast_isolate_freepages, fast_isolate_around) and the
    /// free-list rotations both fast searches make (move_freelist_head, move_freelist_tail), on hand-built Movable free
    /// lists of a full 1 GiB node (mm/compaction.c, 6.1 stable, as Debian's 6.1.192 builds it).</summary>
    public class Kernel61FastIsolateTests
    {
        private const int Block = 512;

        /// <summary>A 1 GiB 6.1 node whose every page is in use, with the order-0 pages at <paramref name="free"/> freed and
        /// the Movable order-0 free list rebuilt in exactly that order (head first), skip hints clear, trace empty.</summary>
        private static (MemNode Node, Zone Zone) WithFreeList(System.Func<Zone, IEnumerable<long>> free)
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 1L << 30, CmaBytes = 0, Kernel = KernelProfile.Linux61, Seed = 1 });
            var zone = node.ZoneArr.Where(z => z.IsPopulated).OrderByDescending(z => z.ManagedPages).First();
            MemMgmt.Core.Sysctl.VmSysctl.Write(node, "min_free_kbytes", "128");
            var gfp = GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_RECLAIM;
            var handles = new Dictionary<long, long>();
            while (true)
            {
                var r = PageAllocator.Allocate(node, 0, gfp, 0, PageOwner.Anon);
                if (!r.Success) break;
                handles[r.Pfn] = r.Handle;
            }
            while (PageAllocator.AllocateNoWatermarks(node, 0, gfp, PageOwner.Anon) != 0) { }
            var pfns = free(zone).ToList();
            foreach (long pfn in pfns) PageAllocator.Free(node, handles[pfn], 0);
            BuddyAllocator.DrainPagesZone(zone, 0);
            int head = zone.FreeListHead(0, (int)MigrateType.Movable);
            foreach (long pfn in pfns) node.Pages.ListMoveTail(node.ToIndex(pfn), head);
            Assert.Equal(pfns, FreeList(node, zone));
            for (long pfn = zone.ZoneStartPfn; pfn < zone.ZoneEndPfn; pfn += Block) node.SetBlockSkip(node.ToIndex(pfn), false);
            node.Trace.Clear();
            return (node, zone);
        }

        private static List<long> FreeList(MemNode node, Zone zone)
        {
            var l = new List<long>();
            int head = zone.FreeListHead(0, (int)MigrateType.Movable);
            for (int p = node.Pages.Next(head); p != head; p = node.Pages.Next(p)) l.Add(node.NodeStartPfn + p);
            return l;
        }

        /// <summary>Every other page (odd offsets) of pageblock <paramref name="block"/> of the zone.</summary>
        private static IEnumerable<long> OddPages(Zone zone, int block, int count = 256) =>
            Enumerable.Range(0, count).Select(k => zone.ZoneStartPfn + (long)block * Block + 2 * k + 1);

        /// <summary>A compaction for a huge page with the scanners at the zone's ends, as compact_zone sets them up.</summary>
        private static CompactControl Control(MemNode node, Zone zone, bool direct, MigrateMode mode, int nrMigratepages = 32) => new CompactControl
        {
            Zone = zone,
            Order = 9,
            SearchOrder = 9,
            Mode = mode,
            DirectCompaction = direct,
            NrMigratepages = nrMigratepages,
            MigrateList = node.SpareListBase,
            FreeList = node.SpareListBase + 1,
            MigratePfn = zone.ZoneStartPfn,
            FreePfn = (zone.ZoneEndPfn - 1) & ~(Block - 1L),
            RunSinceNs = node.Clock.NowNs,
        };

        /// <summary>min_pfn of fast_isolate_freepages: the block of the point halfway between the scanners.</summary>
        private static long MinPfn(CompactControl cc) => (cc.FreePfn - ((cc.FreePfn - cc.MigratePfn) >> 1)) & ~(Block - 1L);

        private static List<TraceEvent> FreeIsolations(MemNode node) =>
            node.Trace.Events(node).Where(e => e.Event == TraceEventId.mm_compaction_isolate_freepages).ToList();

        [Fact]
        public void NothingInTheTopHalf_DirectCompactionRestartsTheFreeScannerAtMinPfn_NotAtTheLowBlockTheSearchSaw()
        {
            // 6.1, when the search starts the scan and finds nothing: "if (highest >= min_pfn) … else if
            // (cc->direct_compaction && pfn_valid(min_pfn)) … cc->free_pfn = min_pfn" (ca2864e52d39, 5.19). Before it, any
            // highest counted, and a free page in block 40 of 512 put the free scanner next to the migrate scanner.
            var (node, zone) = WithFreeList(z => OddPages(z, 40, 64));
            var cc = Control(node, zone, direct: true, MigrateMode.Async);
            zone.CompactInitFreePfn = cc.FreePfn;                       // scan_start: the deeper search
            long minPfn = MinPfn(cc);
            Assert.Equal(zone.ZoneStartPfn + 255L * Block, minPfn);

            CompactionEngine.FastIsolateFreepages(cc);

            Assert.Equal(0, cc.NrFreepages);
            Assert.Equal(1, cc.FastSearchFail);
            Assert.Equal(minPfn, cc.FreePfn);                           // the old model: block 40's start
            Assert.Empty(FreeIsolations(node));                         // async direct compaction does not search around
        }

        [Fact]
        public void NothingInTheTopHalf_SyncDirectCompactionScansTheMinPfnBlock_AndMarksItSkipped()
        {
            // 6.1: the min_pfn block becomes the page fast_isolate_around works on ("page = pageblock_pfn_to_page(min_pfn,
            // …)", then "fast_isolate_around(cc, low_pfn)"); it scans the whole block, finds too few pages and sets the
            // block's skip hint. The old model returned without looking around the fallback block.
            var (node, zone) = WithFreeList(z => OddPages(z, 40, 64));
            var cc = Control(node, zone, direct: true, MigrateMode.SyncLight);
            zone.CompactInitFreePfn = cc.FreePfn;
            long minPfn = MinPfn(cc);

            CompactionEngine.FastIsolateFreepages(cc);

            Assert.Equal(minPfn, cc.FreePfn);
            var scan = Assert.Single(FreeIsolations(node));
            Assert.Equal(minPfn, (long)scan.Fields["start_pfn"]);
            Assert.Equal(minPfn + Block, (long)scan.Fields["end_pfn"]);
            Assert.True(node.BlockSkip(node.ToIndex(minPfn)));
        }

        /// <summary>The search's own update of the cached free pfn: "if (highest && highest >= compact_cached_free_pfn)
        /// { highest -= pageblock_nr_pages; compact_cached_free_pfn = highest; }", highest being the block of the highest
        /// pfn it looked at. Nothing bounds the search above the free scanner, so a page found above it raises the cached
        /// pfn (the booted even-state request's free scanner climbs so), and one found in the cached block lowers it by a
        /// block, to the migrate scanner when that is one block below (how the real even-state runs' scanners meet).</summary>
        [Theory]
        [InlineData(100, 110, 112, 111)]
        [InlineData(109, 110, 110, 109)]
        [InlineData(100, 110, 108, 110)]
        public void TheCachedFreePfn_FollowsTheHighestBlockTheSearchSaw_LessOneBlock(int migrateBlock, int freeBlock, int pageBlock, int cachedBlock)
        {
            // Block 50's pages keep the zone above the watermark __isolate_free_page checks; the search sees the tail first.
            var (node, zone) = WithFreeList(z => OddPages(z, 50).Concat(OddPages(z, pageBlock, 4)));
            var cc = Control(node, zone, direct: true, MigrateMode.Async);
            cc.MigratePfn = zone.ZoneStartPfn + (long)migrateBlock * Block;
            cc.FreePfn = zone.ZoneStartPfn + (long)freeBlock * Block;
            zone.CompactCachedFreePfn = cc.FreePfn;

            CompactionEngine.FastIsolateFreepages(cc);

            Assert.Equal(1, cc.NrFreepages);                            // the tail page, in the top quarter or above
            Assert.Equal(zone.ZoneStartPfn + (long)freeBlock * Block, cc.FreePfn);
            Assert.Equal(zone.ZoneStartPfn + (long)cachedBlock * Block, zone.CompactCachedFreePfn);
        }

        [Fact]
        public void NothingInTheTopHalf_Kcompactd_LeavesTheFreeScannerWhereItWas()
        {
            // 6.1: a highest below min_pfn is not used, and only direct compaction falls back to min_pfn.
            var (node, zone) = WithFreeList(z => OddPages(z, 40, 64));
            var cc = Control(node, zone, direct: false, MigrateMode.SyncLight);
            zone.CompactInitFreePfn = cc.FreePfn;
            long start = cc.FreePfn;

            CompactionEngine.FastIsolateFreepages(cc);

            Assert.Equal(start, cc.FreePfn);                            // the old model: block 40's start
            Assert.Empty(FreeIsolations(node));
        }

        [Fact]
        public void AFoundPage_IsolatesTheWholeBlockAroundIt_InOneScanFromTheBlockStart()
        {
            // 6.1 (be21b32afe47): fast_isolate_around runs isolate_freepages_block once over [block start, block end),
            // the found page included, where 5.1 to 6.0 scanned before it and after it separately. The free list's tail
            // (what the reverse search sees first) is a page in the middle of block 500, in the top quarter.
            var (node, zone) = WithFreeList(z => OddPages(z, 50).Concat(OddPages(z, 500, 64)));
            var cc = Control(node, zone, direct: false, MigrateMode.SyncLight, nrMigratepages: 1000);
            zone.CompactInitFreePfn = cc.FreePfn + Block;               // a continuing scan: no scan_start
            long block = zone.ZoneStartPfn + 500L * Block;
            long found = block + 2 * 63 + 1;
            Assert.Equal(found, FreeList(node, zone).Last());

            Assert.Equal(found, CompactionEngine.FastIsolateFreepages(cc));

            var scan = Assert.Single(FreeIsolations(node));
            Assert.Equal(block, (long)scan.Fields["start_pfn"]);
            Assert.Equal(block + Block, (long)scan.Fields["end_pfn"]);
            Assert.Equal(63L, (long)scan.Fields["nr_taken"]);           // the other 63 free pages of the block
            Assert.Equal(64, cc.NrFreepages);
            Assert.True(node.BlockSkip(node.ToIndex(block)));           // still fewer than nr_migratepages
        }

        [Fact]
        public void ALimitOfOne_RotatesTheTailItLookedAtToTheHead_SoTheNextSearchLooksAtTheNextPage()
        {
            // 6.1's move_freelist_head rotates unless "list_is_last(freelist, &freepage->lru)", which (arguments swapped)
            // is true only when freepage is the list's first entry: a tail page moves to the head. After six failed
            // searches freelist_scan_limit is (32 >> 6) + 1 = 1 and fast_isolate_freepages halves it to max(1, 0) = 1, so
            // each search looks at one page: the tail. The old model left a tail page in place, so every search looked at
            // the same page.
            long[] pfns = null!;
            var (node, zone) = WithFreeList(z => pfns = OddPages(z, 40, 4).ToArray());
            var cc = Control(node, zone, direct: false, MigrateMode.SyncLight);
            zone.CompactInitFreePfn = cc.FreePfn + Block;
            cc.FastSearchFail = 6;

            CompactionEngine.FastIsolateFreepages(cc);
            Assert.Equal(new[] { pfns[3], pfns[0], pfns[1], pfns[2] }, FreeList(node, zone));
            Assert.Equal(1L, cc.TotalFreeScanned);

            cc.FastSearchFail = 6;
            CompactionEngine.FastIsolateFreepages(cc);
            Assert.Equal(new[] { pfns[2], pfns[3], pfns[0], pfns[1] }, FreeList(node, zone));
        }

        /// <summary>A list of four entries (sentinel head and pages 0..3 of a scratch map) after moving <paramref name="at"/>.</summary>
        private static int[] Rotated(bool head, int at)
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 64L << 20, CmaBytes = 0, Kernel = KernelProfile.Linux61 });
            var pages = node.Pages;
            int list = node.SpareListBase + 2;
            var items = Enumerable.Range(0, 4).Select(i => 100 + i).ToArray();
            foreach (int i in items) pages.ListAddTail(i, list);
            if (head) CompactionEngine.MoveFreelistHead(pages, list, items[at]);
            else CompactionEngine.MoveFreelistTail(pages, list, items[at]);
            var l = new List<int>();
            for (int p = pages.Next(list); p != list; p = pages.Next(p)) l.Add(p - 100);
            var back = new List<int>();
            for (int p = pages.Prev(list); p != list; p = pages.Prev(p)) back.Add(p - 100);
            back.Reverse();
            Assert.Equal(l, back);                                      // the links are consistent both ways
            return l.ToArray();
        }

        [Theory]
        [InlineData(0, new[] { 0, 1, 2, 3 })]   // first: nothing to move
        [InlineData(2, new[] { 2, 3, 0, 1 })]
        [InlineData(3, new[] { 3, 0, 1, 2 })]   // the tail: rotates to the head (the old model left it)
        public void MoveFreelistHead_PutsFreepageFirst_WithTheEntriesBeforeItAtTheTail(int at, int[] expected)
        {
            // kernel: move_freelist_head (mm/compaction.c, 6.1): list_cut_before then list_splice_tail, unless freepage is first.
            Assert.Equal(expected, Rotated(head: true, at));
        }

        [Theory]
        [InlineData(3, new[] { 0, 1, 2, 3 })]   // last: nothing to move
        [InlineData(1, new[] { 2, 3, 0, 1 })]
        [InlineData(0, new[] { 1, 2, 3, 0 })]   // the head: rotates to the tail (the old model left it)
        public void MoveFreelistTail_PutsFreepageLast_WithTheEntriesAfterItAtTheHead(int at, int[] expected)
        {
            // kernel: move_freelist_tail (mm/compaction.c, 6.1): list_cut_position then list_splice_tail, unless freepage is last.
            Assert.Equal(expected, Rotated(head: false, at));
        }
    }
}
