using MemMgmt.Core.Buddy;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Trace;

namespace MemMgmt.Core.Migration
{
    /// <summary>Where migrate_pages gets target pages and returns unused ones (get_new_page / put_new_page).</summary>
    internal interface IMigrationTarget
    {
        /// <summary>A free order-0 page index, or -1 (-ENOMEM).</summary>
        int GetNewPage(int page);
        void PutNewPage(int newPage);
        /// <summary>Counts a page that finally failed, by cause.</summary>
        void CountFailure(MigrateFailReason reason);
    }

    /// <summary>Page migration (mm/migrate.c, 4.14) for order-0 LRU and non-LRU movable pages.</summary>
    internal static class Migrate
    {
        internal const int MigratepageSuccess = 0;
        internal const int EAGAIN = -11;
        internal const int EBUSY = -16;
        internal const int ENOMEM = -12;

        /// <summary>kernel: migrate_pages (mm/migrate.c, 4.14): up to 10 passes over the list; force from pass 3; -EAGAIN
        /// pages stay for the next pass, others leave the list (migrated or put back); -ENOMEM ends the run.
        /// Returns the number of pages not migrated, or -ENOMEM.</summary>
        internal static int MigratePages(MemNode node, int list, IMigrationTarget target, MigrateMode mode, int cpu,
            out int nrSucceeded, out int nrFailed)
        {
            var pages = node.Pages;
            int retry = 1;
            nrSucceeded = 0;
            nrFailed = 0;
            int rc;
            // The cause of the last -EAGAIN per page is only known at the end; remember it in a small scratch per pass.
            for (int pass = 0; pass < 10 && retry != 0; pass++)
            {
                retry = 0;
                int page = pages.Next(list);
                while (page != list)
                {
                    int next = pages.Next(page);
                    rc = UnmapAndMove(node, target, page, pass > 2, mode, cpu, out var reason);
                    switch (rc)
                    {
                        case ENOMEM:
                            nrFailed++;
                            target.CountFailure(MigrateFailReason.NoFreePage);
                            goto Out;
                        case EAGAIN:
                            retry++;
                            if (pass == 9) target.CountFailure(reason);
                            break;
                        case MigratepageSuccess:
                            nrSucceeded++;
                            break;
                        default:
                            nrFailed++;
                            target.CountFailure(reason);
                            break;
                    }
                    page = next;
                }
            }
            nrFailed += retry;
            rc = nrFailed;
        Out:
            if (nrSucceeded != 0) node.Counters.Count(VmEvent.PgMigrateSuccess, nrSucceeded);
            if (nrFailed != 0) node.Counters.Count(VmEvent.PgMigrateFail, nrFailed);
            node.Trace.Record(node, TraceEventId.mm_migrate_pages, nrSucceeded, nrFailed, (long)mode);
            return rc;
        }

        /// <summary>kernel: unmap_and_move (mm/migrate.c, 4.14): get a target, move, then finish the old page: freed on
        /// success, put back on failure, left on the list for -EAGAIN (the target goes back through put_new_page).</summary>
        private static int UnmapAndMove(MemNode node, IMigrationTarget target, int page, bool force, MigrateMode mode, int cpu,
            out MigrateFailReason reason)
        {
            reason = MigrateFailReason.PinnedEagain;
            int newpage = target.GetNewPage(page);
            if (newpage < 0) return ENOMEM;
            var pages = node.Pages;
            bool nonLru = (pages.Flags[page] & (uint)PageFlags.NonLruMovable) != 0;
            int rc = UnmapAndMoveInner(node, page, newpage, force, mode, cpu, ref reason);
            if (rc != EAGAIN)
            {
                pages.ListDel(page);
                if (!nonLru) node.Counters.Mod(IsolatedItem(pages.Flags[page]), node.ZoneIdOfIndex(page), -1);
            }
            if (rc == MigratepageSuccess)
            {
                // The old page loses its last reference: put_page frees it through the per-cpu list.
                LruCache.Forget(node, page);
                pages.Flags[page] = 0;
                pages.Owner[page] = 0;
                pages.ExtraRefs[page] = 0;
                pages.Memcg[page] = 0;
                pages.Handle[page] = 0;
                BuddyAllocator.FreeHotPage(node.ZoneOfIndex(page), cpu, page);
            }
            else
            {
                if (rc != EAGAIN) PutbackPage(node, page, cpu);
                target.PutNewPage(newpage);
            }
            return rc;
        }

