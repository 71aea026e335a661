using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Migration;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Tests.Compaction;
using MemMgmt.Core.Writeback;
using Xunit;

namespace MemMgmt.Core.Tests.Fidelity
{
    /// <summary>Migration against mm/migrate.c and mm/filemap.c of 4.14.177.</summary>
    public class MigrationFidelityTests
    {
        private sealed class Target : IMigrationTarget
        {
            private readonly MemNode _node;
            internal Target(MemNode node) { _node = node; }
            public int GetNewPage(int page) => PageAllocator.AllocPagesIndex(_node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0);
            public void PutNewPage(int newPage)
            {
                _node.Pages.Flags[newPage] = 0;
                BuddyAllocator.FreeHotPage(_node.ZoneOfIndex(newPage), 0, newPage);
            }
            public void CountFailure(MigrateFailReason reason) { }
        }

        /// <summary>A page-cache page taken off its list as compaction isolates it.</summary>
        private static (int Index, long Handle) Isolated(MemNode node, int list)
        {
            var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0, PageOwner.FileCache);
            int i = node.ToIndex(r.Pfn);
            LruCache.Drain(node, 0);
            Lru.Del(node, i, 1);
            node.Pages.Flags[i] |= (uint)PageFlags.Isolated;
            node.Counters.Mod(Migrate.IsolatedItem(node.Pages.Flags[i]), node.ZoneIdOfIndex(i), 1);
            node.Pages.ListAdd(i, list);
            return (i, r.Handle);
        }

        /// <summary>__unmap_and_move (mm/migrate.c, 4.14): under MIGRATE_SYNC a forced pass calls
        /// wait_on_page_writeback, so the task sleeps until the page's own write ends; end_page_writeback then drops
        /// NR_WRITEBACK once (test_clear_page_writeback) and the page migrates.</summary>
        [Fact]
        public void SyncMigrationWaitsForThePagesWriteToEnd()
        {
            var node = Scenario.Node(64);
            int list = node.SpareListBase + 5;
            var (i, h) = Isolated(node, list);
            PageAccess.SetDirtyIndex(node, i);
            WritebackIo.Start(node, i);
            long done = WritebackIo.QueuedDoneNs(node, i);
            Assert.Equal(node.Clock.NowNs + WritebackIo.LatencyNs, done);
            Assert.Equal(1, node.Counters[NodeStatItem.NrWriteback]);
            long written = node.Counters[NodeStatItem.NrWritten];
            Assert.Equal(0, Migrate.MigratePages(node, list, new Target(node), MigrateMode.Sync, 0, out int ok, out _));
            Assert.Equal(1, ok);
            Assert.Equal(done, node.Clock.NowNs - CostModel.MigratePageNs);
            Assert.Equal(0, node.Counters[NodeStatItem.NrWriteback]);
            Assert.Equal(written + 1, node.Counters[NodeStatItem.NrWritten]);
            Assert.Equal(-1, WritebackIo.QueuedDoneNs(node, i));
            Assert.True(PageAllocator.TryGetAllocation(node, h, out long pfn, out _));
            Assert.False(node.Pages.Has(node.ToIndex(pfn), PageFlags.Writeback));
            Scenario.AssertConsistent(node);
        }

        /// <summary>fallback_migrate_page → writeout (mm/migrate.c, 4.14): a dirty page of a mapping without
        /// ->migratepage is written with ->writepage under MIGRATE_SYNC — a real write that ends after the device's
        /// latency (pgpgout, NR_WRITEBACK until end_page_writeback) — and a later forced pass waits for it.</summary>
        [Fact]
        public void WriteoutQueuesARealWrite()
        {
            var node = Scenario.Node(64);
            node.Compaction.FilesystemHasMigratepage = false;
            int list = node.SpareListBase + 5;
            var (i, _) = Isolated(node, list);
            PageAccess.SetDirtyIndex(node, i);
            long pgpgout = node.Counters[VmEvent.PgpgOut];
            long t0 = node.Clock.NowNs;
            Assert.Equal(0, Migrate.MigratePages(node, list, new Target(node), MigrateMode.Sync, 0, out int ok, out _));
            Assert.Equal(1, ok);
            Assert.Equal(pgpgout + 1, node.Counters[VmEvent.PgpgOut]);
            Assert.True(node.Clock.NowNs - t0 >= WritebackIo.LatencyNs);
            Assert.Equal(0, node.Counters[NodeStatItem.NrWriteback]);
            Assert.Equal(0, node.Counters[NodeStatItem.NrFileDirty]);
            Scenario.AssertConsistent(node);
        }
    }
}
