using System.Collections.Generic;
using System.Linq;
using CsCheck;
using MemMgmt.Core.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Stats
{
    public class FragmentationTests
    {
        [Fact]
        public void FillContigPageInfoSumsBlocksPagesAndSuitableBlocks()
        {
            // nr_free = [2, 1, 1]: pages = 2 + 2 + 4 = 8, blocks = 4.
            ContigPageInfo o0 = Fragmentation.FillContigPageInfo(new long[] { 2, 1, 1 }, 0);
            Assert.Equal(8, o0.FreePages);
            Assert.Equal(4, o0.FreeBlocksTotal);
            Assert.Equal(8, o0.FreeBlocksSuitable); // 2 + 1*2 + 1*4
            ContigPageInfo o1 = Fragmentation.FillContigPageInfo(new long[] { 2, 1, 1 }, 1);
            Assert.Equal(3, o1.FreeBlocksSuitable); // 1 + 1*2
            ContigPageInfo o2 = Fragmentation.FillContigPageInfo(new long[] { 2, 1, 1 }, 2);
            Assert.Equal(1, o2.FreeBlocksSuitable);
        }

        // Hand-computed from the kernel's integer arithmetic:
        //   index = 1000 - (1000 + free_pages*1000/2^order) / blocks_total  (when no suitable block)
        [Theory]
        [InlineData(new long[] { 10, 0, 0, 0 }, 1, 400)]   // 1000 - (1000 + 10000/2)/10 = 1000 - 600
        [InlineData(new long[] { 10, 0, 0, 0 }, 0, -1000)] // a suitable block exists
        [InlineData(new long[] { 0, 4, 0, 0 }, 3, 500)]    // free 8, blocks 4: 1000 - (1000+1000)/4
        [InlineData(new long[] { 3, 1, 0, 0 }, 2, 438)]    // free 5, blocks 4: 1000 - (1000+1250)/4 = 1000 - 562
        [InlineData(new long[] { 3, 1, 0, 0 }, 3, 594)]    // 1000 - (1000+625)/4 = 1000 - 406
        [InlineData(new long[] { 1, 0, 0, 0 }, 3, -125)]   // one free page: 1000 - (1000+125)/1; the kernel returns it unchanged
        [InlineData(new long[] { 0, 0, 0, 0 }, 2, 0)]      // no free blocks at all
        [InlineData(new long[] { 5, 5, 5, 5 }, 4, 0)]      // order out of range (>= MAX_ORDER) returns 0
        public void FragmentationIndexMatchesHandComputedVectors(long[] nrFree, int order, int expected)
        {
            Assert.Equal(expected, Fragmentation.FragmentationIndex(nrFree, order));
        }

        [Theory]
        [InlineData(new long[] { 2, 1, 1 }, 0, 0)]
        [InlineData(new long[] { 2, 1, 1 }, 1, 250)]   // (8 - 3*2)*1000/8
        [InlineData(new long[] { 2, 1, 1 }, 2, 500)]   // (8 - 1*4)*1000/8
        [InlineData(new long[] { 0, 4, 0, 0 }, 2, 1000)]
        [InlineData(new long[] { 0, 0, 0, 0 }, 0, 1000)] // no free memory: all unusable
        [InlineData(new long[] { 1, 0, 0, 1 }, 3, 111)]  // (9 - 8)*1000/9 = 111
        public void UnusableFreeIndexMatchesHandComputedVectors(long[] nrFree, int order, int expected)
        {
            Assert.Equal(expected, Fragmentation.UnusableFreeIndex(nrFree, order));
        }

        [Theory]
        [InlineData(-1000, "-1.000")]
        [InlineData(0, "0.000")]
        [InlineData(3, "0.003")]
        [InlineData(42, "0.042")]
        [InlineData(500, "0.500")]
        [InlineData(1000, "1.000")]
        [InlineData(-125, "0.-125")] // the single-free-page case above, as extfrag_index would print it
        [InlineData(-5, "0.-05")]   // C: -5/1000 = 0, -5%1000 = -5, "%03d" of -5 is "-05"
        public void FormatIndexIsTheKernelsPercentDDotPercent03D(int thousandths, string expected)
        {
            Assert.Equal(expected, Fragmentation.FormatIndex(thousandths));
        }

        [Fact]
        public void Arm64CaptureBuddyInfoGivesTheCapturedExtfragAndUnusableIndex()
        {
            BuddyInfo buddy = BuddyInfo.Parse(ProcCaptures.Read(ProcCaptures.Arm64, "buddyinfo.txt"));
            string extfrag = FragmentationIndexTable.FromBuddyInfo(buddy, FragmentationIndexKind.ExternalFragmentation).ToKernelText();
            string unusable = FragmentationIndexTable.FromBuddyInfo(buddy, FragmentationIndexKind.UnusableFreeSpace).ToKernelText();
            Assert.Equal(ProcCaptures.Read(ProcCaptures.Arm64, "extfrag_index.txt"), extfrag);
            Assert.Equal(ProcCaptures.Read(ProcCaptures.Arm64, "unusable_index.txt"), unusable);
        }

        [Fact]
        public void Arm64CaptureUnusableIndexByHand()
        {
            // buddyinfo: 1 2 0 1 0 2 2 1 2 2 483 -> free pages 1+4+8+64+128+128+512+1024+494592 = 496461
            long[] nr = { 1, 2, 0, 1, 0, 2, 2, 1, 2, 2, 483 };
            ContigPageInfo o9 = Fragmentation.FillContigPageInfo(nr, 9);
            Assert.Equal(496461, o9.FreePages);
            Assert.Equal(2 + 483 * 2, o9.FreeBlocksSuitable);
            // (496461 - 968*512) * 1000 / 496461 = (496461 - 495616) * 1000 / 496461 = 845000 / 496461 = 1
            Assert.Equal(1, Fragmentation.UnusableFreeIndex(9, o9));
            // order 10: (496461 - 483*1024) * 1000 / 496461 = 1869000 / 496461 = 3
            Assert.Equal(3, Fragmentation.UnusableFreeIndex(10, Fragmentation.FillContigPageInfo(nr, 10)));
        }

        [Fact]
        public void X86CaptureBuddyInfoFragmentationRows()
        {
            BuddyInfo buddy = BuddyInfo.Parse(ProcCaptures.Read(ProcCaptures.X86, "buddyinfo.txt"));
            FragmentationIndexTable ext = FragmentationIndexTable.FromBuddyInfo(buddy, FragmentationIndexKind.ExternalFragmentation);
            // Every zone has order-10 blocks free, so every order has a suitable block.
            Assert.All(ext.Rows, r => Assert.All(r.Values, v => Assert.Equal(-1000, v)));
            Assert.Equal(
                "Node 0, zone      DMA -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 \n",
                ext.ToKernelText().Split('\n')[0] + "\n");
            FragmentationIndexTable un = FragmentationIndexTable.FromBuddyInfo(buddy, FragmentationIndexKind.UnusableFreeSpace);
            // DMA: 0 0 0 0 0 0 0 0 1 1 3 -> free = 256 + 512 + 3072 = 3840 (matches zoneinfo "pages free 3840").
            // order 9: suitable = 1 + 3*2 = 7 -> (3840 - 3584)*1000/3840 = 66; order 10: (3840 - 3072)*1000/3840 = 200.
            Assert.Equal(new[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 66, 200 }, un.Rows[0].Values);
            Assert.Equal("Node 0, zone      DMA 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.066 0.200 \n",
                un.ToKernelText().Split('\n')[0] + "\n");
        }

        [Fact]
        public void IndicesStayInTheirKernelRangesAndRoundTripThroughText()
        {
            Gen.Long[0, 5000].Array[1, 12].SelectMany(a => Gen.Int[0, a.Length - 1].Select(o => (a, o)))
                .Sample(t =>
                {
                    (long[] nr, int order) = t;
                    ContigPageInfo info = Fragmentation.FillContigPageInfo(nr, order);
                    int frag = Fragmentation.FragmentationIndex(order, info);
                    int unusable = Fragmentation.UnusableFreeIndex(order, info);
                    bool fragOk = info.FreeBlocksTotal == 0 ? frag == 0
                        : info.FreeBlocksSuitable > 0 ? frag == -1000
                        : frag <= 1000;
                    bool unusableOk = unusable >= 0 && unusable <= 1000 && (info.FreeBlocksSuitable > 0 || unusable == 1000);
                    var table = new FragmentationIndexTable(FragmentationIndexKind.ExternalFragmentation,
                        new[] { new FragmentationIndexRow(0, "Normal", new[] { frag, unusable }) });
                    var back = FragmentationIndexTable.Parse(table.ToKernelText(), FragmentationIndexKind.ExternalFragmentation);
                    return fragOk && unusableOk && back.Rows[0].Values.SequenceEqual(new[] { frag, unusable });
                });
        }
    }
}
