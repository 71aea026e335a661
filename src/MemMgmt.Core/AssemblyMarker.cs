namespace MemMgmt.Core { internal static class AssemblyMarker { } }
