using System;
using System.Collections.Generic;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Swap;

namespace MemMgmt.Core.Node
{
    public sealed partial class MemNode
    {
        private Reclaim.ReclaimState? _reclaim;

        /// <summary>Reclaim state of the node (lruvec sizes and reclaim_stat, pagevecs, swap, kswapd, shrinkers, memcgs).</summary>
        internal Reclaim.ReclaimState ReclaimSt => _reclaim ??= new Reclaim.ReclaimState(this);

        /// <summary>Delegates other subsystems fill: compaction_suitable, kcompactd wakeup, tracepoints.</summary>
        public Reclaim.ReclaimHooks ReclaimHooks => ReclaimSt.Hooks;

        /// <summary>The node's swap device (total_swap_pages / nr_swap_pages).</summary>
        public Swap.SwapDevice Swap => ReclaimSt.Swap;

        internal void CloneReclaimFrom(MemNode o)
        {
            if (o._reclaim != null) _reclaim = o._reclaim.Clone(this);
        }
    }
}

namespace MemMgmt.Core.Reclaim
{
    /// <summary>kswapd's task state in virtual time.</summary>
    public enum KswapdState
    {
        /// <summary>Fully asleep on kswapd_wait (waitqueue active).</summary>
        Sleeping,
        /// <summary>Woken: balance_pgdat runs at the next daemon step.</summary>
        Runnable,
        /// <summary>The short HZ/10 nap of kswapd_try_to_sleep (waitqueue active).</summary>
        Napping,
    }

    /// <summary>Hooks the other subsystems fill; all optional.</summary>
    public sealed class ReclaimHooks
    {
        /// <summary>compaction_suitable(zone, order, alloc_flags 0, classzone_idx). When null, reclaim uses the
        /// watermark part of 4.14 __compaction_suitable (no fragmentation index).</summary>
        public Func<Zone, int, int, CompactionSuitability>? CompactionSuitable { get; set; }

        /// <summary>wakeup_kcompactd(pgdat, order, classzone_idx), called from kswapd_try_to_sleep.</summary>
        public Action<MemNode, int, int>? WakeupKcompactd { get; set; }

        /// <summary>reset_isolation_suitable(pgdat), called when kswapd goes for its short nap.</summary>
        public Action<MemNode>? ResetIsolationSuitable { get; set; }

        /// <summary>mm_vmscan_* tracepoints: (event name, formatted fields as the kernel's TP_printk shows them).</summary>
        public Action<MemNode, string, string>? Tracepoint { get; set; }

        internal ReclaimHooks Clone() => (ReclaimHooks)MemberwiseClone();
    }

    /// <summary>What compaction_suitable answers, as reclaim needs it (enum compact_result subset).</summary>
    public enum CompactionSuitability
    {
        /// <summary>COMPACT_SKIPPED: too few free pages to compact; reclaim first.</summary>
        Skipped,
        /// <summary>COMPACT_CONTINUE: compaction could go ahead.</summary>
        Continue,
        /// <summary>COMPACT_SUCCESS: the allocation would succeed already.</summary>
        Success,
        /// <summary>COMPACT_NOT_SUITABLE_ZONE: the fragmentation index says a failure is due to lack of memory.</summary>
        NotSuitableZone,
    }

    /// <summary>Per-node reclaim state: what struct lruvec, pglist_data's kswapd fields and the swap, shrinker and memcg
    /// globals hold in the kernel. Sized once; nothing here allocates per page.</summary>
    internal sealed class ReclaimState
    {
        internal const int PagevecSize = 15;
        internal const int MaxNrZonesSentinel = -1;

        internal readonly int NrZones;
        /// <summary>Per memcg, zone and list: lru_zone_size (((memcg·zones)+zone)·5+lru).</summary>
        internal long[] LruZoneSize;
        /// <summary>Per memcg and list: the lruvec's list sizes (memcg·5+lru).</summary>
        internal long[] LruSize;
        /// <summary>lruvec->reclaim_stat.recent_scanned[file] (memcg·2+file).</summary>
        internal long[] RecentScanned;
        /// <summary>lruvec->reclaim_stat.recent_rotated[file] (memcg·2+file).</summary>
        internal long[] RecentRotated;
        internal CpuPagevecs[] Pvecs;
        /// <summary>Per memcg: pages queued on the CPUs' lru_add pagevecs, charged but on no list yet.</summary>
        internal long[] LruAddPending;
        internal SwapDevice Swap;
        internal ReclaimHooks Hooks;

        // pglist_data kswapd fields
        internal int KswapdOrder;
        /// <summary>kswapd_classzone_idx; −1 plays MAX_NR_ZONES ("not woken recently").</summary>
        internal int KswapdClasszoneIdx = MaxNrZonesSentinel;
        internal int KswapdFailures;
        /// <summary>kswapd()'s local classzone_idx carried between cycles (starts at MAX_NR_ZONES − 1).</summary>
        internal int LoopClasszoneIdx;
        internal KswapdState KState = KswapdState.Sleeping;
        internal long NapDeadlineNs;
        internal bool NapWoken;
        internal int NapAllocOrder, NapReclaimOrder, NapClasszoneIdx;
        internal bool PgdatDirty, PgdatWriteback, PgdatCongested;

        // writeback in flight (FIFO: every write has the same modelled latency)
        internal int[] WbIndex = new int[256];
        internal long[] WbDoneNs = new long[256];
        /// <summary>Pages each write covers (the page's order may change once its owner frees it).</summary>
        internal int[] WbPages = new int[256];
        internal int WbHead, WbCount;

