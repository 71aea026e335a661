using System;
using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Node;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Time;
using MemMgmt.Core.Workloads;
using MemMgmt.Core.Writeback;

namespace MemMgmt.Core.Workloads
{
    /// <summary>How a working set accesses its pages as virtual time passes.</summary>
    public enum WorkingSetPattern
    {
        /// <summary>Every round touches every page of the set (anon: PTE young; page cache and shmem: mark_page_accessed).</summary>
        HotSet,
        /// <summary>Every round allocates the next PagesPerRound page-cache pages of a file, each touched once
        /// (mark_page_accessed at the read) and never again: a sequential read of a file, possibly larger than memory.</summary>
        Streaming,
        /// <summary>Every round touches each page of the set with probability AccessFraction (seeded, per workload).</summary>
        Random,
    }

    /// <summary>What Add-WorkingSet creates; every field is checked by <see cref="Validate"/> before anything changes.</summary>
    public sealed class WorkingSetOptions
    {
        /// <summary>Largest Streaming file, in multiples of the node's managed memory.</summary>
        public const int MaxStreamingMultiple = 64;
        public const long DefaultIntervalNs = 10_000_000;

        public WorkingSetPattern Pattern { get; set; } = WorkingSetPattern.HotSet;
        /// <summary>Anon, FileCache or Shmem; Streaming is always FileCache.</summary>
        public PageOwner Owner { get; set; } = PageOwner.Anon;
        /// <summary>Percent of managed pages in the set (HotSet, Random: allocated now; Streaming: the file's size).</summary>
        public double? Percent { get; set; }
        /// <summary>Bytes in the set (instead of Percent).</summary>
        public long? SizeBytes { get; set; }
        /// <summary>Streaming: pages read per round (default 256).</summary>
        public int? PagesPerRound { get; set; }
        /// <summary>Random: probability that a round touches a given page (default 0.25).</summary>
        public double? AccessFraction { get; set; }
        /// <summary>Virtual time between two access rounds (default 10 ms).</summary>
        public long IntervalNs { get; set; } = DefaultIntervalNs;
        /// <summary>Seed of the Random pattern's own generator (default: drawn from the node's generator).</summary>
        public ulong? Seed { get; set; }
        public string? Name { get; set; }
        public int Cpu { get; set; }
        /// <summary>The workload writes its page-cache pages (write(2): each access dirties the page, and the writer is
        /// throttled by balance_dirty_pages). FileCache only.</summary>
        public bool Write { get; set; }

        /// <summary>Pages the set (or the Streaming file) holds.</summary>
        internal long TargetPages(MemNode node) => SizeBytes.HasValue ? SizeBytes.Value / node.Geometry.PageSize
            : (long)(node.ManagedPages * (Percent ?? 25) / 100.0);

        private static MemMgmtException Range(string id, string msg, object? target) => new MemMgmtException(id, ErrorKind.OutOfRange, msg, target);
        private static MemMgmtException Bad(string id, string msg, object? target) => new MemMgmtException(id, ErrorKind.InvalidArgument, msg, target);

        /// <summary>Rejects bad or contradictory options before any state changes.</summary>
        public void Validate(MemNode node)
        {
            if (!Enum.IsDefined(typeof(WorkingSetPattern), Pattern))
                throw Bad("UnknownWorkingSetPattern", $"Pattern {(int)Pattern} is not known; allowed: HotSet, Streaming, Random.", Pattern);
            if (Owner != PageOwner.Anon && Owner != PageOwner.FileCache && Owner != PageOwner.Shmem)
                throw Bad("WorkingSetOwnerNotSupported", $"Owner {Owner} is not supported; allowed: Anon, FileCache, Shmem.", Owner);
            if (Pattern == WorkingSetPattern.Streaming && Owner != PageOwner.FileCache)
                throw Bad("ContradictoryWorkingSetOptions", $"The Streaming pattern reads a file: its owner is FileCache, not {Owner}.", Owner);
            if (Percent.HasValue && SizeBytes.HasValue)
                throw Bad("ContradictoryWorkingSetOptions", $"Give either Percent ({Percent}) or Size ({SizeBytes} bytes), not both.", Percent);
            long managedBytes = node.ManagedPages * (long)node.Geometry.PageSize;
            int multiple = Pattern == WorkingSetPattern.Streaming ? MaxStreamingMultiple : 1;
            if (Percent.HasValue && (double.IsNaN(Percent.Value) || Percent.Value <= 0 || Percent.Value > 100.0 * multiple))
                throw Range("PercentOutOfRange", $"Percent {Percent} is out of range; allowed more than 0 up to {100 * multiple}" +
                    (multiple > 1 ? " (a Streaming file may be larger than memory)." : "."), Percent);
            if (SizeBytes.HasValue && (SizeBytes.Value < node.Geometry.PageSize || SizeBytes.Value > managedBytes * multiple))
                throw Range("SizeOutOfRange", $"Size {SizeBytes} bytes is out of range; allowed {node.Geometry.PageSize} (one page) to {managedBytes * multiple}" +
                    (multiple > 1 ? $" ({multiple} times the node's managed memory)." : " (the node's managed memory)."), SizeBytes);
            if (Write && Owner != PageOwner.FileCache)
                throw Bad("ContradictoryWorkingSetOptions", $"Write dirties page cache: the owner must be FileCache, not {Owner} (shmem dirtying is not accounted or throttled).", Owner);
            if (PagesPerRound.HasValue && Pattern != WorkingSetPattern.Streaming)
                throw Bad("ContradictoryWorkingSetOptions", $"PagesPerRound applies only to the Streaming pattern, not to {Pattern}.", PagesPerRound);
            if (PagesPerRound.HasValue && (PagesPerRound.Value < 1 || PagesPerRound.Value > node.ManagedPages))
                throw Range("PagesPerRoundOutOfRange", $"PagesPerRound {PagesPerRound} is out of range; allowed 1 to {node.ManagedPages}.", PagesPerRound);
            if (AccessFraction.HasValue && Pattern != WorkingSetPattern.Random)
                throw Bad("ContradictoryWorkingSetOptions", $"AccessFraction applies only to the Random pattern, not to {Pattern}.", AccessFraction);
            if (AccessFraction.HasValue && (double.IsNaN(AccessFraction.Value) || AccessFraction.Value <= 0 || AccessFraction.Value > 1))
                throw Range("FractionOutOfRange", $"AccessFraction {AccessFraction} is out of range; allowed more than 0 up to 1.", AccessFraction);
            if (IntervalNs < 1000 || IntervalNs > 1_000_000_000_000)
                throw Range("IntervalOutOfRange", $"Interval {IntervalNs} ns is out of range; allowed 1000 (1 µs) to 1000000000000 (1000 s).", IntervalNs);
            if (TargetPages(node) < 1)
                throw Range("SizeOutOfRange", $"The set of {Percent}% is less than one page; allowed at least one page.", Percent);
            PageAllocator.Validate(node, 0, Cpu);
        }
    }

