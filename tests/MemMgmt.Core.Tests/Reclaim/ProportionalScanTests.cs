using MemMgmt.Core.Allocation;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using Xunit;

namespace MemMgmt.Core.Tests.Reclaim
{
    public class ProportionalScanTests
    {
        /// <summary>shrink_node_memcg's proportional adjustment, worked by hand. A memcg lruvec at priority 8 with 40960
        /// inactive anon, 10240 inactive + 30720 active file (file inactive list low, so SCAN_FRACT), reclaim_stat giving
        /// ap = 60·1000/100 = 600, fp = 140·1000/100 = 1400, denominator 2001:
        /// targets = [160·600/2001, 0, 40·1400/2001, 120·1400/2001] = [47, 0, 27, 83].
        /// Pass 1 scans 32 anon (all go to swap writeback, none freed), 27 inactive file (all freed), 32 active file.
        /// 27 ≥ nr_to_reclaim 20: file left 51 &gt; anon left 15, so anon stops; percentage = 15·100/48 = 31;
        /// inactive file: 27·69/100 = 18, minus 27 scanned → 0; active file: 83·69/100 = 57, minus 32 → 25.
        /// Pass 2 scans the last 25 active file pages. Totals: 32 anon, 27 inactive file, 57 active file.</summary>
        [Fact]
        public void SmallerSideStopsAndTheOtherIsScaled()
        {
            var node = ReclaimTestKit.NewNode(1 * NodeConfig.GiB, 1 * NodeConfig.GiB);
            var cg = MemCgroups.Create(node, "m");
            for (int i = 0; i < 40960; i++) Assert.True(MemCgroups.Allocate(node, "m", 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.Anon).Success);
            var files = new System.Collections.Generic.List<long>();
            for (int i = 0; i < 40960; i++)
            {
                var r = MemCgroups.Allocate(node, "m", 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.FileCache);
                Assert.True(r.Success);
                files.Add(r.Handle);
            }
            for (int i = 0; i < 30720; i++) { PageAccess.MarkAccessed(node, files[i]); PageAccess.MarkAccessed(node, files[i]); }
            LruCache.DrainAll(node);
            var age = new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1, TargetMemcg = cg.Id };
            Vmscan.ShrinkActiveList(node, 40960, cg.Id, age, (int)LruList.ActiveAnon);
            Assert.Equal(40960, cg.GetLruSize(LruList.InactiveAnon));
            Assert.Equal(10240, cg.GetLruSize(LruList.InactiveFile));
            Assert.Equal(30720, cg.GetLruSize(LruList.ActiveFile));
            var lruvecs = node.LruvecSt;
            lruvecs.RecentScanned[cg.Id * 2] = 999; lruvecs.RecentRotated[cg.Id * 2] = 99;
            lruvecs.RecentScanned[cg.Id * 2 + 1] = 999; lruvecs.RecentRotated[cg.Id * 2 + 1] = 99;

            var sc = new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1, TargetMemcg = cg.Id, Priority = 8, NrToReclaim = 20 };
            var count = Vmscan.GetScanCount(node, cg.Id, 8, targetMemcg: cg.Id);
            Assert.Equal(ScanBalance.Fract, count.Balance);
            Assert.Equal(new long[] { 47, 0, 27, 83 }, count.Nr);
            Vmscan.ShrinkNodeMemcg(node, cg.Id, sc, out long lruPages);
            Assert.Equal(81920, lruPages);
            Assert.Equal(32, sc.ListScanned[(int)LruList.InactiveAnon]);
            Assert.Equal(27, sc.ListScanned[(int)LruList.InactiveFile]);
            Assert.Equal(57, sc.ListScanned[(int)LruList.ActiveFile]);
            Assert.Equal(27, sc.NrReclaimed);
            Assert.Equal(32, node.Swap.UsedPages);
            ReclaimTestKit.AssertClean(node);
        }
    }
}
