using System.Collections.Generic;
using System.Linq;
using MemMgmt.Core.Allocation;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using Xunit;

namespace MemMgmt.Core.Tests.Reclaim
{
    public class MemcgHierarchyTests
    {
        private static void Charge(MemNode node, string path, int n, PageOwner owner = PageOwner.FileCache)
        {
            for (int i = 0; i < n; i++)
            {
                var r = MemCgroups.Allocate(node, path, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, owner);
                Assert.True(r.Success, r.FailureReason);
            }
        }

        private static List<string> Names(MemNode node, IReadOnlyList<int> ids)
        {
            var l = new List<string>();
            foreach (var id in ids) l.Add(id == 0 ? "/" : node.MemcgSt.Memcgs[id]!.Path);
            return l;
        }

        [Fact]
        public void PathsParentsAndHierarchicalUsage()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var web = MemCgroups.Create(node, "web", swappiness: 30);
            var fe = MemCgroups.Create(node, "frontend", parent: "/web");
            var be = MemCgroups.Create(node, "/web/backend/");
            Assert.Equal("web/frontend", fe.Name);
            Assert.Equal("/web/frontend", fe.Path);
            Assert.Equal("frontend", fe.LeafName);
            Assert.Equal("/web", fe.Parent);
            Assert.Equal("/", web.Parent);
            Assert.Equal(2, be.Depth);
            Assert.Equal(30, fe.Swappiness); // inherited from the parent, not vm.swappiness
            Assert.Same(fe, MemCgroups.Get(node, "/web/frontend"));
            Charge(node, "web/frontend", 300);
            Charge(node, "web/backend", 200, PageOwner.Anon);
            Charge(node, "web", 50);
            Assert.Equal(300, fe.Usage);
            Assert.Equal(50, web.LocalUsage);
            Assert.Equal(550, web.Usage); // memory.current counts the descendants
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>page_counter_try_charge walks up: the lowest ancestor over its max fails the charge and only its
        /// subtree is reclaimed; a sibling subtree and the root's pages stay.</summary>
        [Fact]
        public void ChargeFailsAtTheAncestorAndLimitReclaimStaysInItsSubtree()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var rootPages = ReclaimTestKit.Fill(node, PageOwner.FileCache, 1000);
            var web = MemCgroups.Create(node, "web", max: 1000);
            var a = MemCgroups.Create(node, "web/a");
            var b = MemCgroups.Create(node, "web/b");
            var c = MemCgroups.Create(node, "web/c", max: 100);
            var other = MemCgroups.Create(node, "other");
            var ox = MemCgroups.Create(node, "other/x");
            Charge(node, "other/x", 1500);
            Charge(node, "web/a", 600);
            Assert.Equal(0, web.MaxEvents);
            for (int i = 0; i < 600; i++)
            {
                Charge(node, "web/b", 1);
                Assert.True(web.Usage <= 1000);
            }
            Assert.True(web.MaxEvents > 0);
            Assert.Equal(0, a.MaxEvents);
            Assert.Equal(0, b.MaxEvents);
            Assert.True(a.Usage < 600); // reclaimed although a itself has no limit
            Assert.Equal(a.Usage + b.Usage, web.Usage);
            Assert.Equal(1500, ox.Usage);
            Assert.Equal(1500, other.Usage);
            Assert.Equal(1000, ReclaimTestKit.LiveCount(node, rootPages));
            Assert.Equal(0, ox.LowEvents + ox.MaxEvents + other.MaxEvents);

            // With room in web, the child's own lower limit is hit first: web/c takes the max event, web does not.
            MemCgroups.Set(node, "web", max: 5000);
            long webEvents = web.MaxEvents;
            for (int i = 0; i < 150; i++) Charge(node, "web/c", 1);
            Assert.True(c.Usage <= 100);
            Assert.True(c.MaxEvents > 0);
            Assert.Equal(webEvents, web.MaxEvents);
            ReclaimTestKit.AssertClean(node);
        }