    /// <summary>One running access workload of a node: its pages and its access pattern. A HotSet or Random set reserves
    /// a range of allocation-table slots when it starts: page i of the set is slot _base+i (its handle lives there, and
    /// migration and reclaim update it as for any handle), so the set keeps no list of its own and costs the table's
    /// eight bytes a page; a page-cache set's evicted page leaves its shadow entry in its dead slot. A Streaming read
    /// reads into a ring of reserved ranges: its pages are read in order and reclaim drops them mostly in order, so the
    /// ring's next dead slot is usually the one after the last read, and the ring grows only when it has fewer dead slots
    /// than a round reads. Once the whole file is read and kswapd sleeps, the ring is packed once to one slot a resident
    /// page.</summary>
    public sealed class WorkingSet
    {
        /// <summary>Streaming: the ring's reserved ranges as (first slot, count) pairs, in the order the read fills them
        /// (null for other sets).</summary>
        private int[]? _ring;
        /// <summary>Streaming: ranges in <see cref="_ring"/>.</summary>
        private int _ringCount;
        /// <summary>Streaming: the ring entry being filled and the next of its slots to look at.</summary>
        private int _cursor, _cursorSlot;
        /// <summary>Streaming: the ring was packed (<see cref="PackRing"/>), which happens once a read.</summary>
        private bool _ringPacked;
        /// <summary>HotSet and Random: the first slot of the set's reserved range (0 once the set stopped).</summary>
        private int _base;
        /// <summary>HotSet and Random: pages faulted in (slots _base.._base+_count−1 are the set's).</summary>
        private int _count;
        /// <summary>A stopped set: its handles as they were when it stopped (its ranges are given back; a Streaming set's,
        /// those of its pages still resident).</summary>
        private long[]? _stoppedHandles;
        private SimRandom _rng;
        /// <summary>Streaming: pack the ring when the read ends (<see cref="PackRing"/>); false only in a test that compares
        /// a packed read with one left as it was.</summary>
        internal bool PackRingAtEnd = true;

        private WorkingSet(MemNode node, int id, WorkingSetOptions o, long target, ulong seed)
        {
            Node = node;
            Id = id;
            Name = o.Name ?? $"ws{id}";
            Pattern = o.Pattern;
            Owner = o.Owner;
            TargetPages = target;
            PagesPerRound = o.Pattern == WorkingSetPattern.Streaming ? o.PagesPerRound ?? 256 : 0;
            AccessFraction = o.Pattern == WorkingSetPattern.Random ? o.AccessFraction ?? 0.25 : (o.Pattern == WorkingSetPattern.HotSet ? 1 : 0);
            IntervalNs = o.IntervalNs;
            Cpu = o.Cpu;
            Write = o.Write;
            _rng = new SimRandom(seed);
            if (o.Pattern == WorkingSetPattern.Streaming) _ring = new int[8];
        }

