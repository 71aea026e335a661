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

    /// <summary>pg_data_t's kswapd fields and the kswapd task's own state between cycles.</summary>
    internal sealed class KswapdNodeState
    {
        /// <summary>kswapd_classzone_idx stands at MAX_NR_ZONES ("not woken recently"), played by −1.</summary>
        internal const int MaxNrZonesSentinel = -1;

        internal int KswapdOrder;
        /// <summary>kswapd_classzone_idx; −1 plays MAX_NR_ZONES.</summary>
        internal int KswapdClasszoneIdx = MaxNrZonesSentinel;
        internal int KswapdFailures;
        /// <summary>kswapd()'s local classzone_idx carried between cycles (starts at MAX_NR_ZONES − 1).</summary>
        internal int LoopClasszoneIdx;
        internal KswapdState KState = KswapdState.Sleeping;
        internal long NapDeadlineNs;
        internal bool NapWoken;
        internal int NapAllocOrder, NapReclaimOrder, NapClasszoneIdx;
        /// <summary>When wakeup_kswapd last put kswapd on the run queue (or interrupted its nap): it can do nothing before.</summary>
        internal long WokenAtNs;
        /// <summary>How far kswapd's own CPU has got in virtual time with the work it did alongside an allocating task;
        /// it takes up new work only once the task's time reaches this point.</summary>
        internal long CpuNs;
        /// <summary>Set while kswapd runs a unit of work on the second CPU: the time that work takes goes to
        /// <see cref="SpentNs"/> (kswapd's CPU) instead of the node's clock (the allocating task's).</summary>
        internal bool OnSecondCpu;
        /// <summary>Where on kswapd's CPU the running unit started, and the virtual time it has spent so far.</summary>
        internal long UnitStartNs, SpentNs;
        /// <summary>Where on kswapd's CPU its last balance_pgdat beside the task ended, when that is still ahead of the
        /// task's time (else 0): until the task's time passes it the zones up to <see cref="ReclaimActiveClasszoneIdx"/>
        /// stay ZONE_RECLAIM_ACTIVE for the task's frees, as they are while balance_pgdat runs on the other CPU.</summary>
        internal long ReclaimActiveUntilNs;
        internal int ReclaimActiveClasszoneIdx;
        /// <summary>kswapd()'s locals in 4.4 (<see cref="Node.KernelProfile.KswapdBalancedOrder"/>): order, new_order,
        /// new_classzone_idx, balanced_order, balanced_classzone_idx (classzone_idx is <see cref="LoopClasszoneIdx"/>).</summary>
        internal int LoopOrder, NewOrder, NewClasszoneIdx, BalancedOrder, BalancedClasszoneIdx;
        /// <summary>4.4's loop top decided to balance again without kswapd_try_to_sleep (a larger order or a lower
        /// classzone was asked for meanwhile); false: kswapd comes out of kswapd_try_to_sleep and reads kswapd_max_order.</summary>
        internal bool LoopContinues;

        internal KswapdNodeState(int nrZones) { LoopClasszoneIdx = nrZones - 1; }

        internal KswapdNodeState Clone() => (KswapdNodeState)MemberwiseClone();

        internal void Write(Node.SnapshotWriter w)
        {
            w.Int(KswapdOrder); w.Int(KswapdClasszoneIdx); w.Int(KswapdFailures); w.Int(LoopClasszoneIdx); w.Int((int)KState);
            w.Long(NapDeadlineNs); w.Bool(NapWoken); w.Int(NapAllocOrder); w.Int(NapReclaimOrder); w.Int(NapClasszoneIdx);
            w.Long(WokenAtNs); w.Long(CpuNs); w.Bool(OnSecondCpu); w.Long(UnitStartNs); w.Long(SpentNs);
            w.Long(ReclaimActiveUntilNs); w.Int(ReclaimActiveClasszoneIdx);
            w.Int(LoopOrder); w.Int(NewOrder); w.Int(NewClasszoneIdx); w.Int(BalancedOrder); w.Int(BalancedClasszoneIdx); w.Bool(LoopContinues);
        }

        internal static KswapdNodeState Read(Node.SnapshotReader r) => new KswapdNodeState(0)
        {
            KswapdOrder = r.Int(), KswapdClasszoneIdx = r.Int(), KswapdFailures = r.Int(), LoopClasszoneIdx = r.Int(),
            KState = (KswapdState)r.Int(0, (int)KswapdState.Napping), NapDeadlineNs = r.Long(), NapWoken = r.Bool(),
            NapAllocOrder = r.Int(), NapReclaimOrder = r.Int(), NapClasszoneIdx = r.Int(),
            WokenAtNs = r.Long(), CpuNs = r.Long(), OnSecondCpu = r.Bool(), UnitStartNs = r.Long(), SpentNs = r.Long(),
            ReclaimActiveUntilNs = r.Long(), ReclaimActiveClasszoneIdx = r.Int(),
            LoopOrder = r.Int(), NewOrder = r.Int(), NewClasszoneIdx = r.Int(), BalancedOrder = r.Int(), BalancedClasszoneIdx = r.Int(),
            LoopContinues = r.Bool(),
        };
    }
}
