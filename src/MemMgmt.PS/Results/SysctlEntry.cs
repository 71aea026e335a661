using MemMgmt.Core.Node;

namespace MemMgmt.PS.Results
{
    /// <summary>One vm.* sysctl of a node, as /proc/sys/vm shows it.</summary>
    public sealed class SysctlEntry
    {
        internal SysctlEntry(MemNode node, string name, string value, string allowed)
        {
            Node = node; Name = name; Value = value; Allowed = allowed;
        }

        public MemNode Node { get; }
        /// <summary>The sysctl name with its vm. prefix.</summary>
        public string Name { get; }
        /// <summary>The value as `cat /proc/sys/vm/&lt;name&gt;` prints it (vectors tab-separated).</summary>
        public string Value { get; }
        /// <summary>What a write accepts.</summary>
        public string Allowed { get; }

        public override string ToString() => $"{Name} = {Value}";
    }
}
