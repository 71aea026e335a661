using System;
using System.IO;

namespace MemMgmt.Core.Node
{
    /// <summary>
    /// What a node costs the host before it is built: the page arrays, the list heads and the pageblock arrays,
    /// compared with the memory the host can still give. A node that cannot fit is refused up front with its own
    /// error id, rather than failing with an OutOfMemoryException halfway through its allocations.
    /// </summary>
    public static class NodeMemory
    {
        /// <summary>Largest node with 4 KiB pages: 2^28 pages, so every page index stays an int.</summary>
        public const long MaxBytes4K = 1L << 40;
        /// <summary>Largest node with 16 KiB or 64 KiB pages (2^28 and 2^26 pages).</summary>
        public const long MaxBytesLargePages = 4L << 40;

        /// <summary>The size limit for a node of the given page size.</summary>
        public static long MaxNodeBytes(int pageShift) => pageShift == 12 ? MaxBytes4K : MaxBytesLargePages;

        /// <summary>"1 TiB" style text of a limit (whole TiB or GiB).</summary>
        internal static string Describe(long bytes) =>
            bytes >= 1L << 40 && bytes % (1L << 40) == 0 ? $"{bytes >> 40} TiB" : $"{bytes >> 30} GiB";

        /// <summary>Bytes a node of <paramref name="pages"/> pages with <paramref name="listHeads"/> list heads and
        /// pageblocks of order <paramref name="pageblockOrder"/> allocates for its page state.</summary>
        public static long EstimateBytes(long pages, int listHeads, int pageblockOrder)
        {
            long pageArrays = pages * PageMap.BytesPerPage;
            long heads = (long)listHeads * (sizeof(int) * 2);
            long pageblocks = (pages >> pageblockOrder) * 2; // PageblockBits and PageblockZone
            return pageArrays + heads + pageblocks;
        }

        /// <summary>
        /// Memory the host can still give this process: the least of Linux's MemAvailable (/proc/meminfo) and the
        /// runtime's own limit (GCMemoryInfo.TotalAvailableMemoryBytes, a container or GCHeapHardLimit, less what the
        /// heap holds now). Null when neither is known (then nothing is refused).
        /// </summary>
        public static long? HostAvailableBytes()
        {
            long? best = null;
            long mem = ReadMemAvailable();
            if (mem > 0) best = mem;
            long gc = RuntimeAvailableBytes();
            if (gc > 0)
            {
                gc -= GC.GetTotalMemory(false);
                if (best == null || gc < best) best = Math.Max(0, gc);
            }
            return best;
        }

        private static long ReadMemAvailable()
        {
            try
            {
                if (!File.Exists("/proc/meminfo")) return -1;
                foreach (var line in File.ReadLines("/proc/meminfo"))
                {
                    if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                    var parts = line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length >= 2 && long.TryParse(parts[1], out long kb)) return kb * 1024;
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            return -1;
        }

        /// <summary>GC.GetGCMemoryInfo().TotalAvailableMemoryBytes where the runtime has it (this library targets
        /// netstandard2.0, so it is looked up once by reflection).</summary>
        private static long RuntimeAvailableBytes()
        {
            try
            {
                var get = typeof(GC).GetMethod("GetGCMemoryInfo", Type.EmptyTypes);
                object? info = get?.Invoke(null, null);
                var prop = info?.GetType().GetProperty("TotalAvailableMemoryBytes");
                return prop?.GetValue(info) is long v ? v : -1;
            }
            catch (Exception e) when (e is System.Reflection.TargetInvocationException || e is NotSupportedException || e is MemberAccessException)
            {
                return -1;
            }
        }

        /// <summary>Refuses a node whose page state would not fit in the memory the host has available (or in
        /// <see cref="NodeConfig.HostAvailableBytes"/> when the config fixes it).</summary>
        internal static void EnsureFits(NodeConfig c, long pages, int listHeads, int pageblockOrder)
        {
            long need = EstimateBytes(pages, listHeads, pageblockOrder);
            long? avail = c.HostAvailableBytes ?? HostAvailableBytes();
            if (avail.HasValue && need > avail.Value)
                throw new MemMgmtException("NodeTooLargeForHost", ErrorKind.ResourceUnavailable,
                    $"Size {c.SizeBytes} bytes needs about {need >> 20} MiB of page arrays and bookkeeping " +
                    $"({PageMap.BytesPerPage} bytes per page), but this machine has {avail.Value >> 20} MiB available; " +
                    $"pick a smaller size or free memory.", c.SizeBytes);
        }
    }
}
