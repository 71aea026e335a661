namespace MemMgmt.Core.Compaction
{
    /// <summary>Virtual-time costs (ns) of the work compaction and migration do on a Cortex-A53 at about 1.2 GHz.</summary>
    internal static class CostModel
    {
        /// <summary>Looking at one pfn in either scanner.</summary>
        internal const long ScanPfnNs = 8;
        /// <summary>Unmapping, copying 4 KiB and remapping one page.</summary>
        internal const long MigratePageNs = 3_000;
        /// <summary>Waiting for a page's writeback to finish (wait_on_page_writeback).</summary>
        internal const long WritebackWaitNs = 2_000_000;
    }
}
