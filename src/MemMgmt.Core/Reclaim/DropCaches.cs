using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Stats;

namespace MemMgmt.Core.Reclaim
{
    /// <summary>What a write to vm.drop_caches freed.</summary>
    public sealed class DropCachesResult
    {
        internal DropCachesResult(MemNode node, int mode) { Node = node; Mode = mode; }
        public MemNode Node { get; }
        public int Mode { get; }
        /// <summary>Clean, unmapped page-cache pages removed (invalidate_mapping_pages).</summary>
        public long PagesDropped { get; internal set; }
        /// <summary>Pages invalidation could not drop (dirty, writeback, mapped, pinned) that went to deactivate_file_page.</summary>
        public long PagesDeactivated { get; internal set; }
        public long SlabObjectsFreed { get; internal set; }
        public long SlabPagesFreed { get; internal set; }
        public override string ToString() => $"drop_caches={Mode} on {Node.Name}: {PagesDropped} page-cache pages, {SlabObjectsFreed} slab objects ({SlabPagesFreed} pages)";
    }

    /// <summary>vm.drop_caches (fs/drop_caches.c, 4.14): 1 drops clean page cache, 2 shrinks slab, 3 both; 4 only silences
    /// the kernel message.</summary>
    public static class DropCaches
    {
        /// <summary>kernel: drop_caches_sysctl_handler (fs/drop_caches.c, 4.14).</summary>
        public static DropCachesResult Drop(MemNode node, int value)
        {
            if (value < 1 || value > 4)
                throw new MemMgmtException("DropCachesOutOfRange", ErrorKind.OutOfRange,
                    $"vm.drop_caches must be an integer from 1 to 4 (1 page cache, 2 slab, 3 both, 4 quiet); {value} is out of range.", value);
            node.Sysctl.DropCaches = value;
            var result = new DropCachesResult(node, value);
            if ((value & 1) != 0)
            {
                DropPagecache(node, result);
                node.Counters.Count(VmEvent.DropPagecache);
            }
            if ((value & 2) != 0)
            {
                DropSlab(node, result);
                node.Counters.Count(VmEvent.DropSlab);
            }
            return result;
        }

        /// <summary>kernel: drop_pagecache_sb → invalidate_mapping_pages (mm/truncate.c, 4.14) over every page-cache page:
        /// invalidate_inode_page refuses dirty, writeback, mapped and pinned pages, which are deactivated instead. The walk
        /// here goes over the LRU lists in place of the mappings: this cpu's lru_add pagevec is drained first (the first
        /// pagevec_release of the walk does it); pages still queued on other cpus hold a pagevec reference, so
        /// __remove_mapping could not free them anyway.</summary>
        private static void DropPagecache(MemNode node, DropCachesResult result)
        {
            var pages = node.Pages;
            var mcs = node.MemcgSt;
            LruCache.Drain(node, 0);
            for (int memcg = 0; memcg < MemNode.MaxLruvecs; memcg++)
            {
                if (memcg > 0 && mcs.Memcgs[memcg] == null) continue;
                for (int lru = (int)LruList.InactiveFile; lru <= (int)LruList.Unevictable; lru++)
                {
                    int head = Lru.Head(node, memcg, lru);
                    int p = pages.Next(head);
                    while (p != head)
                    {
                        int next = pages.Next(p);
                        if ((PageOwner)pages.Owner[p] == PageOwner.FileCache)
                        {
                            uint f = pages.Flags[p];
                            bool busy = (f & (uint)(PageFlags.Dirty | PageFlags.Writeback | PageFlags.Mapped)) != 0 || pages.ExtraRefs[p] != 0;
                            if (busy)
                            {
                                LruCache.DeactivateFile(node, 0, p);
                                result.PagesDeactivated++;
                            }
                            else
                            {
                                result.PagesDropped += 1L << pages.OrderOf(p);
                                Lru.Del(node, p, 1 << pages.OrderOf(p));
                                PageAllocator.FreeReclaimedPage(node, p, 0);
                            }
                        }
                        p = next;
                    }
                }
            }
            LruCache.Drain(node, 0); // pagevec_release drains this cpu's pagevecs
        }

        /// <summary>kernel: drop_slab_node (mm/vmscan.c, 4.14): shrink_slab(GFP_KERNEL, nid, memcg, 1000, 1000) until a
        /// round frees 10 objects or fewer.</summary>
        private static void DropSlab(MemNode node, DropCachesResult result)
        {
            long freed;
            do
            {
                long pagesFreed = 0;
                freed = Shrinkers.ShrinkSlab(node, GfpFlags.GFP_KERNEL, 1000, 1000, ref pagesFreed);
                result.SlabObjectsFreed += freed;
                result.SlabPagesFreed += pagesFreed;
            } while (freed > 10);
        }

        /// <summary>The last value written to vm.drop_caches (0 before any write).</summary>
        public static int LastValue(MemNode node) => node.Sysctl.DropCaches;
    }
}
