using System;
using System.Collections.Generic;
using System.Text;
using CsCheck;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using MemMgmt.Core.Sysctl;
using Xunit;

namespace MemMgmt.Core.Tests.Properties
{
    /// <summary>One raw step: the fields are decoded against the node the sequence runs on.</summary>
    public readonly struct Op
    {
        public readonly int Kind, A, B, C;
        public Op(int kind, int a, int b, int c) { Kind = kind; A = a; B = b; C = c; }
        public override string ToString() => $"({Kind},{A},{B},{C})";
    }

    /// <summary>Small nodes the sequences run on: 4K and 16K pages, with and without CMA, one or two zones,
    /// hugetlb off (pageblock order 10) and mobility grouping disabled.</summary>
    internal static class SmallNodes
    {
        public static readonly NodeConfig[] Configs =
        {
            new NodeConfig { Name = "16M-4K", SizeBytes = 16 * NodeConfig.MiB, CmaBytes = 0, ReservedPages = 37, Seed = 1 },
            new NodeConfig { Name = "32M-4K-cma", SizeBytes = 32 * NodeConfig.MiB, CmaBytes = 4 * NodeConfig.MiB, ReservedPages = 100, Seed = 2 },
            new NodeConfig { Name = "64M-4K-cma-1cpu", SizeBytes = 64 * NodeConfig.MiB, CmaBytes = 8 * NodeConfig.MiB, ReservedPages = 0, Cpus = 1, Seed = 3 },
            new NodeConfig { Name = "64M-16K", SizeBytes = 64 * NodeConfig.MiB, PageSize = 16384, CmaBytes = 0, ReservedPages = 5, Seed = 4 },
            new NodeConfig { Name = "64M-16K-cma", SizeBytes = 64 * NodeConfig.MiB, PageSize = 16384, CmaBytes = 32 * NodeConfig.MiB, ReservedPages = 0, Seed = 5 },
            new NodeConfig
            {
                Name = "64M-4K-dma+normal-cma", SizeBytes = 64 * NodeConfig.MiB, CmaBytes = 4 * NodeConfig.MiB, ReservedPages = 64, Seed = 6,
                ZoneLayout = new[]
                {
                    new KeyValuePair<ZoneType, long>(ZoneType.DMA, 16 * NodeConfig.MiB),
                    new KeyValuePair<ZoneType, long>(ZoneType.Normal, 48 * NodeConfig.MiB),
                },
            },
            new NodeConfig { Name = "32M-4K-nohugetlb", SizeBytes = 32 * NodeConfig.MiB, HugeTlb = false, CmaBytes = 0, ReservedPages = 3, Cpus = 3, Seed = 7 },
            new NodeConfig { Name = "16M-4K-nomobility", SizeBytes = 16 * NodeConfig.MiB, CmaBytes = 4 * NodeConfig.MiB, ReservedPages = 10, DisableMobilityGrouping = true, Seed = 8 },
        };

        public static readonly GfpFlags[] Gfps =
        {
            GfpFlags.GFP_KERNEL,
            GfpFlags.GFP_HIGHUSER_MOVABLE,
            GfpFlags.GFP_KERNEL | GfpFlags.__GFP_RECLAIMABLE,
            GfpFlags.GFP_ATOMIC,
            GfpFlags.GFP_ATOMIC | GfpFlags.__GFP_COMP,
            GfpFlags.GFP_KERNEL | GfpFlags.__GFP_DMA,
            GfpFlags.GFP_NOWAIT | GfpFlags.__GFP_MOVABLE,
            GfpFlags.GFP_TRANSHUGE_LIGHT,
            GfpFlags.GFP_USER,
            GfpFlags.GFP_ATOMIC | GfpFlags.__GFP_NOMEMALLOC,
        };

        public static readonly PageOwner?[] Owners =
        {
            null, PageOwner.Anon, PageOwner.FileCache, PageOwner.Shmem, PageOwner.SlabReclaimable,
            PageOwner.SlabUnmovable, PageOwner.PageTable, PageOwner.Kernel, PageOwner.HugeTlb,
        };

