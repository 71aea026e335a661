using System;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Workloads;

namespace MemMgmt.Bench
{
    /// <summary>Small xorshift generator for the benchmark's own choices, so drawing numbers costs next to nothing.</summary>
    internal struct FastRandom
    {
        private ulong _s;

        public FastRandom(ulong seed) { _s = seed == 0 ? 0x9E3779B97F4A7C15UL : seed; }

        public ulong Next()
        {
            ulong x = _s;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            _s = x;
            return x;
        }

        /// <summary>Uniform in [0, bound) by multiply-shift (Lemire), no division.</summary>
        public int Below(int bound) => (int)(((Next() >> 32) * (ulong)bound) >> 32);
    }

    /// <summary>
    /// Order-0 alloc+free pairs as a task does them: alloc_pages(GFP_HIGHUSER_MOVABLE, 0) on one CPU through the full
    /// fast path (zonelist walk, zone_watermark_fast, rmqueue_pcplist, PGALLOC counter), then __free_pages back to the
    /// same CPU's pcp list (free_hot_cold_page, PGFREE counter).
    /// </summary>
    internal sealed class Order0Workload
    {
        public const GfpFlags Gfp = GfpFlags.GFP_HIGHUSER_MOVABLE;
        public readonly MemNode Node;

        public Order0Workload()
        {
            Node = new MemNode(new NodeConfig()); // the default node: qemu-virt-2g, 4K pages, 64 MiB CMA
        }

        /// <returns>A value depending on every page index, so nothing is optimised away.</returns>
        public int Run(int pairs)
        {
            int sink = 0;
            for (int done = 0; done < pairs; done += Chunk) sink += RunChunk(Math.Min(Chunk, pairs - done));
            return sink;
        }

        /// <summary>The loop runs in chunks so the method is called often enough for tiered compilation to reach its
        /// fully optimised (Tier1, PGO) version rather than staying in on-stack-replacement code.</summary>
        private const int Chunk = 4096;

        private int RunChunk(int pairs)
        {
            var node = Node;
            int sink = 0;
            for (int i = 0; i < pairs; i++)
            {
                int index = PageAllocator.AllocPagesIndex(node, 0, Gfp, 0);
                if (index < 0) throw new InvalidOperationException("order-0 allocation failed on a nearly empty node");
                PageAllocator.FreePagesIndex(node, index, 0, 0);
                sink += index;
            }
            return sink;
        }
    }

    /// <summary>
    /// Random mixed orders 0..10 at half occupancy: first allocate random orders until half of the managed pages are
    /// in use, then alternately free a random live allocation and allocate a random order (one operation each).
    /// GFP types rotate Movable, Movable, Unmovable, Reclaimable, so fallback stealing happens as on a real box.
    /// </summary>
    internal sealed class MixedWorkload
    {
        private static readonly GfpFlags[] GfpMix =
        {
            GfpFlags.GFP_HIGHUSER_MOVABLE, GfpFlags.GFP_HIGHUSER_MOVABLE, GfpFlags.GFP_KERNEL,
            GfpFlags.GFP_KERNEL | GfpFlags.__GFP_RECLAIMABLE,
        };

        public readonly MemNode Node;
        private readonly int _maxOrder;
        private int[] _index = new int[1 << 16];
        private byte[] _order = new byte[1 << 16];
        private int _live;
        private FastRandom _rng;
        public long Failures;
        public long LivePages;

        public MixedWorkload(ulong seed = 12345)
        {
            Node = new MemNode(new NodeConfig());
            _maxOrder = Node.Geometry.MaxOrder;
            _rng = new FastRandom(seed);
            long target = Node.ManagedPages / 2;
            while (LivePages < target)
            {
                if (!AllocOne()) throw new InvalidOperationException("filling to half occupancy failed");
            }
        }

        public int LiveAllocations => _live;

        private bool AllocOne()
        {
            ulong r = _rng.Next();
            int order = (int)(((r >> 32) * (ulong)_maxOrder) >> 32);
            var gfp = GfpMix[r & 3];
            int index = PageAllocator.AllocPagesIndex(Node, order, gfp, 0);
            if (index < 0) { Failures++; return false; }
            if (_live == _index.Length)
            {
                Array.Resize(ref _index, _live * 2);
                Array.Resize(ref _order, _live * 2);
            }
            _index[_live] = index;
            _order[_live] = (byte)order;
            _live++;
            LivePages += 1L << order;
            return true;
        }

        private void FreeOne()
        {
            if (_live == 0) return;
            int k = _rng.Below(_live);
            int index = _index[k], order = _order[k];
            _live--;
            _index[k] = _index[_live];
            _order[k] = _order[_live];
            LivePages -= 1L << order;
            PageAllocator.FreePagesIndex(Node, index, order, 0);
        }

        /// <summary>Runs <paramref name="ops"/> operations (half frees, half allocations).</summary>
        public void Run(int ops)
        {
            for (int done = 0; done < ops; done += Chunk) RunChunk(Math.Min(Chunk, ops - done));
        }

