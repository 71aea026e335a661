using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Stats;
using MemMgmt.Core.Swap;
using MemMgmt.Core.Tests.Reclaim;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Profiles
{
    /// <summary>The 4.4 profile's /proc texts: the item names and line layout of 4.4's vmstat_text, zoneinfo_show_print and
    /// meminfo_proc_show (arm64, no NUMA), and values that must agree with each other and with the node's state.</summary>
    public class Kernel44ProcTextTests
    {
        private static MemNode Node44(long sizeBytes = 4L << 30) =>
            new MemNode(new NodeConfig { SizeBytes = sizeBytes, CmaBytes = 0, Kernel = KernelProfile.Linux44 });

        /// <summary>TEXTS_FOR_ZONES of an arm64 4.4 kernel: ZONE_DMA, no DMA32, no HIGHMEM, then normal and movable.</summary>
        private static string[] ForAllZones(string item) => new[] { item + "_dma", item + "_normal", item + "_movable" };

        /// <summary>vmstat_text of 4.4 (mm/vmstat.c) for CONFIG_NUMA=n, MIGRATION, COMPACTION, HUGETLB_PAGE,
        /// TRANSPARENT_HUGEPAGE, MEMORY_BALLOON with BALLOON_COMPACTION, written out from the source.</summary>
        private static IEnumerable<string> VmstatText44()
        {
            var names = new List<string>
            {
                "nr_free_pages", "nr_alloc_batch", "nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file",
                "nr_unevictable", "nr_mlock", "nr_anon_pages", "nr_mapped", "nr_file_pages", "nr_dirty", "nr_writeback",
                "nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_page_table_pages", "nr_kernel_stack", "nr_unstable",
                "nr_bounce", "nr_vmscan_write", "nr_vmscan_immediate_reclaim", "nr_writeback_temp", "nr_isolated_anon",
                "nr_isolated_file", "nr_shmem", "nr_dirtied", "nr_written", "nr_pages_scanned",
                "workingset_refault", "workingset_activate", "workingset_nodereclaim", "nr_anon_transparent_hugepages",
                "nr_free_cma",
                "nr_dirty_threshold", "nr_dirty_background_threshold",
                "pgpgin", "pgpgout", "pswpin", "pswpout",
            };
            names.AddRange(ForAllZones("pgalloc"));
            names.AddRange(new[] { "pgfree", "pgactivate", "pgdeactivate", "pgfault", "pgmajfault" });
            foreach (var item in new[] { "pgrefill", "pgsteal_kswapd", "pgsteal_direct", "pgscan_kswapd", "pgscan_direct" })
                names.AddRange(ForAllZones(item));
            names.AddRange(new[]
            {
                "pgscan_direct_throttle", "pginodesteal", "slabs_scanned", "kswapd_inodesteal", "kswapd_low_wmark_hit_quickly",
                "kswapd_high_wmark_hit_quickly", "pageoutrun", "allocstall", "pgrotated", "drop_pagecache", "drop_slab",
                "pgmigrate_success", "pgmigrate_fail",
                "compact_migrate_scanned", "compact_free_scanned", "compact_isolated", "compact_stall", "compact_fail", "compact_success",
                "htlb_buddy_alloc_success", "htlb_buddy_alloc_fail",
                "unevictable_pgs_culled", "unevictable_pgs_scanned", "unevictable_pgs_rescued", "unevictable_pgs_mlocked",
                "unevictable_pgs_munlocked", "unevictable_pgs_cleared", "unevictable_pgs_stranded",
                "thp_fault_alloc", "thp_fault_fallback", "thp_collapse_alloc", "thp_collapse_alloc_failed", "thp_split",
                "thp_zero_page_alloc", "thp_zero_page_alloc_failed",
                "balloon_inflate", "balloon_deflate", "balloon_migrate",
            });
            return names;
        }

        private static Dictionary<string, long> Values(VmStat v) => v.Entries.ToDictionary(e => e.Name, e => e.Value);

        private static long Stat(ZoneInfoZone z, string name) => z.Detail!.ZoneStats.Single(e => e.Name == name).Value;

        [Fact]
        public void Profile_NamesThe44Layout()
        {
            Assert.Equal(KernelTextFormat.V4_4, KernelProfile.Linux44.ProcText);
            Assert.Equal(KernelTextFormat.V4_4, NodeViews.ZoneInfo(Node44(512L << 20)).Format);
            Assert.False(NodeViews.PageTypeInfo(Node44(512L << 20)).CapFreeCounts); // 4.4 prints exact counts, as 4.14
        }

        [Fact]
        public void VmStat_NamesAreThoseOf44sVmstatText_InItsOrder()
        {
            var names = NodeViews.VmStat(Node44()).Entries.Select(e => e.Name).ToList();
            Assert.Equal(VmstatText44(), names);
            Assert.Equal(names, VmStatItems.AllVmStatNames(KernelTextFormat.V4_4));
            Assert.DoesNotContain(names, n => n.StartsWith("numa_", StringComparison.Ordinal) || n.StartsWith("allocstall_", StringComparison.Ordinal));
        }

        /// <summary>zoneinfo_show_print of 4.4 with a DMA and a Normal zone populated: Movable (empty) is not printed,
        /// there is no per-node block, the counters sit between managed and protection, 4 spaces in.</summary>
        [Fact]
        public void ZoneInfo_HasThe44LinesInThe44Order_PopulatedZonesOnly()
        {
            var node = Node44();
            string text = NodeViews.ZoneInfo(node).ToKernelText();
            var expected = new List<string>();
            foreach (var zone in new[] { "     DMA", "  Normal" })
            {
                expected.Add("Node 0, zone " + zone);
                expected.AddRange(new[] { "  pages free     #", "        min      #", "        low      #", "        high     #",
                    "        scanned  #", "        spanned  #", "        present  #", "        managed  #" });
                foreach (var name in VmstatText44().Take(33)) expected.Add("    " + name.PadRight(12) + " #");
                expected.Add("        protection: (#, #, #)");
                expected.Add("  pagesets");
                for (int cpu = 0; cpu < 2; cpu++)
                    expected.AddRange(new[] { "    cpu: #", "              count: #", "              high:  #", "              batch: #",
                        "  vm stats threshold: #" });
                expected.AddRange(new[] { "  all_unreclaimable: #", "  start_pfn:         #", "  inactive_ratio:    #" });
            }
            expected.Add(string.Empty);
            Assert.Equal(expected, text.Split('\n').Select(l => Regex.Replace(l, @"-?\d+", "#")).Select(l => l.StartsWith("Node #", StringComparison.Ordinal) ? "Node 0" + l.Substring(6) : l));
            var back = ZoneInfo.Parse(text);
            Assert.Equal(KernelTextFormat.V4_4, back.Format);
            Assert.Equal(text, back.ToKernelText());
            // inactive_ratio is calculate_zone_inactive_ratio's, by whole GiB of managed pages: DMA spans 3 GiB but boot keeps
            // some (2 whole GiB managed) → int_sqrt(20) = 4; Normal's 1 GiB → int_sqrt(10) = 3.
            Assert.True(back.Zones[0].Managed < 3L << 18 && back.Zones[0].Managed >= 2L << 18);
            Assert.Equal(new long[] { 4, 3 }, back.Zones.Select(z => z.Detail!.InactiveRatio));
        }

        [Fact]
        public void ZoneInfo_Parse_RejectsWhat44DoesNotPrint()
        {
            string text = NodeViews.ZoneInfo(Node44(512L << 20)).ToKernelText();
            var perNode = text.Replace("Node 0, zone      DMA\n", "Node 0, zone      DMA\n  per-node stats\n      nr_inactive_anon 0\n");
            Assert.Throws<ProcTextFormatException>(() => ZoneInfo.Parse(perNode));
            var empty = Regex.Replace(text, @"present  \d+", "present  0");
            Assert.Contains("populated", Assert.Throws<ProcTextFormatException>(() => ZoneInfo.Parse(empty)).Expected);
        }

        /// <summary>After a mixed workload and direct reclaim: every zone counter in vmstat is the sum of the zoneinfo
        /// zones' values, the node's own counters are that sum, and each zone's page-cache, anon, slab, dirty and
        /// writeback counts are the pages of that zone the page map shows with that state.</summary>
        [Fact]
        public void Counters_AddUpOverZones_AndEachZonesShareIsItsPages()
        {
            var node = Node44();
            SwapDevice.Configure(node, 512L << 20);
            Pressure.Run(node, new PressureOptions { Percent = 95, Pattern = PressurePattern.Fill, FileFraction = 0.5,
                ReclaimableFraction = 0.05, DirtyFraction = 0.2, WritebackFraction = 0.05, Seed = 3 });
            Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL);
            var vm = Values(NodeViews.VmStat(node));
            var zi = NodeViews.ZoneInfo(node);
            Assert.Equal(2, zi.Zones.Count);
            foreach (var name in VmStatItems.ZoneItems(KernelTextFormat.V4_4))
                Assert.True(vm[name] == zi.Zones.Sum(z => Stat(z, name)), name);
            Assert.Equal(node.FreePages, vm["nr_free_pages"]);
            Assert.Equal(zi.Zones.Sum(z => z.Free), vm["nr_free_pages"]);
            var c = node.Counters;
            Assert.Equal(c[NodeStatItem.NrFilePages], vm["nr_file_pages"]);
            Assert.Equal(c[NodeStatItem.NrAnonMapped], vm["nr_anon_pages"]);
            Assert.Equal(c[NodeStatItem.NrFileDirty], vm["nr_dirty"]);
            Assert.Equal(c[NodeStatItem.NrInactiveFile], vm["nr_inactive_file"]);
            Assert.Equal(c[VmEvent.PgScanDirect], ForAllZones("pgscan_direct").Sum(n => vm[n]));
            Assert.Equal(c[VmEvent.PgStealDirect], ForAllZones("pgsteal_direct").Sum(n => vm[n]));
            Assert.Equal(c[VmEvent.PgRefill], ForAllZones("pgrefill").Sum(n => vm[n]));
            Assert.True(vm["pgscan_direct_dma"] > 0 && vm["pgscan_direct_normal"] > 0, "direct reclaim scanned both zones");

            var pages = node.Pages;
            foreach (var z in zi.Zones)
            {
                var zone = node.Zones.Single(x => x.Name == z.ZoneName);
                long file = 0, anon = 0, slab = 0, dirty = 0, writeback = 0;
                for (long pfn = zone.ZoneStartPfn; pfn < zone.ZoneEndPfn; pfn++)
                {
                    int i = node.ToIndex(pfn);
                    uint f = pages.Flags[i];
                    if ((f & (uint)PageFlags.Allocated) == 0) continue;
                    long nr = 1L << pages.OrderOf(i);
                    var owner = (PageOwner)pages.Owner[i];
                    if (owner == PageOwner.FileCache || owner == PageOwner.Shmem) file += nr;
                    if (owner == PageOwner.Anon) anon += nr;
                    if (owner == PageOwner.SlabReclaimable) slab += nr;
                    if ((f & (uint)PageFlags.Dirty) != 0 && owner == PageOwner.FileCache) dirty += nr;
                    if ((f & (uint)PageFlags.Writeback) != 0) writeback += nr;
                }
                Assert.True(file > 0 && anon > 0 && dirty > 0, z.ZoneName + " holds each kind of page");
                Assert.Equal(file, Stat(z, "nr_file_pages"));
                Assert.Equal(anon, Stat(z, "nr_anon_pages"));
                Assert.Equal(slab, Stat(z, "nr_slab_reclaimable"));
                Assert.Equal(dirty, Stat(z, "nr_dirty"));
                Assert.Equal(writeback, Stat(z, "nr_writeback"));
                Assert.Equal(zone.Stat[(int)ZoneStatItem.NrZoneInactiveFile], Stat(z, "nr_inactive_file"));
                Assert.Equal(zone.PagesScanned, Stat(z, "nr_pages_scanned"));
                Assert.Equal(z.Scanned, Stat(z, "nr_pages_scanned"));
            }
            var mi = NodeViews.MemInfo(node).Entries.ToDictionary(e => e.Name, e => e.Value);
            Assert.Equal(vm["nr_file_pages"] * 4, mi["Cached"]);
            Assert.Equal(vm["nr_dirty"] * 4, mi["Dirty"]);
            ReclaimTestKit.AssertClean(node);
        }

        [Fact]
        public void Allocstall_IsOneCounter_ThatEachDirectReclaimIncrements_AndKswapdDoesNot()
        {
            var node = Node44();
            ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            Assert.Equal(0, Values(NodeViews.VmStat(node))["allocstall"]);
            Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL);
            Assert.Equal(1, Values(NodeViews.VmStat(node))["allocstall"]);
            Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL);
            var vm = Values(NodeViews.VmStat(node));
            Assert.Equal(2, vm["allocstall"]);
            Assert.True(vm["pgsteal_direct_dma"] + vm["pgsteal_direct_normal"] >= 64);
            Assert.Equal(0, vm["pgscan_kswapd_dma"] + vm["pgscan_kswapd_normal"]);
        }

        /// <summary>zone_reclaimable (mm/vmscan.c, 4.4): a zone is all_unreclaimable once reclaim scanned six times its
        /// reclaimable pages without a page coming back to it; free_pcppages_bulk resets the count.</summary>
        [Fact]
        public void Scanned_GrowsWithFruitlessReclaim_AllUnreclaimableAtSixTimes_ResetByAFree()
        {
            var node = Node44(512L << 20);
            var handles = ReclaimTestKit.Fill(node, PageOwner.FileCache, long.MaxValue);
            var pages = node.Pages;
            for (int i = 0; i < pages.NrPages; i++)
                if ((pages.Flags[i] & (uint)PageFlags.Lru) != 0) pages.ExtraRefs[i] = 1; // pinned: scanned, never reclaimed
            var dma = node.GetZone(ZoneType.DMA);
            ZoneInfoZone Dma() => NodeViews.ZoneInfo(node).Zones.Single(z => z.ZoneName == "DMA");
            Assert.Equal(0, Dma().Scanned);
            Assert.False(Dma().Detail!.NodeUnreclaimable);

            Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL);
            long reclaimable = Vmscan.ZoneReclaimablePages(node, dma);
            Assert.True(Dma().Scanned > 0 && Dma().Scanned < 6 * reclaimable, $"scanned {Dma().Scanned} of {reclaimable}");
            Assert.Contains("  all_unreclaimable: 0\n", NodeViews.ZoneInfo(node).ToKernelText());
            for (int round = 0; round < 20 && Dma().Scanned < 6 * reclaimable; round++)
                Vmscan.TryToFreePages(node, 0, GfpFlags.GFP_KERNEL);
            Assert.True(Dma().Scanned >= 6 * reclaimable);
            Assert.Equal(dma.PagesScanned, Dma().Scanned);
            Assert.True(Dma().Detail!.NodeUnreclaimable);
            Assert.Contains("  all_unreclaimable: 1\n", NodeViews.ZoneInfo(node).ToKernelText());

            PageAllocator.Free(node, handles[0]);
            PageAllocator.DrainAllPages(node);
            Assert.Equal(0, Dma().Scanned);
            Assert.False(Dma().Detail!.NodeUnreclaimable);
            Assert.Matches(@"\n        scanned  0\n", NodeViews.ZoneInfo(node).ToKernelText());
        }

        /// <summary>meminfo_proc_show of 4.4 with CMA, THP and hugetlb: no ShmemHugePages/ShmemPmdMapped (4.8), no
        /// HardwareCorrupted (arm64 4.4 has no MEMORY_FAILURE); VmallocTotal from 4.4's layout with 48-bit VAs:
        /// PAGE_OFFSET − PUD_SIZE − VMEMMAP_SIZE (2^42) − 64K − VA_START.</summary>
        [Fact]
        public void MemInfo_HasThe44Fields_AndItsVmallocTotal()
        {
            var mi = NodeViews.MemInfo(Node44(512L << 20));
            Assert.Equal(new[]
            {
                "MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapCached", "Active", "Inactive", "Active(anon)",
                "Inactive(anon)", "Active(file)", "Inactive(file)", "Unevictable", "Mlocked", "SwapTotal", "SwapFree", "Dirty",
                "Writeback", "AnonPages", "Mapped", "Shmem", "Slab", "SReclaimable", "SUnreclaim", "KernelStack", "PageTables",
                "NFS_Unstable", "Bounce", "WritebackTmp", "CommitLimit", "Committed_AS", "VmallocTotal", "VmallocUsed",
                "VmallocChunk", "AnonHugePages", "CmaTotal", "CmaFree", "HugePages_Total", "HugePages_Free", "HugePages_Rsvd",
                "HugePages_Surp", "Hugepagesize",
            }, mi.Entries.Select(e => e.Name));
            Assert.Contains("VmallocTotal:   133142937536 kB\n", mi.ToKernelText());
        }

        /// <summary>buddyinfo, pagetypeinfo and the extfrag files print in 4.4 exactly as in 4.14 (frag_show_print and
        /// pagetypeinfo_show are the same there): the same node state gives the same bytes.</summary>
        [Fact]
        public void BuddyInfoAndPageTypeInfo_PrintAs414()
        {
            var n44 = Node44(512L << 20);
            var n414 = new MemNode(new NodeConfig { SizeBytes = 512L << 20, CmaBytes = 0, Kernel = KernelProfile.Linux414 });
            Assert.Equal(NodeViews.BuddyInfo(n414).ToKernelText(), NodeViews.BuddyInfo(n44).ToKernelText());
            Assert.Equal(NodeViews.PageTypeInfo(n414).ToKernelText(), NodeViews.PageTypeInfo(n44).ToKernelText());
        }
    }
}