        /// <summary>(sysctl, value, valid?) — valid values from the kernel handlers' ranges, invalid ones just outside
        /// them or malformed.</summary>
        public static readonly (string Name, string Value, bool Valid)[] SysctlWrites =
        {
            ("vm.min_free_kbytes", "0", true), ("vm.min_free_kbytes", "128", true), ("vm.min_free_kbytes", "1024", true),
            ("vm.min_free_kbytes", "8192", true), ("vm.min_free_kbytes", "65536", true), ("vm.min_free_kbytes", "2147483647", true),
            ("vm.min_free_kbytes", "-1", false), ("vm.min_free_kbytes", "abc", false), ("vm.min_free_kbytes", "", false),
            ("vm.min_free_kbytes", "1 2", false), ("vm.min_free_kbytes", "4096.5", false), ("vm.min_free_kbytes", "2147483648", false),
            ("vm.watermark_scale_factor", "1", true), ("vm.watermark_scale_factor", "10", true),
            ("vm.watermark_scale_factor", "500", true), ("vm.watermark_scale_factor", "1000", true),
            ("vm.watermark_scale_factor", "0", false), ("vm.watermark_scale_factor", "1001", false),
            ("vm.watermark_scale_factor", "-5", false), ("vm.watermark_scale_factor", "x", false),
            ("vm.lowmem_reserve_ratio", "256 32", true), ("vm.lowmem_reserve_ratio", "1 1", true), ("vm.lowmem_reserve_ratio", "0 0", true),
            ("vm.lowmem_reserve_ratio", "100", true), ("vm.lowmem_reserve_ratio", "2147483647 2147483647", true), ("vm.lowmem_reserve_ratio", "-3 7", true),
            ("vm.lowmem_reserve_ratio", "1 2 3", false), ("vm.lowmem_reserve_ratio", "a b", false), ("vm.lowmem_reserve_ratio", "", false),
            ("vm.lowmem_reserve_ratio", "1 9999999999", false),
            ("vm.percpu_pagelist_fraction", "0", true), ("vm.percpu_pagelist_fraction", "8", true),
            ("vm.percpu_pagelist_fraction", "100", true), ("vm.percpu_pagelist_fraction", "2147483647", true),
            ("vm.percpu_pagelist_fraction", "1", false), ("vm.percpu_pagelist_fraction", "7", false),
            ("vm.percpu_pagelist_fraction", "-1", false), ("vm.percpu_pagelist_fraction", "z", false),
        };

        public static readonly Gen<Op> GenOp =
            Gen.Select(Gen.Int[0, 99], Gen.Int[0, 1023], Gen.Int[0, 1023], Gen.Int[0, 1023], (k, a, b, c) => new Op(k, a, b, c));

        /// <summary>Everything a sysctl write may change, as text: the four knobs, watermarks, reserves, pcp sizes.</summary>
        public static string TunablesSnapshot(MemNode node)
        {
            var sb = new StringBuilder();
            foreach (var name in new[] { "min_free_kbytes", "watermark_scale_factor", "lowmem_reserve_ratio", "percpu_pagelist_fraction" })
                sb.Append(name).Append('=').Append(node.Sysctl.Read(name)).Append(';');
            foreach (var z in node.Zones)
            {
                sb.Append(z.Name).Append(':').Append(z.WatermarkMin).Append(',').Append(z.WatermarkLow).Append(',').Append(z.WatermarkHigh);
                sb.Append(" reserve ").Append(string.Join(",", z.LowmemReserve)).Append(" free ").Append(z.FreePages);
                for (int cpu = 0; cpu < z.CpuCount; cpu++)
                {
                    var p = z.GetPageset(cpu);
                    sb.Append(" pcp").Append(cpu).Append('=').Append(p.Count).Append('/').Append(p.High).Append('/').Append(p.Batch);
                }
                sb.Append(';');
            }
            return sb.ToString();
        }
    }

