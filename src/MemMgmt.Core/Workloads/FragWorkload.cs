using System;
using System.Collections.Generic;
using System.Threading;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Compaction;
using MemMgmt.Core.Node;

namespace MemMgmt.Core.Workloads
{
    /// <summary>The fragmenting workload of the arm64-qemu harness (its frag.c), step by step through alloc_pages: per
    /// 2 MiB step an anonymous chunk faulted in page by page (with its PTE page), a 64 KiB tmpfs file, 32 small tmpfs
    /// files and a pipe holding 64 KiB; then half of every chunk's pages are freed (madvise MADV_DONTNEED).</summary>
    /// <remarks>The slab side follows SLUB's geometry on that kernel: dentries (192 bytes, reclaimable) on order-0 slabs of
    /// 21 objects, shmem and pipefs inodes (about 760 bytes, unmovable) on order-2 slabs of 21 objects; one dentry and
    /// one inode per file and per pipe. Smaller kernel objects (pipe_inode_info, pipe buffer arrays) are left out.</remarks>
    internal static class FragWorkload
    {
        internal const long ChunkBytes = 2L << 20;
        private const long BigFileBytes = 64 << 10;
        private const int FilesPerChunk = 32;
        private const int PipesPerChunk = 1;
        private const long PipeBytes = 64 << 10;
        /// <summary>frag.c's step footprint estimate in KiB: chunk + big file + ~5 KiB per small file + 64 KiB per pipe.</summary>
        private const long StepKb = ChunkBytes / 1024 + BigFileBytes / 1024 + 5L * FilesPerChunk + PipeBytes / 1024 * PipesPerChunk;
        /// <summary>frag.c's slack below the usable memory: 48 MiB.</summary>
        private const long SlackKb = 48 * 1024;
        private const int DentryPerSlab = 21, DentrySlabOrder = 0;
        private const int InodePerSlab = 21, InodeSlabOrder = 2;
        /// <summary>frag.c's generator for the rand pattern: a 64-bit LCG from seed 12345, bit 33 decides.</summary>
        private const ulong LcgMul = 6364136223846793005UL, LcgAdd = 1442695040888963407UL, LcgSeed = 12345;

        private sealed class SlabCache
        {
            internal int Free;
            internal readonly int PerSlab, Order;
            internal readonly GfpFlags Gfp;
            internal readonly PageOwner Owner;
            internal SlabCache(int perSlab, int order, GfpFlags gfp, PageOwner owner) { PerSlab = perSlab; Order = order; Gfp = gfp; Owner = owner; }
        }

        /// <summary>Chunks frag would make on this node: USE_PCT of (MemFree − 3·min_free_kbytes − 48 MiB) over the step size.</summary>
        internal static long Chunks(MemNode node, double usePct)
        {
            long freeKb = node.Geometry.PagesToKb(node.FreePages);
            long usableKb = freeKb - 3L * node.Sysctl.MinFreeKbytes - SlackKb;
            long n = (long)(usableKb * usePct / 100) / StepKb;
            return n < 1 ? 1 : n;
        }

