using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;
using MemMgmt.Core.Tests.Compaction;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>6.1's compaction_capture: while compact_zone_order runs, a free by the compacting task that merges to the
    /// request's order hands the block to the request (mm/page_alloc.c, mm/compaction.c, 5.1 to 6.1).</summary>
    public class Kernel61CompactionCaptureTests
    {
        private static MemNode EveryOtherPageFree(KernelProfile kernel)
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB, CmaBytes = 0, Kernel = kernel, Seed = 1 });
            Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.EveryOther, ExtraGfp = GfpFlags.__GFP_MEMALLOC });
            Assert.Equal(0, Scenario.FreePagesAtOrAbove(node, 9));
            return node;
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void DirectCompaction_HandsTheRequestTheBlockItsMigrationFreed_On61Only(bool linux61)
        {
            var node = EveryOtherPageFree(linux61 ? KernelProfile.Linux61 : KernelProfile.Linux414);
            var a = PageAllocator.Allocate(node, 9, GfpFlags.GFP_HIGHUSER_MOVABLE | GfpFlags.__GFP_COMP | GfpFlags.__GFP_RETRY_MAYFAIL);
            Assert.True(a.Success);
            var step = a.Steps.Last(s => s.Step == "__alloc_pages_direct_compact");
            Assert.Equal(CompactResult.Success, step.CompactResult);
            // 6.1 takes the block the drain merged (prep_new_page on capc.page); 4.14 finds it on the free lists.
            Assert.Equal(linux61, step.Detail.Contains("captured the page"));
            Assert.Null(node.CaptureControl);
            Scenario.AssertConsistent(node);
        }

        [Fact]
        public void AManualDirectCompaction_CapturesNothing_AndLeavesTheBlockOnTheFreeLists()
        {
            // Invoke-Compaction runs try_to_compact_pages without an allocation to hand a page to: no capture_control.
            var node = EveryOtherPageFree(KernelProfile.Linux61);
            var run = CompactionCommands.Compact(node, CompactPriority.SyncLight, 9, null, GfpFlags.GFP_HIGHUSER_MOVABLE);
            Assert.Equal(CompactResult.Success, run.Result);
            Assert.True(Scenario.FreePagesAtOrAbove(node, 9) >= 512);
            Scenario.AssertConsistent(node);
        }
    }
}
