using System;

namespace MemMgmt.Core.Allocation
{
    /// <summary>Handles for allocations made through the simulator: a slot per live allocation with a generation,
    /// so a stale or repeated free is detected; migration rewrites the slot's page index.</summary>
    /// <remarks>Eight bytes a slot: the page index and the generation (the order is the head page's PageMap.Order). A
    /// free slot keeps the next free slot in its index field, as a negative number, so the free list needs no array of
    /// its own and a slot is live exactly when its index is not negative. A range of slots may be reserved for one owner
    /// (a working set: slot Base+i is its page i), so the owner needs no handle list of its own: a dead slot of a range
    /// does not join the free list (only <see cref="AddAt"/> fills it again), and its index field, which no page needs
    /// while the slot is dead, keeps a 31-bit note of the owner's instead (<see cref="NoteOf"/>: a page-cache set's shadow
    /// entry). A negative index is therefore a free-list link outside the ranges and a dead slot's note inside them.</remarks>
    public sealed class AllocationTable
    {
        private int[] _index = new int[64];
        private int[] _generation = new int[64];
        /// <summary>Reserved ranges as (base, count) pairs, in the order they were made.</summary>
        private int[] _ranges = new int[8];
        private int _rangeCount;
        /// <summary>Live slots of each reserved range (same order as <see cref="_ranges"/>), so an owner that refills dead
        /// slots in any order (a Streaming read) knows how many it has without walking its slots.</summary>
        private int[] _rangeLive = new int[4];
        /// <summary>First free slot below <see cref="_used"/> (0: none; slot 0 is never handed out).</summary>
        private int _freeHead;
        private int _used = 1; // slot 0 means "no handle" in PageMap.Handle

        public int LiveCount { get; private set; }

        internal AllocationTable Clone()
        {
            var c = (AllocationTable)MemberwiseClone();
            c._index = (int[])_index.Clone();
            c._generation = (int[])_generation.Clone();
            c._ranges = (int[])_ranges.Clone();
            c._rangeLive = (int[])_rangeLive.Clone();
            return c;
        }

        internal void Write(Node.SnapshotWriter w)
        {
            w.Array(_index); w.Array(_generation); w.Int(_freeHead); w.Int(_used); w.Int(LiveCount); w.Int(_trimmedGeneration);
            w.Array(_ranges); w.Int(_rangeCount);
        }

        internal static AllocationTable Read(Node.SnapshotReader r)
        {
            var t = new AllocationTable { _index = r.Array<int>(), _generation = r.Array<int>() };
            int n = t._index.Length;
            if (t._generation.Length != n || n == 0) throw new Node.SnapshotFormatException("allocation table arrays differ in length");
            t._freeHead = r.Int(0, n - 1); t._used = r.Int(1, n); t.LiveCount = r.Int(0, n); t._trimmedGeneration = r.Int();
            t._ranges = r.Array<int>();
            t._rangeCount = r.Int(0, t._ranges.Length / 2);
            for (int k = 0; k < t._rangeCount; k++)
                if (t._ranges[2 * k] < 1 || t._ranges[2 * k + 1] < 0 || (long)t._ranges[2 * k] + t._ranges[2 * k + 1] > t._used)
                    throw new Node.SnapshotFormatException("allocation table range outside the used slots");
            t._rangeLive = new int[Math.Max(4, t._ranges.Length / 2)];
            for (int k = 0; k < t._rangeCount; k++)
            {
                if (k > 0 && t._ranges[2 * k] < t._ranges[2 * k - 2] + t._ranges[2 * k - 1])
                    throw new Node.SnapshotFormatException("allocation table ranges overlap or are out of order");
                for (int s = t._ranges[2 * k], e = s + t._ranges[2 * k + 1]; s < e; s++)
                    if (t._index[s] >= 0) t._rangeLive[k]++;
            }
            Node.HostMemory.AdviseHugePages(t._index, sizeof(int));
            Node.HostMemory.AdviseHugePages(t._generation, sizeof(int));
            return t;
        }