    /// <summary>Runs one decoded sequence on a node, checking the invariants after every step.</summary>
    internal sealed class SequenceRunner
    {
        public readonly MemNode Node;
        private readonly List<(long Handle, int Order)> _live = new List<(long, int)>();
        public int Steps, Allocs, AllocFailures, Frees, SysctlValid, SysctlRejected, Drains;

        public SequenceRunner(MemNode node) { Node = node; }

        public long LivePages
        {
            get { long s = 0; foreach (var l in _live) s += 1L << l.Order; return s; }
        }

        public void Run(Op[] ops, bool checkEveryStep)
        {
            foreach (var op in ops)
            {
                Step(op);
                Steps++;
                if (checkEveryStep) AssertConsistent(op);
            }
        }

        private void Step(Op op)
        {
            DropReclaimed();
            var node = Node;
            int kind = op.Kind;
            if (kind >= 50 && kind < 85 && _live.Count == 0) kind = 0;
            if (kind < 50)
            {
                int maxOrder = node.Geometry.MaxOrder;
                int order = op.A % 4 == 0 ? op.B % maxOrder : op.B % 4;
                var gfp = SmallNodes.Gfps[op.C % SmallNodes.Gfps.Length];
                int cpu = (op.A >> 2) % node.NrCpus;
                var owner = SmallNodes.Owners[(op.C >> 4) % SmallNodes.Owners.Length];
                var r = PageAllocator.Allocate(node, order, gfp, cpu, owner);
                Allocs++;
                if (r.Success)
                {
                    Assert.Equal(order, r.Order);
                    Assert.True(node.ContainsPfn(r.Pfn));
                    _live.Add((r.Handle, order));
                }
                else AllocFailures++;
            }
            else if (kind < 85)
            {
                int k = (op.A * 1024 + op.B) % _live.Count;
                var (handle, _) = _live[k];
                _live[k] = _live[_live.Count - 1];
                _live.RemoveAt(_live.Count - 1);
                PageAllocator.Free(node, handle, op.C % node.NrCpus);
                Frees++;
            }
            else if (kind < 97)
            {
                var (name, value, valid) = SmallNodes.SysctlWrites[(op.A * 1024 + op.B) % SmallNodes.SysctlWrites.Length];
                string before = SmallNodes.TunablesSnapshot(node);
                if (valid)
                {
                    VmSysctl.Write(node, name, value);
                    SysctlValid++;
                    if (!name.EndsWith("lowmem_reserve_ratio", StringComparison.Ordinal)) Assert.Equal(value, node.Sysctl.Read(name));
                }
                else
                {
                    Assert.Throws<MemMgmtException>(() => VmSysctl.Write(node, name, value));
                    SysctlRejected++;
                    Assert.Equal(before, SmallNodes.TunablesSnapshot(node)); // a rejected write changes nothing
                }
            }
            else
            {
                PageAllocator.DrainAllPages(node);
                Drains++;
                foreach (var z in node.Zones)
                    for (int cpu = 0; cpu < z.CpuCount; cpu++) Assert.Equal(0, z.GetPageset(cpu).Count);
            }
        }

        /// <summary>The invariant checker finds nothing, and every managed page is free, on a pcp list or allocated.</summary>
        public void AssertConsistent(Op op)
        {
            DropReclaimed();
            var v = InvariantChecker.Check(Node);
            if (v.Count != 0) Assert.Fail($"{Node.Name} after step {Steps} {op}: {string.Join("; ", v)}");
            long pcp = 0;
            foreach (var z in Node.Zones) for (int cpu = 0; cpu < z.CpuCount; cpu++) pcp += z.GetPageset(cpu).Count;
            Assert.Equal(Node.ManagedPages, Node.FreePages + pcp + LivePages);
            Assert.Equal(_live.Count, Node.Allocations.LiveCount);
        }