        private WorkingSet(WorkingSet o, MemNode node)
        {
            Node = node;
            Id = o.Id; Name = o.Name; Pattern = o.Pattern; Owner = o.Owner; TargetPages = o.TargetPages;
            PagesPerRound = o.PagesPerRound; AccessFraction = o.AccessFraction; IntervalNs = o.IntervalNs; Cpu = o.Cpu;
            _rng = o._rng.Clone();
            _ring = o._ring == null ? null : (int[])o._ring.Clone();
            _ringCount = o._ringCount; _cursor = o._cursor; _cursorSlot = o._cursorSlot; _ringPacked = o._ringPacked;
            _base = o._base; _count = o._count; PackRingAtEnd = o.PackRingAtEnd;
            NextRoundAtNs = o.NextRoundAtNs; Rounds = o.Rounds; Accesses = o.Accesses; Skipped = o.Skipped;
            PagesRead = o.PagesRead; AllocationFailures = o.AllocationFailures;
            Write = o.Write; PagesDirtied = o.PagesDirtied; NrDirtied = o.NrDirtied; DirtyPausedWhenNs = o.DirtyPausedWhenNs;
            BalanceDirtyPagesPauses = o.BalanceDirtyPagesPauses; ThrottledNs = o.ThrottledNs; ThrottledUntilNs = o.ThrottledUntilNs;
            ThrottledRounds = o.ThrottledRounds;
            Refaults = o.Refaults; RefaultsActivated = o.RefaultsActivated;
        }

        internal WorkingSet Clone(MemNode node) => new WorkingSet(this, node);

        internal void Save(SnapshotWriter w)
        {
            w.Int(Id); w.String(Name); w.Int((int)Pattern); w.Int((int)Owner); w.Long(TargetPages); w.Int(PagesPerRound);
            w.Double(AccessFraction); w.Long(IntervalNs); w.Int(Cpu); w.Bool(Write);
            _rng.Write(w);
            w.Bool(_ring != null);
            if (_ring != null) { w.Array(_ring); w.Int(_ringCount); w.Int(_cursor); w.Int(_cursorSlot); w.Bool(_ringPacked); }
            w.Int(_base); w.Int(_count);
            w.Long(NextRoundAtNs); w.Long(Rounds); w.Long(Accesses); w.Long(Skipped); w.Long(PagesRead); w.Long(AllocationFailures);
            w.Long(PagesDirtied); w.Long(NrDirtied); w.Long(DirtyPausedWhenNs); w.Long(BalanceDirtyPagesPauses); w.Long(ThrottledNs);
            w.Long(ThrottledUntilNs); w.Long(ThrottledRounds); w.Long(Refaults); w.Long(RefaultsActivated);
        }

        private WorkingSet(SnapshotReader r, MemNode node)
        {
            Node = node;
            Id = r.Int(); Name = r.RequiredString(); Pattern = (WorkingSetPattern)r.Int(0, (int)WorkingSetPattern.Random);
            Owner = (PageOwner)r.Int(0, 255); TargetPages = r.Long(); PagesPerRound = r.Int(); AccessFraction = r.Double();
            IntervalNs = r.Long(); Cpu = r.Int(0, node.NrCpus - 1); Write = r.Bool();
            _rng = SimRandom.Read(r);
            if (r.Bool())
            {
                _ring = r.Array<int>();
                _ringCount = r.Int(0, _ring.Length / 2);
                _cursor = r.Int(0, Math.Max(0, _ringCount - 1));
                _cursorSlot = r.Int();
                _ringPacked = r.Bool();
                for (int k = 0; k < _ringCount; k++)
                    if (_ring[2 * k] < 1 || _ring[2 * k + 1] < 1 || (long)_ring[2 * k] + _ring[2 * k + 1] > node.Allocations.SlotCount)
                        throw new SnapshotFormatException($"working set {Id}: a ring range lies outside the allocation table");
                if (_ringCount > 0 && (_cursorSlot < _ring[2 * _cursor] || _cursorSlot > _ring[2 * _cursor] + _ring[2 * _cursor + 1]))
                    throw new SnapshotFormatException($"working set {Id}: the ring cursor lies outside its range");
            }
            _base = r.Int(); _count = r.Int(0, int.MaxValue);
            if ((_ring != null) != (Pattern == WorkingSetPattern.Streaming) || (_ring == null && (_base < 1 || _count > TargetPages)))
                throw new SnapshotFormatException($"working set {Id}: page bookkeeping does not fit its pattern");
            NextRoundAtNs = r.Long(); Rounds = r.Long(); Accesses = r.Long(); Skipped = r.Long(); PagesRead = r.Long(); AllocationFailures = r.Long();
            PagesDirtied = r.Long(); NrDirtied = r.Long(); DirtyPausedWhenNs = r.Long(); BalanceDirtyPagesPauses = r.Long(); ThrottledNs = r.Long();
            ThrottledUntilNs = r.Long(); ThrottledRounds = r.Long(); Refaults = r.Long(); RefaultsActivated = r.Long();
        }

        internal static WorkingSet Read(SnapshotReader r, MemNode node) => new WorkingSet(r, node);