        /// <summary>A handle packs the generation (high 32 bits) and the slot (low 32 bits).</summary>
        public static long MakeHandle(int slot, int generation) => ((long)generation << 32) | (uint)slot;

        private static int EncodeFree(int nextFree) => -nextFree - 1;
        private static int DecodeFree(int v) => -v - 1;
        /// <summary>The index of a dead slot of a reserved range with no note; a note sets some of the low 31 bits.</summary>
        private const int Reserved = int.MinValue;
        /// <summary>The bits of a dead range slot's index that hold its note.</summary>
        internal const int NoteMask = int.MaxValue;

        internal int Add(int pageIndex, out long handle)
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
            _generation[slot]++;
            LiveCount++;
            handle = MakeHandle(slot, _generation[slot]);
            return slot;
        }

        /// <summary>Reserves <paramref name="count"/> consecutive slots above every slot in use for one owner and returns
        /// the first; they stay dead until <see cref="AddAt"/> fills them.</summary>
        internal int ReserveRange(int count)
        {
            long need = (long)_used + count;
            if (need > int.MaxValue - 64) throw new InvalidOperationException("allocation table full");
            if (need > _index.Length) Resize((int)need);
            int first = _used;
            for (int s = first; s < first + count; s++)
            {
                _index[s] = Reserved;
                if (_generation[s] < _trimmedGeneration) _generation[s] = _trimmedGeneration;
            }
            _used += count;
            if (2 * _rangeCount + 2 > _ranges.Length) Array.Resize(ref _ranges, _ranges.Length * 2);
            if (_rangeCount + 1 > _rangeLive.Length) Array.Resize(ref _rangeLive, _ranges.Length / 2);
            _ranges[2 * _rangeCount] = first;
            _ranges[2 * _rangeCount + 1] = count;
            _rangeLive[_rangeCount] = 0;
            _rangeCount++;
            return first;
        }

        /// <summary>Makes the range starting at <paramref name="first"/> <paramref name="more"/> slots longer when it is the
        /// topmost range and ends at the last slot in use (nothing was made above it since), and says whether it did; an
        /// owner that grows its reservation step by step then keeps one range instead of many.</summary>
        internal bool ExtendRange(int first, int more)
        {
            int k = RangeStartingAt(first);
            if (k != _rangeCount - 1 || first + _ranges[2 * k + 1] != _used || more <= 0) return false;
            long need = (long)_used + more;
            if (need > int.MaxValue - 64) throw new InvalidOperationException("allocation table full");
            if (need > _index.Length) Resize((int)need);
            for (int s = _used; s < _used + more; s++)
            {
                _index[s] = Reserved;
                if (_generation[s] < _trimmedGeneration) _generation[s] = _trimmedGeneration;
            }
            _used += more;
            _ranges[2 * k + 1] += more;
            return true;
        }

        /// <summary>Fills a dead slot of a reserved range with a new allocation (a new generation, so an older handle to
        /// the slot stays dead).</summary>
        internal void AddAt(int slot, int pageIndex, out long handle)
        {
            int k = slot > 0 && slot < _used && _index[slot] < 0 ? RangeOf(slot) : -1;
            if (k < 0) throw new InvalidOperationException($"slot {slot} is not a dead slot of a reserved range");
            _rangeLive[k]++;
            _index[slot] = pageIndex;
            _generation[slot]++;
            LiveCount++;
            handle = MakeHandle(slot, _generation[slot]);
        }

