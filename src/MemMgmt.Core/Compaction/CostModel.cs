namespace MemMgmt.Core.Compaction
{
    /// <summary>Virtual-time costs (ns) of the work compaction and migration do on a Cortex-A53 at about 1.2 GHz.</summary>
    internal static class CostModel
    {
        /// <summary>Looking at one pfn in either scanner.</summary>
        internal const long ScanPfnNs = 8;
        /// <summary>Unmapping, copying 4 KiB and remapping one page.</summary>
        internal const long MigratePageNs = 3_000;
        /// <summary>How long the compacting task runs before need_resched() is set: CFS gives it sched_latency / nr_running
        /// = 12 ms / 2 = 6 ms (sched_latency is 6 ms × (1 + ilog2(2 CPUs)); the allocating task shares its CPU with one
        /// other runnable task), and the scheduler tick, every 4 ms at HZ=250, notices the used-up slice at the next tick:
        /// 8 ms after the task began. Async compaction then ends contended; sync compaction yields and goes on.</summary>
        internal const long SchedSliceNs = 8_000_000;
        /// <summary>Waiting for a page's writeback to finish (wait_on_page_writeback).</summary>
        internal const long WritebackWaitNs = 2_000_000;
    }
}
