namespace MemMgmt.PS.Charts
{
    /// <summary>What Export-MemChart draws.</summary>
    public enum MemChartKind
    {
        /// <summary>One square per pageblock, coloured by migrate type, lighter the freer.</summary>
        PageblockMap,
        /// <summary>Free pages by order, stacked by migrate type.</summary>
        FreeByOrder,
        /// <summary>A recording's free blocks by order, fragmentation indexes and counters over virtual time.</summary>
        Timeline,
    }
}