        public MemNode Node { get; }
        public int Id { get; }
        public string Name { get; }
        public WorkingSetPattern Pattern { get; }
        public PageOwner Owner { get; }
        /// <summary>Pages in the set (HotSet, Random) or in the file (Streaming).</summary>
        public long TargetPages { get; }
        public int PagesPerRound { get; }
        public double AccessFraction { get; }
        public long IntervalNs { get; }
        public int Cpu { get; }
        /// <summary>Virtual time accumulated towards the next round.</summary>
        public long PendingNs => Math.Max(0, Math.Min(IntervalNs, IntervalNs - (NextRoundAtNs - Node.Clock.NowNs)));

        /// <summary>The node clock's time of the next round.</summary>
        internal long NextRoundAtNs;
        public long Rounds { get; private set; }
        /// <summary>Page accesses made (touches and, for Streaming, reads).</summary>
        public long Accesses { get; private set; }
        /// <summary>Accesses skipped because reclaim had freed the page (its handle died). Page-cache sets (HotSet and
        /// Random of FileCache) never skip: they read the page again (see <see cref="Refaults"/>).</summary>
        public long Skipped { get; private set; }
        /// <summary>HotSet and Random page cache: accesses that missed because reclaim had dropped the page, so the page
        /// was read into the cache again (add_to_page_cache_lru, with workingset_refault when a shadow entry was left).</summary>
        public long Refaults { get; private set; }
        /// <summary>Refaults whose refault distance fitted in the active file list: the page came back active.</summary>
        public long RefaultsActivated { get; private set; }
        /// <summary>Streaming: pages of the file read so far.</summary>
        public long PagesRead { get; private set; }
        public long AllocationFailures { get; private set; }
        /// <summary>The workload writes (dirties) its pages and is subject to balance_dirty_pages.</summary>
        public bool Write { get; }
        /// <summary>Pages this workload dirtied (set_page_dirty on a clean page).</summary>
        public long PagesDirtied { get; private set; }
        /// <summary>balance_dirty_pages pauses taken (the writer slept).</summary>
        public long BalanceDirtyPagesPauses { get; internal set; }
        /// <summary>Virtual time spent paused in balance_dirty_pages.</summary>
        public long ThrottledNs { get; internal set; }
        /// <summary>Rounds that did not run because the writer was paused.</summary>
        public long ThrottledRounds { get; private set; }
        /// <summary>current->nr_dirtied: pages dirtied since the last pause.</summary>
        internal long NrDirtied;
        /// <summary>current->dirty_paused_when.</summary>
        internal long DirtyPausedWhenNs;
        /// <summary>The writer sleeps in balance_dirty_pages until this virtual time.</summary>
        internal long ThrottledUntilNs;
        /// <summary>A page-cache set that accesses its pages again (HotSet, Random of FileCache): its evicted pages are
        /// re-read, and their shadow entries kept.</summary>
        internal bool IsFileSet => Owner == PageOwner.FileCache && Pattern != WorkingSetPattern.Streaming;

        /// <summary>Rounds of this set allocate (a Streaming read, or a page-cache set reading evicted pages again), so they
        /// never run inside reclaim.</summary>
        internal bool AllocatesInRound => Pattern == WorkingSetPattern.Streaming || IsFileSet;

        /// <summary>The shadow entry left in page <paramref name="index"/>'s slot of this set's file (0: none or resident, or
        /// the set stopped), in the node's pack_shadow layout with the eviction counter as it would be read now
        /// (<see cref="ShadowRefault.FromSlotShadow"/>).</summary>
        public long ShadowOf(int index)
        {
            if (!IsFileSet || _base == 0 || index < 0 || index >= _count) return 0;
            int note = Node.Allocations.NoteOf(_base + index);
            return note == 0 ? 0 : ShadowRefault.FromSlotShadow(Node, note);
        }

        /// <summary>Streaming: the ring was packed after the read ended.</summary>
        internal bool RingPacked => _ringPacked;

        /// <summary>Streaming: slots the ring holds, live or dead (0 for other sets).</summary>
        internal long RingSlots
        {
            get
            {
                long n = 0;
                for (int k = 0; k < _ringCount; k++) n += _ring![2 * k + 1];
                return n;
            }
        }

        /// <summary>Streaming: the whole file has been read (or written).</summary>
        public bool Finished => Pattern == WorkingSetPattern.Streaming && PagesRead >= TargetPages;

        /// <summary>The set's allocation handles, built when asked for from its slots: a HotSet or Random set's, live or not,
        /// page i at i; a Streaming read's, those of its pages still resident, in the ring's order. The pack after a read
        /// ends gives the pages it moves new handles: their handles from before are refused from then on.</summary>
        public IReadOnlyList<long> Handles
        {
            get
            {
                if (_stoppedHandles != null) return _stoppedHandles;
                var table = Node.Allocations;
                if (_ring != null) return RingHandles();
                var h = new long[_count];
                for (int i = 0; i < h.Length; i++) h[i] = table.HandleOf(_base + i);
                return h;
            }
        }

