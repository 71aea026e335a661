using System;

namespace MemMgmt.Core.Node
{
    /// <summary>Tracepoint call sites: the trace layer subscribes, the hot paths pay one null check.</summary>
    internal sealed class NodeHooks
    {
        /// <summary>mm_page_alloc_extfrag(zone, page index, alloc order, fallback order, alloc type, fallback type).</summary>
        public Action<Zone, int, int, int, int, int>? PageAllocExtfrag;
    }
}
