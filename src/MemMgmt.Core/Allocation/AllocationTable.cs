using System;

namespace MemMgmt.Core.Allocation
{
    /// <summary>Handles for allocations made through the simulator: a slot per live allocation with a generation,
    /// so a stale or repeated free is detected; migration rewrites the slot's page index.</summary>
    public sealed class AllocationTable
    {
        private int[] _index = new int[64];
        private byte[] _order = new byte[64];
        private int[] _generation = new int[64];
        private bool[] _live = new bool[64];
        private int[] _freeSlots = new int[64];
        private int _freeCount;
        private int _used = 1; // slot 0 means "no handle" in PageMap.Handle

        public int LiveCount { get; private set; }

        internal AllocationTable Clone()
        {
            var c = (AllocationTable)MemberwiseClone();
            c._index = (int[])_index.Clone();
            c._order = (byte[])_order.Clone();
            c._generation = (int[])_generation.Clone();
            c._live = (bool[])_live.Clone();
            c._freeSlots = (int[])_freeSlots.Clone();
            return c;
        }

        /// <summary>A handle packs the generation (high 32 bits) and the slot (low 32 bits).</summary>
        public static long MakeHandle(int slot, int generation) => ((long)generation << 32) | (uint)slot;

        internal int Add(int pageIndex, int order, out long handle)
        {
            int slot;
            if (_freeCount > 0) slot = _freeSlots[--_freeCount];
            else
            {
                if (_used == _index.Length) Grow();
                slot = _used++;
            }
            _index[slot] = pageIndex;
            _order[slot] = (byte)order;
            _generation[slot]++;
            _live[slot] = true;
            LiveCount++;
            handle = MakeHandle(slot, _generation[slot]);
            return slot;
        }

        private void Grow()
        {
            int n = _index.Length * 2;
            Array.Resize(ref _index, n);
            Array.Resize(ref _order, n);
            Array.Resize(ref _generation, n);
            Array.Resize(ref _live, n);
            Array.Resize(ref _freeSlots, n);
        }

        /// <summary>The slot of a live handle, or -1 when it was freed already or never existed.</summary>
        internal int Resolve(long handle)
        {
            int slot = (int)(handle & 0xffffffff);
            int gen = (int)(handle >> 32);
            if (slot <= 0 || slot >= _used || !_live[slot] || _generation[slot] != gen) return -1;
            return slot;
        }

        internal int IndexOf(int slot) => _index[slot];
        internal int OrderOf(int slot) => _order[slot];
        internal long HandleOf(int slot) => MakeHandle(slot, _generation[slot]);
        internal bool IsLive(int slot) => _live[slot];
        internal int SlotCount => _used;

        /// <summary>Migration moved the page: the handle now refers to the new page.</summary>
        internal void Move(int slot, int newIndex) => _index[slot] = newIndex;

        internal void Remove(int slot)
        {
            _live[slot] = false;
            _freeSlots[_freeCount++] = slot;
            LiveCount--;
        }
    }
}
