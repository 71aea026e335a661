using System;
using MemMgmt.Core;
using MemMgmt.Core.Node;
using Xunit;

namespace MemMgmt.Core.Tests.Node
{
    public class NodeSizeLimitTests
    {
        [Theory]
        [InlineData(4096, 2L << 40, "Size 2199023255552 bytes is above the limit of 1 TiB per node with 4K pages (allowed up to 1 TiB with 4K pages, 4 TiB with 16K or 64K pages).")]
        [InlineData(16384, 8L << 40, "Size 8796093022208 bytes is above the limit of 4 TiB per node with 16K pages (allowed up to 1 TiB with 4K pages, 4 TiB with 16K or 64K pages).")]
        [InlineData(65536, (4L << 40) + (512L << 20), "Size 4398583382016 bytes is above the limit of 4 TiB per node with 64K pages (allowed up to 1 TiB with 4K pages, 4 TiB with 16K or 64K pages).")]
        public void A_size_above_the_page_size_limit_names_the_limit(int pageSize, long size, string message)
        {
            var e = Assert.Throws<MemMgmtException>(() => new MemNode(new NodeConfig { SizeBytes = size, PageSize = pageSize, HostAvailableBytes = long.MaxValue }));
            Assert.Equal("SizeTooLarge", e.ErrorId);
            Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
            Assert.Equal(message, e.Message);
        }

        [Fact]
        public void The_estimate_is_the_page_arrays_plus_list_heads_and_pageblock_arrays()
        {
            // 1 TiB of 4K pages: 2^28 pages at 20 bytes, 1000 heads at two ints, 2^19 pageblocks at two bytes.
            Assert.Equal((1L << 28) * 20 + 8000 + (1L << 20), NodeMemory.EstimateBytes(1L << 28, 1000, 9));
        }

        [Fact]
        public void A_node_the_host_cannot_hold_is_refused_before_anything_is_allocated()
        {
            // 64 GiB of 4K pages needs 320 MiB of page arrays; say only 256 MiB is available.
            var config = new NodeConfig { SizeBytes = 64L << 30, HostAvailableBytes = 256L << 20 };
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<MemMgmtException>(() => new MemNode(config));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal("NodeTooLargeForHost", e.ErrorId);
            Assert.Equal(ErrorKind.ResourceUnavailable, e.Kind);
            Assert.StartsWith("Size 68719476736 bytes needs about 320 MiB of page arrays and bookkeeping (20 bytes per page), but this machine has 256 MiB available;", e.Message);
            Assert.True(allocated < 1 << 20, $"refusing the node allocated {allocated} bytes");
        }

        [Fact]
        public void A_node_that_fits_is_built()
        {
            long need = NodeMemory.EstimateBytes(524288, 0, 9);
            var node = new MemNode(new NodeConfig { HostAvailableBytes = need + (1L << 20) });
            Assert.Equal(524288, node.SpannedPages);
        }

        [Fact]
        public void A_copy_the_host_cannot_hold_is_refused()
        {
            var node = new MemNode(new NodeConfig());
            node.Config.HostAvailableBytes = 1L << 20;
            var e = Assert.Throws<MemMgmtException>(() => node.Clone("too-big"));
            Assert.Equal("NodeTooLargeForHost", e.ErrorId);
        }

        [Fact]
        public void The_host_reports_some_available_memory()
        {
            long? avail = NodeMemory.HostAvailableBytes();
            Assert.True(avail.HasValue && avail.Value > 0, $"available: {avail}");
        }
    }
}
