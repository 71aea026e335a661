using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using Xunit;

namespace MemMgmt.Core.Tests.Buddy
{
    public class RandomOpsTests
    {
        [Fact]
        public void FreshNodeIsConsistent()
        {
            var node = new MemNode(new NodeConfig());
            Assert.Empty(InvariantChecker.Check(node));
            Assert.Equal(node.ManagedPages, node.FreePages);
        }

        [Fact]
        public void AllocFreeRoundTripRestoresFreePages()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 64L << 20, CmaBytes = 0, ReservedPages = 0 });
            long free0 = node.FreePages;
            var rng = new SimRandom(7);
            var live = new List<long>();
            for (int i = 0; i < 5000; i++)
            {
                if (live.Count > 0 && rng.Next(2) == 0)
                {
                    int k = (int)rng.Next(live.Count);
                    PageAllocator.Free(node, live[k], (int)rng.Next(2));
                    live[k] = live[live.Count - 1];
                    live.RemoveAt(live.Count - 1);
                }
                else
                {
                    var gfp = rng.Next(3) switch { 0 => GfpFlags.GFP_KERNEL, 1 => GfpFlags.GFP_HIGHUSER_MOVABLE, _ => GfpFlags.GFP_KERNEL | GfpFlags.__GFP_RECLAIMABLE };
                    var r = PageAllocator.Allocate(node, (int)rng.Next(11) / 3, gfp, (int)rng.Next(2));
                    if (r.Success) live.Add(r.Handle);
                }
                if (i % 500 == 0) Assert.Empty(InvariantChecker.Check(node));
            }
            foreach (var h in live) PageAllocator.Free(node, h);
            PageAllocator.DrainAllPages(node);
            Assert.Empty(InvariantChecker.Check(node));
            Assert.Equal(free0, node.FreePages);
        }
    }
}