        /// <summary>Chunked for the same reason as <see cref="Order0Workload"/>.</summary>
        private const int Chunk = 4096;

        private void RunChunk(int ops)
        {
            for (int i = 0; i < ops; i += 2)
            {
                FreeOne();
                AllocOne();
            }
        }
    }

    /// <summary>
    /// The kswapd figure's node: 16 GiB (default 4K geometry) full of page cache on the inactive file LRU, pushed below
    /// the min watermark of every populated zone. Filling takes a few seconds, so it is done once; each sample runs
    /// kswapd on a <see cref="MemNode.Clone"/> of the filled node (a deep copy, made outside the timed region).
    /// </summary>
    internal sealed class KswapdWorkload
    {
        public const long SizeBytes = 16 * NodeConfig.GiB;

        /// <summary>The filled node the samples copy; never reclaimed itself.</summary>
        public readonly MemNode Template;
        /// <summary>Page cache pages the fill allocated.</summary>
        public readonly long FilledPages;

        public KswapdWorkload()
        {
            Template = new MemNode(new NodeConfig { SizeBytes = SizeBytes });
            FilledPages = Fill(Template);
        }

        /// <summary>
        /// As the reclaim tests do (ReclaimTestKit.Fill, then FillNoWatermarks): order-0 page cache allocated without
        /// __GFP_RECLAIM until the allocator stops at the min watermark (so neither direct reclaim nor a kswapd wakeup
        /// happens while filling), then allocated with ALLOC_NO_WATERMARKS (as a PF_MEMALLOC context) until every
        /// populated zone is below min; the lru_add pagevecs are drained so every page sits on its LRU list.
        /// </summary>
        private static long Fill(MemNode node)
        {
            const GfpFlags gfp = GfpFlags.GFP_HIGHUSER_MOVABLE & ~GfpFlags.__GFP_RECLAIM;
            long n = 0;
            while (PageAllocator.Allocate(node, 0, gfp, (int)(n & 1), PageOwner.FileCache).Success) n++;
            while (!BelowMin(node))
            {
                if (PageAllocator.AllocateNoWatermarks(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.FileCache) == 0)
                    throw new InvalidOperationException("no free page left before every zone was below min");
                n++;
            }
            LruCache.DrainAll(node);
            return n;
        }

        /// <summary>The highest populated zone: the classzone kswapd is woken for (as by a GFP_HIGHUSER_MOVABLE allocation).</summary>
        public static int Classzone(MemNode node)
        {
            for (int i = node.ZoneArr.Length - 1; i >= 0; i--) if (node.ZoneArr[i].ManagedPages > 0) return i;
            return 0;
        }

        /// <summary>Every populated zone has fewer free pages than its min watermark.</summary>
        public static bool BelowMin(MemNode node)
        {
            foreach (var z in node.ZoneArr)
                if (z.ManagedPages > 0 && z.FreePages >= z.WatermarkMin) return false;
            return true;
        }

        /// <summary>pgdat_balanced at order 0 for the classzone: some zone meets its high watermark.</summary>
        public static bool Balanced(MemNode node) => Kswapd.PgdatBalanced(node, 0, Classzone(node));

        /// <summary>"zone free/min/high" for every populated zone, for the progress lines.</summary>
        public static string Describe(MemNode node)
        {
            var parts = new System.Collections.Generic.List<string>();
            foreach (var z in node.ZoneArr)
                if (z.ManagedPages > 0) parts.Add($"{z.Type} free {z.FreePages} (min {z.WatermarkMin}, high {z.WatermarkHigh})");
            return string.Join(", ", parts);
        }
    }

    /// <summary>
    /// The compaction figure's node, as tests/MemMgmt.Core.Tests/Compaction/CompactionPerfHarness.cs builds it: 16 GiB
    /// (default 4K geometry), every managed page allocated movable (GFP_HIGHUSER_MOVABLE | __GFP_MEMALLOC, so the fill
    /// takes all memory), then every other page by pfn freed (Add-Pressure -Pattern EveryOther): each free page's
    /// buddy is in use, so no order-1 block is free until compaction moves pages. Built once; each sample compacts
    /// a <see cref="MemNode.Clone"/>.
    /// </summary>
    internal sealed class CompactionWorkload
    {
        public const long SizeBytes = 16 * NodeConfig.GiB;

        public readonly MemNode Template;
        /// <summary>Pages left in use after the pattern freed every other one.</summary>
        public readonly long LivePages;

        public CompactionWorkload()
        {
            Template = new MemNode(new NodeConfig { SizeBytes = SizeBytes });
            var rep = Pressure.Run(Template, new PressureOptions
            {
                Percent = 100, Pattern = PressurePattern.EveryOther, Seed = 1,
                Gfp = GfpFlags.GFP_HIGHUSER_MOVABLE | GfpFlags.__GFP_MEMALLOC,
            });
            LivePages = rep.PagesAllocated - rep.PagesFreed;
        }
    }
}