        internal List<Shrinker> Shrinkers = new List<Shrinker>();
        internal List<SimProcess> Processes = new List<SimProcess>();
        internal int LastPid;
        internal OomState Oom = new OomState();
        internal VmPressureState[] Vmpr;
        internal MemCgroup?[] Memcgs;
        /// <summary>mem_cgroup_per_node.iter[priority].position per reclaim root (root·13+priority; -1: none).</summary>
        internal int[] MemcgIterPos;
        internal VmPressureEvent? LastPressure;
        internal List<VmPressureEvent> PressureEvents = new List<VmPressureEvent>();

        internal ReclaimState(MemNode node)
        {
            NrZones = node.ZoneArr.Length;
            LoopClasszoneIdx = NrZones - 1;
            LruZoneSize = new long[MemNode.MaxLruvecs * NrZones * Lru.NrLruLists];
            LruSize = new long[MemNode.MaxLruvecs * Lru.NrLruLists];
            RecentScanned = new long[MemNode.MaxLruvecs * 2];
            RecentRotated = new long[MemNode.MaxLruvecs * 2];
            Pvecs = new CpuPagevecs[node.NrCpus];
            for (int i = 0; i < Pvecs.Length; i++) Pvecs[i] = new CpuPagevecs();
            LruAddPending = new long[MemNode.MaxLruvecs];
            Swap = new SwapDevice(0);
            Hooks = new ReclaimHooks();
            Vmpr = new VmPressureState[MemNode.MaxLruvecs];
            Memcgs = new MemCgroup?[MemNode.MaxLruvecs];
            MemcgIterPos = new int[MemNode.MaxLruvecs * MemCgroups.IterSlots];
            for (int i = 0; i < MemcgIterPos.Length; i++) MemcgIterPos[i] = -1;
            Shrinkers.Add(Shrinker.NewSuperBlock());
        }

        internal ReclaimState Clone(MemNode node)
        {
            var c = (ReclaimState)MemberwiseClone();
            c.LruZoneSize = (long[])LruZoneSize.Clone();
            c.LruSize = (long[])LruSize.Clone();
            c.RecentScanned = (long[])RecentScanned.Clone();
            c.RecentRotated = (long[])RecentRotated.Clone();
            c.Pvecs = Array.ConvertAll(Pvecs, p => p.Clone());
            c.LruAddPending = (long[])LruAddPending.Clone();
            c.Swap = Swap.Clone();
            c.Hooks = Hooks.Clone();
            c.WbIndex = (int[])WbIndex.Clone();
            c.WbDoneNs = (long[])WbDoneNs.Clone();
            c.WbPages = (int[])WbPages.Clone();
            c.Shrinkers = Shrinkers.ConvertAll(s => s.Clone());
            c.Processes = Processes.ConvertAll(p => p.Clone(node));
            c.Oom = Oom.Clone();
            c.Vmpr = (VmPressureState[])Vmpr.Clone();
            c.Memcgs = Array.ConvertAll(Memcgs, m => m?.Clone(node));
            c.MemcgIterPos = (int[])MemcgIterPos.Clone();
            c.PressureEvents = new List<VmPressureEvent>(PressureEvents);
            return c;
        }

        internal void QueueWriteback(int index, int nrPages, long doneNs)
        {
            if (WbCount == WbIndex.Length)
            {
                int n = WbIndex.Length * 2;
                var ni = new int[n];
                var nd = new long[n];
                var np = new int[n];
                for (int i = 0; i < WbCount; i++)
                {
                    ni[i] = WbIndex[(WbHead + i) % WbIndex.Length];
                    nd[i] = WbDoneNs[(WbHead + i) % WbIndex.Length];
                    np[i] = WbPages[(WbHead + i) % WbIndex.Length];
                }
                WbIndex = ni; WbDoneNs = nd; WbPages = np; WbHead = 0;
            }
            // Kept in completion order: the flusher's writes finish as the device gets to them, later than a pageout
            // queued after them may, so an earlier write is slotted in before them (usually it goes at the tail).
            int len = WbIndex.Length, at = WbCount;
            while (at > 0)
            {
                int prev = (WbHead + at - 1) % len;
                if (WbDoneNs[prev] <= doneNs) break;
                int cur = (WbHead + at) % len;
                WbIndex[cur] = WbIndex[prev]; WbDoneNs[cur] = WbDoneNs[prev]; WbPages[cur] = WbPages[prev];
                at--;
            }
            int slot = (WbHead + at) % len;
            WbIndex[slot] = index;
            WbDoneNs[slot] = doneNs;
            WbPages[slot] = nrPages;
            WbCount++;
        }
    }

    /// <summary>One CPU's pagevecs (mm/swap.c, 4.14): lru_add_pvec, lru_rotate_pvecs, lru_deactivate_file_pvecs,
    /// activate_page_pvecs; each holds up to PAGEVEC_SIZE (15) page indexes (−1 marks a slot whose page was freed).</summary>
    internal sealed class CpuPagevecs
    {
        internal int[] Add = new int[ReclaimState.PagevecSize];
        internal int AddN;
        internal int[] Rotate = new int[ReclaimState.PagevecSize];
        internal int RotateN;
        internal int[] DeactivateFile = new int[ReclaimState.PagevecSize];
        internal int DeactivateFileN;
        internal int[] Activate = new int[ReclaimState.PagevecSize];
        internal int ActivateN;

        internal CpuPagevecs Clone()
        {
            var c = (CpuPagevecs)MemberwiseClone();
            c.Add = (int[])Add.Clone();
            c.Rotate = (int[])Rotate.Clone();
            c.DeactivateFile = (int[])DeactivateFile.Clone();
            c.Activate = (int[])Activate.Clone();
            return c;
        }
    }
}
