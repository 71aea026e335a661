using System.Collections.Generic;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Swap;
using MemMgmt.Core.Workloads;
using Xunit;

namespace MemMgmt.Core.Tests.Workloads
{
    public class BookkeepingTests
    {
        [Fact]
        public void Freed_slots_are_reused_last_freed_first_and_a_stale_handle_never_resolves()
        {
            var t = new AllocationTable();
            t.Add(10, out long h1);
            t.Add(11, out long h2);
            t.Add(12, out long h3);
            t.Remove(t.Resolve(h1));
            t.Remove(t.Resolve(h3));
            int slot = t.Add(20, out long h4);
            Assert.Equal(3, slot); // the last freed slot first, as the free-slot stack did
            Assert.Equal(-1, t.Resolve(h3)); // same slot, older generation
            Assert.Equal(-1, t.Resolve(h1));
            Assert.Equal(11, t.IndexOf(t.Resolve(h2)));
            Assert.Equal(2, t.LiveCount);
        }

        [Fact]
        public void A_reserved_range_keeps_its_dead_slots_for_its_owner_until_released()
        {
            var t = new AllocationTable();
            t.Add(1, out long before);
            int first = t.ReserveRange(4);
            Assert.Equal(2, first);
            t.AddAt(first, 10, out long h0);
            t.AddAt(first + 1, 11, out long h1);
            Assert.Throws<System.InvalidOperationException>(() => t.AddAt(first + 1, 12, out _)); // live already
            t.Remove(t.Resolve(h0));
            // A freed range slot is not handed to anyone else, and its old handle stays dead when the owner refills it.
            int other = t.Add(20, out _);
            Assert.Equal(first + 4, other);
            t.AddAt(first, 13, out long h0b);
            Assert.Equal(-1, t.Resolve(h0));
            Assert.Equal(13, t.IndexOf(t.Resolve(h0b)));
            // Trim keeps reserved slots, dead or not.
            t.Remove(t.Resolve(h0b));
            t.Trim();
            Assert.Equal(first + 5, t.SlotCount);
            // Released: the live slot stays live, the dead ones are handed out again, lowest first.
            t.ReleaseRange(first);
            Assert.Equal(11, t.IndexOf(t.Resolve(h1)));
            Assert.Equal(first, t.Add(30, out _));
            Assert.Equal(first + 2, t.Add(31, out _));
            Assert.Equal(5, t.LiveCount); // before, the range's live slot, other, and the two new ones
            Assert.Equal(1, t.IndexOf(t.Resolve(before)));
        }

        [Fact]
        public void A_dead_range_slot_keeps_its_note_until_refilled_or_released_and_ranges_count_their_live_slots()
        {
            var t = new AllocationTable();
            int a = t.ReserveRange(4);
            for (int s = a; s < a + 4; s++) t.AddAt(s, 100 + s, out _);
            Assert.Equal(4, t.RangeLive(a));
            t.RemoveWithNote(a + 1, 0x5a5a5a5);
            t.Remove(a + 2);
            Assert.Equal(2, t.RangeLive(a));
            Assert.Equal(0x5a5a5a5, t.NoteOf(a + 1));
            Assert.Equal(0, t.NoteOf(a + 2)); // dead without a note
            Assert.Equal(0, t.NoteOf(a));     // live
            Assert.False(t.IsLive(a + 1));
            Assert.Throws<System.InvalidOperationException>(() => t.RemoveWithNote(a + 1, 1)); // dead already
            int plain = t.Add(7, out long hp);
            Assert.Throws<System.InvalidOperationException>(() => t.RemoveWithNote(plain, 1)); // not in a range
            // Trim keeps a noted slot (a negative index inside a range is no free-list link).
            t.Remove(t.Resolve(hp));
            t.Trim();
            Assert.Equal(a + 4, t.SlotCount);
            Assert.Equal(0x5a5a5a5, t.NoteOf(a + 1));
            // Refilling takes the note's place.
            t.AddAt(a + 1, 55, out long h1);
            Assert.Equal(55, t.IndexOf(t.Resolve(h1)));
            Assert.Equal(0, t.NoteOf(a + 1));
            Assert.Equal(3, t.RangeLive(a));
            // The topmost range grows in place while nothing was made above it, not after.
            Assert.True(t.ExtendRange(a, 2));
            Assert.Equal(a + 6, t.SlotCount);
            t.AddAt(a + 5, 9, out _);
            Assert.Equal(4, t.RangeLive(a));
            int b = t.ReserveRange(1);
            Assert.False(t.ExtendRange(a, 2));
            Assert.True(t.ExtendRange(b, 2));
            // The copy and a shrink keep the counts; a released range's dead slots (noted or not) are handed out again.
            t.RemoveWithNote(a + 5, 3);
            var c = t.Clone();
            Assert.Equal(3, c.RangeLive(a));
            Assert.Equal(3, c.NoteOf(a + 5));
            t.ShrinkRange(a, 3);
            Assert.Equal(2, t.RangeLive(a)); // a and a+1; a+3 is an ordinary live slot now
            Assert.True(t.IsLive(a + 3));
            t.ReleaseRange(a);
            Assert.True(t.IsLive(a) && t.IsLive(a + 1));
            Assert.Equal(a + 2, t.Add(8, out _));
        }

