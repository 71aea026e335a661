using System.Collections.Generic;
using CsCheck;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using Xunit;
using MemMgmt.Core.Swap;
using MemMgmt.Core.Writeback;

namespace MemMgmt.Core.Tests.Reclaim
{
    public class ReclaimPropertyTests
    {
        /// <summary>Random sequences of allocations, frees, accesses, dirtying, mlock, memcg charges, direct reclaim, kswapd,
        /// virtual time and drop_caches keep every LRU, lruvec, free-list and counter invariant after each step.</summary>
        [Fact]
        public void RandomReclaimSequencesKeepInvariants()
        {
            Gen.Int[0, int.MaxValue].Array[20, 70].Sample(ops =>
            {
                var node = new MemNode(new NodeConfig { SizeBytes = 128 * NodeConfig.MiB, CmaBytes = 0 });
                SwapDevice.Configure(node, 8 * NodeConfig.MiB);
                MemCgroups.Create(node, "g", max: 2000);
                var live = new List<long>();
                foreach (int x in ops)
                {
                    int op = x % 13, arg = x / 13;
                    switch (op)
                    {
                        case 0:
                        case 1:
                        case 2:
                            var owner = op == 0 ? PageOwner.Anon : op == 1 ? PageOwner.FileCache : PageOwner.Shmem;
                            for (int i = 0; i < 1 + arg % 3000; i++)
                            {
                                var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, arg & 1, owner);
                                if (!r.Success) break;
                                live.Add(r.Handle);
                            }
                            break;
                        case 3:
                            for (int i = 0; i < live.Count; i += 1 + arg % 7)
                                if (PageAllocator.TryGetAllocation(node, live[i], out _, out _)) PageAllocator.Free(node, live[i]);
                            live.RemoveAll(h => !PageAllocator.TryGetAllocation(node, h, out _, out _));
                            break;
                        case 4:
                            for (int i = arg % 5; i < live.Count; i += 3)
                            {
                                if (!PageAllocator.TryGetAllocation(node, live[i], out _, out _)) continue;
                                if ((arg & 1) == 0) PageAccess.MarkAccessed(node, live[i], i & 1); else PageAccess.TouchMapped(node, live[i]);
                            }
                            break;
                        case 5:
                            for (int i = arg % 4; i < live.Count; i += 5)
                                if (PageAllocator.TryGetAllocation(node, live[i], out long pfn, out _)
                                    && node.GetPageOwner(pfn) != PageOwner.Anon) PageAccess.SetDirty(node, live[i]);
                            break;
                        case 6:
                            if (live.Count > 0)
                            {
                                long h = live[arg % live.Count];
                                if (PageAllocator.TryGetAllocation(node, h, out _, out _))
                                {
                                    if ((arg & 1) == 0) PageAccess.Mlock(node, h); else PageAccess.Munlock(node, h);
                                }
                            }
                            break;
                        case 7:
                            Vmscan.TryToFreePages(node, arg % 5, (arg & 1) == 0 ? GfpFlags.GFP_KERNEL : GfpFlags.GFP_NOIO, arg & 1);
                            break;
                        case 8:
                            Kswapd.Wakeup(node, arg % 4, node.ZoneArr.Length - 1);
                            Kswapd.Advance(node, (arg % 300) * 1_000_000L);
                            break;
                        case 9:
                            WritebackIo.Sleep(node, (arg % 30) * 1_000_000L);
                            break;
                        case 10:
                            DropCaches.Drop(node, 1 + arg % 3);
                            break;
                        case 11:
                            for (int i = 0; i < 1 + arg % 500; i++)
                            {
                                var r = MemCgroups.Allocate(node, "g", 0, GfpFlags.GFP_HIGHUSER_MOVABLE, (arg & 1) == 0 ? PageOwner.FileCache : PageOwner.Anon);
                                if (!r.Success) break;
                                live.Add(r.Handle);
                            }
                            break;
                        case 12:
                            LruCache.DrainAll(node);
                            Shrinkers.GrowCache(node, (arg & 1) == 0 ? "dentry" : "inode", arg % 400);
                            break;
                    }
                    ReclaimTestKit.AssertClean(node);
                    Assert.True(MemCgroups.Get(node, "g").Usage <= 2000);
                }
            }, iter: 20, threads: 1);
        }
    }
}
