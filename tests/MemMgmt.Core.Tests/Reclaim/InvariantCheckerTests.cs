using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using Xunit;

namespace MemMgmt.Core.Tests.Reclaim
{
    /// <summary>The node checker (Test-MemNode) covers the LRU lists and reclaim's own bookkeeping.</summary>
    public class InvariantCheckerTests
    {
        private static int FirstOnList(MemNode node, LruList lru)
        {
            int head = Lru.Head(node, 0, lru);
            int p = node.Pages.Next(head);
            Assert.NotEqual(head, p);
            return p;
        }

        [Fact]
        public void APageWhoseLruFlagsDisagreeWithItsListIsReported()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, 1000);
            Assert.Empty(InvariantChecker.Check(node));
            int p = FirstOnList(node, LruList.InactiveFile);
            node.Pages.Flags[p] |= (uint)PageFlags.Active;
            var v = InvariantChecker.Check(node);
            Assert.Contains(v, s => s.Contains($"pfn {node.NodeStartPfn + p:x}: on InactiveFile but its flags say ActiveFile"));
        }

        /// <summary>Only ReclaimInvariants compares lru_zone_size with the lists; the node checker includes it.</summary>
        [Fact]
        public void ReclaimsLruZoneSizeOutOfStepWithItsListIsReported()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, 1000);
            int p = FirstOnList(node, LruList.InactiveFile);
            int zone = node.ZoneIdOfIndex(p);
            node.LruvecSt.LruZoneSize[zone * Lru.NrLruLists + (int)LruList.InactiveFile]++;
            var v = InvariantChecker.Check(node);
            Assert.Contains(v, s => s.StartsWith($"memcg 0 InactiveFile zone {zone}: lru_zone_size ") && s.Contains("but the list holds"));
        }
    }
}
