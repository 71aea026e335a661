using System.Collections.Generic;
using System.Linq;
using CsCheck;
using MemMgmt.Core.Stats;
using Xunit;

namespace MemMgmt.Core.Tests.Stats
{
    /// <summary>Random models render to text that parses back to the same text, in every layout.</summary>
    public class RoundTripPropertyTests
    {
        private static readonly string[] Zones = { "DMA", "DMA32", "Normal", "Movable", "Device" };
        private static readonly string[] Types = { "Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate" };
        private static readonly Gen<long> Count = Gen.Frequency((6, Gen.Long[0, 999]), (2, Gen.Long[0, 200000]), (1, Gen.Long[0, long.MaxValue / 4]));

        [Fact]
        public void BuddyInfoRoundTrips()
        {
            Gen.Select(Gen.Int[1, 14], Gen.Int[1, 3], Gen.Int[1, 5]).SelectMany((orders, nodes, zones) =>
                Count.Array[orders].Array[nodes * zones].Select(counts =>
                    new BuddyInfo(Enumerable.Range(0, nodes * zones).Select(i => new BuddyInfoRow(i / zones, Zones[i % zones], counts[i])))))
                .Sample(b =>
                {
                    string text = b.ToKernelText();
                    return BuddyInfo.Parse(text).ToKernelText() == text;
                });
        }

        [Fact]
        public void PageTypeInfoRoundTripsCappedAndExact()
        {
            Gen.Select(Gen.Int[1, 12], Gen.Int[1, 6], Gen.Int[1, 2], Gen.Int[1, 4], Gen.Bool).SelectMany((orders, types, nodes, zones, cap) =>
                Gen.Select(Count.Array[orders].Array[nodes * zones * types], Count.Array[types].Array[nodes * zones]).Select((free, blocks) =>
                {
                    var freeRows = new List<PageTypeFreeRow>();
                    var blockRows = new List<PageTypeBlockRow>();
                    for (int nz = 0; nz < nodes * zones; nz++)
                    {
                        for (int t = 0; t < types; t++)
                            freeRows.Add(new PageTypeFreeRow(nz / zones, Zones[nz % zones], Types[t], free[nz * types + t]));
                        blockRows.Add(new PageTypeBlockRow(nz / zones, Zones[nz % zones], blocks[nz]));
                    }

                    return new PageTypeInfo(9, 512, orders, Types.Take(types), freeRows, blockRows, cap);
                }))
                .Sample(p =>
                {
                    string text = p.ToKernelText();
                    PageTypeInfo back = PageTypeInfo.Parse(text, defaultCap: p.CapFreeCounts);
                    return back.ToKernelText() == text && back.FreeRows.Count == p.FreeRows.Count;
                });
        }

        [Fact]
        public void ZoneInfoRoundTripsInEveryLayout()
        {
            Gen<ZonePageset> pageset = Gen.Select(Gen.Int[0, 7], Gen.Int[-5, 100000], Gen.Int[0, 100000], Gen.Int[0, 1000], Gen.Int[0, 125].Nullable())
                .Select((cpu, count, high, batch, th) => new ZonePageset(cpu, count, high, batch, th, high / 2, high * 10));
            Gen<ProcStatEntry> stat = Gen.Select(Gen.Int[0, VmStatItems.AllVmStatNames(KernelTextFormat.V6_1).Count - 1], Count)
                .Select((i, v) => new ProcStatEntry(VmStatItems.AllVmStatNames(KernelTextFormat.V6_1)[i], v));
            Gen<ZoneInfoZone[]> nodeZones = Gen.Select(Gen.Int[1, 5], Gen.Int[0, 4].Array[5], Count.Array[10], Gen.Long[-10, 100000].Array[5])
                .SelectMany((nz, populatedMask, f, prot) =>
                    Gen.Select(stat.Array[0, 30], stat.Array[0, 30], pageset.Array[0, 4]).Select((nodeStats, zoneStats, psets) =>
                    {
                        var zones = new ZoneInfoZone[nz];
                        bool first = true;
                        for (int z = 0; z < nz; z++)
                        {
                            bool populated = populatedMask[z] != 0;
                            long present = populated ? f[6] + 1 : 0;
                            zones[z] = new ZoneInfoZone(0, Zones[z], f[0], f[1], f[2], f[3], f[4], present, f[5], prot.Take(nz),
                                nodeStats: populated && first ? nodeStats : null,
                                detail: populated ? new ZoneInfoDetail(zoneStats, psets, f[7] % 2 == 0, f[8]) : null,
                                boost: f[9], promo: f[1] + 1, cma: f[2]);
                            if (populated) first = false;
                        }

                        return zones;
                    }));
            Gen.Select(nodeZones, Gen.Enum<KernelTextFormat>()).Sample((zones, format) =>
            {
                var zi = new ZoneInfo(format, zones);
                string text = zi.ToKernelText();
                // 4.4 prints populated zones only: a node without one has an empty zoneinfo, which is no text to parse.
                if (text.Length == 0) return format == KernelTextFormat.V4_4 && zones.All(z => !z.IsPopulated);
                ZoneInfo back = ZoneInfo.Parse(text);
                return back.ToKernelText() == text && back.Format == format;
            });
        }

        [Fact]
        public void MemInfoAndVmStatRoundTrip()
        {
            Gen.Long[0, long.MaxValue / 2].Array[VmStatItems.AllVmStatNames(KernelTextFormat.V4_14).Count].Sample(values =>
            {
                var names = VmStatItems.AllVmStatNames(KernelTextFormat.V4_14);
                var vs = new VmStat(names.Select((n, i) => new ProcStatEntry(n, values[i])));
                var mi = new MemInfo(names.Take(20).Select((n, i) => new MemInfoEntry(n, values[i])).Concat(new[]
                {
                    new MemInfoEntry("HardwareCorrupted", values[20] % 1000000),
                    new MemInfoEntry("HugePages_Total", values[21] % 100000000),
                }));
                return VmStat.Parse(vs.ToKernelText()).ToKernelText() == vs.ToKernelText()
                    && MemInfo.Parse(mi.ToKernelText()).ToKernelText() == mi.ToKernelText();
            });
        }
    }
}
