using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>kernel: wakeup_kswapd (mm/vmscan.c, 6.1): a hopeless (or balanced) node leaves kswapd asleep, and a request
    /// that may not direct-reclaim wakes kcompactd for its order instead; 4.14 just returns.</summary>
    public class Kernel61WakeupKcompactdTests
    {
        /// <summary>A 1 GiB node with every other page free, no free block of order 3 or more, and a hopeless kswapd asleep.</summary>
        private static MemNode HopelessAndFragmented(KernelProfile kernel)
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 1L << 30, CmaBytes = 0, Kernel = kernel, Seed = 1 });
            Pressure.Run(node, new PressureOptions { Pattern = PressurePattern.EveryOther, Percent = 100 });
            var noReclaim = GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_RECLAIM;
            for (int o = node.Geometry.MaxOrder - 1; o >= 3; o--)
                while (PageAllocator.Allocate(node, o, noReclaim, 0, PageOwner.Anon).Success) { }
            node.KswapdSt.KswapdFailures = MmConstants.MaxReclaimRetries;
            node.KswapdSt.KState = KswapdState.Sleeping;
            node.Compaction.KcompactdWoken = false;
            node.Compaction.KcompactdMaxOrder = 0;
            return node;
        }

        [Theory]
        [InlineData("6.1", true)]
        [InlineData("4.14", false)]
        public void AtomicOrderThree_OnAHopelessNode_WakesKcompactdOnlyOn61(string kernel, bool woken)
        {
            var node = HopelessAndFragmented(KernelProfile.Find(kernel));
            var r = PageAllocator.Allocate(node, 3, GfpFlags.GFP_ATOMIC, 0);
            Assert.False(r.Success);
            Assert.Equal(KswapdState.Sleeping, node.KswapdSt.KState);
            Assert.Equal(woken, node.Compaction.KcompactdWoken);
            Assert.Equal(woken ? 3 : 0, node.Compaction.KcompactdMaxOrder);
        }

        [Fact]
        public void ARequestThatMayDirectReclaim_WakesNoKcompactd_On61Either()
        {
            var node = HopelessAndFragmented(KernelProfile.Linux61);
            // GFP_NOWAIT plus __GFP_DIRECT_RECLAIM but no __GFP_IO/__GFP_FS: direct reclaim and compaction both stay out.
            var gfp = GfpFlags.__GFP_KSWAPD_RECLAIM | GfpFlags.__GFP_DIRECT_RECLAIM | GfpFlags.__GFP_NORETRY;
            Kswapd.Wakeup(node, 3, node.ZoneArr.Length - 1, gfp);
            Assert.False(node.Compaction.KcompactdWoken);
        }
    }
}
