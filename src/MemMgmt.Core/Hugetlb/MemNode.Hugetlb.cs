using MemMgmt.Core.Hugetlb;

namespace MemMgmt.Core.Node
{
    public sealed partial class MemNode
    {
        /// <summary>The persistent huge page pool (vm.nr_hugepages).</summary>
        public HugetlbPool Hugetlb { get; private set; } = new HugetlbPool();
    }
}
