using MemMgmt.Core.Allocation;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Reclaim
{
    public class GetScanCountTests
    {
        /// <summary>2 GiB node: 100000 active anon, 20000 inactive + 40000 active file (below 1 GiB: inactive_ratio 1).</summary>
        private static MemNode MixedNode(long swapBytes)
        {
            var node = ReclaimTestKit.NewNode(2 * NodeConfig.GiB, swapBytes);
            Assert.Equal(100000, ReclaimTestKit.Fill(node, PageOwner.Anon, 100000).Count);
            var files = ReclaimTestKit.Fill(node, PageOwner.FileCache, 60000);
            for (int i = 0; i < 40000; i++) { PageAccess.MarkAccessed(node, files[i]); PageAccess.MarkAccessed(node, files[i]); }
            LruCache.DrainAll(node);
            Assert.Equal(100000, Lru.Size(node, 0, LruList.ActiveAnon));
            Assert.Equal(20000, Lru.Size(node, 0, LruList.InactiveFile));
            Assert.Equal(40000, Lru.Size(node, 0, LruList.ActiveFile));
            ReclaimTestKit.AssertClean(node);
            return node;
        }

        private static void SetStat(MemNode node, long s0, long r0, long s1, long r1)
        {
            var lruvecs = node.LruvecSt;
            lruvecs.RecentScanned[0] = s0; lruvecs.RecentRotated[0] = r0; lruvecs.RecentScanned[1] = s1; lruvecs.RecentRotated[1] = r1;
        }

        /// <summary>SCAN_FRACT at priority 12, swappiness 60: ap = 60·1001/201 = 298, fp = 140·3001/501 = 838,
        /// denominator 1137; nr = (size &gt;&gt; 12)·fraction/1137.</summary>
        [Fact]
        public void FractFollowsApFpAtSwappiness60()
        {
            var node = MixedNode(1 * NodeConfig.GiB);
            SetStat(node, 1000, 200, 3000, 500);
            var c = Vmscan.GetScanCount(node, 0, 12);
            Assert.Equal(ScanBalance.Fract, c.Balance);
            Assert.Equal(60, c.AnonPrio);
            Assert.Equal(140, c.FilePrio);
            Assert.Equal(298, c.Ap);
            Assert.Equal(838, c.Fp);
            Assert.Equal(1137, c.Denominator);
            Assert.Equal(new long[] { 0, 6, 2, 6 }, c.Nr); // 0; 24·298/1137; 4·838/1137; 9·838/1137
            Assert.Equal(160000, c.LruPages);
        }

        /// <summary>Swappiness 100 weighs both equally (ap 498, fp 599); 0 stops anon scanning in global reclaim (ap 0, fp 1198).</summary>
        [Theory]
        [InlineData(100, 498, 599, 1098, 10, 2, 4)]
        [InlineData(0, 0, 1198, 1199, 0, 3, 8)]
        public void SwappinessShiftsTheSplit(int swappiness, long ap, long fp, long denom, long activeAnon, long inactiveFile, long activeFile)
        {
            var node = MixedNode(1 * NodeConfig.GiB);
            MemMgmt.Core.Sysctl.VmSysctl.Write(node, "vm.swappiness", swappiness.ToString(System.Globalization.CultureInfo.InvariantCulture));
            SetStat(node, 1000, 200, 3000, 500);
            var c = Vmscan.GetScanCount(node, 0, 12);
            Assert.Equal(ScanBalance.Fract, c.Balance);
            Assert.Equal(ap, c.Ap);
            Assert.Equal(fp, c.Fp);
            Assert.Equal(denom, c.Denominator);
            Assert.Equal(new long[] { 0, activeAnon, inactiveFile, activeFile }, c.Nr);
        }

        /// <summary>recent_scanned above a quarter of the list halves both scanned and rotated before the ratio.</summary>
        [Fact]
        public void RecentStatsAreHalvedPastAQuarterOfTheLists()
        {
            var node = MixedNode(1 * NodeConfig.GiB);
            SetStat(node, 1000, 200, 20000, 4000); // file 60000 / 4 = 15000 < 20000
            var c = Vmscan.GetScanCount(node, 0, 12);
            Assert.Equal(10000, node.LruvecSt.RecentScanned[1]);
            Assert.Equal(2000, node.LruvecSt.RecentRotated[1]);
            Assert.Equal(1000, node.LruvecSt.RecentScanned[0]); // anon 100000 / 4 = 25000: untouched
            Assert.Equal(699, c.Fp); // 140·10001/2001
        }

        [Fact]
        public void NoSwapScansFileOnly()
        {
            var node = MixedNode(0);
            var c = Vmscan.GetScanCount(node, 0, 12);
            Assert.Equal(ScanBalance.File, c.Balance);
            Assert.Equal(new long[] { 0, 0, 4, 9 }, c.Nr);
            Assert.Equal(60000, c.LruPages); // anon sizes are left out
            var noSwapAllowed = Vmscan.GetScanCount(MixedNode(NodeConfig.GiB), 0, 12, maySwap: false);
            Assert.Equal(ScanBalance.File, noSwapAllowed.Balance);
        }

        [Fact]
        public void PriorityZeroScansEqually()
        {
            var node = MixedNode(1 * NodeConfig.GiB);
            var c = Vmscan.GetScanCount(node, 0, 0);
            Assert.Equal(ScanBalance.Equal, c.Balance);
            Assert.Equal(new long[] { 0, 100000, 20000, 40000 }, c.Nr);
        }

        [Fact]
        public void BigInactiveFileListScansFileOnly()
        {
            var node = ReclaimTestKit.NewNode(2 * NodeConfig.GiB, NodeConfig.GiB);
            ReclaimTestKit.Fill(node, PageOwner.Anon, 100000);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, 60000);
            var c = Vmscan.GetScanCount(node, 0, 12);
            Assert.Equal(ScanBalance.File, c.Balance);
            Assert.Equal(new long[] { 0, 0, 14, 0 }, c.Nr); // 60000 >> 12
        }

        /// <summary>free + file ≤ Σ high watermarks, inactive anon not low and non-zero at this priority: SCAN_ANON.</summary>
        [Fact]
        public void LowFileAndFreeScansAnon()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB, 256 * NodeConfig.MiB);
            var anon = ReclaimTestKit.Fill(node, PageOwner.Anon, long.MaxValue);
            var dma = node.GetZone(ZoneType.DMA);
            Assert.True(dma.FreePages <= dma.WatermarkHigh);
            // Anon pages fault in active: the inactive list is low, so the guard keeps SCAN_ANON off.
            var before = Vmscan.GetScanCount(node, 0, 12);
            Assert.Equal(ScanBalance.Fract, before.Balance);
            // Age the whole anon list (no PTE was young): it all goes inactive.
            var sc = new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1 };
            Vmscan.ShrinkActiveList(node, anon.Count, 0, sc, (int)LruList.ActiveAnon);
            Assert.Equal(anon.Count, Lru.Size(node, 0, LruList.InactiveAnon));
            var c = Vmscan.GetScanCount(node, 0, 12);
            Assert.Equal(ScanBalance.Anon, c.Balance);
            Assert.Equal(new long[] { anon.Count >> 12, 0, 0, 0 }, c.Nr);
            ReclaimTestKit.AssertClean(node);
        }

        [Fact]
        public void MemcgSwappinessZeroScansFileInLimitReclaimOnly()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB, 256 * NodeConfig.MiB);
            var cg = MemCgroups.Create(node, "db", swappiness: 0);
            for (int i = 0; i < 3000; i++) Assert.True(MemCgroups.Allocate(node, "db", 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.Anon).Success);
            Assert.Equal(3000, cg.Usage);
            var limit = Vmscan.GetScanCount(node, cg.Id, 12, targetMemcg: cg.Id);
            Assert.Equal(ScanBalance.File, limit.Balance);
            var global = Vmscan.GetScanCount(node, cg.Id, 12);
            Assert.Equal(ScanBalance.Fract, global.Balance);
            Assert.Equal(0, global.Ap);
        }

        [Fact]
        public void BadPriorityIsRejected()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            Assert.Equal("PriorityOutOfRange", Assert.Throws<MemMgmtException>(() => Vmscan.GetScanCount(node, 0, 13)).ErrorId);
            Assert.Equal("MemcgNotFound", Assert.Throws<MemMgmtException>(() => Vmscan.GetScanCount(node, 5, 12)).ErrorId);
        }
    }
}
