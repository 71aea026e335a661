using System.Management.Automation;
using MemMgmt.Core.Reclaim;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Register-MemShrinker: register_shrinker with a fixed object count and seeks; shrink_slab scans it.</summary>
    [Cmdlet(VerbsLifecycle.Register, "MemShrinker")]
    [OutputType(typeof(Shrinker))]
    public sealed class RegisterMemShrinkerCommand : MemNodeCmdlet
    {
        [Parameter(Mandatory = true, Position = 0)]
        public string Name { get; set; } = "";

        /// <summary>Freeable objects (count_objects).</summary>
        [Parameter(Mandatory = true, Position = 1)]
        public long Objects { get; set; }

        /// <summary>The cost of recreating an object; DEFAULT_SEEKS is 2.</summary>
        [Parameter]
        public int Seeks { get; set; } = Shrinker.DefaultSeeks;

        protected override void ProcessNode(MemNode node)
        {
            Shrinker? s = null;
            TryCore(() => s = Shrinkers.Register(node, Name, Objects, Seeks));
            if (s != null) WriteObject(s);
        }
    }
}
