using MemMgmt.Core.Allocation;
using MemMgmt.Core.Memcg;
using MemMgmt.Core.Node;
using MemMgmt.Core.Oom;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Sysctl;
using MemMgmt.Core.Tests.Reclaim;
using Xunit;

namespace MemMgmt.Core.Tests.Fidelity
{
    /// <summary>memcg decisions of reclaim, against mm/memcontrol.c and include/linux/swap.h of 4.14.</summary>
    public class MemcgFidelityTests
    {
        private static void Charge(MemNode node, string path, int n)
        {
            for (int i = 0; i < n; i++) Assert.True(MemCgroups.Allocate(node, path, 0, GfpFlags.GFP_HIGHUSER_MOVABLE, PageOwner.Anon).Success);
        }

        /// <summary>mem_cgroup_low (mm/memcontrol.c, 4.14): `if (memcg == root_mem_cgroup) return false;` then the group's
        /// own page_counter_read ≥ low test, then `while (memcg != root) { memcg = parent_mem_cgroup(memcg); if (memcg ==
        /// root_mem_cgroup) break; if (page_counter_read(...) ≥ memcg->low) return false; }`. Only the root cgroup is
        /// exempt: the reclaim root itself is tested, so a target group under its own memory.low is low, and a child is
        /// not low when the target is over its memory.low (the root exclusion came in 4.16).</summary>
        [Fact]
        public void MemCgroupLowExemptsOnlyTheRootCgroupAndTestsTheReclaimRoot()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB);
            var a = MemCgroups.Create(node, "a", low: 1000);
            var b = MemCgroups.Create(node, "b", parent: "a", low: 1000);
            Charge(node, "a/b", 500);
            Assert.False(MemCgroups.IsLow(node, 0, 0));
            // Global reclaim: b and a are both under their memory.low; the walk stops at the root cgroup.
            Assert.True(MemCgroups.IsLow(node, 0, b.Id));
            Assert.True(MemCgroups.IsLow(node, 0, a.Id));
            // Limit reclaim from a: a itself is low when looked at directly.
            Assert.True(MemCgroups.IsLow(node, a.Id, a.Id));
            Assert.True(MemCgroups.IsLow(node, a.Id, b.Id));
            // a over its memory.low: b is no longer protected, in global reclaim and in reclaim rooted at a.
            MemCgroups.Set(node, "a", low: 499);
            Assert.False(MemCgroups.IsLow(node, a.Id, b.Id));
            Assert.False(MemCgroups.IsLow(node, 0, b.Id));
            Assert.False(MemCgroups.IsLow(node, a.Id, a.Id));
            // Usage equal to memory.low is not low (>=).
            MemCgroups.Set(node, "a", low: 500);
            Assert.False(MemCgroups.IsLow(node, 0, a.Id));
            MemCgroups.Set(node, "a", low: 501);
            Assert.True(MemCgroups.IsLow(node, 0, a.Id));
        }

        /// <summary>mem_cgroup_swappiness (include/linux/swap.h, 4.14): `if (cgroup_subsys_on_dfl(memory_cgrp_subsys))
        /// return vm_swappiness;` — a group's memory.swappiness does not steer get_scan_count on cgroup2, and
        /// get_scan_count's `!global_reclaim(sc) &amp;&amp; !swappiness` SCAN_FILE case follows vm.swappiness.</summary>
        [Fact]
        public void MemCgroupSwappinessIsVmSwappinessOnCgroup2()
        {
            var node = ReclaimTestKit.NewNode(512 * NodeConfig.MiB, 256 * NodeConfig.MiB);
            var cg = MemCgroups.Create(node, "db", swappiness: 0);
            Charge(node, "db", 3000);
            Assert.Equal(60, MemCgroups.SwappinessOf(node, cg.Id));
            Assert.Equal(ScanBalance.Fract, Vmscan.GetScanCount(node, cg.Id, 12, targetMemcg: cg.Id).Balance);
            VmSysctl.Write(node, "vm.swappiness", "0");
            Assert.Equal(0, MemCgroups.SwappinessOf(node, cg.Id));
            Assert.Equal(ScanBalance.File, Vmscan.GetScanCount(node, cg.Id, 12, targetMemcg: cg.Id).Balance);
            var global = Vmscan.GetScanCount(node, cg.Id, 12);
            Assert.Equal(ScanBalance.Fract, global.Balance);
            Assert.Equal(0, global.Ap);
            // mem_cgroup_get_limit adds swap only when mem_cgroup_swappiness is not 0.
            Assert.Equal(cg.Max, OomKiller.MemcgLimit(node, cg));
        }
    }
}
