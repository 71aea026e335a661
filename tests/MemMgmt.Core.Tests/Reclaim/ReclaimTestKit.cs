using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using Xunit;
using MemMgmt.Core.Swap;

namespace MemMgmt.Core.Tests.Reclaim
{
    internal static class ReclaimTestKit
    {
        internal static MemNode NewNode(long sizeBytes = 2 * NodeConfig.GiB, long swapBytes = 0)
        {
            var node = new MemNode(new NodeConfig { SizeBytes = sizeBytes });
            if (swapBytes > 0) SwapDevice.Configure(node, swapBytes);
            return node;
        }

        /// <summary>Allocates up to n pages of an owner, down to the min watermark and without reclaim; stops when that fails.</summary>
        internal static List<long> Fill(MemNode node, PageOwner owner, long n)
        {
            // Without __GFP_RECLAIM the slow path may dip to the min watermark but neither reclaims nor wakes kswapd:
            // with reclaim connected, a filler that may reclaim would recycle its own page cache forever.
            const GfpFlags gfp = GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_RECLAIM;
            var list = new List<long>();
            for (long i = 0; i < n; i++)
            {
                var r = PageAllocator.Allocate(node, 0, gfp, (int)(i & 1), owner);
                if (!r.Success) break;
                list.Add(r.Handle);
            }
            LruCache.DrainAll(node); // the scenarios start with every filled page on its list (lru_add_drain_all)
            return list;
        }

        /// <summary>Allocates ignoring watermarks (as a PF_MEMALLOC context) to drive free pages below min.</summary>
        /// <summary>Fill, then two mark_page_accessed per page, so the anon pages are active on every profile (6.1 faults
        /// them in inactive, <see cref="KernelProfile.AnonWorkingsetProtection"/>).</summary>
        internal static List<long> FillActive(MemNode node, PageOwner owner, long n)
        {
            var list = Fill(node, owner, n);
            foreach (long h in list) { PageAccess.MarkAccessed(node, h); PageAccess.MarkAccessed(node, h); }
            LruCache.DrainAll(node);
            return list;
        }

        internal static List<long> FillNoWatermarks(MemNode node, PageOwner owner, long n)
        {
            var list = new List<long>();
            for (long i = 0; i < n; i++)
            {
                long h = PageAllocator.AllocateNoWatermarks(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, owner);
                if (h == 0) break;
                list.Add(h);
            }
            LruCache.DrainAll(node);
            return list;
        }

        internal static void AssertClean(MemNode node)
        {
            var a = InvariantChecker.Check(node);
            Assert.True(a.Count == 0, string.Join("\n", a));
            var b = ReclaimInvariants.Check(node);
            Assert.True(b.Count == 0, string.Join("\n", b));
        }

        internal static int LiveCount(MemNode node, IReadOnlyList<long> handles)
        {
            int n = 0;
            foreach (var h in handles) if (PageAllocator.TryGetAllocation(node, h, out _, out _)) n++;
            return n;
        }

        internal static long Free(MemNode node) => node.GetZone(ZoneType.DMA).FreePages;
    }
}
