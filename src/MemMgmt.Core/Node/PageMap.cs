using System;
using System.Runtime.CompilerServices;

namespace MemMgmt.Core.Node
{
    /// <summary>One entry's list links (struct list_head lru): next and prev side by side, so a list operation reads and
    /// writes one cache line per entry instead of one in each of two arrays.</summary>
    internal struct PageLink
    {
        internal int Next;
        internal int Prev;
    }

    /// <summary>
    /// Page state as a struct of flat arrays indexed by page index (pfn − node_start_pfn); no object per page.
    /// Lists (free_area, pcp, LRU) are intrusive circular lists threaded through Next/Prev; list heads are
    /// sentinel slots appended after the last page, so unlinking needs no head, as with list_head.
    /// </summary>
    public sealed class PageMap
    {
        internal readonly int NrPages;
        /// <summary>Every page's and list head's links; <see cref="Next"/> and <see cref="Prev"/> name the two halves.</summary>
        internal readonly PageLink[] Links;
        /// <summary>A page's <see cref="PageFlags"/> in the low 24 bits and its order byte in the top 8 (see
        /// <see cref="OrderShift"/>): page_private for buddy pages, compound order for allocated heads, type and order for
        /// pages on a pcp list. One word, so the buddy allocator's "free head of this order" test reads one cache line.</summary>
        internal readonly uint[] Flags;
        internal readonly byte[] Owner;
        /// <summary>References beyond the expected ones (pins): migration fails while non-zero.</summary>
        internal readonly byte[] ExtraRefs;
        internal readonly ushort[] Memcg;
        /// <summary>Slot in the allocation table that refers to this head page (0: none).</summary>
        internal readonly int[] Handle;
        private int _nextSentinel;

        internal PageMap(int nrPages, int nrSentinels)
        {
            NrPages = nrPages;
            int total = checked(nrPages + nrSentinels);
            Links = new PageLink[total];
            Flags = new uint[nrPages];
            Owner = new byte[nrPages];
            ExtraRefs = new byte[nrPages];
            Memcg = new ushort[nrPages];
            Handle = new int[nrPages];
            _nextSentinel = nrPages;
            // The arrays boot and the buddy lists touch at every block head (one int per 4 KiB of array per 1024 pages):
            // on Linux ask for transparent huge pages before the first touch, so a 64 GiB node takes a few hundred
            // 2 MiB faults instead of ~50,000 4 KiB ones, and random list walks miss the TLB less.
            HostMemory.AdviseHugePages(Links, 2 * sizeof(int));
            HostMemory.AdviseHugePages(Flags, sizeof(uint));
            // The owner arrays are touched at every allocation: on a large node a fill faults them all in.
            HostMemory.AdviseHugePages(Owner, sizeof(byte));
            HostMemory.AdviseHugePages(ExtraRefs, sizeof(byte));
            HostMemory.AdviseHugePages(Memcg, sizeof(ushort));
            HostMemory.AdviseHugePages(Handle, sizeof(int));
        }

        private PageMap(PageMap o)
        {
            NrPages = o.NrPages;
            Links = (PageLink[])o.Links.Clone();
            Flags = (uint[])o.Flags.Clone();
            Owner = (byte[])o.Owner.Clone();
            ExtraRefs = (byte[])o.ExtraRefs.Clone();
            Memcg = (ushort[])o.Memcg.Clone();
            Handle = (int[])o.Handle.Clone();
            _nextSentinel = o._nextSentinel;
        }

        internal PageMap Clone() => new PageMap(this);

        internal void Write(SnapshotWriter w)
        {
            w.Int(NrPages);
            w.Int(_nextSentinel);
            w.Links(Links, next: true); w.Links(Links, next: false); w.Array(Flags); w.Array(Owner); w.Array(ExtraRefs); w.Array(Memcg); w.Array(Handle);
        }

        internal PageMap(SnapshotReader r, int nrPages, int nrSentinels) : this(nrPages, nrSentinels)
        {
            if (r.Int() != nrPages) throw new SnapshotFormatException("page count differs from the node's span");
            _nextSentinel = r.Int(nrPages, nrPages + nrSentinels);
            r.LinksInto(Links, next: true); r.LinksInto(Links, next: false); r.ArrayInto(Flags); r.ArrayInto(Owner); r.ArrayInto(ExtraRefs);
            r.ArrayInto(Memcg); r.ArrayInto(Handle);
        }

        /// <summary>Bytes of page state per simulated page (list heads excluded).</summary>
        public static int BytesPerPage =>
            sizeof(int) * 2 + sizeof(uint) + sizeof(byte) * 2 + sizeof(ushort) + sizeof(int);