        /// <summary>kernel: __unmap_and_move and move_to_new_page (mm/migrate.c, 4.14). The page lock is never contended
        /// here (no other task holds it), so the trylock paths always succeed.</summary>
        private static int UnmapAndMoveInner(MemNode node, int page, int newpage, bool force, MigrateMode mode, int cpu, ref MigrateFailReason reason)
        {
            var pages = node.Pages;
            uint f = pages.Flags[page];
            if ((f & (uint)PageFlags.Writeback) != 0)
            {
                if (mode != MigrateMode.Sync && mode != MigrateMode.SyncNoCopy) { reason = MigrateFailReason.WritebackEbusy; return EBUSY; }
                if (!force) { reason = MigrateFailReason.WritebackEagain; return EAGAIN; }
                WaitOnPageWriteback(node, page);
                f = pages.Flags[page];
            }
            // try_to_unmap with TTU_IGNORE_MLOCK always unmaps here; move_to_new_page then needs the expected refcount.
            var owner = (PageOwner)pages.Owner[page];
            bool hasMapping = owner == PageOwner.FileCache || owner == PageOwner.Shmem;
            bool hasMigratepage = owner != PageOwner.FileCache || node.Compaction.FilesystemHasMigratepage;
            if (hasMapping && !hasMigratepage && (f & (uint)PageFlags.Dirty) != 0)
            {
                // fallback_migrate_page: only full sync migration writes the page out.
                if (mode != MigrateMode.Sync && mode != MigrateMode.SyncNoCopy) { reason = MigrateFailReason.DirtyEbusy; return EBUSY; }
                // writeout: clear_page_dirty_for_io and ->writepage submit a real write, which ends (end_page_writeback)
                // after the device's latency; a later forced pass waits for it.
                Writeback.WritebackIo.Start(node, page);
                reason = MigrateFailReason.DirtyEagain;
                return EAGAIN;
            }
            // migrate_page_move_mapping: page_count must equal the expected count (extra pins fail with -EAGAIN).
            if (pages.ExtraRefs[page] != 0) { reason = MigrateFailReason.PinnedEagain; return EAGAIN; }
            MovePageState(node, page, newpage, cpu);
            node.Clock.Advance(CostModel.MigratePageNs);
            return MigratepageSuccess;
        }

        /// <summary>kernel: wait_on_page_writeback (mm/filemap.c, 4.14) in virtual time: the migrating task sleeps until the
        /// write in flight for this page ends, and end_page_writeback runs for every write due by then (NR_WRITEBACK
        /// drops there, once). A page marked under writeback with no write queued (a workload's preset state) is
        /// waited for the modelled <see cref="CostModel.WritebackWaitNs"/> and then cleared.</summary>
        private static void WaitOnPageWriteback(MemNode node, int page)
        {
            long doneNs = Writeback.WritebackIo.QueuedDoneNs(node, page);
            if (doneNs >= 0)
            {
                if (doneNs > node.Clock.NowNs) node.Clock.Advance(doneNs - node.Clock.NowNs);
                Writeback.WritebackIo.CompleteDue(node);
            }
            if (!node.Pages.Has(page, PageFlags.Writeback)) return;
            node.Clock.Advance(CostModel.WritebackWaitNs);
            node.Pages.Clear(page, PageFlags.Writeback);
            node.Counters.Mod(NodeStatItem.NrWriteback, node.ZoneIdOfIndex(page), -1);
        }

