using System;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Watermarks
{
    /// <summary>Boot-time and sysctl-time computation of min_free_kbytes, watermarks, lowmem_reserve and pcp sizes.</summary>
    public static class WatermarkSetup
    {
        internal static void Init(MemNode node)
        {
            RegisterHooks(node);
            SetupPagesets(node);
            InitPerZoneWmarkMin(node);
            if (node.Geometry.TransparentHugepage) SetRecommendedMinFreeKbytes(node);
        }

        internal static void RegisterHooks(MemNode node)
        {
            node.Sysctl.OnWatermarksChanged = SetupPerZoneWmarks;
            node.Sysctl.OnLowmemReserveChanged = SetupPerZoneLowmemReserve;
            node.Sysctl.OnPagesetsChanged = SetupPagesets;
        }

        /// <summary>kernel: nr_free_zone_pages (mm/page_alloc.c, 4.14): Σ (managed − high) over zones up to GFP_USER's zone.</summary>
        public static long NrFreeBufferPages(MemNode node)
        {
            long sum = 0;
            int normal = node.Kernel.ZoneIndex(ZoneType.Normal);
            for (int z = 0; z <= normal; z++)
            {
                var zone = node.ZoneArr[z];
                long size = zone.ManagedPages, high = zone.WmarkPages((int)WatermarkLevel.High);
                if (size > high) sum += size - high;
            }
            return sum;
        }

        /// <summary>kernel: init_per_zone_wmark_min (mm/page_alloc.c, 4.14): int_sqrt(lowmem_kbytes·16) clamped to [128, 65536].</summary>
        internal static void InitPerZoneWmarkMin(MemNode node)
        {
            long lowmemKbytes = NrFreeBufferPages(node) * (node.Geometry.PageSize >> 10);
            long newMin = MmConstants.IntSqrt(lowmemKbytes * 16);
            var s = node.Sysctl;
            if (newMin > s.UserMinFreeKbytes)
            {
                s.MinFreeKbytes = (int)Math.Min(65536, Math.Max(128, newMin));
            }
            SetupPerZoneWmarks(node);
            SetupPerZoneLowmemReserve(node);
        }

        /// <summary>The min_free_kbytes the boot rule gives for a lowmem size in KiB (before clamping is applied).</summary>
        public static long MinFreeKbytesFor(long lowmemKbytes) => Math.Min(65536, Math.Max(128, MmConstants.IntSqrt(lowmemKbytes * 16)));

        /// <summary>kernel: set_recommended_min_free_kbytes (mm/huge_memory.c / khugepaged.c, 4.14): two free pageblocks per zone
        /// plus MIGRATE_PCPTYPES² for fallbacks, at most 5% of lowmem, used when larger.</summary>
        internal static void SetRecommendedMinFreeKbytes(MemNode node)
        {
            long nrZones = node.Zonelist.Length;
            long pb = node.Geometry.PageblockNrPages;
            long recommended = pb * nrZones * 2;
            recommended += pb * nrZones * MigrateTypes.PcpTypes * MigrateTypes.PcpTypes;
            recommended = Math.Min(recommended, NrFreeBufferPages(node) / 20);
            recommended <<= node.Geometry.PageShift - 10;
            if (recommended > node.Sysctl.MinFreeKbytes) node.Sysctl.MinFreeKbytes = (int)recommended;
            SetupPerZoneWmarks(node);
        }

        /// <summary>kernel: __setup_per_zone_wmarks (mm/page_alloc.c, 4.14): min shares pages_min by managed size;
        /// low and high add max(min/4, managed·watermark_scale_factor/10000) once and twice; 4.4 adds min/4 and min/2
        /// (<see cref="KernelProfile.WatermarksFromMinOnly"/>) and refills the fair allocation batch to high − low.</summary>
        internal static void SetupPerZoneWmarks(MemNode node)
        {
            long pagesMin = node.Sysctl.MinFreeKbytes >> (node.Geometry.PageShift - 10);
            long lowmemPages = 0;
            foreach (var zone in node.ZoneArr) lowmemPages += zone.ManagedPages;
            foreach (var zone in node.ZoneArr)
            {
                long tmp = lowmemPages == 0 ? 0 : pagesMin * zone.ManagedPages / lowmemPages;
                // 6.1 clears any boost here (kernels without boosting never have one), so the marks are the raw ones.
                zone.WatermarkBoost = 0;
                zone.Watermark[(int)WatermarkLevel.Min] = tmp;
                if (node.Kernel.WatermarksFromMinOnly)
                {
                    zone.Watermark[(int)WatermarkLevel.Low] = tmp + (tmp >> 2);
                    zone.Watermark[(int)WatermarkLevel.High] = tmp + (tmp >> 1);
                }
                else
                {
                    tmp = Math.Max(tmp >> 2, MmConstants.MultFrac(zone.ManagedPages, node.Sysctl.WatermarkScaleFactor, 10000));
                    zone.Watermark[(int)WatermarkLevel.Low] = zone.Watermark[0] + tmp;
                    zone.Watermark[(int)WatermarkLevel.High] = zone.Watermark[0] + tmp * 2;
                }
                // 4.4 sets NR_ALLOC_BATCH to high − low here and leaves ZONE_FAIR_DEPLETED as it was.
                if (node.Kernel.FairZoneAllocation) zone.AllocBatch = zone.FullAllocBatch;
            }
            ZonePcpUpdateAfterWmarks(node);
        }

        /// <summary>kernel: setup_per_zone_wmarks (mm/page_alloc.c, 6.1): new watermarks resize every zone's pagesets
        /// (zone_pcp_update with cpu_online 0), since pcp->high follows the low watermark; 4.14 leaves them.</summary>
        internal static void ZonePcpUpdateAfterWmarks(MemNode node)
        {
            if (node.Kernel.PcpHighFromLowWatermark) SetupPagesets(node);
        }

        /// <summary>kernel: setup_per_zone_lowmem_reserve (mm/page_alloc.c, 4.14): a lower zone keeps back the managed
        /// pages of the zones above it up to the class zone, divided by its ratio (ratios below 1 become 1).</summary>
        internal static void SetupPerZoneLowmemReserve(MemNode node)
        {
            var ratio = node.Sysctl.LowmemReserveRatio;
            var zones = node.ZoneArr;
            for (int j = 0; j < zones.Length; j++)
            {
                long managed = zones[j].ManagedPages;
                zones[j].LowmemReserveArr[j] = 0;
                for (int idx = j - 1; idx >= 0; idx--)
                {
                    if (ratio[idx] < 1) ratio[idx] = 1;
                    zones[idx].LowmemReserveArr[j] = managed / ratio[idx];
                    managed += zones[idx].ManagedPages;
                }
            }
        }

        /// <summary>kernel: zone_batchsize (mm/page_alloc.c, 4.14): managed/1024 capped at 512 KiB of pages, quartered,
        /// then rounddown_pow_of_two(batch·1.5) − 1.</summary>
        public static int ZoneBatchsize(long managedPages, int pageSize) => ZoneBatchsize(managedPages, pageSize, 512 * 1024);

        /// <summary>kernel: zone_batchsize (mm/page_alloc.c, 4.14; 6.1): managed/1024 capped at <paramref name="capBytes"/> of
        /// pages (512 KiB in 4.14, SZ_1M in 6.1), quartered, then rounddown_pow_of_two(batch·1.5) − 1.</summary>
        public static int ZoneBatchsize(long managedPages, int pageSize, int capBytes)
        {
            long batch = managedPages / 1024;
            if (batch * pageSize > capBytes) batch = capBytes / pageSize;
            batch /= 4;
            if (batch < 1) batch = 1;
            return (int)(Geometry.RoundDownPowerOfTwo(batch + batch / 2) - 1);
        }

        /// <summary>kernel: zone_highsize (mm/page_alloc.c, 6.1): the low watermark (with vm.percpu_pagelist_high_fraction 0)
        /// or managed / fraction, split over the node's CPUs plus <paramref name="cpuOnline"/>, at least 4·batch.</summary>
        public static int ZoneHighsize(long lowWmarkPages, long managedPages, int highFraction, int batch, int nodeCpus, int cpuOnline = 0)
        {
            long totalPages = highFraction == 0 ? lowWmarkPages : managedPages / highFraction;
            int nrSplitCpus = nodeCpus + cpuOnline;
            if (nrSplitCpus == 0) nrSplitCpus = 1;
            long high = totalPages / nrSplitCpus;
            return (int)Math.Max(high, (long)batch << 2);
        }

        /// <summary>Every zone's pagesets from the current sysctls, as the profile computes them.</summary>
        internal static void SetupPagesets(MemNode node)
        {
            foreach (var zone in node.ZoneArr) SetupPageset(zone);
        }

        /// <summary>kernel: zone_pageset_init / pageset_set_high_and_batch (mm/page_alloc.c, 4.14); on 6.1
        /// zone_set_pageset_high_and_batch (mm/page_alloc.c, 6.1): batch from zone_batchsize, high from zone_highsize.</summary>
        internal static void SetupPageset(Zone zone)
        {
            var node = zone.NodeRef;
            int batch, high;
            if (node.Kernel.PcpHighFromLowWatermark)
            {
                batch = Math.Max(1, ZoneBatchsize(zone.ManagedPages, node.Geometry.PageSize, node.Kernel.PcpBatchCapBytes));
                high = ZoneHighsize(zone.WmarkPages((int)WatermarkLevel.Low), zone.ManagedPages, node.Sysctl.PercpuPagelistHighFraction,
                    batch, node.NrCpus);
            }
            else if (node.Sysctl.PercpuPagelistFraction > 0)
            {
                // kernel: pageset_set_high: high = managed / fraction, batch = max(1, high/4), capped at PAGE_SHIFT·8.
                high = (int)(zone.ManagedPages / node.Sysctl.PercpuPagelistFraction);
                batch = Math.Max(1, high / 4);
                if (high / 4 > node.Geometry.PageShift * 8) batch = node.Geometry.PageShift * 8;
            }
            else
            {
                // kernel: pageset_set_batch: high = 6·batch, batch = max(1, batch) (an empty zone gets high 0).
                int raw = ZoneBatchsize(zone.ManagedPages, node.Geometry.PageSize, node.Kernel.PcpBatchCapBytes);
                high = 6 * raw;
                batch = Math.Max(1, raw);
            }
            foreach (var pcp in zone.Pcp)
            {
                pcp.BatchField = batch;
                pcp.HighField = high;
                pcp.UpdateFreeHigh(zone.ReclaimActive, node.Kernel.PcpFreeScaling);
            }
        }
    }
}
