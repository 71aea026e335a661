using System.Collections.Generic;
using CsCheck;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Tests.Compaction;
using Xunit;

namespace MemMgmt.Core.Tests.Reclaim
{
    /// <summary>New LRU pages go through the allocating cpu's lru_add pagevec (mm/swap.c, 4.14) and reach their lists in
    /// batches of PAGEVEC_SIZE or where the kernel drains.</summary>
    public class LruAddPagevecTests
    {
        private const GfpFlags NoReclaim = GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_RECLAIM;

        private static long Alloc(MemNode node, PageOwner owner, int cpu = 0)
        {
            var r = PageAllocator.Allocate(node, 0, NoReclaim, cpu, owner);
            Assert.True(r.Success);
            return r.Handle;
        }

        private static int IndexOf(MemNode node, long handle)
        {
            Assert.True(PageAllocator.TryGetAllocation(node, handle, out long pfn, out _));
            return node.ToIndex(pfn);
        }

        private static long OnLists(MemNode node, int memcg = 0)
        {
            long n = 0;
            for (int l = 0; l < Lru.NrLruLists; l++) n += Lru.Size(node, memcg, (LruList)l);
            return n;
        }

        /// <summary>Anon faults land on the active anon list (lru_cache_add_active_or_unevictable), page cache on the inactive
        /// file list, shmem on the inactive anon list; each list grows by 15 when the 15th page fills the vector.</summary>
        [Theory]
        [InlineData(PageOwner.Anon, LruList.ActiveAnon)]
        [InlineData(PageOwner.FileCache, LruList.InactiveFile)]
        [InlineData(PageOwner.Shmem, LruList.InactiveAnon)]
        public void PagevecFillsAtFifteenThenDrains(PageOwner owner, LruList list)
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            for (int i = 0; i < 14; i++) Alloc(node, owner);
            Assert.Equal(0, OnLists(node));
            Assert.Equal(14, LruCache.Pending(node, 0));
            Assert.Equal(14, node.LruvecSt.Pvecs[0].AddN);
            ReclaimTestKit.AssertClean(node);
            Alloc(node, owner);
            Assert.Equal(15, Lru.Size(node, 0, list));
            Assert.Equal(15, OnLists(node));
            Assert.Equal(0, LruCache.Pending(node, 0));
            // The next 14 wait again; a page on the other cpu uses that cpu's vector.
            for (int i = 0; i < 14; i++) Alloc(node, owner);
            Alloc(node, owner, 1);
            Assert.Equal(15, Lru.Size(node, 0, list));
            Assert.Equal(15, LruCache.Pending(node, 0));
            Assert.Equal((14, 1), (node.LruvecSt.Pvecs[0].AddN, node.LruvecSt.Pvecs[1].AddN));
            Alloc(node, owner);
            Assert.Equal(30, Lru.Size(node, 0, list));
            LruCache.Drain(node, 1);
            Assert.Equal(31, Lru.Size(node, 0, list));
            // meminfo's lists count only pages on them (nr_zone_* follow the lists), like the kernel's.
            Assert.Equal(31, node.Counters.NodeStat[(int)NodeStatItem.NrInactiveAnon + (int)list]);
            // update_page_reclaim_stat at the drain: every page scanned once, active ones rotated.
            int file = list == LruList.InactiveFile ? 1 : 0;
            Assert.Equal(31, node.LruvecSt.RecentScanned[file]);
            Assert.Equal(list == LruList.ActiveAnon ? 31 : 0, node.LruvecSt.RecentRotated[file]);
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>mark_page_accessed twice on a page still in this cpu's lru_add pagevec: __lru_cache_activate_page sets
        /// PG_active there, so the drain puts it on the active list (no pgactivate: it never was on the inactive list).
        /// From another cpu the page is not found in that cpu's vector: PG_referenced is cleared and it lands inactive.</summary>
        [Fact]
        public void QueuedPageAccessedTwiceLandsActive()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            long a = Alloc(node, PageOwner.FileCache);
            long b = Alloc(node, PageOwner.FileCache);
            PageAccess.MarkAccessed(node, a);
            PageAccess.MarkAccessed(node, a);
            PageAccess.MarkAccessed(node, b, 1);
            PageAccess.MarkAccessed(node, b, 1);
            Assert.Equal(0, OnLists(node));
            LruCache.Drain(node, 0);
            Assert.Equal(1, Lru.Size(node, 0, LruList.ActiveFile));
            Assert.Equal(1, Lru.Size(node, 0, LruList.InactiveFile));
            Assert.Equal(PageFlags.Active, node.Pages.GetFlags(IndexOf(node, a)) & (PageFlags.Active | PageFlags.Referenced));
            Assert.Equal(PageFlags.None, node.Pages.GetFlags(IndexOf(node, b)) & (PageFlags.Active | PageFlags.Referenced));
            Assert.Equal(0, node.Counters[VmEvent.PgActivate]);
            Assert.Equal(1, node.LruvecSt.RecentRotated[1]);
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>shrink_inactive_list begins with lru_add_drain on the reclaiming cpu: pages queued there are reclaimable at
        /// once; pages queued on another cpu stay out of reach.</summary>
        [Theory]
        [InlineData(0, 10)]
        [InlineData(1, 0)]
        public void ReclaimDrainsItsOwnCpuFirst(int reclaimCpu, long expected)
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            for (int i = 0; i < 10; i++) Alloc(node, PageOwner.FileCache);
            var sc = new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1, GfpMask = GfpFlags.GFP_KERNEL, Cpu = reclaimCpu };
            Assert.Equal(expected, Vmscan.ShrinkInactiveList(node, 32, 0, sc, (int)LruList.InactiveFile));
            Assert.Equal(10 - expected, LruCache.Pending(node, 0));
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>shrink_active_list drains first too: queued anon pages are on the active list when it scans.</summary>
        [Fact]
        public void ShrinkActiveListDrainsFirst()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB, 16 * NodeConfig.MiB);
            for (int i = 0; i < 10; i++) Alloc(node, PageOwner.Anon);
            var sc = new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1, GfpMask = GfpFlags.GFP_KERNEL, Cpu = 0 };
            Vmscan.ShrinkActiveList(node, 32, 0, sc, (int)LruList.ActiveAnon);
            Assert.Equal(10, node.Counters[VmEvent.PgRefill]);
            Assert.Equal(10, Lru.Size(node, 0, LruList.InactiveAnon));
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>Pages still in a pagevec are not PG_lru, so compaction could not isolate them; compact_memory
        /// (lru_add_drain_all) and compact_zone's migrate_prep_local drain first, so the last few pages move too.</summary>
        [Theory]
        [InlineData(-1, 1)] // compact_node: lru_add_drain_all reaches cpu 1's vector
        [InlineData(-1, 0)]
        [InlineData(10, 0)] // try_to_compact_pages on cpu 0 (no order-10 block can be freed): migrate_prep_local drains cpu 0
        public void CompactionDrainsSoQueuedPagesAreIsolatable(int order, int queueCpu)
        {
            var node = Scenario.Node(64);
            // Movable blocks full of pages compaction cannot move, every other one freed (highest first, so the pcp lists
            // hand out the lowest pfns next); then ten page-cache pages, queued, not on a list: the only movable pages.
            var live = new List<long>();
            while (true)
            {
                var r = PageAllocator.Allocate(node, 0, NoReclaim, 0, PageOwner.SlabUnmovable);
                if (!r.Success) break;
                live.Add(r.Handle);
            }
            for (int i = (live.Count - 1) & ~1; i >= 0; i -= 2) PageAllocator.Free(node, live[i]);
            var queued = new List<long>();
            for (int i = 0; i < 10; i++) queued.Add(Alloc(node, PageOwner.FileCache, queueCpu));
            var before = new List<int>();
            foreach (var h in queued) before.Add(IndexOf(node, h));
            Assert.Equal(10, LruCache.Pending(node, 0));

            var run = CompactionCommands.Compact(node, CompactPriority.SyncFull, order, null, GfpFlags.GFP_KERNEL, 0);
            var dbg = new System.Text.StringBuilder();
            foreach (var z in run.Zones) dbg.Append($"{z.Zone} {z.Result} ms={z.MigrateScanned} mi={z.MigrateIsolated} mig={z.Migrated} fs={z.FreeScanned}; ");
            foreach (var b in before) dbg.Append(b + " ");

            int moved = 0;
            for (int i = 0; i < queued.Count; i++) if (IndexOf(node, queued[i]) != before[i]) moved++;
            Assert.True(moved > 0, "no queued page was migrated: compaction did not drain the pagevec " + dbg);
            // What is pending now are pages migration put back through cpu 0's pagevec (putback_lru_page): fewer than 15.
            Assert.InRange(LruCache.Pending(node, 0), 0, LruvecState.PagevecSize - 1);
            Assert.Equal(0, node.LruvecSt.Pvecs[1].AddN);
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>A page freed while queued leaves its slot at once; when the pfn is reallocated (here from the hot pcp
        /// list, to another owner and memcg) the stale slot is ignored and the page reaches one list exactly once.</summary>
        [Fact]
        public void FreedWhileQueuedThenReallocatedNeverCorruptsLists()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            var g = MemCgroups.Create(node, "g");
            long a = Alloc(node, PageOwner.FileCache);
            int index = IndexOf(node, a);
            PageAllocator.Free(node, a);
            Assert.Equal(0, LruCache.Pending(node, 0));
            Assert.Equal(-1, node.LruvecSt.Pvecs[0].Add[0]);
            var r = MemCgroups.Allocate(node, "g", 0, NoReclaim, PageOwner.Anon);
            Assert.True(r.Success);
            Assert.Equal(index, IndexOf(node, r.Handle)); // the same pfn, from cpu 0's pcp list
            Assert.Equal(2, node.LruvecSt.Pvecs[0].AddN);
            Assert.Equal(0, LruCache.Pending(node, 0));
            Assert.Equal(1, LruCache.Pending(node, g.Id));
            Assert.Equal(1, g.Usage); // charged at allocation: counted while still queued
            ReclaimTestKit.AssertClean(node);
            LruCache.DrainAll(node);
            Assert.Equal(1, Lru.Size(node, g.Id, LruList.ActiveAnon));
            Assert.Equal(0, OnLists(node, 0));
            Assert.Equal(1, g.Usage);
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>A VM_LOCKED fault never queues the page: Add-Pressure's mlocked pages go straight to the unevictable list,
        /// whether or not the vector had drained meanwhile.</summary>
        [Fact]
        public void MlockedPressurePagesSkipThePagevec()
        {
            var node = Scenario.Node(64);
            MemMgmt.Core.Workloads.Pressure.Run(node, new MemMgmt.Core.Workloads.PressureOptions { Percent = 30, MlockedFraction = 0.5, Seed = 3 });
            long mlocked = 0;
            foreach (var z in node.ZoneArr) mlocked += z.Stat[(int)ZoneStatItem.NrMlock];
            Assert.True(mlocked > 0);
            Assert.Equal(mlocked, Lru.Size(node, 0, LruList.Unevictable));
            for (int cpu = 0; cpu < node.NrCpus; cpu++)
            {
                var pv = node.LruvecSt.Pvecs[cpu];
                for (int i = 0; i < pv.AddN; i++)
                    if (pv.Add[i] >= 0) Assert.False(node.Pages.Has(pv.Add[i], PageFlags.Mlocked));
            }
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>do_mlock drains every cpu's pagevecs first, so a page still queued on cpu 1 is moved to the unevictable list.</summary>
        [Fact]
        public void MlockDrainsAllCpus()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            long a = Alloc(node, PageOwner.Anon, 1);
            Alloc(node, PageOwner.Anon, 0);
            PageAccess.Mlock(node, a);
            Assert.Equal(1, Lru.Size(node, 0, LruList.Unevictable));
            Assert.Equal(1, Lru.Size(node, 0, LruList.ActiveAnon));
            Assert.Equal(0, LruCache.Pending(node, 0));
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>Random allocations on both cpus, frees of queued and listed pages, reallocation into a memcg, accesses,
        /// partial drains, reclaim and compaction never put a page on a list twice or leave a freed page queued; the
        /// invariant checker (pagevec entries, pending counts, lists, counters) holds after every step.</summary>
        [Fact]
        public void RandomFreeWhileQueuedKeepsInvariants()
        {
            Gen.Int[0, int.MaxValue].Array[30, 90].Sample(ops =>
            {
                var node = new MemNode(new NodeConfig { SizeBytes = 64 * NodeConfig.MiB, CmaBytes = 0 });
                MemCgroups.Create(node, "g");
                var live = new List<long>();
                foreach (int x in ops)
                {
                    int op = x % 9, arg = x / 9;
                    switch (op)
                    {
                        case 0:
                        case 1:
                            for (int i = 0; i < 1 + arg % 40; i++)
                            {
                                var owner = (PageOwner)(1 + (arg + i) % 4); // Anon, FileCache, Shmem, SlabReclaimable
                                var r = PageAllocator.Allocate(node, 0, NoReclaim, (arg >> 3 ^ i) & 1, owner);
                                if (!r.Success) break;
                                live.Add(r.Handle);
                            }
                            break;
                        case 2:
                            // free the most recent ones: they are the likeliest to still be queued
                            for (int i = 0; i < 1 + arg % 20 && live.Count > 0; i++)
                            {
                                long h = live[live.Count - 1];
                                live.RemoveAt(live.Count - 1);
                                PageAllocator.Free(node, h, arg & 1);
                            }
                            break;
                        case 3:
                            for (int i = 0; i < 1 + arg % 20; i++)
                            {
                                var r = MemCgroups.Allocate(node, "g", 0, NoReclaim, (arg & 1) == 0 ? PageOwner.Anon : PageOwner.FileCache, (arg >> 1) & 1);
                                if (!r.Success) break;
                                live.Add(r.Handle);
                            }
                            break;
                        case 4:
                            for (int i = arg % 3; i < live.Count; i += 4)
                                if (PageAllocator.TryGetAllocation(node, live[i], out long pfn, out _)
                                    && node.GetPageOwner(pfn) != PageOwner.SlabReclaimable) PageAccess.MarkAccessed(node, live[i], (arg >> 2 ^ i) & 1);
                            break;
                        case 5:
                            LruCache.Drain(node, arg & 1);
                            break;
                        case 6:
                            Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL, arg & 1);
                            break;
                        case 7:
                            CompactionCommands.Compact(node, (arg & 1) == 0 ? CompactPriority.Async : CompactPriority.SyncFull, (arg & 2) == 0 ? -1 : 3,
                                null, GfpFlags.GFP_KERNEL, (arg >> 2) & 1);
                            break;
                        case 8:
                            if (live.Count > 0)
                            {
                                long h = live[arg % live.Count];
                                if (PageAllocator.TryGetAllocation(node, h, out long pfn, out _) && node.GetPageOwner(pfn) != PageOwner.SlabReclaimable)
                                {
                                    if ((arg & 1) == 0) PageAccess.Mlock(node, h); else PageAccess.Munlock(node, h);
                                }
                            }
                            break;
                    }
                    live.RemoveAll(h => !PageAllocator.TryGetAllocation(node, h, out _, out _));
                    ReclaimTestKit.AssertClean(node);
                }
            }, iter: 25, threads: 1);
        }
    }
}