        /// <summary>Pages of the set still resident (handles reclaim has not dropped).</summary>
        public long ResidentPages
        {
            get
            {
                long n = 0;
                var table = Node.Allocations;
                if (_stoppedHandles != null)
                {
                    for (int i = 0; i < _stoppedHandles.Length; i++) if (table.Resolve(_stoppedHandles[i]) >= 0) n++;
                }
                else if (_ring != null)
                {
                    for (int k = 0; k < _ringCount; k++) n += table.RangeLive(_ring[2 * k]);
                }
                else
                {
                    for (int i = 0; i < _count; i++) if (table.IsLive(_base + i)) n++;
                }
                return n;
            }
        }

        internal static WorkingSet Create(MemNode node, WorkingSetOptions o)
        {
            long target = o.TargetPages(node);
            ulong seed = o.Seed ?? node.Random.NextULong();
            var list = node.WorkingSetList;
            int id = list.Count == 0 ? 1 : list[list.Count - 1].Id + 1;
            var ws = new WorkingSet(node, id, o, target, seed);
            // Listed before it allocates, so reclaim during its own allocations can leave shadows in its file; no round of
            // it is due until it has faulted its pages in.
            ws.NextRoundAtNs = long.MaxValue;
            list.Add(ws);
            if (o.Pattern != WorkingSetPattern.Streaming)
            {
                // The set faults its pages in one by one, page i into slot _base+i; the other workloads keep running meanwhile.
                ws._base = node.Allocations.ReserveRange(checked((int)target));
                using (Daemons.Burst(node))
                {
                    for (long i = 0; i < target; i++)
                    {
                        var r = PageAllocator.AllocateInto(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, o.Cpu, o.Owner, ws._base + ws._count);
                        if (!r.Success) { ws.AllocationFailures++; break; }
                        ws._count++;
                        Daemons.AfterRequest(node, o.Cpu, WorkloadCost.PageFaultNs);
                    }
                }
            }
            ws.NextRoundAtNs = node.Clock.NowNs + ws.IntervalNs;
            return ws;
        }

        /// <summary>One access round; a writer sleeping in balance_dirty_pages skips it.</summary>
        internal void RunRound()
        {
            if (Write && Node.Clock.NowNs < ThrottledUntilNs) { ThrottledRounds++; return; }
            Rounds++;
            if (Write && PageWriteback.OverDirtyLimit(Node))
            {
                // Still at the hard limit after the last pause: balance_dirty_pages loops before the next write.
                Throttle();
                return;
            }
            if (Pattern == WorkingSetPattern.Streaming) StreamRound();
            else AccessRound();
            if (Write) Throttle();
        }

        /// <summary>kernel: balance_dirty_pages_ratelimited (mm/page-writeback.c, 4.14), checked once per round.</summary>
        private void Throttle()
        {
            long pause = PageWriteback.BalanceDirtyPages(Node, this);
            if (pause > 0) ThrottledUntilNs = Node.Clock.NowNs + pause;
        }

        /// <summary>A write to a page-cache page: set_page_dirty (a page already dirty stays as it is).</summary>
        private void Dirty(int index)
        {
            if (Node.Pages.Has(index, PageFlags.Dirty)) return;
            PageAccess.SetDirtyIndex(Node, index);
            PagesDirtied++;
            NrDirtied++;
        }

        private void AccessRound()
        {
            var node = Node;
            var table = node.Allocations;
            bool mapped = Owner == PageOwner.Anon;
            bool random = Pattern == WorkingSetPattern.Random;
            bool file = IsFileSet;
            double p = AccessFraction;
            long accesses = 0, skipped = 0;
            for (int i = 0; i < _count; i++)
            {
                if (random && _rng.NextDouble() >= p) continue;
                int slot = _base + i;
                if (!table.IsLive(slot))
                {
                    if (!file) { skipped++; continue; }
                    if (ReadAgain(i)) accesses++;
                    continue;
                }
                int index = table.IndexOf(slot);
                if (mapped) PageAccess.TouchMappedIndex(node, index);
                else PageAccess.MarkAccessedIndex(node, Cpu, index);
                if (Write) Dirty(index);
                accesses++;
            }
            Accesses += accesses;
            Skipped += skipped;
        }

        /// <summary>A read that missed the page cache (generic_file_buffered_read → page_cache_sync_readahead): allocate a
        /// page, add_to_page_cache_lru with the slot's shadow entry, then mark_page_accessed as the read copies it. A -Write
        /// set's miss is grab_cache_page_write_begin (__GFP_WRITE: the refault is not evaluated), then the page is dirtied.</summary>
        private bool ReadAgain(int i)
        {
            var node = Node;
            var table = node.Allocations;
            // The slot holds the shadow until the new page fills it; the distance is measured after the allocation, when
            // the read finds the shadow (reclaim inside the allocation ages inactive_age first, as it would in the kernel).
            int note = table.NoteOf(_base + i);
            var r = PageAllocator.AllocateInto(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, Cpu, PageOwner.FileCache, _base + i);
            if (!r.Success) { AllocationFailures++; return false; }
            int index = table.IndexOf(_base + i);
            long shadow = note == 0 ? 0 : ShadowRefault.FromSlotShadow(node, note);
            var res = ShadowRefault.AddToPageCache(node, index, shadow, Write);
            if (res.Activate) RefaultsActivated++;
            Refaults++;
            PageAccess.MarkAccessedIndex(node, Cpu, index);
            if (Write) Dirty(index);
            VirtualTime.Pass(node, WorkloadCost.PageCacheReadNs);
            return true;
        }