        [Fact]
        public void ChargeThatCannotReclaimFailsWithoutMaxEvent()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var p = MemCgroups.Create(node, "p", max: 10);
            MemCgroups.Create(node, "p/q");
            Charge(node, "p/q", 10);
            var r = MemCgroups.Allocate(node, "p/q", 0, GfpFlags.GFP_NOWAIT, PageOwner.FileCache);
            Assert.False(r.Success);
            Assert.Contains("'/p'", r.FailureReason);
            Assert.Equal(0, p.MaxEvents); // try_charge: !gfpflags_allow_blocking goes to nomem before MEMCG_MAX
            Assert.Equal(10, p.Usage);
        }

        /// <summary>4.14 mem_cgroup_low: a child under its memory.low is still reclaimed when its parent is over the
        /// parent's memory.low (0 here); once the parent is protected too, the child is.</summary>
        [Fact]
        public void ChildBelowLowIsReclaimedWhenItsParentIsNot()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var p = MemCgroups.Create(node, "p");
            var c = MemCgroups.Create(node, "p/c", low: 100000);
            var q = MemCgroups.Create(node, "q", low: 100000);
            var r = MemCgroups.Create(node, "r");
            Charge(node, "p/c", 2000);
            Charge(node, "q", 2000);
            Charge(node, "r", 2000);
            Assert.False(MemCgroups.IsLow(node, 0, c.Id));
            Assert.True(MemCgroups.IsLow(node, 0, q.Id));
            var rep = Vmscan.ReclaimPages(node, 1500);
            Assert.True(rep.NrReclaimed >= 1500, string.Join("\n", rep.Steps));
            Assert.True(c.Usage < 2000);
            Assert.Equal(2000, q.Usage);
            Assert.Equal(0, c.LowEvents + q.LowEvents);

            MemCgroups.Set(node, "p", low: 100000);
            Assert.True(MemCgroups.IsLow(node, 0, c.Id));
            long cBefore = c.Usage;
            rep = Vmscan.ReclaimPages(node, 200);
            Assert.True(rep.NrReclaimed >= 200);
            Assert.Equal(cBefore, c.Usage);
            Assert.Equal(2000, q.Usage);
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>The reclaim root is excluded from the walk up: in limit reclaim of p a child under its own low is
        /// protected although p's memory.low is 0, so the sibling without protection pays.</summary>
        [Fact]
        public void LimitReclaimRootIsNotCheckedAgainstItsOwnLow()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var p = MemCgroups.Create(node, "p", max: 1500);
            var c = MemCgroups.Create(node, "p/c", low: 100000);
            var d = MemCgroups.Create(node, "p/d");
            Charge(node, "p/c", 800);
            Charge(node, "p/d", 700);
            Assert.True(MemCgroups.IsLow(node, p.Id, c.Id));
            Assert.False(MemCgroups.IsLow(node, 0, c.Id));
            Assert.False(MemCgroups.IsLow(node, p.Id, p.Id));
            Charge(node, "p/d", 300);
            Assert.Equal(800, c.Usage);
            Assert.True(d.Usage < 1000);
            Assert.True(p.Usage <= 1500);
            Assert.Equal(0, c.LowEvents);
        }

        [Fact]
        public void WalkIsPreOrderWithSiblingsInCreationOrder()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            MemCgroups.Create(node, "a");
            MemCgroups.Create(node, "a/x");
            MemCgroups.Create(node, "b");
            MemCgroups.Create(node, "a/y");
            MemCgroups.Create(node, "a/x/z");
            MemCgroups.Create(node, "b/w");
            Assert.Equal(new[] { "/", "/a", "/a/x", "/a/x/z", "/a/y", "/b", "/b/w" }, Names(node, MemCgroups.WalkOrder(node, 0)));
            int a = MemCgroups.Get(node, "a").Id;
            Assert.Equal(new[] { "/a", "/a/x", "/a/x/z", "/a/y" }, Names(node, MemCgroups.WalkOrder(node, a)));
            // A removed slot is reused by a later group, which still comes last among its siblings.
            MemCgroups.Remove(node, "a/y");
            var c = MemCgroups.Create(node, "c");
            Assert.True(c.Id < MemCgroups.Get(node, "b/w").Id);
            Assert.Equal(new[] { "/", "/a", "/a/x", "/a/x/z", "/b", "/b/w", "/c" }, Names(node, MemCgroups.WalkOrder(node, 0)));
            var all = MemCgroups.GetAll(node);
            Assert.Equal("a", all[0].Name);
            Assert.Equal("c", all[all.Count - 1].Name);
        }

        /// <summary>mem_cgroup_iter with a reclaim cookie: a walk broken off resumes after the last group; a walk that
        /// reaches the end clears the position; a fresh walk at the end starts over at the root.</summary>
        [Fact]
        public void ReclaimIteratorResumesAfterTheLastGroupPerPriority()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            var a = MemCgroups.Create(node, "a");
            var x = MemCgroups.Create(node, "a/x");
            var z = MemCgroups.Create(node, "a/x/z");
            var y = MemCgroups.Create(node, "a/y");
            Assert.Equal(a.Id, MemCgroups.Iter(node, a.Id, -1, 12));
            Assert.Equal(x.Id, MemCgroups.Iter(node, a.Id, a.Id, 12));
            // broken off at x: the next walk at priority 12 starts at z; priority 11 is unaffected
            Assert.Equal(a.Id, MemCgroups.Iter(node, a.Id, -1, 11));
            Assert.Equal(z.Id, MemCgroups.Iter(node, a.Id, -1, 12));
            Assert.Equal(y.Id, MemCgroups.Iter(node, a.Id, z.Id, 12));
            Assert.Equal(-1, MemCgroups.Iter(node, a.Id, y.Id, 12));
            Assert.Equal(a.Id, MemCgroups.Iter(node, a.Id, -1, 12));
            Assert.Equal(x.Id, MemCgroups.Iter(node, a.Id, a.Id, 12));
            Assert.Equal(z.Id, MemCgroups.Iter(node, a.Id, x.Id, 12));
            Assert.Equal(y.Id, MemCgroups.Iter(node, a.Id, z.Id, 12));
            // y saved as the position; a new walk that finds nothing after it restarts at the root
            Assert.Equal(a.Id, MemCgroups.Iter(node, a.Id, -1, 12));
            // removing the group a position points at drops that position
            Assert.Equal(x.Id, MemCgroups.Iter(node, a.Id, a.Id, 12));
            MemCgroups.Remove(node, "a/x/z");
            Assert.Equal(y.Id, MemCgroups.Iter(node, a.Id, x.Id, 12));
            MemCgroups.Remove(node, "a/y");
            Assert.Equal(a.Id, MemCgroups.Iter(node, a.Id, -1, 12));
        }

        /// <summary>Limit reclaim stops once nr_to_reclaim is met and the next call continues with the next group, so
        /// two equal children share the pressure over two calls.</summary>
        [Fact]
        public void LimitReclaimRoundRobinsOverChildren()
        {
            var node = ReclaimTestKit.NewNode(1 * NodeConfig.GiB);
            var p = MemCgroups.Create(node, "p");
            var c1 = MemCgroups.Create(node, "p/c1");
            var c2 = MemCgroups.Create(node, "p/c2");
            Charge(node, "p/c1", 40000);
            Charge(node, "p/c2", 40000);
            var r1 = Vmscan.TryToFreeMemCgroupPages(node, p.Id, 32, GfpFlags.GFP_KERNEL, true);
            long lost1 = 40000 - c1.Usage, lost2 = 40000 - c2.Usage;
            Assert.True(r1.NrReclaimed >= 32);
            Assert.True(lost1 > lost2, $"first call: c1 lost {lost1}, c2 lost {lost2}");
            Vmscan.TryToFreeMemCgroupPages(node, p.Id, 32, GfpFlags.GFP_KERNEL, true);
            long second1 = 40000 - c1.Usage - lost1, second2 = 40000 - c2.Usage - lost2;
            Assert.True(second2 > second1, $"second call: c1 lost {second1}, c2 lost {second2}");
            ReclaimTestKit.AssertClean(node);
        }

        [Fact]
        public void RemoveRefusesAParentAndMovesALeafsPagesToItsParent()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var web = MemCgroups.Create(node, "web");
            var fe = MemCgroups.Create(node, "web/frontend", max: 5000);
            Charge(node, "web/frontend", 400);
            Charge(node, "web/frontend", 100, PageOwner.Anon);
            Charge(node, "web", 50);
            var e = Assert.Throws<MemMgmtException>(() => MemCgroups.Remove(node, "web"));
            Assert.Equal("MemcgHasChildren", e.ErrorId);
            Assert.Contains("/web/frontend", e.Message);
            Assert.Equal(2, MemCgroups.GetAll(node).Count);
            Assert.Equal(500, fe.Usage);

            long inactiveFile = Lru.Size(node, fe.Id, LruList.InactiveFile) + Lru.Size(node, web.Id, LruList.InactiveFile);
            var removal = MemCgroups.Remove(node, "/web/frontend");
            Assert.Equal("/web/frontend", removal.Path);
            Assert.Equal("/web", removal.Parent);
            Assert.Equal(500, removal.PagesReparented);
            Assert.Equal(550, web.Usage);
            Assert.Equal(550, web.LocalUsage);
            Assert.Equal(inactiveFile, Lru.Size(node, web.Id, LruList.InactiveFile));
            Assert.Single(MemCgroups.GetAll(node));
            Assert.Equal("MemcgNotFound", Assert.Throws<MemMgmtException>(() => MemCgroups.Get(node, "web/frontend")).ErrorId);
            ReclaimTestKit.AssertClean(node);

            var again = MemCgroups.Create(node, "web/frontend");
            Assert.Equal(0, again.Usage);
            Assert.Equal(0, again.MaxEvents);
            Assert.Equal(MemCgroup.Unlimited, again.Max);
            Assert.Equal(0, Vmscan.GetScanCount(node, again.Id, 12).Nr[(int)LruList.InactiveFile]);
            MemCgroups.Remove(node, "web/frontend");
            var top = MemCgroups.Remove(node, "web");
            Assert.Equal("/", top.Parent);
            Assert.Equal(550, top.PagesReparented);
            Assert.Empty(MemCgroups.GetAll(node));
            ReclaimTestKit.AssertClean(node);
        }

        [Fact]
        public void BadHierarchyInputIsRejectedWithoutChanges()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            MemCgroups.Create(node, "a");
            MemCgroups.Create(node, "x", parent: "a");
            MemCgroups.Create(node, "b/x".Substring(2), parent: "/");
            MemCgroups.Create(node, "b");
            MemCgroups.Create(node, "b/x"); // same name under another parent is fine
            int before = MemCgroups.GetAll(node).Count;
            string Id(System.Action f) => Assert.Throws<MemMgmtException>(() => f()).ErrorId;
            Assert.Equal("MemcgExists", Id(() => MemCgroups.Create(node, "a/x")));
            Assert.Equal("MemcgExists", Id(() => MemCgroups.Create(node, "x", parent: "/a/")));
            Assert.Equal("MemcgParentNotFound", Id(() => MemCgroups.Create(node, "nope/x")));
            Assert.Equal("MemcgParentNotFound", Id(() => MemCgroups.Create(node, "y", parent: "a/missing")));
            Assert.Equal("MemcgNameInvalid", Id(() => MemCgroups.Create(node, "a/../b")));
            Assert.Equal("MemcgNameInvalid", Id(() => MemCgroups.Create(node, "/")));
            Assert.Equal("MemcgNameInvalid", Id(() => MemCgroups.Create(node, ".", parent: "a")));
            Assert.Equal("MemcgLowAboveMax", Id(() => MemCgroups.Create(node, "a/lm", low: 20, max: 10)));
            Assert.Equal("MemcgRootNotAllowed", Id(() => MemCgroups.Get(node, "/")));
            Assert.Equal("MemcgRootNotAllowed", Id(() => MemCgroups.Remove(node, "")));
            Assert.Equal("MemcgNotFound", Id(() => MemCgroups.Remove(node, "a/zz")));
            string path = "d1";
            MemCgroups.Create(node, path);
            for (int i = 2; i <= MemCgroups.MaxDepth; i++) { path += "/d" + i; MemCgroups.Create(node, path); }
            Assert.Equal(MemCgroups.MaxDepth, MemCgroups.Get(node, path).Depth);
            int deep = MemCgroups.GetAll(node).Count;
            Assert.Equal("MemcgTooDeep", Id(() => MemCgroups.Create(node, "d9", parent: path)));
            Assert.Equal(deep, MemCgroups.GetAll(node).Count);
            Assert.Equal(before + MemCgroups.MaxDepth, deep);
        }

        [Fact]
        public void CgroupFilesPrintAsTheKernelDoes()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            var g = MemCgroups.Create(node, "g", low: 256, max: 1000);
            var h = MemCgroups.Create(node, "g/h");
            Charge(node, "g/h", 1200); // over g's max: limit reclaim, max events on g
            Assert.True(g.MaxEvents > 0);
            Assert.Equal($"low 0\nhigh 0\nmax {g.MaxEvents}\noom 0\noom_kill 0\n", g.ReadFile("memory.events"));
            Assert.Equal("low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n", h.ReadFile("memory.events"));
            Assert.Equal("1048576\n", g.ReadFile("memory.low"));
            Assert.Equal("4096000\n", g.ReadFile("memory.max"));
            Assert.Equal("max\n", h.ReadFile("memory.max"));
            Assert.Equal("0\n", h.ReadFile("memory.low"));
            Assert.Equal((h.Usage * 4096) + "\n", g.ReadFile("memory.current"));
            Assert.Equal("MemcgFileUnknown", Assert.Throws<MemMgmtException>(() => g.ReadFile("memory.high")).ErrorId);
            MemCgroups.Set(node, "g", low: MemCgroup.Unlimited, max: MemCgroup.Unlimited);
            Assert.Equal("max\n", g.ReadFile("memory.max"));
            Assert.Equal("max\n", g.ReadFile("memory.low"));
        }

        /// <summary>A fault in /p/a whose charge fails at /p's memory.max runs the memcg OOM killer of /p: it picks the
        /// largest task in /p's whole subtree (here in /p/b), never one outside it; a group with a running task cannot be
        /// removed.</summary>
        [Fact]
        public void MemcgOomAtAnAncestorKillsInsideItsSubtree()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var p = MemCgroups.Create(node, "p", max: 4096);
            var a = MemCgroups.Create(node, "p/a");
            var b = MemCgroups.Create(node, "p/b");
            SimProcess Start(string name, long anon, string? cgroup) =>
                Processes.Start(node, new ProcessOptions { Name = name, AnonPages = anon, Cgroup = cgroup });
            var big = Start("big", 2500, "p/b");
            var outsider = Start("outsider", 20000, null);
            var small = Start("small", 1000, "p/a");
            var late = Start("late", 1000, "/p/a");
            Assert.Null(late.FaultFailure);
            Assert.True(big.Killed);
            Assert.False(small.Killed);
            Assert.False(outsider.Killed);
            Assert.True(p.OomEvents >= 1);
            Assert.Equal(0, a.OomEvents);
            Assert.Equal(1, b.OomKillEvents);
            Assert.Equal(2000, p.Usage);
            var log = OomKiller.KernelLog(node).Entries(node).Select(e => e.Text).ToList();
            Assert.Contains("Task in /p/b killed as a result of limit of /p", log);
            Assert.Equal("MemcgHasTasks", Assert.Throws<MemMgmtException>(() => MemCgroups.Remove(node, "p/a")).ErrorId);
            Assert.Equal(3, MemCgroups.GetAll(node).Count);
            ReclaimTestKit.AssertClean(node);
        }

        /// <summary>4.14 try_charge: a __GFP_NORETRY charge that stays over memory.max after one limit reclaim fails
        /// without a MEMCG_OOM event (goto nomem) once the stock drain's retry has reclaimed a second time; __GFP_NOFAIL is charged over the limit (force); a plain mask fails with
        /// the OOM event.</summary>
        [Fact]
        public void NoRetryFailsWithoutOomEventAndNoFailChargesOverTheLimit()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var cg = MemCgroups.Create(node, "tight", max: 8);
            Charge(node, "tight", 8, PageOwner.Anon); // no swap: limit reclaim frees nothing
            var noretry = MemCgroups.Allocate(node, "tight", 0, GfpFlags.GFP_HIGHUSER_MOVABLE | GfpFlags.__GFP_NORETRY, PageOwner.Anon);
            Assert.False(noretry.Success);
            Assert.False(noretry.OomEvent);
            Assert.Equal(0, cg.OomEvents);
            Assert.Equal(2, cg.MaxEvents); // reclaim, drain_all_stock and retry, reclaim again, then nomem
            var nofail = MemCgroups.Allocate(node, "tight", 0, GfpFlags.GFP_HIGHUSER_MOVABLE | GfpFlags.__GFP_NOFAIL, PageOwner.Anon);
            Assert.True(nofail.Success, nofail.FailureReason);
            Assert.Equal(9, cg.Usage);
            Assert.Equal(0, cg.OomEvents);
            var plain = MemCgroups.Allocate(node, "tight", 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.Anon);
            Assert.False(plain.Success);
            Assert.True(plain.OomEvent);
            Assert.Equal(1, cg.OomEvents);
        }

        /// <summary>A group created in the slot (id) of a removed one starts with a fresh lruvec: inactive_age 0 and no
        /// refault activations, so its first reclaim does not see the old group's refaults (inactive_ratio 0).</summary>
        [Fact]
        public void ReusedMemcgIdStartsWithFreshRefaultState()
        {
            var node = ReclaimTestKit.NewNode(256 * NodeConfig.MiB);
            var a = MemCgroups.Create(node, "a");
            var st = node.ShadowRefaultSt;
            st.InactiveAge[a.Id] = 12345;
            st.MemcgActivate[a.Id] = 3;
            st.MemcgRefault[a.Id] = 4;
            Assert.True(ShadowRefault.RefaultsChanged(node, a.Id));
            MemCgroups.Remove(node, "a");
            var b = MemCgroups.Create(node, "b");
            Assert.Equal(a.Id, b.Id);
            Assert.Equal(0, ShadowRefault.InactiveAge(node, b.Id));
            Assert.Equal(0, ShadowRefault.MemcgActivations(node, b.Id));
            Assert.False(ShadowRefault.RefaultsChanged(node, b.Id));
        }
    }
}
