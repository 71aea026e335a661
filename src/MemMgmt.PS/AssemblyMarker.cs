namespace MemMgmt.PS { internal static class AssemblyMarker { } }