        /// <summary>Where workingset_eviction's shadow goes: when allocation slot <paramref name="slot"/> of page
        /// <paramref name="page"/> is in the range of a running page-cache set, the page leaves the set's file there and then:
        /// the slot dies with the shadow in it, and the page, now out of the mapping, keeps no handle until it is freed.
        /// Nothing happens for a page no running set's file owns (its slot dies when the page is freed).</summary>
        internal static void StoreShadow(MemNode node, int page, int slot, long shadow)
        {
            if (!node.HasWorkingSets) return;
            var table = node.Allocations;
            if (!table.IsLive(slot) || table.IndexOf(slot) != page) return;
            var list = node.WorkingSetList;
            for (int k = 0; k < list.Count; k++)
            {
                var ws = list[k];
                if (!ws.IsFileSet || ws._base == 0 || slot < ws._base || slot - ws._base >= ws._count) continue;
                table.RemoveWithNote(slot, ShadowRefault.ToSlotShadow(node, shadow));
                node.Pages.Handle[page] = 0;
                return;
            }
        }

        /// <summary>The set stops: its handles are kept for <see cref="Handles"/> and its range of slots is given back
        /// (live pages keep their slots as ordinary allocations; their evictions leave no shadow from now on).</summary>
        internal void Unregister()
        {
            if (_ring != null)
            {
                _stoppedHandles = RingHandles();
                for (int k = 0; k < _ringCount; k++) Node.Allocations.ReleaseRange(_ring[2 * k]);
                _ringCount = 0; _cursor = 0; _cursorSlot = 0;
                return;
            }
            if (_base == 0) return;
            var table = Node.Allocations;
            var h = new long[_count];
            for (int i = 0; i < h.Length; i++) h[i] = table.HandleOf(_base + i);
            _stoppedHandles = h;
            table.ReleaseRange(_base);
            _base = 0;
        }

        private void StreamRound()
        {
            var node = Node;
            var table = node.Allocations;
            int n = (int)Math.Min(PagesPerRound, TargetPages - PagesRead);
            PrepareRing(n);
            for (int i = 0; i < n; i++)
            {
                int slot = NextDeadRingSlot();
                var r = PageAllocator.AllocateInto(node, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, Cpu, PageOwner.FileCache, slot);
                if (!r.Success) { AllocationFailures++; break; }
                // generic_file_buffered_read (or generic_perform_write): the page is added to the cache, then
                // mark_page_accessed once; a write dirties it.
                int index = table.IndexOf(slot);
                PageAccess.MarkAccessedIndex(node, Cpu, index);
                if (Write) Dirty(index);
                PagesRead++;
                Accesses++;
                VirtualTime.Pass(node, WorkloadCost.PageCacheReadNs);
            }
            // The reclaim the read woke kswapd for goes on after its last page (kswapd balances up to the high watermarks and
            // takes more of its oldest pages); once kswapd sleeps, the read's pages stay as they are until other memory users
            // press.
            if (PagesRead >= TargetPages && !_ringPacked && PackRingAtEnd && node.KswapdSt.KState == KswapdState.Sleeping)
            {
                PackRing();
                _ringPacked = true;
            }
        }

        /// <summary>The read has read its whole file and kswapd is asleep, so its pages are a fixed set until reclaim takes
        /// more of them: each live slot moves down into the first dead one before it in ring order (the page's Handle
        /// follows it, and <see cref="Handles"/> keeps its order), and the slots after the last live one are given back to
        /// the table, which drops them when they are its top. The ring held slots for the read's peak; it now holds one a
        /// resident page. A dead ring slot holds no note to lose: reclaim leaves shadows only in the slots of sets that
        /// read their pages again.</summary>
        private void PackRing()
        {
            var table = Node.Allocations;
            var handle = Node.Pages.Handle;
            var ring = _ring!;
            if (_ringCount == 0) return;
            int wk = 0, ws = ring[0]; // where the next live slot goes: ring entry and slot
            for (int k = 0; k < _ringCount; k++)
                for (int s = ring[2 * k], e = s + ring[2 * k + 1]; s < e; s++)
                {
                    if (!table.IsLive(s)) continue;
                    if (ws == ring[2 * wk] + ring[2 * wk + 1]) ws = ring[2 * ++wk];
                    if (s != ws)
                    {
                        handle[table.IndexOf(s)] = ws;
                        table.MoveSlot(s, ws);
                    }
                    ws++;
                }
            int kept = ws - ring[2 * wk];
            // Highest range first, so that when one leaves the table's top the one below it may be the top in turn.
            for (int below = int.MaxValue; ;)
            {
                int j = -1;
                for (int i = wk; i < _ringCount; i++)
                    if (ring[2 * i] < below && (j < 0 || ring[2 * i] > ring[2 * j])) j = i;
                if (j < 0) break;
                below = ring[2 * j];
                int keep = j == wk ? kept : 0;
                if (keep < ring[2 * j + 1]) table.CutRange(ring[2 * j], keep);
            }
            ring[2 * wk + 1] = kept;
            _ringCount = kept == 0 ? wk : wk + 1;
            _cursor = 0;
            _cursorSlot = _ringCount == 0 ? 0 : ring[0];
            table.FitCapacity();
        }

