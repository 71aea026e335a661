using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Migration;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Trace;
using MemMgmt.Core.Workloads;
using MemMgmt.Core.Tests.Compaction;
using Xunit;

namespace MemMgmt.Core.Tests.Fidelity
{
    /// <summary>Compaction decisions checked line by line against mm/compaction.c of 4.14.177.</summary>
    public class CompactionFidelityTests
    {
        /// <summary>suitable_migration_target (mm/compaction.c, 4.14): the PageBuddy/page_order_unsafe ≥ pageblock_order
        /// test comes first and returns false; only then does cc->ignore_block_suitable return true; otherwise
        /// is_migrate_movable(get_pageblock_migratetype(page)).</summary>
        [Fact]
        public void SuitableMigrationTargetRefusesPageblockSizedBuddyEvenWhenIgnoringBlockSuitability()
        {
            var node = Scenario.Node(64);
            var zone = Scenario.MainZone(node);
            // A fresh node is free in blocks of at least pageblock order: find the first block head that is a buddy.
            int page = -1;
            for (long pfn = zone.ZoneStartPfn; pfn < zone.ZoneEndPfn; pfn += 1L << node.PbOrder)
            {
                int i = node.ToIndex(pfn);
                if ((node.Pages.Flags[i] & (uint)PageFlags.Buddy) != 0 && node.Pages.OrderOf(i) >= node.PbOrder) { page = i; break; }
            }
            Assert.True(page >= 0);
            var ignoring = new CompactControl { Zone = zone, IgnoreBlockSuitable = true };
            var normal = new CompactControl { Zone = zone };
            Assert.False(CompactionEngine.SuitableMigrationTarget(ignoring, page));
            Assert.False(CompactionEngine.SuitableMigrationTarget(normal, page));
            // An unmovable block whose first page is allocated: ignore_block_suitable now decides alone.
            int taken = PageAllocator.AllocPagesIndex(node, 0, GfpFlags.GFP_KERNEL, 0);
            int head = taken & ~((1 << node.PbOrder) - 1);
            Assert.Equal((int)MigrateType.Unmovable, node.BlockMigratetype(head));
            Assert.True(CompactionEngine.SuitableMigrationTarget(ignoring, head));
            Assert.False(CompactionEngine.SuitableMigrationTarget(normal, head));
        }
        /// <summary>should_compact_retry (mm/page_alloc.c, 4.14) ends at `out: trace_compact_retry(order, priority,
        /// compact_result, retries, max_retries, ret)` with the priority and retries it was called with; the oom.h
        /// TP_printk prints the priority by its COMPACTION_PRIORITY name and compact_result_to_feedback's class.</summary>
        [Fact]
        public void ShouldCompactRetryTracesCompactRetry()
        {
            var node = Scenario.Node(64);
            node.Trace.Clear();
            var prio = CompactPriority.SyncLight;
            int retries = 16;
            Assert.True(PageAllocator.ShouldCompactRetry(node, 3, GfpFlags.GFP_KERNEL, 0,
                CompactResult.Success, ref prio, ref retries));
            prio = CompactPriority.SyncLight; retries = 0;
            PageAllocator.ShouldCompactRetry(node, 9, GfpFlags.GFP_KERNEL, 0,
                CompactResult.Deferred, ref prio, ref retries);
            var ev = node.Trace.Events(node);
            Assert.Equal(2, ev.Count);
            Assert.Equal(TraceEventId.compact_retry, ev[0].Event);
            // 17 > 16 retries: the priority steps down to SYNC_FULL and the decision is to retry.
            Assert.Equal("order=3 priority=COMPACT_PRIO_SYNC_LIGHT compaction_result=progress retries=16 max_retries=16 should_retry=1", ev[0].Text);
            Assert.StartsWith("order=9 priority=COMPACT_PRIO_SYNC_LIGHT compaction_result=withdrawn retries=0 max_retries=16 should_retry=", ev[1].Text);
        }