        internal static void Run(MemNode node, PressureOptions o, List<long> live, PressureReport report,
            Dictionary<int, long> reqByOrder, Dictionary<int, long> failByOrder, Dictionary<CompactResult, long> results, CancellationToken cancel)
        {
            int pageSize = node.Geometry.PageSize;
            int chunkPages = (int)(ChunkBytes / pageSize);
            int bigFilePages = (int)Math.Max(1, BigFileBytes / pageSize);
            int pipePages = (int)Math.Max(1, PipeBytes / pageSize);
            long nchunks = Chunks(node, o.Percent ?? 95);
            var dentry = new SlabCache(DentryPerSlab, DentrySlabOrder, GfpFlags.GFP_KERNEL | GfpFlags.__GFP_RECLAIMABLE, PageOwner.SlabReclaimable);
            var inode = new SlabCache(InodePerSlab, InodeSlabOrder, GfpFlags.GFP_KERNEL, PageOwner.SlabUnmovable);
            var chunks = new long[nchunks][];
            long got = 0;
            bool failed = false;

            bool Alloc(int order, GfpFlags gfp, PageOwner owner, out long handle)
            {
                var r = PageAllocator.Allocate(node, order, gfp, o.Cpu, owner);
                // Each of frag's pages is a fault or a write that fills a fresh page.
                Time.Daemons.AfterRequest(node, o.Cpu, WorkloadCost.PageFaultNs);
                Pressure.Count(report, reqByOrder, failByOrder, results, r, order);
                handle = r.Handle;
                if (!r.Success) { failed = true; return false; }
                report.PagesAllocated += 1L << order;
                return true;
            }
            bool SlabObject(SlabCache c)
            {
                if (c.Free == 0)
                {
                    // SLUB's allocate_slab: the preferred order without retrying hard, then the minimum order.
                    if (c.Order > 0 && Alloc(c.Order, c.Gfp | GfpFlags.__GFP_COMP | GfpFlags.__GFP_NOWARN | GfpFlags.__GFP_NORETRY, c.Owner, out long h))
                    {
                        live.Add(h);
                        c.Free = c.PerSlab;
                    }
                    else
                    {
                        failed = false;
                        if (!Alloc(0, c.Gfp, c.Owner, out h)) return false;
                        live.Add(h);
                        c.Free = Math.Max(1, c.PerSlab >> c.Order);
                    }
                }
                c.Free--;
                return true;
            }
            bool File(int pages)
            {
                if (!SlabObject(dentry) || !SlabObject(inode)) return false;
                for (int p = 0; p < pages; p++)
                {
                    if (!Alloc(0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.Shmem, out long h)) return false;
                    live.Add(h);
                }
                return true;
            }

            for (long i = 0; i < nchunks && !failed; i++)
            {
                if (cancel.IsCancellationRequested) { report.Stopped = true; break; }
                o.Progress?.Invoke(i, nchunks);
                // chunk_alloc: the first touch allocates the PTE page, then every page faults in.
                if (!Alloc(0, GfpFlags.GFP_KERNEL | GfpFlags.__GFP_ZERO, PageOwner.PageTable, out long pt)) break;
                live.Add(pt);
                var chunk = new long[chunkPages];
                int n = 0;
                for (; n < chunkPages; n++)
                    if (!Alloc(0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.Anon, out chunk[n])) break;
                if (n < chunkPages)
                {
                    for (int k = 0; k < n; k++) live.Add(chunk[k]);
                    break;
                }
                chunks[got++] = chunk;
                if (!File(bigFilePages)) break;
                for (int f = 0; f < FilesPerChunk; f++) if (!File(1)) break;
                if (failed) break;
                for (int p = 0; p < PipesPerChunk && !failed; p++)
                {
                    // pipe2: a pipefs dentry and inode; the write fills pipe buffers with GFP_HIGHUSER pages.
                    if (!SlabObject(dentry) || !SlabObject(inode)) break;
                    for (int k = 0; k < pipePages; k++)
                    {
                        if (!Alloc(0, GfpFlags.GFP_HIGHUSER, PageOwner.Kernel, out long h)) break;
                        live.Add(h);
                    }
                }
            }

            // Fragment: each chunk, page by page, as frag's madvise loop.
            bool random = o.Pattern == PressurePattern.FragRandom;
            int keepParity = (o.Parity ?? PageParity.Even) == PageParity.Even ? 1 : 0;
            ulong seed = LcgSeed;
            for (long i = 0; i < got; i++)
            {
                var chunk = chunks[i];
                for (int v = 0; v < chunkPages; v++)
                {
                    bool drop = (v & 1) != keepParity;
                    if (random)
                    {
                        seed = seed * LcgMul + LcgAdd;
                        drop = ((seed >> 33) & 1) != 0;
                    }
                    if (drop && !report.Stopped)
                    {
                        Pressure.FreeOne(node, chunk[v], o.Cpu);
                        report.PagesFreed++;
                    }
                    else live.Add(chunk[v]);
                }
                if (cancel.IsCancellationRequested) report.Stopped = true;
            }
        }
    }
}
