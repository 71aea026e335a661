using System.Collections.Generic;
using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>ALLOC_NOFRAGMENT (6.1): alloc_flags_nofragment, __rmqueue_fallback's pageblock-order floor and
    /// get_page_from_freelist's second walk without the flag, against 4.14's fallback to the largest smaller block.</summary>
    public class Kernel61NoFragmentTests
    {
        /// <summary>256 MiB of DMA below 256 MiB of Normal: GFP_KERNEL prefers Normal.</summary>
        private static MemNode Node(KernelProfile kernel) =>
            new MemNode(new NodeConfig
            {
                SizeBytes = 512L << 20, CmaBytes = 0, ReservedPages = 0, Kernel = kernel, Seed = 1,
                ZoneLayout = new[]
                {
                    new KeyValuePair<ZoneType, long>(ZoneType.DMA, 256L << 20),
                    new KeyValuePair<ZoneType, long>(ZoneType.Normal, 256L << 20),
                },
            });

        private static Zone ZoneOf(MemNode node, ZoneType t) => node.Zones.Single(z => z.Type == t);

        /// <summary>Takes the whole zone as movable order-3 blocks, then frees every other one (and every block of the first
        /// pageblock when <paramref name="freeFirstPageblock"/>): its free memory is order-3 blocks in Movable pageblocks.</summary>
        private static void Fragment(Zone zone, bool freeFirstPageblock)
        {
            var node = zone.Node;
            var taken = new List<int>();
            while (true)
            {
                int page = BuddyAllocator.RmqueueZone(zone, 0, 3, (int)MigrateType.Movable, AllocFlagBits.NoWatermarks, out _);
                if (page < 0) break;
                taken.Add(page);
            }
            Assert.Equal(0, zone.NrFreePages);
            int firstBlock = (int)(zone.ZoneStartPfn - node.NodeStartPfn) >> node.PbOrder;
            foreach (int page in taken.OrderBy(p => p))
            {
                bool inFirst = (page >> node.PbOrder) == firstBlock;
                if ((page & 8) == 0 || (freeFirstPageblock && inFirst)) BuddyAllocator.FreePagesOk(zone, page, 3);
            }
        }

        private static int Blocks(MemNode node, Zone zone, MigrateType type)
        {
            int n = 0;
            for (int b = 0; b < node.PageblockBits.Length; b++)
                if (node.PageblockZone[b] == zone.Idx && (node.PageblockBits[b] & 7) == (int)type) n++;
            return n;
        }

        [Fact]
        public void NoFragmentMask_OnlyA61NormalZoneKeepsTheFlag_The2GiBQemuNodeHasNone()
        {
            var n61 = Node(KernelProfile.Linux61);
            Assert.Equal(~0, ZoneOf(n61, ZoneType.Normal).NoFragmentMask);
            Assert.Equal(~AllocFlagBits.NoFragment, ZoneOf(n61, ZoneType.DMA).NoFragmentMask);
            var n414 = Node(KernelProfile.Linux414);
            Assert.Equal(~AllocFlagBits.NoFragment, ZoneOf(n414, ZoneType.Normal).NoFragmentMask);
            // The harness's node: 2 GiB from 1 GiB physical lies wholly in DMA, so the preferred zone is never Normal.
            var qemu = new MemNode(new NodeConfig { SizeBytes = 2L << 30, Kernel = KernelProfile.Linux61, Seed = 1 });
            Assert.All(qemu.PopulatedZones, z => Assert.Equal(ZoneType.DMA, z.Type));
            Assert.All(qemu.PopulatedZones, z => Assert.Equal(~AllocFlagBits.NoFragment, z.NoFragmentMask));
        }

        [Fact]
        public void Kernel61_NormalHasAWholeFreePageblock_UnmovableTakesIt()
        {
            var node = Node(KernelProfile.Linux61);
            var normal = ZoneOf(node, ZoneType.Normal);
            Fragment(normal, freeFirstPageblock: true);
            long firstBlockPfn = normal.ZoneStartPfn;
            var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_KERNEL);
            Assert.True(r.Success);
            Assert.Equal(ZoneType.Normal, r.Zone);
            Assert.Equal(firstBlockPfn >> node.PbOrder, r.Pfn >> node.PbOrder);
            Assert.Equal(MigrateType.Unmovable, r.BlockMigrateType);
            Assert.Equal(1, Blocks(node, normal, MigrateType.Unmovable));
        }

        [Fact]
        public void Kernel61_NormalHasOnlySmallBlocks_UnmovableGoesToAFreePageblockInDma_NormalStaysUnsplit()
        {
            var node = Node(KernelProfile.Linux61);
            var normal = ZoneOf(node, ZoneType.Normal);
            var dma = ZoneOf(node, ZoneType.DMA);
            Fragment(normal, freeFirstPageblock: false);
            var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_KERNEL);
            Assert.True(r.Success);
            Assert.Equal(ZoneType.DMA, r.Zone);
            Assert.Equal(MigrateType.Unmovable, r.BlockMigrateType);
            Assert.Equal(0, Blocks(node, normal, MigrateType.Unmovable));
            // The largest free block in DMA is a MAX_ORDER−1 block: the steal retypes every pageblock it covers.
            Assert.Equal(1 << (node.Geometry.MaxOrder - 1 - node.PbOrder), Blocks(node, dma, MigrateType.Unmovable));
        }

        [Fact]
        public void Kernel414_SameNode_StealsFromTheLargestSmallerBlockInNormal()
        {
            var node = Node(KernelProfile.Linux414);
            var normal = ZoneOf(node, ZoneType.Normal);
            var dma = ZoneOf(node, ZoneType.DMA);
            Fragment(normal, freeFirstPageblock: false);
            var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_KERNEL);
            Assert.True(r.Success);
            Assert.Equal(ZoneType.Normal, r.Zone);
            // Half the block free and the rest not movable: the steal claims the block.
            Assert.Equal(MigrateType.Unmovable, r.BlockMigrateType);
            Assert.Equal(1, Blocks(node, normal, MigrateType.Unmovable));
            Assert.Equal(0, Blocks(node, dma, MigrateType.Unmovable));
        }

        [Fact]
        public void Kernel61_NoZoneHasAFreePageblock_RetriesWithoutTheFlag_AndStealsInNormalAs414Does()
        {
            var n61 = Node(KernelProfile.Linux61);
            var n414 = Node(KernelProfile.Linux414);
            foreach (var node in new[] { n61, n414 })
            {
                Fragment(ZoneOf(node, ZoneType.Normal), freeFirstPageblock: false);
                Fragment(ZoneOf(node, ZoneType.DMA), freeFirstPageblock: false);
            }
            var r61 = PageAllocator.Allocate(n61, 0, GfpFlags.GFP_KERNEL);
            var r414 = PageAllocator.Allocate(n414, 0, GfpFlags.GFP_KERNEL);
            Assert.True(r61.Success);
            Assert.Equal("fast", r61.Path);
            Assert.Equal(ZoneType.Normal, r61.Zone);
            // The same pageblock is stolen; move_freepages_block moves its order-3 blocks (offsets 0, 16, …, 496) in pfn order
            // to the empty Unmovable list, each to the tail on 6.1 (move_to_free_list) and to the head on 4.14, and
            // __rmqueue_smallest takes the list's first: the block's first free page on 6.1, its last on 4.14.
            long block = 1L << n61.PbOrder;
            Assert.Equal(r414.Pfn & ~(block - 1), r61.Pfn & ~(block - 1));
            Assert.Equal(0, r61.Pfn & (block - 1));
            Assert.Equal(block - 16, r414.Pfn & (block - 1));
            Assert.Equal(MigrateType.Unmovable, r61.BlockMigrateType);
            Assert.Equal(1, Blocks(n61, ZoneOf(n61, ZoneType.Normal), MigrateType.Unmovable));
            Assert.Equal(0, Blocks(n61, ZoneOf(n61, ZoneType.DMA), MigrateType.Unmovable));
        }

        [Fact]
        public void Kernel61_MovableRequest_WithNoFreePageblock_StillFallsBackAfterTheRetry()
        {
            // A movable request with no movable free pages anywhere: free Unmovable order-3 blocks only.
            var node = Node(KernelProfile.Linux61);
            var normal = ZoneOf(node, ZoneType.Normal);
            Fragment(normal, freeFirstPageblock: false);
            Fragment(ZoneOf(node, ZoneType.DMA), freeFirstPageblock: false);
            for (int b = 0; b < node.PageblockBits.Length; b++) node.PageblockBits[b] = (byte)MigrateType.Reclaimable;
            // Move the free blocks onto Reclaimable lists as their blocks now say.
            foreach (var z in node.PopulatedZones)
                for (long pfn = z.ZoneStartPfn; pfn < z.ZoneEndPfn; pfn += 1 << node.PbOrder)
                    BuddyAllocator.MoveFreepagesBlock(z, (int)(pfn - node.NodeStartPfn), (int)MigrateType.Reclaimable, out _);
            var r = PageAllocator.Allocate(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE);
            Assert.True(r.Success);
            Assert.Equal(ZoneType.Normal, r.Zone);
        }
    }
}
