using System;

namespace MemMgmt.Core.Allocation
{
    /// <summary>Handles for allocations made through the simulator: a slot per live allocation with a generation,
    /// so a stale or repeated free is detected; migration rewrites the slot's page index.</summary>
    /// <remarks>Nine bytes a slot: the page index, the generation and the order. A free slot keeps the next free slot
    /// in its index field, as a negative number, so the free list needs no array of its own and a slot is live exactly
    /// when its index is not negative.</remarks>
    public sealed class AllocationTable
    {
        private int[] _index = new int[64];
        private byte[] _order = new byte[64];
        private int[] _generation = new int[64];
        /// <summary>First free slot below <see cref="_used"/> (0: none; slot 0 is never handed out).</summary>
        private int _freeHead;
        private int _used = 1; // slot 0 means "no handle" in PageMap.Handle

        public int LiveCount { get; private set; }

        internal AllocationTable Clone()
        {
            var c = (AllocationTable)MemberwiseClone();
            c._index = (int[])_index.Clone();
            c._order = (byte[])_order.Clone();
            c._generation = (int[])_generation.Clone();
            return c;
        }

        internal void Write(Node.SnapshotWriter w)
        {
            w.Array(_index); w.Array(_order); w.Array(_generation); w.Int(_freeHead); w.Int(_used); w.Int(LiveCount); w.Int(_trimmedGeneration);
        }

        internal static AllocationTable Read(Node.SnapshotReader r)
        {
            var t = new AllocationTable { _index = r.Array<int>(), _order = r.Array<byte>(), _generation = r.Array<int>() };
            int n = t._index.Length;
            if (t._order.Length != n || t._generation.Length != n || n == 0) throw new Node.SnapshotFormatException("allocation table arrays differ in length");
            t._freeHead = r.Int(0, n - 1); t._used = r.Int(1, n); t.LiveCount = r.Int(0, n); t._trimmedGeneration = r.Int();
            Node.HostMemory.AdviseHugePages(t._index, sizeof(int));
            Node.HostMemory.AdviseHugePages(t._generation, sizeof(int));
            return t;
        }

        /// <summary>A handle packs the generation (high 32 bits) and the slot (low 32 bits).</summary>
        public static long MakeHandle(int slot, int generation) => ((long)generation << 32) | (uint)slot;

        private static int EncodeFree(int nextFree) => -nextFree - 1;
        private static int DecodeFree(int v) => -v - 1;

        internal int Add(int pageIndex, int order, out long handle)
        {
            int slot;
            if (_freeHead != 0)
            {
                slot = _freeHead;
                _freeHead = DecodeFree(_index[slot]);
            }
            else
            {
                if (_used == _index.Length) Resize(checked(_index.Length * 2));
                slot = _used++;
                if (_generation[slot] < _trimmedGeneration) _generation[slot] = _trimmedGeneration;
            }
            _index[slot] = pageIndex;
            _order[slot] = (byte)order;
            _generation[slot]++;
            LiveCount++;
            handle = MakeHandle(slot, _generation[slot]);
            return slot;
        }

        /// <summary>Makes room for <paramref name="more"/> further slots at once, so a large fill grows the arrays
        /// once instead of doubling (which holds the old and the new arrays together).</summary>
        internal void EnsureCapacity(long more)
        {
            long need = _used + more;
            if (need > _index.Length) Resize((int)Math.Min(need, int.MaxValue - 64));
        }

        private void Resize(int n)
        {
            Array.Resize(ref _index, n);
            Array.Resize(ref _order, n);
            Array.Resize(ref _generation, n);
            Node.HostMemory.AdviseHugePages(_index, sizeof(int));
            Node.HostMemory.AdviseHugePages(_generation, sizeof(int));
        }

        /// <summary>
        /// Gives back the memory of free slots above the highest live one. Those slots are forgotten with their
        /// generations, so a handle to one of them may become valid again when a later allocation reaches that slot;
        /// the generation starts again from a value kept above any the table handed out (<see cref="_trimmedGeneration"/>).
        /// </summary>
        internal void Trim()
        {
            int top = _used - 1;
            while (top > 0 && _index[top] < 0) top--;
            int used = top + 1;
            if (used == _used) return;
            // Rebuild the free list from the slots that remain, lowest first (as a fresh table hands them out).
            int head = 0;
            for (int s = used - 1; s > 0; s--)
                if (_index[s] < 0) { _index[s] = EncodeFree(head); head = s; }
            for (int s = used; s < _used; s++) _trimmedGeneration = Math.Max(_trimmedGeneration, _generation[s]);
            _freeHead = head;
            _used = used;
            int cap = Math.Max(64, used);
            if (cap < _index.Length) Resize(cap);
        }

        /// <summary>The highest generation of any slot Trim gave back: a slot made again starts above it, so a handle
        /// from before the trim is never live again.</summary>
        private int _trimmedGeneration;

        /// <summary>The slot of a live handle, or -1 when it was freed already or never existed.</summary>
        internal int Resolve(long handle)
        {
            int slot = (int)(handle & 0xffffffff);
            int gen = (int)(handle >> 32);
            if (slot <= 0 || slot >= _used || _index[slot] < 0 || _generation[slot] != gen) return -1;
            return slot;
        }

        internal int IndexOf(int slot) => _index[slot];
        internal int OrderOf(int slot) => _order[slot];
        internal long HandleOf(int slot) => MakeHandle(slot, _generation[slot]);
        internal bool IsLive(int slot) => slot > 0 && slot < _used && _index[slot] >= 0;
        internal int SlotCount => _used;

        /// <summary>Migration moved the page: the handle now refers to the new page.</summary>
        internal void Move(int slot, int newIndex) => _index[slot] = newIndex;

        internal void Remove(int slot)
        {
            _index[slot] = EncodeFree(_freeHead);
            _freeHead = slot;
            LiveCount--;
        }
    }
}
