using System;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;

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
}
