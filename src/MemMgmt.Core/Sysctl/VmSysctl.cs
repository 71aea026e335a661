using System;
using System.Collections.Generic;
using System.Globalization;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Sysctl
{
    /// <summary>The /proc/sys/vm knobs the simulation reads, with the kernel's ranges and write handlers.</summary>
    public sealed class VmSysctl
    {
        internal int MinFreeKbytes;
        /// <summary>user_min_free_kbytes: -1 until written; then the boot rule no longer raises it.</summary>
        internal int UserMinFreeKbytes = -1;
        internal int WatermarkScaleFactor = 10;
        internal int[] LowmemReserveRatio;
        internal int ExtfragThreshold = 500;
        internal int Swappiness = 60;
        internal int CompactUnevictableAllowed = 1;
        internal int PercpuPagelistFraction;
        internal int VfsCachePressure = 100;
        internal int DirtyRatio = 20;
        internal int DirtyBackgroundRatio = 10;
        /// <summary>vm_dirty_bytes: 0 (use the ratio) until written.</summary>
        internal long DirtyBytes;
        /// <summary>dirty_background_bytes: 0 (use the ratio) until written.</summary>
        internal long DirtyBackgroundBytes;
        /// <summary>dirty_expire_interval, centiseconds.</summary>
        internal int DirtyExpireCentisecs = 3000;
        /// <summary>dirty_writeback_interval, centiseconds (0 disables periodic writeback).</summary>
        internal int DirtyWritebackCentisecs = 500;
        internal int CompactMemory;
        /// <summary>vm.drop_caches as last written (reads return it, as the kernel's sysctl does).</summary>
        internal int DropCaches;
        /// <summary>h->max_huge_pages: what the last write of vm.nr_hugepages left the pool at (reads show it).</summary>
        internal long MaxHugePages;
        /// <summary>sysctl_compaction_proactiveness (6.1, default 20); only profiles that have it accept it.</summary>
        internal int CompactionProactiveness = 20;
        /// <summary>watermark_boost_factor (6.1, default 15000): the most a zone's watermarks are boosted, in 1/10000 of
        /// its high watermark; 0 turns boosting off.</summary>
        internal int WatermarkBoostFactor = 15000;
        /// <summary>percpu_pagelist_high_fraction (6.1, default 0: pcp->high from the low watermark).</summary>
        internal int PercpuPagelistHighFraction;

        internal VmSysctl(KernelProfile kernel)
        {
            LowmemReserveRatio = new int[kernel.DefaultLowmemReserveRatio.Count];
            for (int i = 0; i < LowmemReserveRatio.Length; i++) LowmemReserveRatio[i] = kernel.DefaultLowmemReserveRatio[i];
        }

        internal VmSysctl Clone()
        {
            var c = (VmSysctl)MemberwiseClone();
            c.LowmemReserveRatio = (int[])LowmemReserveRatio.Clone();
            return c;
        }

        /// <summary>The knobs' values; the write hooks are the node's own and are registered again on load.</summary>
        internal void Write(SnapshotWriter w)
        {
            w.Int(MinFreeKbytes); w.Int(UserMinFreeKbytes); w.Int(WatermarkScaleFactor); w.Array(LowmemReserveRatio);
            w.Int(ExtfragThreshold); w.Int(Swappiness); w.Int(CompactUnevictableAllowed); w.Int(PercpuPagelistFraction);
            w.Int(VfsCachePressure); w.Int(DirtyRatio); w.Int(DirtyBackgroundRatio); w.Long(DirtyBytes); w.Long(DirtyBackgroundBytes);
            w.Int(DirtyExpireCentisecs); w.Int(DirtyWritebackCentisecs); w.Int(CompactMemory); w.Int(DropCaches);
            w.Long(MaxHugePages); w.Int(CompactionProactiveness); w.Int(WatermarkBoostFactor); w.Int(PercpuPagelistHighFraction);
        }

        internal static VmSysctl Read(SnapshotReader r, KernelProfile kernel)
        {
            var s = new VmSysctl(kernel) { MinFreeKbytes = r.Int(), UserMinFreeKbytes = r.Int(), WatermarkScaleFactor = r.Int() };
            r.ArrayInto(s.LowmemReserveRatio);
            s.ExtfragThreshold = r.Int(); s.Swappiness = r.Int(); s.CompactUnevictableAllowed = r.Int(); s.PercpuPagelistFraction = r.Int();
            s.VfsCachePressure = r.Int(); s.DirtyRatio = r.Int(); s.DirtyBackgroundRatio = r.Int(); s.DirtyBytes = r.Long();
            s.DirtyBackgroundBytes = r.Long(); s.DirtyExpireCentisecs = r.Int(); s.DirtyWritebackCentisecs = r.Int();
            s.CompactMemory = r.Int(); s.DropCaches = r.Int(); s.MaxHugePages = r.Long(); s.CompactionProactiveness = r.Int();
            s.WatermarkBoostFactor = r.Int(); s.PercpuPagelistHighFraction = r.Int();
            return s;
        }

        /// <summary>One vm.* entry: its range and what writing it recomputes.</summary>
        public sealed class Entry
        {
            internal Entry(string name, long min, long max, string allowed, Func<VmSysctl, string> get,
                Action<MemNode, long[]> set, int vectorLength = 1)
                : this(name, min, max, allowed, get, (n, v, writerCpu) => set(n, v), vectorLength) { }

            /// <summary>An entry whose handler does its work on the writing task's CPU (its per-cpu lists, kswapd and kcompactd beside it).</summary>
            internal Entry(string name, long min, long max, string allowed, Func<VmSysctl, string> get,
                Action<MemNode, long[], int> set, int vectorLength = 1)
            {
                Name = name; Min = min; Max = max; Allowed = allowed; Get = get; Set = set; VectorLength = vectorLength;
            }

            public string Name { get; }
            public long Min { get; }
            public long Max { get; }
            /// <summary>Human text of the allowed values, used in error messages and help.</summary>
            public string Allowed { get; }
            public int VectorLength { get; }
            internal Func<VmSysctl, string> Get { get; }
            /// <summary>The handler: node, values, the writing task's CPU.</summary>
            internal Action<MemNode, long[], int> Set { get; }
        }

        private static readonly List<Entry> Table = new List<Entry>
        {
            // kernel: min_free_kbytes_sysctl_handler (mm/page_alloc.c, 4.14): remember the user's value, recompute watermarks.
            new Entry("min_free_kbytes", 0, int.MaxValue, "an integer from 0 to 2147483647",
                s => s.MinFreeKbytes.ToString(CultureInfo.InvariantCulture),
                (n, v) => { n.Sysctl.MinFreeKbytes = (int)v[0]; n.Sysctl.UserMinFreeKbytes = (int)v[0]; n.Sysctl.OnWatermarksChanged?.Invoke(n); }),
            // kernel: watermark_scale_factor_sysctl_handler, extra1 one, extra2 one_thousand (4.14).
            new Entry("watermark_scale_factor", 1, 1000, "an integer from 1 to 1000",
                s => s.WatermarkScaleFactor.ToString(CultureInfo.InvariantCulture),
                (n, v) => { n.Sysctl.WatermarkScaleFactor = (int)v[0]; n.Sysctl.OnWatermarksChanged?.Invoke(n); }),
            new Entry("lowmem_reserve_ratio", int.MinValue, int.MaxValue, "one integer per zone below the highest (values below 1 act as 1)",
                s => string.Join("\t", Array.ConvertAll(s.LowmemReserveRatio, x => x.ToString(CultureInfo.InvariantCulture))),
                (n, v) => { for (int i = 0; i < v.Length; i++) n.Sysctl.LowmemReserveRatio[i] = (int)v[i]; n.Sysctl.OnLowmemReserveChanged?.Invoke(n); },
                vectorLength: -1),
            new Entry("extfrag_threshold", 0, 1000, "an integer from 0 to 1000",
                s => s.ExtfragThreshold.ToString(CultureInfo.InvariantCulture), (n, v) => n.Sysctl.ExtfragThreshold = (int)v[0]),
            new Entry("swappiness", 0, 100, "an integer from 0 to 100",
                s => s.Swappiness.ToString(CultureInfo.InvariantCulture), (n, v) => n.Sysctl.Swappiness = (int)v[0]),
            new Entry("compact_unevictable_allowed", 0, 1, "0 or 1",
                s => s.CompactUnevictableAllowed.ToString(CultureInfo.InvariantCulture), (n, v) => n.Sysctl.CompactUnevictableAllowed = (int)v[0]),
            // kernel: percpu_pagelist_fraction_sysctl_handler (4.14): 0, or at least MIN_PERCPU_PAGELIST_FRACTION (8).
            new Entry("percpu_pagelist_fraction", 0, int.MaxValue, "0 (kernel default batch/high) or an integer of at least 8",
                s => s.PercpuPagelistFraction.ToString(CultureInfo.InvariantCulture),
                (n, v) => { n.Sysctl.PercpuPagelistFraction = (int)v[0]; n.Sysctl.OnPagesetsChanged?.Invoke(n); }),
            new Entry("vfs_cache_pressure", 0, int.MaxValue, "an integer of at least 0",
                s => s.VfsCachePressure.ToString(CultureInfo.InvariantCulture), (n, v) => n.Sysctl.VfsCachePressure = (int)v[0]),
            // kernel: dirty_ratio_handler (mm/page-writeback.c, 4.14): a changed ratio zeroes vm_dirty_bytes.
            new Entry("dirty_ratio", 0, 100, "an integer from 0 to 100",
                s => s.DirtyRatio.ToString(CultureInfo.InvariantCulture),
                (n, v) => { int old = n.Sysctl.DirtyRatio; n.Sysctl.DirtyRatio = (int)v[0]; if (n.Sysctl.DirtyRatio != old) n.Sysctl.DirtyBytes = 0; }),
            // kernel: dirty_bytes_handler (4.14): extra1 dirty_bytes_min (2 pages); a changed value zeroes vm_dirty_ratio.
            new Entry("dirty_bytes", 0, long.MaxValue, "an integer of at least two pages, in bytes (8192 with 4 KiB pages)",
                s => s.DirtyBytes.ToString(CultureInfo.InvariantCulture),
                (n, v) => { long old = n.Sysctl.DirtyBytes; n.Sysctl.DirtyBytes = v[0]; if (v[0] != old) n.Sysctl.DirtyRatio = 0; }),
            // kernel: dirty_background_ratio_handler (4.14): any write zeroes dirty_background_bytes.
            new Entry("dirty_background_ratio", 0, 100, "an integer from 0 to 100",
                s => s.DirtyBackgroundRatio.ToString(CultureInfo.InvariantCulture),
                (n, v) => { n.Sysctl.DirtyBackgroundRatio = (int)v[0]; n.Sysctl.DirtyBackgroundBytes = 0; }),
            // kernel: dirty_background_bytes_handler (4.14): extra1 one_ul; any write zeroes dirty_background_ratio.
            new Entry("dirty_background_bytes", 1, long.MaxValue, "an integer of at least 1 (bytes)",
                s => s.DirtyBackgroundBytes.ToString(CultureInfo.InvariantCulture),
                (n, v) => { n.Sysctl.DirtyBackgroundBytes = v[0]; n.Sysctl.DirtyBackgroundRatio = 0; }),
            // kernel: proc_dointvec_minmax with extra1 zero (kernel/sysctl.c, 4.14).
            new Entry("dirty_expire_centisecs", 0, int.MaxValue, "an integer from 0 to 2147483647 (centiseconds)",
                s => s.DirtyExpireCentisecs.ToString(CultureInfo.InvariantCulture), (n, v) => n.Sysctl.DirtyExpireCentisecs = (int)v[0]),
            // kernel: dirty_writeback_centisecs_handler (4.14) is plain proc_dointvec; negative values, which the kernel
            // stores as a huge unsigned interval, are refused here. 0 disables periodic (kupdate) writeback.
            new Entry("dirty_writeback_centisecs", 0, int.MaxValue, "an integer from 0 to 2147483647 (centiseconds; 0 disables periodic writeback)",
                s => s.DirtyWritebackCentisecs.ToString(CultureInfo.InvariantCulture), (n, v) => n.Sysctl.DirtyWritebackCentisecs = (int)v[0]),
            // kernel: sysctl_compaction_handler (mm/compaction.c, 4.14): mode 0200; any write compacts every node.
            new Entry("compact_memory", int.MinValue, int.MaxValue, "any integer (writing it compacts every zone of the node, as compact_nodes does)",
                s => s.CompactMemory.ToString(CultureInfo.InvariantCulture),
                (n, v, writerCpu) => { n.Sysctl.CompactMemory = (int)v[0]; n.Compaction.LastCompactMemory = Compaction.CompactionCommands.CompactMemory(n, writerCpu); }),
            // kernel: drop_caches_sysctl_handler (fs/drop_caches.c, 4.14): extra1 one, extra2 four; the write acts.
            new Entry("drop_caches", 1, 4, "an integer from 1 to 4 (1 page cache, 2 slab, 3 both, 4 quiet)",
                s => s.DropCaches.ToString(CultureInfo.InvariantCulture), (n, v) => Reclaim.DropCaches.Drop(n, (int)v[0])),
            // kernel: hugetlb_sysctl_handler (mm/hugetlb.c, 4.14): proc_doulongvec_minmax without bounds, then
            // set_max_huge_pages; a count beyond memory is accepted and the pool grows until an allocation fails.
            new Entry("nr_hugepages", 0, long.MaxValue, "an integer of at least 0 (huge pages in the pool; the pool grows until an allocation fails)",
                s => s.MaxHugePages.ToString(CultureInfo.InvariantCulture),
                (n, v, writerCpu) => n.Sysctl.MaxHugePages = Hugetlb.HugetlbPool.SetMaxHugePages(n, v[0], writerCpu)),
            // kernel: vm_table compaction_proactiveness (kernel/sysctl.c, 6.1): proc_dointvec_minmax, 0 to 100, then
            // compaction_proactiveness_sysctl_handler wakes kcompactd for a proactive check when the value is not 0.
            new Entry("compaction_proactiveness", 0, 100, "an integer from 0 to 100 (0 turns proactive compaction off)",
                s => s.CompactionProactiveness.ToString(CultureInfo.InvariantCulture),
                (n, v) => { n.Sysctl.CompactionProactiveness = (int)v[0]; Compaction.CompactionEngine.OnProactivenessWritten(n); }),
            // kernel: vm_table watermark_boost_factor (kernel/sysctl.c, 6.1): proc_dointvec_minmax with extra1 zero, no upper
            // bound; boost_watermark reads it at the next fallback steal.
            new Entry("watermark_boost_factor", 0, int.MaxValue, "an integer from 0 to 2147483647 (1/10000 of the high watermark; 0 turns boosting off)",
                s => s.WatermarkBoostFactor.ToString(CultureInfo.InvariantCulture), (n, v) => n.Sysctl.WatermarkBoostFactor = (int)v[0]),
            // kernel: percpu_pagelist_high_fraction_sysctl_handler (mm/page_alloc.c, 6.1): 0, or at least
            // MIN_PERCPU_PAGELIST_HIGH_FRACTION (8); a changed value resizes every populated zone's pagesets.
            new Entry("percpu_pagelist_high_fraction", 0, int.MaxValue, "0 (pcp high from the low watermark) or an integer of at least 8",
                s => s.PercpuPagelistHighFraction.ToString(CultureInfo.InvariantCulture),
                (n, v) =>
                {
                    if (n.Sysctl.PercpuPagelistHighFraction == (int)v[0]) return;
                    n.Sysctl.PercpuPagelistHighFraction = (int)v[0];
                    n.Sysctl.OnPagesetsChanged?.Invoke(n);
                }),
        };

        /// <summary>Whether the node's kernel has the entry: some exist only in some profiles, and vm.nr_hugepages only with
        /// CONFIG_HUGETLB_PAGE.</summary>
        public static bool Exists(MemNode node, Entry e)
        {
            if (e.Name == "nr_hugepages") return node.Geometry.HugeTlb;
            return !ProfileOnly(e.Name) || node.Kernel.HasSysctl(e.Name);
        }

        /// <summary>True for entries some profile lists in KernelProfile.Sysctls: those exist only where listed.</summary>
        private static bool ProfileOnly(string name)
        {
            foreach (var k in KernelProfile.All) if (k.HasSysctl(name)) return true;
            return false;
        }

        /// <summary>Rejects an entry the node's kernel does not have (its /proc/sys/vm has no such file).</summary>
        public static void CheckExists(MemNode node, Entry e)
        {
            if (Exists(node, e)) return;
            string why = e.Name == "nr_hugepages" ? "the node was made without hugetlb (-HugeTlb:$false)"
                : $"kernel {node.Kernel.Version} has no such sysctl; it exists in kernel {string.Join(", ", ProfilesWith(e.Name))}";
            throw new MemMgmtException("SysctlNotInKernel", ErrorKind.ObjectNotFound,
                $"vm.{e.Name} does not exist on node '{node.Name}': {why}.", e.Name);
        }

        /// <summary>percpu_pagelist_fraction (4.14) and percpu_pagelist_high_fraction (6.1) refuse 1 to 7.</summary>
        private static bool IsPagelistFraction(string name) => name == "percpu_pagelist_fraction" || name == "percpu_pagelist_high_fraction";

        private static IEnumerable<string> ProfilesWith(string name)
        {
            foreach (var k in KernelProfile.All) if (k.HasSysctl(name)) yield return k.Version;
        }

        /// <summary>Hooks the subsystems register so a write recomputes what depends on it.</summary>
        internal Action<MemNode>? OnWatermarksChanged;
        internal Action<MemNode>? OnLowmemReserveChanged;
        internal Action<MemNode>? OnPagesetsChanged;

        public static IReadOnlyList<Entry> Entries => Table;

        public static IEnumerable<string> Names
        {
            get { foreach (var e in Table) yield return "vm." + e.Name; }
        }

        /// <summary>Finds an entry by "vm.name", "name" or "/proc/sys/vm/name".</summary>
        public static Entry Find(string name)
        {
            string key = name.Trim();
            if (key.StartsWith("/proc/sys/vm/", StringComparison.Ordinal)) key = key.Substring(13);
            else if (key.StartsWith("vm.", StringComparison.Ordinal)) key = key.Substring(3);
            foreach (var e in Table) if (e.Name == key) return e;
            throw new MemMgmtException("UnknownSysctl", ErrorKind.ObjectNotFound,
                $"'{name}' is not a simulated vm sysctl; known: {string.Join(", ", Names)}.", name);
        }

        public string Read(string name) => Find(name).Get(this);

        /// <summary>Validates the whole value first, then applies it: a rejected write changes nothing. The writing task
        /// runs on <paramref name="writerCpu"/>.</summary>
        public static void Write(MemNode node, string name, string value, int writerCpu = 0)
        {
            var e = Find(name);
            CheckExists(node, e);
            if (writerCpu < 0 || writerCpu >= node.NrCpus)
                throw new MemMgmtException("CpuOutOfRange", ErrorKind.OutOfRange, $"Cpu {writerCpu} is out of range; the node has CPUs 0 to {node.NrCpus - 1}.", writerCpu);
            string[] parts = value.Split(new[] { ' ', '\t', ',' }, StringSplitOptions.RemoveEmptyEntries);
            int expected = e.VectorLength == -1 ? node.Sysctl.LowmemReserveRatio.Length : e.VectorLength;
            if (parts.Length == 0 || parts.Length > expected || (e.VectorLength == 1 && parts.Length != 1))
                throw new MemMgmtException("SysctlValueInvalid", ErrorKind.InvalidArgument,
                    $"vm.{e.Name} takes {(expected == 1 ? "one value" : $"up to {expected} values")}: {e.Allowed}; got '{value}'.", value);
            var values = new long[parts.Length];
            for (int i = 0; i < parts.Length; i++)
            {
                if (!long.TryParse(parts[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
                    throw new MemMgmtException("SysctlValueInvalid", ErrorKind.InvalidArgument,
                        $"vm.{e.Name} must be {e.Allowed}; '{parts[i]}' is not an integer.", value);
                if (v < e.Min || v > e.Max || (IsPagelistFraction(e.Name) && v > 0 && v < 8)
                    || (e.Name == "dirty_bytes" && v < 2L * node.Geometry.PageSize))
                    throw new MemMgmtException("SysctlValueOutOfRange", ErrorKind.OutOfRange,
                        $"vm.{e.Name} must be {(e.Name == "dirty_bytes" ? $"an integer of at least {2L * node.Geometry.PageSize} (two pages, in bytes)" : e.Allowed)}; {v} is out of range.", value);
                values[i] = v;
            }
            e.Set(node, values, writerCpu);
        }
    }
}
