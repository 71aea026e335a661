using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Migration;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Compaction
{
    public class MigrationFailureTests
    {
        private sealed class TestTarget : IMigrationTarget
        {
            private readonly MemNode _node;
            internal int Gets;
            internal readonly List<MigrateFailReason> Failures = new List<MigrateFailReason>();
            internal TestTarget(MemNode node) { _node = node; }
            public int GetNewPage(int page) { Gets++; return PageAllocator.AllocPagesIndex(_node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0); }
            public void PutNewPage(int newPage)
            {
                _node.Pages.Flags[newPage] = 0;
                BuddyAllocator.FreeHotPage(_node.ZoneOfIndex(newPage), 0, newPage);
            }
            public void CountFailure(MigrateFailReason reason) => Failures.Add(reason);
        }

        /// <summary>Allocates one LRU page, applies the flags and isolates it onto a spare list as compaction would.</summary>
        private static (int Index, long Handle) IsolatedPage(MemNode node, PageOwner owner, PageFlags extra, byte pins, int list)
        {
            var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0, owner);
            int i = node.ToIndex(r.Pfn);
            LruCache.Drain(node, 0); // the new page leaves cpu 0's lru_add pagevec for its list; only then is it isolatable
            Lru.Del(node, i, 1);
            node.Pages.Flags[i] |= (uint)(extra | PageFlags.Isolated);
            node.Pages.ExtraRefs[i] = pins;
            node.Counters.Mod(Migrate.IsolatedItem(node.Pages.Flags[i]), node.ZoneIdOfIndex(i), 1);
            node.Pages.ListAdd(i, list);
            return (i, r.Handle);
        }

        [Theory]
        [InlineData(MigrateMode.Async, MigrateFailReason.WritebackEbusy, 1)]
        [InlineData(MigrateMode.SyncLight, MigrateFailReason.WritebackEbusy, 1)]
        public void WritebackFailsWithEbusyOutsideSync(MigrateMode mode, MigrateFailReason reason, int gets)
        {
            var node = Scenario.Node(64);
            int list = node.SpareListBase + 5;
            var (i, h) = IsolatedPage(node, PageOwner.FileCache, PageFlags.Writeback, 0, list);
            var t = new TestTarget(node);
            int rc = Migrate.MigratePages(node, list, t, mode, 0, out int ok, out int failed);
            Assert.Equal((1, 0, 1), (rc, ok, failed));
            Assert.Equal(gets, t.Gets);
            Assert.Equal(new[] { reason }, t.Failures);
            // putback_lru_page goes through lru_cache_add: the page waits in cpu 0's pagevec until a drain.
            Assert.False(node.Pages.Has(i, PageFlags.Lru));
            Assert.True(node.Pages.Has(i, PageFlags.LruAddQueued));
            LruCache.Drain(node, 0);
            Assert.True(node.Pages.Has(i, PageFlags.Lru));
            Assert.Equal(1, node.Counters[VmEvent.PgMigrateFail]);
            Assert.True(PageAllocator.TryGetAllocation(node, h, out long pfn, out _) && node.ToIndex(pfn) == i);
            node.Pages.Clear(i, PageFlags.Writeback);
            Scenario.AssertConsistent(node);
        }

        [Fact]
        public void WritebackInSyncWaitsOnceForcedAndMigrates()
        {
            var node = Scenario.Node(64);
            int list = node.SpareListBase + 5;
            var (i, h) = IsolatedPage(node, PageOwner.FileCache, PageFlags.Writeback, 0, list);
            node.Counters.Mod(NodeStatItem.NrWriteback, node.ZoneIdOfIndex(i), 1);
            var t = new TestTarget(node);
            long t0 = node.Clock.NowNs;
            int rc = Migrate.MigratePages(node, list, t, MigrateMode.Sync, 0, out int ok, out _);
            // Passes 0-2 are not forced: -EAGAIN; pass 3 waits for the writeback and moves the page.
            Assert.Equal((0, 1, 4), (rc, ok, t.Gets));
            Assert.True(node.Clock.NowNs - t0 >= CostModel.WritebackWaitNs);
            Assert.True(PageAllocator.TryGetAllocation(node, h, out long pfn, out _));
            Assert.NotEqual(i, node.ToIndex(pfn));
            Assert.False(node.Pages.Has(node.ToIndex(pfn), PageFlags.Writeback));
            Assert.Equal(1, node.Counters[VmEvent.PgMigrateSuccess]);
            Scenario.AssertConsistent(node);
        }

        [Fact]
        public void PinnedPageFailsAfterTenEagainPasses()
        {
            var node = Scenario.Node(64);
            int list = node.SpareListBase + 5;
            var (i, _) = IsolatedPage(node, PageOwner.FileCache, 0, 1, list);
            var t = new TestTarget(node);
            int rc = Migrate.MigratePages(node, list, t, MigrateMode.Sync, 0, out int ok, out int failed);
            Assert.Equal((1, 0, 1, 10), (rc, ok, failed, t.Gets));
            Assert.Equal(new[] { MigrateFailReason.PinnedEagain }, t.Failures);
            // -EAGAIN pages stay on the list for the caller's putback_movable_pages.
            Assert.Equal(i, node.Pages.Next(list));
            Migrate.PutbackMovablePages(node, list);
            Scenario.AssertConsistent(node);
        }

        [Theory]
        [InlineData(MigrateMode.Async)]
        [InlineData(MigrateMode.SyncLight)]
        public void DirtyWithoutMigratepageFailsWithEbusyOutsideSync(MigrateMode mode)
        {
            var node = Scenario.Node(64);
            node.Compaction.FilesystemHasMigratepage = false;
            int list = node.SpareListBase + 5;
            IsolatedPage(node, PageOwner.FileCache, PageFlags.Dirty, 0, list);
            var t = new TestTarget(node);
            Assert.Equal(1, Migrate.MigratePages(node, list, t, mode, 0, out _, out _));
            Assert.Equal(new[] { MigrateFailReason.DirtyEbusy }, t.Failures);
        }

        [Fact]
        public void DirtyWithoutMigratepageIsWrittenOutInSync()
        {
            var node = Scenario.Node(64);
            node.Compaction.FilesystemHasMigratepage = false;
            int list = node.SpareListBase + 5;
            var (dirty, _) = IsolatedPage(node, PageOwner.FileCache, PageFlags.Dirty, 0, list);
            node.Counters.Mod(NodeStatItem.NrFileDirty, node.ZoneIdOfIndex(dirty), 1);
            var t = new TestTarget(node);
            // Pass 0: writeout (-EAGAIN); passes 1-2: under writeback, not forced (-EAGAIN); pass 3: wait, migrate.
            Assert.Equal(0, Migrate.MigratePages(node, list, t, MigrateMode.Sync, 0, out int ok, out _));
            Assert.Equal((1, 4), (ok, t.Gets));
            Assert.Equal(0, node.Counters[NodeStatItem.NrFileDirty]);
            Scenario.AssertConsistent(node);
        }

        [Fact]
        public void CompactionReportsWhyPagesStayedByMode()
        {
            var node = Scenario.Node(256);
            node.Compaction.FilesystemHasMigratepage = false;
            Pressure.Run(node, new PressureOptions
            {
                Percent = 100, Pattern = PressurePattern.EveryOther, FileFraction = 0.5, PinnedFraction = 0.05,
                DirtyFraction = 0.1, WritebackFraction = 0.1, ExtraGfp = GfpFlags.__GFP_MEMALLOC, Seed = 4,
                // Without waking kswapd: reclaiming alongside the fill, it would change which pages are dirty or under writeback.
                Gfp = GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_KSWAPD_RECLAIM,
            });
            var sync = node.Clone();
            long fail0 = node.Counters[VmEvent.PgMigrateFail];
            var light = Assert.Single(CompactionCommands.Compact(node, CompactPriority.SyncLight).Zones);
            Assert.Equal(MigrateMode.SyncLight, light.Mode);
            Assert.True(light.FailReasons[MigrateFailReason.WritebackNotIsolated] > 0);
            Assert.True(light.FailReasons[MigrateFailReason.DirtyNotIsolated] > 0);
            Assert.True(light.FailReasons[MigrateFailReason.PinnedNotIsolated] > 0);   // anon
            Assert.True(light.FailReasons[MigrateFailReason.PinnedEagain] > 0);        // file: isolated, then -EAGAIN x10
            Assert.Equal(light.MigrateFailed, node.Counters[VmEvent.PgMigrateFail] - fail0);
            Assert.Equal(light.FailReasons[MigrateFailReason.PinnedEagain], light.MigrateFailed);
            Scenario.AssertConsistent(node);

            var full = Assert.Single(CompactionCommands.Compact(sync, CompactPriority.SyncFull).Zones);
            Assert.Equal(MigrateMode.Sync, full.Mode);
            Assert.False(full.FailReasons.ContainsKey(MigrateFailReason.WritebackNotIsolated));
            Assert.False(full.FailReasons.ContainsKey(MigrateFailReason.DirtyNotIsolated));
            Assert.False(full.FailReasons.ContainsKey(MigrateFailReason.DirtyEbusy));
            Assert.True(full.FailReasons[MigrateFailReason.PinnedEagain] > 0);
            Assert.True(full.Migrated > light.Migrated);
            Scenario.AssertConsistent(sync);
        }
    }
}