        /// <summary>Hands out <paramref name="count"/> consecutive, initialised list heads.</summary>
        internal int AllocateHeads(int count)
        {
            int first = _nextSentinel;
            if (first + count > Links.Length) throw new InvalidOperationException("list head pool exhausted");
            for (int h = first; h < first + count; h++) { Links[h].Next = h; Links[h].Prev = h; }
            _nextSentinel += count;
            return first;
        }

        /// <summary>list_head.next of a page or list head.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal ref int Next(int index) => ref Links[index].Next;

        /// <summary>list_head.prev of a page or list head.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal ref int Prev(int index) => ref Links[index].Prev;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal void ListAdd(int item, int head)
        {
            var links = Links;
            ref var h = ref links[head];
            int first = h.Next;
            ref var it = ref links[item];
            it.Next = first;
            it.Prev = head;
            links[first].Prev = item;
            h.Next = item;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal void ListAddTail(int item, int head)
        {
            var links = Links;
            ref var h = ref links[head];
            int last = h.Prev;
            ref var it = ref links[item];
            it.Next = head;
            it.Prev = last;
            links[last].Next = item;
            h.Prev = item;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal void ListDel(int item)
        {
            var links = Links;
            ref var it = ref links[item];
            int n = it.Next, p = it.Prev;
            links[p].Next = n;
            links[n].Prev = p;
        }

        internal void ListMove(int item, int head)
        {
            ListDel(item);
            ListAdd(item, head);
        }

        internal void ListMoveTail(int item, int head)
        {
            ListDel(item);
            ListAddTail(item, head);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal bool ListEmpty(int head) => Links[head].Next == head;

        internal int ListCount(int head)
        {
            int n = 0;
            for (int i = Links[head].Next; i != head; i = Links[i].Next) n++;
            return n;
        }

        internal bool IsHead(int index) => index >= NrPages;

        internal bool Has(int index, PageFlags flag) => (Flags[index] & (uint)flag) != 0;
        internal void Set(int index, PageFlags flag) => Flags[index] |= (uint)flag;
        internal void Clear(int index, PageFlags flag) => Flags[index] &= ~(uint)flag;
        public PageFlags GetFlags(int index) => (PageFlags)(Flags[index] & FlagBits);

        /// <summary>Where the order byte sits in a page's flags word.</summary>
        internal const int OrderShift = 24;
        /// <summary>The flag bits of a page's flags word (everything below the order byte).</summary>
        internal const uint FlagBits = (1u << OrderShift) - 1;

        /// <summary>The order byte of a flags word.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static int OrderOf(uint flags) => (int)(flags >> OrderShift);

        /// <summary>A flags word of <paramref name="flags"/> with <paramref name="order"/> as its order byte.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static uint WithOrder(uint flags, int order) => flags | ((uint)order << OrderShift);

        /// <summary>The page's order byte.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal int OrderOf(int index) => (int)(Flags[index] >> OrderShift);
        public PageOwner GetOwner(int index) => (PageOwner)Owner[index];
    }

    /// <summary>Hints to the host OS about the page arrays' memory; a no-op where unsupported. Only performance depends on it.</summary>
    internal static class HostMemory
    {
        /// <summary>Arrays smaller than this are left alone (a huge page is 2 MiB on x86-64 and arm64 with 4K pages).</summary>
        private const long MinBytes = 8L << 20;
        private const int MadvHugepage = 14; // MADV_HUGEPAGE, include/uapi/asm-generic/mman-common.h
        private static bool s_disabled = !System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux)
            || Environment.GetEnvironmentVariable("MEMMGMT_NO_HUGEPAGE_HINT") == "1";

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "madvise")]
        private static extern int Madvise(IntPtr addr, UIntPtr length, int advice);

        /// <summary>madvise(MADV_HUGEPAGE) over the whole 2 MiB-aligned part of an array's elements.</summary>
        internal static void AdviseHugePages(Array array, int elementSize)
        {
            long bytes = (long)array.Length * elementSize;
            if (s_disabled || bytes < MinBytes) return;
            var handle = System.Runtime.InteropServices.GCHandle.Alloc(array, System.Runtime.InteropServices.GCHandleType.Pinned);
            try
            {
                long start = handle.AddrOfPinnedObject().ToInt64();
                const long huge = 2L << 20;
                long alignedStart = (start + huge - 1) & ~(huge - 1);
                long alignedEnd = (start + bytes) & ~(huge - 1);
                if (alignedEnd > alignedStart) Madvise(new IntPtr(alignedStart), new UIntPtr((ulong)(alignedEnd - alignedStart)), MadvHugepage);
            }
            catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException || e is TypeLoadException)
            {
                s_disabled = true;
            }
            finally
            {
                handle.Free();
            }
        }
    }
}
