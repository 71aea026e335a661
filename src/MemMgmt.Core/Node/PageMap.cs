using System;
using System.Runtime.CompilerServices;

namespace MemMgmt.Core.Node
{
    /// <summary>
    /// Page state as a struct of flat arrays indexed by page index (pfn − node_start_pfn); no object per page.
    /// Lists (free_area, pcp, LRU) are intrusive circular lists threaded through Next/Prev; list heads are
    /// sentinel slots appended after the last page, so unlinking needs no head, as with list_head.
    /// </summary>
    public sealed class PageMap
    {
        internal readonly int NrPages;
        internal readonly int[] Next;
        internal readonly int[] Prev;
        internal readonly uint[] Flags;
        /// <summary>page_private for buddy pages, compound order for allocated heads.</summary>
        internal readonly byte[] Order;
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
            Next = new int[total];
            Prev = new int[total];
            Flags = new uint[nrPages];
            Order = new byte[nrPages];
            Owner = new byte[nrPages];
            ExtraRefs = new byte[nrPages];
            Memcg = new ushort[nrPages];
            Handle = new int[nrPages];
            _nextSentinel = nrPages;
        }

        private PageMap(PageMap o)
        {
            NrPages = o.NrPages;
            Next = (int[])o.Next.Clone();
            Prev = (int[])o.Prev.Clone();
            Flags = (uint[])o.Flags.Clone();
            Order = (byte[])o.Order.Clone();
            Owner = (byte[])o.Owner.Clone();
            ExtraRefs = (byte[])o.ExtraRefs.Clone();
            Memcg = (ushort[])o.Memcg.Clone();
            Handle = (int[])o.Handle.Clone();
            _nextSentinel = o._nextSentinel;
        }

        internal PageMap Clone() => new PageMap(this);

        /// <summary>Bytes of page state per simulated page (list heads excluded).</summary>
        public static int BytesPerPage =>
            sizeof(int) * 2 + sizeof(uint) + sizeof(byte) * 3 + sizeof(ushort) + sizeof(int);

        /// <summary>Hands out <paramref name="count"/> consecutive, initialised list heads.</summary>
        internal int AllocateHeads(int count)
        {
            int first = _nextSentinel;
            if (first + count > Next.Length) throw new InvalidOperationException("list head pool exhausted");
            for (int h = first; h < first + count; h++) { Next[h] = h; Prev[h] = h; }
            _nextSentinel += count;
            return first;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal void ListAdd(int item, int head)
        {
            int first = Next[head];
            Next[item] = first;
            Prev[item] = head;
            Prev[first] = item;
            Next[head] = item;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal void ListAddTail(int item, int head)
        {
            int last = Prev[head];
            Next[item] = head;
            Prev[item] = last;
            Next[last] = item;
            Prev[head] = item;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal void ListDel(int item)
        {
            int n = Next[item], p = Prev[item];
            Next[p] = n;
            Prev[n] = p;
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
        internal bool ListEmpty(int head) => Next[head] == head;

        internal int ListCount(int head)
        {
            int n = 0;
            for (int i = Next[head]; i != head; i = Next[i]) n++;
            return n;
        }

        internal bool IsHead(int index) => index >= NrPages;

        internal bool Has(int index, PageFlags flag) => (Flags[index] & (uint)flag) != 0;
        internal void Set(int index, PageFlags flag) => Flags[index] |= (uint)flag;
        internal void Clear(int index, PageFlags flag) => Flags[index] &= ~(uint)flag;
        public PageFlags GetFlags(int index) => (PageFlags)Flags[index];
        public PageOwner GetOwner(int index) => (PageOwner)Owner[index];
    }
}