        /// <summary>compact_node (mm/compaction.c, 4.14) declares one compact_control and calls compact_zone for each
        /// populated zone without resetting total_migrate_scanned/total_free_scanned; compact_zone's
        /// count_compact_events(COMPACTMIGRATE_SCANNED, cc->total_migrate_scanned) therefore counts the first zone's scan
        /// again at the end of the second.</summary>
        [Fact]
        public void CompactNodeSharesOneCompactControlAcrossZones()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 4 * NodeConfig.GiB, CmaBytes = 0, Seed = 5 });
            Assert.Equal(2, node.PopulatedZones.Count);
            Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.EveryOther, Seed = 5 });
            long m0 = node.Counters[VmEvent.CompactMigrateScanned], f0 = node.Counters[VmEvent.CompactFreeScanned];
            var run = CompactionCommands.Compact(node, CompactPriority.SyncFull);
            Assert.Equal(2, run.Zones.Count);
            long a = run.Zones[0].MigrateScanned, b = run.Zones[1].MigrateScanned;
            Assert.True(a > 0 && b > 0);
            Assert.Equal(2 * a + b, node.Counters[VmEvent.CompactMigrateScanned] - m0);
            Assert.Equal(2 * run.Zones[0].FreeScanned + run.Zones[1].FreeScanned, node.Counters[VmEvent.CompactFreeScanned] - f0);
            Scenario.AssertConsistent(node);
        }
        private static CompactControl Cc(MemNode node, GfpFlags gfp) => new CompactControl
        {
            Zone = Scenario.MainZone(node), Mode = MigrateMode.Sync, GfpMask = gfp,
            MigrateList = node.SpareListBase, FreeList = node.SpareListBase + 1,
        };

        /// <summary>isolate_migratepages_block (mm/compaction.c, 4.14): only PageCompound pages are skipped by
        /// compound_order; a higher-order allocation without __GFP_COMP fails at its first page (!PageLRU) and each tail
        /// page is then scanned (nr_scanned++) and fails on its own.</summary>
        [Fact]
        public void MigrateScannerCountsTailPagesOfNonCompoundAllocationsOneByOne()
        {
            var node = Scenario.Node(64, disableGrouping: false);
            int plain = PageAllocator.AllocPagesIndex(node, 3, GfpFlags.GFP_KERNEL, 0);
            int comp = PageAllocator.AllocPagesIndex(node, 3, GfpFlags.GFP_KERNEL | GfpFlags.__GFP_COMP, 0);
            node.Pages.Flags[comp] |= (uint)PageFlags.Head;
            var cc = Cc(node, GfpFlags.GFP_KERNEL);
            Assert.Equal(plain + 8, CompactionEngine.IsolateMigratepagesBlock(cc, plain, plain + 8, true, false));
            Assert.Equal(8, cc.TotalMigrateScanned);
            Assert.Equal(1, cc.Reasons[(int)MigrateFailReason.NotMovable]);
            cc = Cc(node, GfpFlags.GFP_KERNEL);
            Assert.Equal(comp + 8, CompactionEngine.IsolateMigratepagesBlock(cc, comp, comp + 8, true, false));
            Assert.Equal(1, cc.TotalMigrateScanned);
            Assert.Equal(1, cc.Reasons[(int)MigrateFailReason.Compound]);
        }

        /// <summary>isolate_migratepages_block (4.14) tests `!page_mapping(page) &amp;&amp; page_count(page) &gt;
        /// page_mapcount(page)` and `!(cc->gfp_mask &amp; __GFP_FS) &amp;&amp; page_mapping(page)`; page_mapping of an anon page
        /// in the swap cache is the swap address space, so an unmapped swap-cache page is not taken for pinned, and a
        /// GFP_NOFS compaction leaves it alone.</summary>
        [Fact]
        public void SwapCacheAnonPagesHaveAMapping()
        {
            var node = Scenario.Node(64);
            var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, 0, PageOwner.Anon);
            Assert.True(r.Success);
            MemMgmt.Core.Reclaim.LruCache.DrainAll(node);
            int page = node.Allocations.IndexOf(node.Allocations.Resolve(r.Handle));
            // Reclaim's state after add_to_swap and try_to_unmap: in the swap cache, no PTE maps it.
            node.Pages.Flags[page] = (node.Pages.Flags[page] | (uint)PageFlags.SwapCache) & ~(uint)(PageFlags.Mapped | PageFlags.PteYoung);
            var nofs = Cc(node, GfpFlags.GFP_NOFS);
            CompactionEngine.IsolateMigratepagesBlock(nofs, page, page + 1, true, false);
            Assert.Equal(0, nofs.NrMigratepages);
            Assert.Equal(1, nofs.Reasons[(int)MigrateFailReason.FileWithoutGfpFs]);
            var kernel = Cc(node, GfpFlags.GFP_KERNEL);
            CompactionEngine.IsolateMigratepagesBlock(kernel, page, page + 1, true, false);
            Assert.Equal(1, kernel.NrMigratepages);
            Migrate.PutbackMovablePages(node, kernel.MigrateList, 0);
            Scenario.AssertConsistent(node);
        }
        /// <summary>compact_should_abort / compact_unlock_should_abort (mm/compaction.c, 4.14): `if (need_resched()) { if
        /// (cc->mode == MIGRATE_ASYNC) { cc->contended = true; return true; } cond_resched(); }`, and __compact_finished
        /// returns COMPACT_CONTENDED once cc->contended is set. need_resched is modelled in virtual time (the task's CFS
        /// slice, 8 ms): a long async compaction ends contended, a sync one yields and runs on; should_compact_retry then
        /// takes the withdrawn branch (compaction_zonelist_suitable).</summary>
        [Fact]
        public void AsyncCompactionEndsContendedWhenTheTaskMustReschedule()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 1 * NodeConfig.GiB, CmaBytes = 0, Seed = 9 });
            // One page in a hundred pinned: no order-10 block can be freed, so compaction keeps migrating across the zone.
            Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.EveryOther, PinnedFraction = 0.01, ExtraGfp = GfpFlags.__GFP_MEMALLOC, Seed = 9 });
            Assert.Equal(0, Scenario.FreePagesAtOrAbove(node, 10));
            var copy = node.Clone("sync-copy");
            node.Trace.Clear();
            long t0 = node.Clock.NowNs;
            var run = CompactionCommands.Compact(node, CompactPriority.Async, 10, gfp: GfpFlags.GFP_HIGHUSER_MOVABLE);
            Assert.True(run.Result == CompactResult.Contended, string.Join("; ", System.Linq.Enumerable.Select(run.Zones, z => $"{z.Zone} {z.Result} migrated {z.Migrated} scanned {z.MigrateScanned} elapsed {run.ElapsedNs}")));
            Assert.Equal(CompactResult.Contended, run.Zones[run.Zones.Count - 1].Result);
            Assert.True(node.Clock.NowNs - t0 >= CostModel.SchedSliceNs);
            Assert.Contains(node.Trace.Events(node), e => e.Event == TraceEventId.mm_compaction_end && e.Text.EndsWith("status=contended", System.StringComparison.Ordinal));
            var prio = CompactPriority.Async;
            int retries = 0;
            node.Trace.Clear();
            PageAllocator.ShouldCompactRetry(node, 10, GfpFlags.GFP_HIGHUSER_MOVABLE, 0, CompactResult.Contended, ref prio, ref retries);
            Assert.Contains("compaction_result=withdrawn", node.Trace.Events(node)[0].Text);
            Assert.Equal(0, retries);
            Scenario.AssertConsistent(node);

            var sync = CompactionCommands.Compact(copy, CompactPriority.SyncLight, 10, gfp: GfpFlags.GFP_HIGHUSER_MOVABLE);
            Assert.NotEqual(CompactResult.Contended, sync.Result);
            Scenario.AssertConsistent(copy);
        }
    }
}