        [Fact]
        public void A_shrunk_range_gives_back_its_tail_and_frees_in_any_range_find_their_range()
        {
            var t = new AllocationTable();
            int a = t.ReserveRange(3);
            int b = t.ReserveRange(5);
            int c = t.ReserveRange(2);
            for (int s = b; s < b + 5; s++) t.AddAt(s, s * 10, out _);
            t.AddAt(a + 2, 7, out long ha);
            t.AddAt(c, 8, out long hc);
            // A freed slot of any of the three ranges stays reserved (the search finds the range in the middle too).
            t.Remove(t.Resolve(ha));
            t.Remove(t.Resolve(hc));
            t.Remove(b + 4);
            Assert.Throws<System.InvalidOperationException>(() => t.ShrinkRange(b + 1, 2)); // not a range's first slot
            Assert.Throws<System.InvalidOperationException>(() => t.ShrinkRange(b, 6));
            t.ShrinkRange(b, 3);
            // The live slot b+3 stays live as an ordinary slot; the dead b+4 is handed out; the other ranges keep theirs.
            Assert.Equal((b + 3) * 10, t.IndexOf(b + 3));
            Assert.True(t.IsLive(b + 3));
            Assert.Equal(b + 4, t.Add(99, out long hx));
            t.Remove(t.Resolve(hx));
            t.AddAt(a + 2, 9, out _);
            t.AddAt(c, 9, out _);
            t.ReleaseRange(a);
            t.ReleaseRange(c);
            t.ReleaseRange(b);
            Assert.Throws<System.InvalidOperationException>(() => t.ReleaseRange(b));
        }