        /// <summary>The reserved range that holds <paramref name="slot"/>, or -1: a binary search, since every free of a
        /// handle asks (ranges are made above every slot in use, so their bases rise in the order they were made).</summary>
        private int RangeOf(int slot)
        {
            int lo = 0, hi = _rangeCount - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >> 1;
                int b = _ranges[2 * mid];
                if (slot < b) hi = mid - 1;
                else if (slot - b >= _ranges[2 * mid + 1]) lo = mid + 1;
                else return mid;
            }
            return -1;
        }

        private int RangeStartingAt(int first)
        {
            int k = RangeOf(first);
            if (k < 0 || _ranges[2 * k] != first) throw new InvalidOperationException($"no range starts at slot {first}");
            return k;
        }

        /// <summary>Ends the reservation of the range starting at <paramref name="first"/>: its live slots stay live as
        /// ordinary slots (their handles keep working), its dead ones join the free list, lowest first.</summary>
        internal void ReleaseRange(int first)
        {
            int k = RangeStartingAt(first);
            int count = _ranges[2 * k + 1];
            Array.Copy(_ranges, 2 * k + 2, _ranges, 2 * k, 2 * (_rangeCount - k - 1));
            Array.Copy(_rangeLive, k + 1, _rangeLive, k, _rangeCount - k - 1);
            _rangeCount--;
            FreeDeadSlots(first, first + count);
        }

        /// <summary>Keeps the first <paramref name="count"/> slots of the range starting at <paramref name="first"/> and gives
        /// back the rest as <see cref="ReleaseRange"/> gives back a whole range (an owner that reserved more than it filled).</summary>
        internal void ShrinkRange(int first, int count)
        {
            int k = RangeStartingAt(first);
            int old = _ranges[2 * k + 1];
            if (count <= 0 || count > old) throw new InvalidOperationException($"range at slot {first} cannot keep {count} of its {old} slots");
            _ranges[2 * k + 1] = count;
            _rangeLive[k] -= FreeDeadSlots(first + count, first + old);
        }

        /// <summary>Moves the live slot <paramref name="from"/> of a reserved range into the dead slot <paramref name="to"/>
        /// of one (an owner packing its ranges; the caller points the page's Handle at <paramref name="to"/>) and returns
        /// the page's new handle. <paramref name="to"/> takes a new generation, so a handle from its earlier life stays
        /// dead, and <paramref name="from"/> is dead from now on, so the page's old handle is refused; a note in
        /// <paramref name="to"/> goes.</summary>
        internal long MoveSlot(int from, int to)
        {
            int kf = IsLive(from) ? RangeOf(from) : -1;
            int kt = to > 0 && to < _used && _index[to] < 0 ? RangeOf(to) : -1;
            if (kf < 0 || kt < 0) throw new InvalidOperationException($"slot {from} is not a live range slot or slot {to} not a dead one");
            _index[to] = _index[from];
            _generation[to]++;
            _index[from] = Reserved;
            _rangeLive[kf]--;
            _rangeLive[kt]++;
            return MakeHandle(to, _generation[to]);
        }

        /// <summary>Keeps the first <paramref name="keep"/> slots of the range starting at <paramref name="first"/> (0: none,
        /// the range ends) and gives back the rest, which must be dead. When the range ends at the last slot in use, they
        /// leave the table (their generations stay in <see cref="_trimmedGeneration"/>, so their old handles stay dead, and
        /// <see cref="FitCapacity"/> can then shrink the arrays); otherwise they join the free list.</summary>
        internal void CutRange(int first, int keep)
        {
            int k = RangeStartingAt(first);
            int old = _ranges[2 * k + 1], end = first + old;
            if (keep < 0 || keep > old) throw new InvalidOperationException($"range at slot {first} cannot keep {keep} of its {old} slots");
            for (int s = first + keep; s < end; s++)
                if (_index[s] >= 0) throw new InvalidOperationException($"slot {s} of the range at slot {first} is live");
            if (keep == 0)
            {
                Array.Copy(_ranges, 2 * k + 2, _ranges, 2 * k, 2 * (_rangeCount - k - 1));
                Array.Copy(_rangeLive, k + 1, _rangeLive, k, _rangeCount - k - 1);
                _rangeCount--;
            }
            else _ranges[2 * k + 1] = keep;
            if (end != _used) { FreeDeadSlots(first + keep, end); return; }
            for (int s = first + keep; s < end; s++) _trimmedGeneration = Math.Max(_trimmedGeneration, _generation[s]);
            _used = first + keep;
        }

        /// <summary>Shrinks the arrays to the slots in use (after <see cref="CutRange"/> or <see cref="Trim"/> lowered them).</summary>
        internal void FitCapacity()
        {
            int cap = Math.Max(64, _used);
            if (cap < _index.Length) Resize(cap);
        }

        /// <summary>Puts the dead slots of [from, to) on the free list (their notes go) and returns how many live ones the
        /// range held there.</summary>
        private int FreeDeadSlots(int from, int to)
        {
            int live = 0;
            for (int s = to - 1; s >= from; s--)
                if (_index[s] < 0) { _index[s] = EncodeFree(_freeHead); _freeHead = s; }
                else live++;
            return live;
        }

        /// <summary>Live slots of the range starting at <paramref name="first"/>.</summary>
        internal int RangeLive(int first) => _rangeLive[RangeStartingAt(first)];

        /// <summary>The note a dead slot of a reserved range keeps (0: none, or the slot is live).</summary>
        internal int NoteOf(int slot) => _index[slot] < 0 ? _index[slot] & NoteMask : 0;

        /// <summary>Kills the live slot <paramref name="slot"/> of a reserved range and leaves <paramref name="note"/> (31
        /// bits, not 0) in its index field.</summary>
        internal void RemoveWithNote(int slot, int note)
        {
            int k = RangeOf(slot);
            if (k < 0 || _index[slot] < 0 || (note & ~NoteMask) != 0)
                throw new InvalidOperationException($"slot {slot} is not a live slot of a reserved range");
            _index[slot] = Reserved | note;
            _rangeLive[k]--;
            LiveCount--;
        }

        /// <summary>Makes room for <paramref name="more"/> further slots at once, so a large fill grows the arrays
        /// once instead of doubling (which holds the old and the new arrays together).</summary>
        internal void EnsureCapacity(long more)
        {
            long need = _used + more - Math.Max(0, _used - 1 - LiveCount); // the free slots below _used are taken first
            if (need > _index.Length) Resize((int)Math.Min(need, int.MaxValue - 64));
        }

        private void Resize(int n)
        {
            Array.Resize(ref _index, n);
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
            int k = _rangeCount - 1; // the highest range starting at or below the slot looked at
            while (top > 0 && _index[top] < 0 && !InRange(top, ref k)) top--;
            int used = top + 1;
            if (used == _used) return;
            // Rebuild the free list from the slots that remain, lowest first (as a fresh table hands them out).
            int head = 0;
            k = _rangeCount - 1;
            for (int s = used - 1; s > 0; s--)
                if (_index[s] < 0 && !InRange(s, ref k)) { _index[s] = EncodeFree(head); head = s; }
            for (int s = used; s < _used; s++) _trimmedGeneration = Math.Max(_trimmedGeneration, _generation[s]);
            _freeHead = head;
            _used = used;
            FitCapacity();
        }

        /// <summary>Whether <paramref name="slot"/> lies in a reserved range, for a walk down the slots: <paramref name="k"/>
        /// starts at the highest range and only moves down.</summary>
        private bool InRange(int slot, ref int k)
        {
            while (k >= 0 && _ranges[2 * k] > slot) k--;
            return k >= 0 && slot - _ranges[2 * k] < _ranges[2 * k + 1];
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
        internal long HandleOf(int slot) => MakeHandle(slot, _generation[slot]);
        internal bool IsLive(int slot) => slot > 0 && slot < _used && _index[slot] >= 0;
        internal int SlotCount => _used;
        /// <summary>Slots the arrays hold (used or not).</summary>
        internal int Capacity => _index.Length;

        /// <summary>Migration moved the page: the handle now refers to the new page.</summary>
        internal void Move(int slot, int newIndex) => _index[slot] = newIndex;

        internal void Remove(int slot)
        {
            int k = _rangeCount != 0 ? RangeOf(slot) : -1;
            if (k >= 0) { _index[slot] = Reserved; _rangeLive[k]--; }
            else
            {
                _index[slot] = EncodeFree(_freeHead);
                _freeHead = slot;
            }
            LiveCount--;
        }
    }
}
