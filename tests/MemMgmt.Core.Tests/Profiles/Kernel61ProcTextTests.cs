using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Tests.Reclaim;
using MemMgmt.Core.Tests.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>The 6.1 profile's /proc texts against the real arm64 6.1 captures: the same lines in the same order, and the
    /// values the simulator computes for a fresh 2 GiB node equal to the captured ones.</summary>
    public class Kernel61ProcTextTests
    {
        private static readonly Lazy<MemNode> Booted61 = new Lazy<MemNode>(() => new MemNode(new NodeConfig { Kernel = KernelProfile.Linux61, Booted = true }));
        private static readonly Lazy<MemNode> Plain61 = new Lazy<MemNode>(() => new MemNode(new NodeConfig { Kernel = KernelProfile.Linux61 }));

        private static string Shared(string file) => ProcCaptures.Read(ProcCaptures.Arm64, file);

        private static string ProjectCapture(string scenario, string phase, string file) => ProcCaptures.HarnessFile(scenario, phase, file);

        /// <summary>Every real 6.1 capture of a file: the shared boot one and each scenario's phases.</summary>
        private static IEnumerable<(string Where, string Text)> AllCaptures(string file)
        {
            yield return ("shared boot", Shared(file));
            foreach (var scenario in new[] { "odd", "even", "rand" })
                foreach (var phase in new[] { "boot", "frag", "hugepages1", "released", "compacted", "hugepages2" })
                    yield return (scenario + "/" + phase, ProjectCapture(scenario, phase, file));
        }

        /// <summary>A line with its value (and the padding that right-aligns it) replaced: what the layout fixes, not the state.
        /// The alignment itself is checked by the parsers, which re-render every line.</summary>
        private static string Shape(string line) => Regex.Replace(line, @" +\d+( kB)?$", " #$1");

        private static string[] Shapes(string text) => text.Split('\n').Select(Shape).ToArray();

        private static void AssertSameShape(string captured, string simulated, string where)
        {
            string[] want = Shapes(captured), got = Shapes(simulated);
            for (int i = 0; i < Math.Min(want.Length, got.Length); i++)
                Assert.True(want[i] == got[i], $"{where} line {i + 1}: captured \"{want[i]}\", simulated \"{got[i]}\"");
            Assert.Equal(want.Length, got.Length);
        }

        [Fact]
        public void Profiles_NameTheirProcTextLayout()
        {
            Assert.Equal(KernelTextFormat.V4_14, KernelProfile.Linux414.ProcText);
            Assert.Equal(KernelTextFormat.V6_1, KernelProfile.Linux61.ProcText);
            Assert.Equal(KernelTextFormat.V6_1, NodeViews.ZoneInfo(Plain61.Value).Format);
        }

        [Fact]
        public void ZoneInfo_HasTheCapturedLinesInTheCapturedOrder()
        {
            foreach (var node in new[] { Booted61.Value, Plain61.Value })
            {
                string sim = NodeViews.ZoneInfo(node).ToKernelText();
                foreach (var (where, text) in AllCaptures("zoneinfo.txt"))
                    AssertSameShape(text, sim, where);
            }
        }

        [Fact]
        public void VmStat_HasTheCapturedCountersInTheCapturedOrder()
        {
            foreach (var node in new[] { Booted61.Value, Plain61.Value })
            {
                string sim = NodeViews.VmStat(node).ToKernelText();
                foreach (var (where, text) in AllCaptures("vmstat.txt"))
                    AssertSameShape(text, sim, where);
            }
        }

        [Fact]
        public void MemInfo_HasTheCapturedLinesInTheCapturedOrder()
        {
            foreach (var node in new[] { Booted61.Value, Plain61.Value })
            {
                string sim = NodeViews.MemInfo(node).ToKernelText();
                foreach (var (where, text) in AllCaptures("meminfo.txt"))
                    AssertSameShape(text, sim, where);
            }
        }

        [Fact]
        public void PageTypeInfoBuddyInfoAndExtfrag_HaveTheCapturedLayout()
        {
            // Free counts per order are state; the headers, the rows and their column widths are layout.
            foreach (var (file, sim) in new[] { ("buddyinfo.txt", NodeViews.BuddyInfo(Booted61.Value).ToKernelText()),
                ("pagetypeinfo.txt", NodeViews.PageTypeInfo(Booted61.Value).ToKernelText()) })
            {
                string[] want = Shared(file).Split('\n'), got = sim.Split('\n');
                Assert.Equal(want.Length, got.Length);
                for (int i = 0; i < want.Length; i++)
                    Assert.Equal(Regex.Replace(want[i], @" +\d+", " #"), Regex.Replace(got[i], @" +\d+", " #"));
            }
            // debugfs extfrag: the index of a fresh node, where every order has a block, is -1.000 throughout.
            Assert.Equal(Shared("extfrag_index.txt"), NodeViews.FragmentationIndex(Booted61.Value, FragmentationIndexKind.ExternalFragmentation).ToKernelText());
            Assert.Equal(Regex.Replace(Shared("unusable_index.txt"), @"\d\.\d{3}", "#"),
                Regex.Replace(NodeViews.FragmentationIndex(Booted61.Value, FragmentationIndexKind.UnusableFreeSpace).ToKernelText(), @"\d\.\d{3}", "#"));
            Assert.True(NodeViews.PageTypeInfo(Booted61.Value).CapFreeCounts);   // 6.1 prints >100000 past the cap
            Assert.False(NodeViews.PageTypeInfo(new MemNode(new NodeConfig())).CapFreeCounts);
        }

        /// <summary>The zone geometry, watermarks, protection and stat threshold of a fresh 2 GiB node are the captured ones.
        /// The pagesets are not: the simulator sizes pcp->high and batch with 4.14's pageset_set_high/zone_batchsize
        /// (186/31) where 6.1's zone_highsize/zone_batchsize give 3520/63, and its pcp counts are its own boot's.</summary>
        [Fact]
        public void ZoneInfo_ModelledValuesOfAFreshNode_AreTheCapturedOnes()
        {
            var real = ZoneInfo.Parse(Shared("zoneinfo.txt"));
            foreach (var node in new[] { Booted61.Value, Plain61.Value })
            {
                var sim = NodeViews.ZoneInfo(node);
                Assert.Equal(real.Zones.Select(z => z.ZoneName), sim.Zones.Select(z => z.ZoneName));
                for (int i = 0; i < real.Zones.Count; i++)
                {
                    ZoneInfoZone r = real.Zones[i], s = sim.Zones[i];
                    Assert.Equal((r.Min, r.Low, r.High, r.Boost), (s.Min, s.Low, s.High, s.Boost));
                    Assert.Equal((r.Spanned, r.Present, r.Managed, r.Cma), (s.Spanned, s.Present, s.Managed, s.Cma));
                    Assert.Equal(r.Protection, s.Protection);
                    Assert.Equal(r.Detail?.StartPfn, s.Detail?.StartPfn);
                    Assert.Equal(r.Detail?.NodeUnreclaimable, s.Detail?.NodeUnreclaimable);
                    Assert.Equal(r.Detail?.Pagesets.Select(p => p.StatThreshold), s.Detail?.Pagesets.Select(p => p.StatThreshold));
                    Assert.Equal(r.Detail?.Pagesets.Select(p => p.Cpu), s.Detail?.Pagesets.Select(p => p.Cpu));
                }
            }
        }

        /// <summary>What the booted node models of the boot's kernel memory is the captured amount: slab and shmem pages.</summary>
        [Theory]
        [InlineData("nr_slab_reclaimable")]
        [InlineData("nr_slab_unreclaimable")]
        [InlineData("nr_file_pages")]
        [InlineData("nr_shmem")]
        [InlineData("nr_free_cma")]
        public void VmStat_BootedNodeCountsTheCapturedKernelMemory(string counter)
        {
            Assert.Equal(VmStat.Parse(Shared("vmstat.txt"))[counter], NodeViews.VmStat(Booted61.Value)[counter]);
        }

        [Theory]
        [InlineData("MemTotal")]
        [InlineData("CmaTotal")]
        [InlineData("VmallocTotal")]
        [InlineData("SwapTotal")]
        [InlineData("Hugepagesize")]
        [InlineData("Hugetlb")]
        [InlineData("HugePages_Total")]
        [InlineData("Slab")]
        [InlineData("SReclaimable")]
        [InlineData("KReclaimable")]
        [InlineData("Shmem")]
        [InlineData("CommitLimit")]
        public void MemInfo_ModelledValuesOfAFreshNode_AreTheCapturedOnes(string field)
        {
            var real = MemInfo.Parse(Shared("meminfo.txt"));
            Assert.Equal(real[field], NodeViews.MemInfo(Booted61.Value)[field]);
            if (field == "MemTotal" || field == "CmaTotal" || field == "VmallocTotal" || field == "CommitLimit")
                Assert.Equal(real[field], NodeViews.MemInfo(Plain61.Value)[field]);
        }

        [Fact]
        public void Kernel414_KeepsIts414Layouts()
        {
            var node = new MemNode(new NodeConfig());
            string zi = NodeViews.ZoneInfo(node).ToKernelText();
            Assert.DoesNotContain("boost", zi, StringComparison.Ordinal);
            Assert.DoesNotContain("        cma ", zi, StringComparison.Ordinal);
            Assert.Equal(VmStatItems.AllVmStatNames(KernelTextFormat.V4_14), NodeViews.VmStat(node).Entries.Select(e => e.Name));
            var mi = NodeViews.MemInfo(node);
            Assert.Null(mi["Zswap"]);
            Assert.Null(mi["Hugetlb"]);
            Assert.Equal(135290290112, mi["VmallocTotal"]);
            Assert.Equal(133143592960, NodeViews.MemInfo(Plain61.Value)["VmallocTotal"]);
        }

        /// <summary>The texts a 6.1 node prints parse back (layout detected) and render byte for byte.</summary>
        [Fact]
        public void SimulatedTexts_ParseBackByteForByte_InBothLayouts()
        {
            foreach (var node in new[] { Plain61.Value, new MemNode(new NodeConfig()) })
            {
                string zi = NodeViews.ZoneInfo(node).ToKernelText();
                var parsed = ZoneInfo.Parse(zi);
                Assert.Equal(node.Kernel.ProcText, parsed.Format);
                Assert.Equal(zi, parsed.ToKernelText());
                string vm = NodeViews.VmStat(node).ToKernelText();
                Assert.Equal(vm, VmStat.Parse(vm).ToKernelText());
                string mi = NodeViews.MemInfo(node).ToKernelText();
                Assert.Equal(mi, MemInfo.Parse(mi).ToKernelText());
                string pti = NodeViews.PageTypeInfo(node).ToKernelText();
                Assert.Equal(pti, PageTypeInfo.Parse(pti, node.Kernel.ProcText != KernelTextFormat.V4_14).ToKernelText());
            }
        }

        /// <summary>4.14's workingset_refault/activate count page-cache refaults: 6.1 prints them as the _file counters, its
        /// _anon ones stay 0; the 4.14 names are gone.</summary>
        [Fact]
        public void WorkingsetRefaults_PrintAsThe61FileCounters()
        {
            var node = new MemNode(new NodeConfig { Kernel = KernelProfile.Linux61, SizeBytes = 256 * NodeConfig.MiB });
            var g = MemCgroups.Create(node, "grp");
            ShadowRefault.Refault(node, ShadowRefault.PackShadow(g.Id, node.NodeId, ShadowRefault.InactiveAge(node, g.Id)), 0);
            ShadowRefault.Refault(node, ShadowRefault.PackShadow(g.Id, node.NodeId, 5), 0);   // too far: counted, not activated
            var vm = NodeViews.VmStat(node);
            Assert.Equal(2, vm["workingset_refault_file"]);
            Assert.Equal(1, vm["workingset_activate_file"]);
            Assert.Equal(0, vm["workingset_refault_anon"]);
            Assert.Null(vm["workingset_refault"]);
            var perNode = NodeViews.ZoneInfo(node).Zones.First(z => z.NodeStats != null).NodeStats!;
            Assert.Equal(2, perNode.Single(e => e.Name == "workingset_refault_file").Value);
        }

        /// <summary>6.1 counts every inactive-list scan and steal by LRU type as well: kswapd reclaiming page cache shows
        /// pgscan_file = pgscan_kswapd and pgsteal_file = pgsteal_kswapd, with nothing on the anon side.</summary>
        [Fact]
        public void KswapdReclaim_CountsPgscanAndPgstealFile()
        {
            var node = new MemNode(new NodeConfig { Kernel = KernelProfile.Linux61, SizeBytes = 256 * NodeConfig.MiB });
            var dma = node.GetZone(ZoneType.DMA);
            ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            ReclaimTestKit.FillNoWatermarks(node, PageOwner.FileCache, dma.FreePages - dma.WatermarkMin + 200);
            Kswapd.Wakeup(node, 0, node.Kernel.ZoneIndex(ZoneType.Movable));
            Kswapd.Advance(node, 1_000_000_000);
            var vm = NodeViews.VmStat(node);
            Assert.True(vm["pgscan_kswapd"] > 0);
            Assert.Equal(vm["pgscan_kswapd"], vm["pgscan_file"]);
            Assert.Equal(vm["pgsteal_kswapd"], vm["pgsteal_file"]);
            Assert.Equal(0, vm["pgscan_anon"]);
            Assert.Equal(0, vm["pgsteal_anon"]);
        }

        /// <summary>Kernel stack and page tables are node counters in 6.1: the per-node block carries the zones' sums and the
        /// zone blocks no longer print them.</summary>
        [Fact]
        public void PageTablesAndKernelStack_ArePerNodeCounters()
        {
            var node = Booted61.Value;
            var zi = NodeViews.ZoneInfo(node);
            var perNode = zi.Zones.First(z => z.NodeStats != null).NodeStats!;
            long tables = node.Zones.Sum(z => z.Stat[(int)ZoneStatItem.NrPageTablePages]);
            Assert.True(tables > 0);
            Assert.Equal(tables, perNode.Single(e => e.Name == "nr_page_table_pages").Value);
            Assert.Equal(tables, NodeViews.VmStat(node)["nr_page_table_pages"]);
            Assert.Equal(tables * 4, NodeViews.MemInfo(node)["PageTables"]);
            Assert.DoesNotContain(zi.Zones.Where(z => z.Detail != null).SelectMany(z => z.Detail!.ZoneStats), e => e.Name == "nr_page_table_pages" || e.Name == "nr_kernel_stack");
        }
    }
}