        /// <summary>migrate_page_copy and remove_migration_ptes: the new page takes the old one's state, the allocation
        /// handle follows it, and __unmap_and_move's putback_lru_page returns it through this cpu's lru_add pagevec.</summary>
        private static void MovePageState(MemNode node, int page, int newpage, int cpu)
        {
            var pages = node.Pages;
            // A migrated page is an order-0 one: the new page's order byte is 0 like the old one's.
            uint f = pages.Flags[page] & PageMap.FlagBits & ~(uint)PageFlags.Isolated;
            pages.Flags[newpage] = f;
            pages.Owner[newpage] = pages.Owner[page];
            pages.ExtraRefs[newpage] = 0;
            pages.Memcg[newpage] = pages.Memcg[page];
            int slot = pages.Handle[page];
            pages.Handle[newpage] = slot;
            if (slot != 0) node.Allocations.Move(slot, newpage);
            if ((f & (uint)PageFlags.NonLruMovable) == 0) LruCache.PutbackLruPage(node, cpu, newpage);
            var owner = (PageOwner)pages.Owner[page];
            if (owner == PageOwner.PageTable)
            {
                node.ZoneOfIndex(page).Stat[(int)ZoneStatItem.NrPageTablePages]--;
                node.ZoneOfIndex(newpage).Stat[(int)ZoneStatItem.NrPageTablePages]++;
            }
            if ((f & (uint)PageFlags.Mlocked) != 0)
            {
                node.ZoneOfIndex(page).Stat[(int)ZoneStatItem.NrMlock]--;
                node.ZoneOfIndex(newpage).Stat[(int)ZoneStatItem.NrMlock]++;
            }
            int from = node.ZoneIdOfIndex(page), to = node.ZoneIdOfIndex(newpage);
            if (from != to) MoveZoneStats(node.Counters, owner, f, from, to);
        }

        /// <summary>The node items an order-0 page counts move from its zone to the new page's zone, as 4.4's per-zone
        /// counters moved in migrate_page_move_mapping (file pages, shmem, dirty) and with the rmap (anon); the isolated
        /// count stays with the old page, whose putback or free settles it, and a page under writeback was waited for first.</summary>
        private static void MoveZoneStats(VmCounters c, PageOwner owner, uint f, int from, int to)
        {
            void Move(NodeStatItem item) { c.Mod(item, from, -1); c.Mod(item, to, 1); }
            switch (owner)
            {
                case PageOwner.Anon: Move(NodeStatItem.NrAnonMapped); break;
                case PageOwner.FileCache: Move(NodeStatItem.NrFilePages); break;
                case PageOwner.Shmem: Move(NodeStatItem.NrFilePages); Move(NodeStatItem.NrShmem); break;
                case PageOwner.SlabReclaimable: Move(NodeStatItem.NrSlabReclaimable); break;
                case PageOwner.SlabUnmovable: Move(NodeStatItem.NrSlabUnreclaimable); break;
            }
            if ((f & (uint)(PageFlags.Dirty | PageFlags.SwapBacked)) == (uint)PageFlags.Dirty) Move(NodeStatItem.NrFileDirty);
        }

        /// <summary>NR_ISOLATED_ANON + page_is_file_cache(page).</summary>
        internal static NodeStatItem IsolatedItem(uint flags) =>
            (flags & (uint)PageFlags.SwapBacked) != 0 ? NodeStatItem.NrIsolatedAnon : NodeStatItem.NrIsolatedFile;

        /// <summary>kernel: putback_lru_page / putback_movable_page (mm/migrate.c, 4.14): an LRU page returns through this
        /// cpu's lru_add pagevec (mlocked ones straight to the unevictable list).</summary>
        private static void PutbackPage(MemNode node, int page, int cpu)
        {
            var pages = node.Pages;
            pages.Flags[page] &= ~(uint)PageFlags.Isolated;
            if ((pages.Flags[page] & (uint)PageFlags.NonLruMovable) == 0) LruCache.PutbackLruPage(node, cpu, page);
        }

        /// <summary>kernel: putback_movable_pages (mm/migrate.c, 4.14): every page left on the list goes back.</summary>
        internal static void PutbackMovablePages(MemNode node, int list, int cpu = 0)
        {
            var pages = node.Pages;
            int page = pages.Next(list);
            while (page != list)
            {
                int next = pages.Next(page);
                pages.ListDel(page);
                if ((pages.Flags[page] & (uint)PageFlags.NonLruMovable) == 0) node.Counters.Mod(IsolatedItem(pages.Flags[page]), node.ZoneIdOfIndex(page), -1);
                PutbackPage(node, page, cpu);
                page = next;
            }
        }
    }
}