        /// <summary>The ring grows by at least this many slots. Each growth may copy the allocation table; the steps are
        /// halves of the free memory the read can still take, so they shrink as memory fills and a read that keeps pace
        /// with reclaim stops growing, and the ring ends within about this many slots of its most pages resident.</summary>
        private const int RingMinGrowth = 256;

        /// <summary>Makes sure the ring has <paramref name="n"/> dead slots for this round's reads (the slots reclaim freed
        /// are dead, so once reclaim keeps pace the ring stops growing), and gives back ranges whose pages are all gone
        /// while more than half the ring is dead (the read finished, or other memory users squeezed its cache).</summary>
        private void PrepareRing(int n)
        {
            var table = Node.Allocations;
            long slots = 0, dead = 0;
            for (int k = 0; k < _ringCount; k++)
            {
                int count = _ring![2 * k + 1];
                slots += count;
                dead += count - table.RangeLive(_ring[2 * k]);
            }
            for (int k = _ringCount - 1; k >= 0 && 2 * dead > slots; k--)
            {
                int first = _ring![2 * k], count = _ring[2 * k + 1];
                if (dead - count < n || table.RangeLive(first) != 0) continue;
                table.ReleaseRange(first);
                Array.Copy(_ring, 2 * k + 2, _ring, 2 * k, 2 * (_ringCount - k - 1));
                _ringCount--;
                slots -= count; dead -= count;
                if (_cursor > k) _cursor--;
                else if (_cursor == k)
                {
                    if (_cursor == _ringCount) _cursor = 0;
                    _cursorSlot = _ringCount == 0 ? 0 : _ring[2 * _cursor];
                }
            }
            if (dead >= n) return;
            // The read's pages can take the free memory above the low watermarks (there the fast path wakes kswapd, which
            // then holds free memory between the watermarks), less the lowmem_reserve a lower zone keeps from a Normal or
            // Movable allocation. The ring reserves half of that at once: a read filling an idle node grows it a few times,
            // halving the step as free memory runs out, and ends with about the slots its pages fill at their peak. Never
            // more than the rest of the file needs.
            long remaining = TargetPages - PagesRead;
            long step = Math.Max(RingMinGrowth, ReadableFreePages() / 2);
            int grow = (int)Math.Min(int.MaxValue / 4, Math.Max(n - dead, Math.Min(step, remaining - dead)));
            // The new slots follow the entry being filled, so the read reaches them next and the ring stays in the order it
            // was read: the oldest pages, which reclaim drops first, are the ones the read comes to after them.
            if (_ringCount > 0 && table.ExtendRange(_ring![2 * _cursor], grow))
            {
                _ring[2 * _cursor + 1] += grow;
                return;
            }
            int start = table.ReserveRange(grow);
            if (2 * _ringCount + 2 > _ring!.Length) Array.Resize(ref _ring, _ring.Length * 2);
            int at = _ringCount == 0 ? 0 : _cursor + 1;
            Array.Copy(_ring, 2 * at, _ring, 2 * at + 2, 2 * (_ringCount - at));
            _ring[2 * at] = start;
            _ring[2 * at + 1] = grow;
            _ringCount++;
            if (_ringCount == 1) { _cursor = 0; _cursorSlot = start; }
        }

        /// <summary>Free pages a page-cache read can take before its allocations wake kswapd: in each zone its
        /// GFP_HIGHUSER_MOVABLE request may use, those above the low watermark and the zone's lowmem_reserve against the
        /// request's class zone (the first zone of the zonelist it may use).</summary>
        private long ReadableFreePages()
        {
            var node = Node;
            int highZoneIdx = PageAllocator.HighZoneIdx(node, GfpFlags.GFP_HIGHUSER_MOVABLE), classzoneIdx = -1;
            foreach (var z in node.Zonelist) if (z.Idx <= highZoneIdx) { classzoneIdx = z.Idx; break; }
            if (classzoneIdx < 0) return 0;
            long pages = 0;
            foreach (var z in node.ZoneArr)
                if (z.Idx <= highZoneIdx) pages += Math.Max(0, z.NrFreePages - z.WatermarkLow - z.LowmemReserveArr[classzoneIdx]);
            return pages;
        }

        /// <summary>The next dead slot of the ring from the cursor on (one exists: <see cref="PrepareRing"/> made sure). The
        /// cursor passes it, so a read that fails leaves it for the next lap.</summary>
        private int NextDeadRingSlot()
        {
            var table = Node.Allocations;
            var ring = _ring!;
            while (true)
            {
                int end = ring[2 * _cursor] + ring[2 * _cursor + 1];
                while (_cursorSlot < end)
                {
                    int s = _cursorSlot++;
                    if (!table.IsLive(s)) return s;
                }
                _cursor = _cursor + 1 == _ringCount ? 0 : _cursor + 1;
                _cursorSlot = ring[2 * _cursor];
            }
        }