        [Fact]
        public void A_started_process_takes_one_slot_a_page_and_gives_its_slots_back_at_exit()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB, Seed = 3 });
            var table = node.Allocations;
            int slotsBefore = table.SlotCount, liveBefore = table.LiveCount;
            var p = Processes.Start(node, new ProcessOptions { Name = "app", AnonPages = 3000, FilePages = 1000, ShmemPages = 500 });
            Assert.Null(p.FaultFailure);
            // One range sized up front: the table grew by the process's pages exactly, and three runs describe them.
            Assert.Equal(slotsBefore + 4500, table.SlotCount);
            Assert.Equal(liveBefore + 4500, table.LiveCount);
            Assert.Equal(3, p.RunCount);
            Assert.Equal((3000, 1000, 500), (p.AnonRss, p.FileRss, p.ShmemRss));
            Processes.Exit(node, p.Pid);
            // Anon and shmem pages freed; the page cache keeps the file pages, whose slots stay live as ordinary ones.
            Assert.Equal(liveBefore + 1000, table.LiveCount);
            Assert.Equal(0, p.RunCount);
            var again = Processes.Start(node, new ProcessOptions { Name = "next", AnonPages = 3500 });
            Assert.Equal(3500, again.Rss);
            Assert.Empty(InvariantChecker.Check(node));
        }

        private static int Ranges(SimProcess p)
        {
            int n = 0;
            for (int k = 0; k < p.RunCount; k++) if ((p.RunFlags(k) & SimProcess.RunRangeStart) != 0) n++;
            return n;
        }

        [Fact]
        public void A_process_faulting_page_by_page_grows_its_ranges_and_drops_those_swapped_out_whole()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB, Seed = 3 });
            SwapDevice.Configure(node, 64 * NodeConfig.MiB);
            var p = Processes.Spawn(node, "tool");
            for (int i = 0; i < 1000; i++) Assert.True(Processes.Allocate(node, p, i % 100 == 99 ? 1 : 0).Success);
            Assert.Equal(1010, p.Rss);
            // Ranges of 64, then half again what it holds: a run per range and per change of order, and few slots unfilled.
            Assert.InRange(Ranges(p), 4, 10);
            Assert.InRange(p.RunCount, Ranges(p) + 2 * 10 - 2, Ranges(p) + 2 * 10); // a change of order at a range start takes no run of its own
            Assert.InRange(p.ReservedEnd - (p.RunSlot(p.RunCount - 1) + p.RunLength(p.RunCount - 1)), 0, 500);
            // Reclaim swaps everything out: every range but the newest is dead and goes back to the table.
            long live = node.Allocations.LiveCount;
            var sc = new ScanControl { ReclaimIdx = node.ZoneArr.Length - 1 };
            for (int pass = 0; pass < 4; pass++)
            {
                Vmscan.ShrinkActiveList(node, 2000, 0, sc, (int)LruList.ActiveAnon);
                Vmscan.ShrinkInactiveList(node, 2000, 0, sc, (int)LruList.InactiveAnon);
                Writeback.WritebackIo.Sleep(node, Writeback.WritebackIo.LatencyNs);
            }
            Assert.Equal(0, p.Rss);
            Assert.Equal(live - 1000, node.Allocations.LiveCount);
            Assert.Equal(1010 + 3, OomKiller.OomBadness(p, 100000)); // swap entries, two PTE tables, one PMD table
            Assert.Equal(1, Ranges(p));
            Assert.Equal(1010, p.SwapEntries);
            Assert.Empty(InvariantChecker.Check(node));
        }

        [Fact]
        public void A_bulk_request_sizes_the_handle_table_once_and_a_working_set_takes_one_slot_a_page()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 256 * NodeConfig.MiB });
            var t = node.Allocations;
            int boot = t.LiveCount;
            PageAllocator.ReserveHandles(node, 5000, 0);
            for (int i = 0; i < 5000; i++) Assert.True(PageAllocator.Allocate(node, 0, GfpFlags.GFP_KERNEL).Success);
            Assert.Equal(t.SlotCount, t.Capacity); // grown once to exactly the slots used, no doubling slack
            var ws = WorkingSets.Add(node, new WorkingSetOptions { Pattern = WorkingSetPattern.HotSet, Owner = PageOwner.Anon, Percent = 10 });
            Assert.Equal(t.SlotCount, t.Capacity);
            Assert.Equal(boot + 5000 + ws.TargetPages, t.LiveCount);
            Assert.Equal(t.LiveCount + 1, t.SlotCount); // every slot (but the "none" slot 0) holds a live page
            Assert.Equal(ws.TargetPages, ws.ResidentPages);
            Assert.Empty(InvariantChecker.Check(node));
        }

        [Fact]
        public void Trim_gives_back_trailing_free_slots_and_a_handle_to_one_stays_dead_when_the_slot_is_made_again()
        {
            var t = new AllocationTable();
            var handles = new List<long>();
            for (int i = 0; i < 1000; i++) { t.Add(i, out long h); handles.Add(h); }
            for (int i = 2; i < 1000; i++) t.Remove(t.Resolve(handles[i]));
            t.Remove(t.Resolve(handles[0]));
            t.Trim();
            Assert.Equal(3, t.SlotCount); // slot 0 (none), the freed slot 1, the live slot 2
            Assert.Equal(1, t.LiveCount);
            Assert.Equal(1, t.IndexOf(t.Resolve(handles[1])));
            // Slots 1, 3, 4 ... are made again: no handle from before the trim resolves to them.
            for (int i = 0; i < 1000; i++) t.Add(5000 + i, out _);
            for (int i = 0; i < 1000; i++)
                if (i != 1) Assert.Equal(-1, t.Resolve(handles[i]));
            Assert.Equal(1001, t.LiveCount);
        }

        [Fact]
        public void Add_pressure_leaves_the_fill_allocated_without_handles_and_returns_only_the_requests_handles()
        {
            var node = new MemNode(new NodeConfig { SizeBytes = 256L << 20, CmaBytes = 0 });
            var before = PageAllocator.Allocate(node, 3, GfpFlags.GFP_KERNEL);
            Assert.True(before.Success);
            var rep = Pressure.Run(node, new PressureOptions { Percent = 100, Pattern = PressurePattern.EveryOther, Order = 2, Requests = 8, Seed = 3 });
            long fillLive = rep.PagesAllocated - rep.PagesFreed - 4L * rep.Handles.Count;
            Assert.True(fillLive > 20000, $"fill pages left: {fillLive}");
            // Only the allocation made before the run and the requests keep handles; the table gave back the rest.
            Assert.Equal(rep.Handles.Count + 1, node.Allocations.LiveCount);
            Assert.True(node.Allocations.SlotCount <= fillLive / 100, $"table keeps {node.Allocations.SlotCount} slots");
            Assert.True(PageAllocator.TryGetAllocation(node, before.Handle, out long pfn, out int beforeOrder) && beforeOrder == 3 && pfn == before.Pfn);
            foreach (long h in rep.Handles)
                Assert.True(PageAllocator.TryGetAllocation(node, h, out _, out int order) && order == 2);
            // The fill's pages are still allocated and owned; no page refers to a handle the table no longer has.
            long allocatedHeads = 0;
            for (int i = 0; i < node.SpannedPages; i++)
                if ((node.Pages.Flags[i] & (uint)PageFlags.Allocated) != 0 && node.Pages.Owner[i] == (byte)PageOwner.Anon) allocatedHeads++;
            Assert.True(allocatedHeads >= fillLive, $"{allocatedHeads} anon pages allocated, {fillLive} expected from the fill");
            Assert.Empty(InvariantChecker.Check(node));
        }
    }
}