        /// <summary>The slow path's direct reclaim may free page-cache allocations the sequence made (their handles die,
        /// as the page leaves the page cache): forget those, so the accounting counts what is still allocated.</summary>
        private void DropReclaimed()
        {
            _live.RemoveAll(l => !PageAllocator.TryGetAllocation(Node, l.Handle, out _, out _));
        }

        public void FreeAllAndDrain()
        {
            DropReclaimed();
            foreach (var (handle, _) in _live) PageAllocator.Free(Node, handle);
            _live.Clear();
            PageAllocator.DrainAllPages(Node);
        }
    }

    public class BuddyProperties
    {
        private static readonly Gen<(int Config, Op[] Ops)> GenSequence =
            Gen.Select(Gen.Int[0, SmallNodes.Configs.Length - 1], SmallNodes.GenOp.Array[1, 48]);

        [Fact]
        public void RandomSequencesKeepEveryInvariantAfterEveryStep()
        {
            long steps = 0, allocs = 0, failures = 0, frees = 0, valid = 0, rejected = 0, drains = 0;
            GenSequence.Sample((config, ops) =>
            {
                var runner = new SequenceRunner(new MemNode(SmallNodes.Configs[config]));
                runner.AssertConsistent(new Op());
                runner.Run(ops, checkEveryStep: true);
                lock (GenSequence)
                {
                    steps += runner.Steps; allocs += runner.Allocs; failures += runner.AllocFailures; frees += runner.Frees;
                    valid += runner.SysctlValid; rejected += runner.SysctlRejected; drains += runner.Drains;
                }
            }, iter: 10_000);
            // The generator must really have exercised every kind of step (a property that never frees proves little).
            Assert.True(steps > 100_000, $"only {steps} steps");
            Assert.True(allocs > 30_000 && frees > 10_000 && valid > 1_000 && rejected > 1_000 && drains > 100,
                $"allocs {allocs}, frees {frees}, valid writes {valid}, rejected writes {rejected}, drains {drains}");
            Assert.True(failures > 0 && failures < allocs, $"{failures} of {allocs} allocations failed: the sequences never reach a full node or never succeed");
        }

        [Fact]
        public void FreeingEverythingAndDrainingRestoresTheBootFreeLists()
        {
            GenSequence.Sample((config, ops) =>
            {
                var cfg = SmallNodes.Configs[config];
                var runner = new SequenceRunner(new MemNode(cfg));
                runner.Run(ops, checkEveryStep: false);
                runner.AssertConsistent(new Op());
                runner.FreeAllAndDrain();
                var node = runner.Node;
                var fresh = new MemNode(cfg);
                Assert.Empty(InvariantChecker.Check(node));
                Assert.Equal(fresh.FreePages, node.FreePages);
                for (int zi = 0; zi < node.Zones.Count; zi++)
                {
                    Zone z = node.Zones[zi], f = fresh.Zones[zi];
                    Assert.Equal(f.FreePages, z.FreePages);
                    Assert.Equal(f.FreeCmaPages, z.FreeCmaPages);
                    for (int o = 0; o < node.Geometry.MaxOrder; o++) Assert.Equal(f.GetNrFree(o), z.GetNrFree(o));
                }
                // Fully merged: exactly the boot node's free blocks, pfn by pfn and order by order.
                var pages = node.Pages;
                var freshPages = fresh.Pages;
                for (int i = 0; i < pages.NrPages; i++)
                {
                    bool free = (pages.Flags[i] & (uint)PageFlags.Buddy) != 0;
                    bool freshFree = (freshPages.Flags[i] & (uint)PageFlags.Buddy) != 0;
                    if (free != freshFree || (free && pages.OrderOf(i) != freshPages.OrderOf(i)))
                        Assert.Fail($"{cfg.Name}: pfn {node.NodeStartPfn + i:x}: free {free} order {pages.OrderOf(i)}, fresh node: free {freshFree} order {freshPages.OrderOf(i)}");
                }
            }, iter: 2_000);
        }
    }
}