        /// <summary>The handles of a Streaming read's resident pages, in ring order.</summary>
        private long[] RingHandles()
        {
            var table = Node.Allocations;
            var h = new List<long>();
            for (int k = 0; k < _ringCount; k++)
                for (int s = _ring![2 * k], e = s + _ring[2 * k + 1]; s < e; s++)
                    if (table.IsLive(s)) h.Add(table.HandleOf(s));
            return h.ToArray();
        }

        public override string ToString() => $"{Name} {Pattern} {Owner} {TargetPages} pages";
    }

    /// <summary>The per-node list of running access workloads (Add-WorkingSet) and their driver.</summary>
    public static class WorkingSets
    {
        /// <summary>Creates a working set: HotSet and Random allocate their pages now (GFP_HIGHUSER_MOVABLE, through the
        /// slow path and reclaim, one fault at a time as virtual time passes); Streaming allocates as it reads, in its
        /// rounds (<see cref="RunDue"/>, from Daemons.Step).</summary>
        public static WorkingSet Add(MemNode node, WorkingSetOptions options)
        {
            if (node == null) throw new ArgumentNullException(nameof(node));
            if (options == null) throw new ArgumentNullException(nameof(options));
            options.Validate(node);
            return WorkingSet.Create(node, options);
        }

        /// <summary>The node's running workloads (a snapshot: stopping one while enumerating is safe).</summary>
        public static IReadOnlyList<WorkingSet> Get(MemNode node) => node.HasWorkingSets ? node.WorkingSetList.ToArray() : new WorkingSet[0];

        /// <summary>Stops a workload (its pages stay allocated; free them with Remove-PageAllocation).</summary>
        public static bool Remove(MemNode node, WorkingSet ws)
        {
            if (!node.HasWorkingSets || !node.WorkingSetList.Remove(ws)) return false;
            ws.Unregister();
            return true;
        }

        /// <summary>The clock time of the earliest pending round (long.MaxValue with no workloads); with
        /// <paramref name="accessOnly"/>, sets that allocate in their rounds (Streaming, and page-cache sets that re-read
        /// evicted pages) are left out.</summary>
        internal static long NextDueNs(MemNode node, bool accessOnly)
        {
            if (!node.HasWorkingSets) return long.MaxValue;
            var list = node.WorkingSetList;
            long next = long.MaxValue;
            for (int i = 0; i < list.Count; i++)
                if ((!accessOnly || !list[i].AllocatesInRound) && list[i].NextRoundAtNs < next) next = list[i].NextRoundAtNs;
            return next;
        }

        /// <summary>Runs every round that is due by the node's clock, earliest first (ties: the order the workloads were
        /// added). Called as virtual time passes anywhere, so accesses interleave with reclaim as they would on other
        /// CPUs; inside reclaim only access rounds run (<paramref name="accessOnly"/>), never a Streaming read or a page-cache
        /// set's re-read, which allocate.</summary>
        internal static void RunDue(MemNode node, bool accessOnly)
        {
            if (!node.HasWorkingSets || node.InWorkloadRound) return;
            var list = node.WorkingSetList;
            node.InWorkloadRound = true;
            try
            {
                // Only rounds due when this call began: a round that outlasts its interval (a thrashing page-cache set
                // re-reading most of its pages) leaves the next one to the caller's next look, instead of looping here.
                long now = node.Clock.NowNs;
                while (true)
                {
                    int best = -1;
                    for (int i = 0; i < list.Count; i++)
                    {
                        var w = list[i];
                        if (w.NextRoundAtNs > now || (accessOnly && w.AllocatesInRound)) continue;
                        if (best < 0 || w.NextRoundAtNs < list[best].NextRoundAtNs) best = i;
                    }
                    if (best < 0) break;
                    var ws = list[best];
                    ws.NextRoundAtNs += ws.IntervalNs;
                    ws.RunRound();
                    if (ws.Write) Flusher.Advance(node, node.Clock.NowNs); // a flusher the round kicked starts at once (its own kworker)
                }
            }
            finally { node.InWorkloadRound = false; }
        }
    }

    /// <summary>Virtual-time costs (ns) of a workload's own work on a Cortex-A53: what lets the other CPUs' accesses and
    /// the daemons run while a set faults in or reads.</summary>
    internal static class WorkloadCost
    {
        /// <summary>An anonymous or shmem page fault: allocate, zero 4 KiB, map.</summary>
        internal const long PageFaultNs = 1_000;
        /// <summary>One page of a buffered read: add to the page cache and copy 4 KiB to user space.</summary>
        internal const long PageCacheReadNs = 1_000;
        /// <summary>One alloc_pages call the task makes without faulting or clearing the page (Add-Pressure's requests,
        /// New-PageAllocation): the zonelist walk, the watermark check and the per-cpu or buddy list take. A quarter of a
        /// page fault, so such a stream allocates faster than kswapd reclaims clean page cache (Vmscan.ScanPageCostNs).</summary>
        internal const long AllocPagesNs = 250;
    }
}
