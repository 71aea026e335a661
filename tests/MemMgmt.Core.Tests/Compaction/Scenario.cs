using System;
using System.Collections.Generic;
using MemMgmt.Core.Buddy;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using Xunit;

namespace MemMgmt.Core.Tests.Compaction
{
    /// <summary>Helpers the compaction scenarios share.</summary>
    internal static class Scenario
    {
        internal static MemNode Node(long sizeMiB = 512, long cmaMiB = 0, bool disableGrouping = false, ulong seed = 1) =>
            new MemNode(new NodeConfig { SizeBytes = sizeMiB << 20, CmaBytes = cmaMiB << 20, DisableMobilityGrouping = disableGrouping, Seed = seed });

        internal static void AssertConsistent(MemNode node)
        {
            var v = InvariantChecker.Check(node);
            Assert.True(v.Count == 0, string.Join("\n", v));
        }

        /// <summary>Free pages in blocks of order ≥ <paramref name="order"/> over all zones.</summary>
        internal static long FreePagesAtOrAbove(MemNode node, int order)
        {
            long s = 0;
            foreach (var z in node.Zones)
                for (int o = order; o < node.Geometry.MaxOrder; o++) s += z.GetNrFree(o) << o;
            return s;
        }

        internal static long BuddyFreePages(MemNode node)
        {
            long s = 0;
            foreach (var z in node.Zones) for (int o = 0; o < node.Geometry.MaxOrder; o++) s += z.GetNrFree(o) << o;
            return s;
        }

        internal static Zone MainZone(MemNode node) => node.PopulatedZones[node.PopulatedZones.Count - 1];
    }
}
