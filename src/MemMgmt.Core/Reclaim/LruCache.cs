using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>The per-cpu pagevecs of mm/swap.c (4.14): pages queue up to PAGEVEC_SIZE (15) and move under one
    /// lru_lock when the vector fills or lru_add_drain empties it. The kernel's pagevec holds a page reference, so a
    /// queued page is only freed at the drain (release_pages); the simulator frees it at once instead and empties its
    /// slots (<see cref="Forget"/>), so a drain never touches a page that was freed, or freed and reallocated.</summary>
    internal static class LruCache
    {
        private static bool IsLruOwner(MemNode node, int index)
        {
            var pages = node.Pages;
            if ((pages.Flags[index] & (uint)PageFlags.Allocated) == 0) return false;
            var o = (PageOwner)pages.Owner[index];
            return o == PageOwner.Anon || o == PageOwner.FileCache || o == PageOwner.Shmem;
        }

        internal static int NrPages(MemNode node, int index) => 1 << node.Pages.OrderOf(index);

        /// <summary>kernel: update_page_reclaim_stat (mm/swap.c, 4.14).</summary>
        internal static void UpdatePageReclaimStat(MemNode node, int index, int memcg, int file, bool rotated) =>
            node.LruvecSt.Stat(node, memcg, index, file, 1, rotated ? 1 : 0);

        /// <summary>kernel: __lru_cache_add / lru_cache_add (mm/swap.c, 4.14): queue a page that is not on an LRU; a full
        /// vector or a compound (order &gt; 0) page drains at once.</summary>
        internal static void Add(MemNode node, int cpu, int index)
        {
            var pages = node.Pages;
            pages.Flags[index] |= (uint)PageFlags.LruAddQueued;
            node.LruvecSt.LruAddPending[pages.Memcg[index]] += NrPages(node, index);
            var pv = node.LruvecSt.Pvecs[cpu];
            pv.Add[pv.AddN++] = index;
            if (pv.AddN == LruvecState.PagevecSize || pages.OrderOf(index) > 0) DrainAdd(node, pv);
        }

        /// <summary>kernel: __pagevec_lru_add / __pagevec_lru_add_fn (mm/swap.c, 4.14): each page goes on the list its
        /// flags name (page_lru, no evictability check before 4.16), then update_page_reclaim_stat(file, active).</summary>
        private static void DrainAdd(MemNode node, CpuPagevecs pv)
        {
            var pages = node.Pages;
            var pending = node.LruvecSt.LruAddPending;
            for (int i = 0; i < pv.AddN; i++)
            {
                int index = pv.Add[i];
                // An emptied slot, or (defensively) an entry whose page no longer says it is queued.
                if (index < 0 || (pages.Flags[index] & (uint)PageFlags.LruAddQueued) == 0) continue;
                pages.Flags[index] &= ~(uint)PageFlags.LruAddQueued;
                int nr = NrPages(node, index);
                pending[pages.Memcg[index]] -= nr;
                Lru.Add(node, index, nr);
            }
            pv.AddN = 0;
        }

        /// <summary>A page is being freed (or reclaimed, or migrated away): it leaves every pagevec it sits in, so no drain
        /// acts on the pfn once it has been reused. Must run before the page's memcg is reset.</summary>
        internal static void Forget(MemNode node, int index)
        {
            var pages = node.Pages;
            var lruvecs = node.LruvecSt;
            bool queued = (pages.Flags[index] & (uint)PageFlags.LruAddQueued) != 0;
            if (queued)
            {
                pages.Flags[index] &= ~(uint)PageFlags.LruAddQueued;
                lruvecs.LruAddPending[pages.Memcg[index]] -= NrPages(node, index);
            }
            var pvecs = lruvecs.Pvecs;
            for (int cpu = 0; cpu < pvecs.Length; cpu++)
            {
                var pv = pvecs[cpu];
                if (queued) Unslot(pv.Add, pv.AddN, index);
                if (pv.RotateN > 0) Unslot(pv.Rotate, pv.RotateN, index);
                if (pv.DeactivateFileN > 0) Unslot(pv.DeactivateFile, pv.DeactivateFileN, index);
                if (pv.ActivateN > 0) Unslot(pv.Activate, pv.ActivateN, index);
            }
        }

        private static void Unslot(int[] vec, int n, int index)
        {
            for (int i = 0; i < n; i++) if (vec[i] == index) vec[i] = -1;
        }

        /// <summary>Takes a page out of the lru_add pagevec it waits in (its slot is emptied, as if it had never been
        /// queued). Returns false when the page was not queued.</summary>
        internal static bool Unqueue(MemNode node, int index)
        {
            if ((node.Pages.Flags[index] & (uint)PageFlags.LruAddQueued) == 0) return false;
            Forget(node, index);
            return true;
        }

        /// <summary>kernel: add_page_to_unevictable_list (mm/swap.c, 4.14): straight onto the unevictable list, no pagevec.</summary>
        internal static void AddToUnevictableList(MemNode node, int index)
        {
            var pages = node.Pages;
            pages.Clear(index, PageFlags.Active);
            pages.Set(index, PageFlags.Unevictable);
            Lru.AddToList(node, index, NrPages(node, index));
        }

        /// <summary>kernel: putback_lru_page (mm/vmscan.c, 4.14): an isolated page goes back; evictable ones through this
        /// cpu's lru_add pagevec, mlocked ones straight to the unevictable list; counts unevictable_pgs_rescued/culled.</summary>
        internal static void PutbackLruPage(MemNode node, int cpu, int index)
        {
            var pages = node.Pages;
            bool wasUnevictable = pages.Has(index, PageFlags.Unevictable);
            pages.Clear(index, PageFlags.Unevictable);
            bool isUnevictable = pages.Has(index, PageFlags.Mlocked);
            if (!isUnevictable) Add(node, cpu, index);
            else AddToUnevictableList(node, index);
            if (wasUnevictable && !isUnevictable) node.Counters.Count(VmEvent.UnevictablePgsRescued);
            else if (!wasUnevictable && isUnevictable) node.Counters.Count(VmEvent.UnevictablePgsCulled);
        }

        /// <summary>Pages of a lruvec waiting on lru_add pagevecs (all CPUs).</summary>
        internal static long Pending(MemNode node, int memcg) => node.LruvecSt.LruAddPending[memcg];

        /// <summary>kernel: rotate_reclaimable_page (mm/swap.c, 4.14): a clean page whose writeback ended goes to the
        /// inactive list's tail, to be reclaimed first. Active pages are taken too: reclaim parks pages under writeback on
        /// the active list, and pagevec_move_tail_fn clears PG_active as it moves them.</summary>
        internal static void RotateReclaimable(MemNode node, int cpu, int index)
        {
            const uint blockers = (uint)(PageFlags.Dirty | PageFlags.Unevictable);
            uint f = node.Pages.Flags[index];
            if ((f & blockers) != 0 || (f & (uint)PageFlags.Lru) == 0) return;
            var pv = node.LruvecSt.Pvecs[cpu];
            pv.Rotate[pv.RotateN++] = index;
            if (pv.RotateN == LruvecState.PagevecSize || node.Pages.OrderOf(index) > 0) DrainRotate(node, pv);
        }

        /// <summary>kernel: pagevec_move_tail / pagevec_move_tail_fn (mm/swap.c, 4.14); counts pgrotated.</summary>
        private static void DrainRotate(MemNode node, CpuPagevecs pv)
        {
            long moved = 0;
            var pages = node.Pages;
            for (int i = 0; i < pv.RotateN; i++)
            {
                int index = pv.Rotate[i];
                if (index < 0 || !IsLruOwner(node, index)) continue;
                uint f = pages.Flags[index];
                if ((f & (uint)PageFlags.Lru) == 0 || (f & (uint)PageFlags.Unevictable) != 0) continue;
                int nr = NrPages(node, index);
                Lru.Del(node, index, nr);
                pages.Clear(index, PageFlags.Active);
                Lru.AddTail(node, index, nr);
                moved++;
            }
            pv.RotateN = 0;
            node.Counters.Count(VmEvent.PgRotated, moved);
        }

        /// <summary>kernel: deactivate_file_page (mm/swap.c, 4.14): a page invalidation could not drop is moved toward reclaim.</summary>
        internal static void DeactivateFile(MemNode node, int cpu, int index)
        {
            if (node.Pages.Has(index, PageFlags.Unevictable)) return;
            var pv = node.LruvecSt.Pvecs[cpu];
            pv.DeactivateFile[pv.DeactivateFileN++] = index;
            if (pv.DeactivateFileN == LruvecState.PagevecSize || node.Pages.OrderOf(index) > 0) DrainDeactivateFile(node, pv);
        }

        /// <summary>kernel: lru_deactivate_file_fn (mm/swap.c, 4.14).</summary>
        private static void DrainDeactivateFile(MemNode node, CpuPagevecs pv)
        {
            var pages = node.Pages;
            for (int i = 0; i < pv.DeactivateFileN; i++)
            {
                int index = pv.DeactivateFile[i];
                if (index < 0 || !IsLruOwner(node, index)) continue;
                uint f = pages.Flags[index];
                if ((f & (uint)PageFlags.Lru) == 0 || (f & (uint)PageFlags.Unevictable) != 0) continue;
                if ((f & (uint)PageFlags.Mapped) != 0) continue;
                bool active = (f & (uint)PageFlags.Active) != 0;
                int file = (f & (uint)PageFlags.SwapBacked) == 0 ? 1 : 0;
                int nr = NrPages(node, index);
                Lru.Del(node, index, nr);
                pages.Clear(index, PageFlags.Active | PageFlags.Referenced);
                if ((f & (uint)(PageFlags.Writeback | PageFlags.Dirty)) != 0)
                {
                    Lru.AddToList(node, index, nr);
                    pages.Set(index, PageFlags.Reclaim);
                }
                else
                {
                    Lru.AddTail(node, index, nr);
                    node.Counters.Count(VmEvent.PgRotated);
                }
                if (active) node.Counters.Count(VmEvent.PgDeactivate);
                UpdatePageReclaimStat(node, index, pages.Memcg[index], file, false);
            }
            pv.DeactivateFileN = 0;
        }

        /// <summary>kernel: activate_page (mm/swap.c, 4.14, SMP): queue an inactive LRU page for activation.</summary>
        internal static void Activate(MemNode node, int cpu, int index)
        {
            uint f = node.Pages.Flags[index];
            if ((f & (uint)PageFlags.Lru) == 0 || (f & (uint)(PageFlags.Active | PageFlags.Unevictable)) != 0) return;
            var pv = node.LruvecSt.Pvecs[cpu];
            pv.Activate[pv.ActivateN++] = index;
            if (pv.ActivateN == LruvecState.PagevecSize || node.Pages.OrderOf(index) > 0) DrainActivate(node, pv);
        }

        /// <summary>kernel: __activate_page (mm/swap.c, 4.14): move to the active list, pgactivate, rotated reclaim stat.</summary>
        private static void DrainActivate(MemNode node, CpuPagevecs pv)
        {
            var pages = node.Pages;
            for (int i = 0; i < pv.ActivateN; i++)
            {
                int index = pv.Activate[i];
                if (index < 0 || !IsLruOwner(node, index)) continue;
                uint f = pages.Flags[index];
                if ((f & (uint)PageFlags.Lru) == 0 || (f & (uint)(PageFlags.Active | PageFlags.Unevictable)) != 0) continue;
                int file = (f & (uint)PageFlags.SwapBacked) == 0 ? 1 : 0;
                int nr = NrPages(node, index);
                Lru.Del(node, index, nr);
                pages.Set(index, PageFlags.Active);
                Lru.AddToList(node, index, nr);
                node.Counters.Count(VmEvent.PgActivate);
                UpdatePageReclaimStat(node, index, pages.Memcg[index], file, true);
            }
            pv.ActivateN = 0;
        }

        /// <summary>kernel: __lru_cache_activate_page (mm/swap.c, 4.14): a page still in this cpu's lru_add pagevec is
        /// marked active there, so it lands on the active list when the vector drains.</summary>
        private static void ActivateInAddPagevec(MemNode node, int cpu, int index)
        {
            var pv = node.LruvecSt.Pvecs[cpu];
            for (int i = pv.AddN - 1; i >= 0; i--)
                if (pv.Add[i] == index) { node.Pages.Set(index, PageFlags.Active); break; }
        }

        /// <summary>kernel: lru_add_drain_cpu (mm/swap.c, 4.14): lru_add, rotate, deactivate_file, then activate.</summary>
        internal static void Drain(MemNode node, int cpu)
        {
            var pv = node.LruvecSt.Pvecs[cpu];
            if (pv.AddN > 0) DrainAdd(node, pv);
            if (pv.RotateN > 0) DrainRotate(node, pv);
            if (pv.DeactivateFileN > 0) DrainDeactivateFile(node, pv);
            if (pv.ActivateN > 0) DrainActivate(node, pv);
        }

        /// <summary>kernel: lru_add_drain_all (mm/swap.c, 4.14).</summary>
        internal static void DrainAll(MemNode node)
        {
            for (int cpu = 0; cpu < node.NrCpus; cpu++) Drain(node, cpu);
        }

        /// <summary>kernel: mark_page_accessed (mm/swap.c, 4.14): inactive,referenced → active (via the activate
        /// pagevec, or in the lru_add pagevec); otherwise set PG_referenced.</summary>
        internal static void MarkPageAccessed(MemNode node, int cpu, int index)
        {
            var pages = node.Pages;
            uint f = pages.Flags[index];
            if ((f & (uint)(PageFlags.Active | PageFlags.Unevictable)) == 0 && (f & (uint)PageFlags.Referenced) != 0)
            {
                if ((f & (uint)PageFlags.Lru) != 0) Activate(node, cpu, index);
                else ActivateInAddPagevec(node, cpu, index);
                pages.Clear(index, PageFlags.Referenced);
                if ((f & (uint)PageFlags.SwapBacked) == 0) ShadowRefault.Activation(node, index); // page_is_file_cache
            }
            else if ((f & (uint)PageFlags.Referenced) == 0)
            {
                pages.Set(index, PageFlags.Referenced);
            }
        }
    }
}
