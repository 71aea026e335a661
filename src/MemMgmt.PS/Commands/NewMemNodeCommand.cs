using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using MemMgmt.Core;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>New-MemNode: builds a node (pg_data_t) from a profile and overrides, registers it and makes it current.</summary>
    [Cmdlet(VerbsCommon.New, "MemNode", DefaultParameterSetName = ProfileSet)]
    [OutputType(typeof(MemNode))]
    public sealed class NewMemNodeCommand : PSCmdlet
    {
        private const string ProfileSet = "Profile";
        private const string CaptureSet = "FromCapture";

        [Parameter(Position = 0, ParameterSetName = ProfileSet)]
        [ArgumentCompleter(typeof(ProfileCompleter))]
        [ValidateNotNullOrEmpty]
        public string Profile { get; set; } = "qemu-virt-2g";

        [Parameter(ParameterSetName = ProfileSet)]
        [ByteSizeTransformation]
        public long Size { get; set; }

        [Parameter(ParameterSetName = ProfileSet)]
        [PageSizeTransformation]
        [ArgumentCompleter(typeof(PageSizeCompleter))]
        public int PageSize { get; set; }

        [Parameter(ParameterSetName = ProfileSet)]
        public SwitchParameter HugeTlb { get; set; }

        [Parameter(ParameterSetName = ProfileSet)]
        public SwitchParameter TransparentHugepage { get; set; }

        [Parameter(ParameterSetName = ProfileSet)]
        public int Cpus { get; set; }

        [Parameter(ParameterSetName = ProfileSet)]
        [ValidateNotNull]
        public IDictionary? ZoneLayout { get; set; }

        [Parameter(ParameterSetName = ProfileSet)]
        [ByteSizeTransformation]
        public long CmaSize { get; set; }

        [Parameter(ParameterSetName = ProfileSet)]
        public long ReservedPages { get; set; }

        [Parameter]
        public ulong Seed { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        [Parameter(ParameterSetName = ProfileSet)]
        public SwitchParameter DisableMobilityGrouping { get; set; }

        /// <summary>The kernel whose behaviour the node follows: 4.14 (default), 6.1 or 4.4.</summary>
        [Parameter]
        [ArgumentCompleter(typeof(KernelCompleter))]
        [ValidateNotNullOrEmpty]
        public string? Kernel { get; set; }

        /// <summary>Start in the state a booted kernel leaves: boot reservations placed as memblock places them and the boot's
        /// slab, stack, page-table, ring-buffer and initramfs allocations made.</summary>
        [Parameter(ParameterSetName = ProfileSet)]
        public SwitchParameter Booted { get; set; }

        /// <summary>Size of the node's swap area in bytes (0: no swap); anon and shmem pages need it to be reclaimed.</summary>
        [Parameter]
        public long SwapSize { get; set; }

        /// <summary>A directory of /proc captures (zoneinfo, buddyinfo, pagetypeinfo) to build the node from.</summary>
        [Parameter(Mandatory = true, ParameterSetName = CaptureSet)]
        [ValidateNotNullOrEmpty]
        public string? FromCapture { get; set; }

        private bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);

        private void Reject(string id, ErrorCategory category, string message, object? target) =>
            ThrowTerminatingError(Errors.Make(id, category, message, target));

        protected override void ProcessRecord()
        {
            var registry = NodeRegistry.ForRunspace(this);
            if (ParameterSetName == CaptureSet)
            {
                BuildFromCapture(registry);
                return;
            }
            NodeConfig config;
            try { config = NodeConfig.FromProfile(Profile); }
            catch (MemMgmtException e) { ThrowTerminatingError(Errors.ToRecord(e)); return; }

            if (Kernel != null)
            {
                try { config.Kernel = KernelProfile.Find(Kernel); }
                catch (MemMgmtException e) { ThrowTerminatingError(Errors.ToRecord(e)); return; }
            }
            if (Bound(nameof(Size))) config.SizeBytes = Size;
            if (Bound(nameof(PageSize)))
            {
                if (PageSize != 4096 && PageSize != 16384 && PageSize != 65536)
                    Reject("PageSizeNotSupported", ErrorCategory.InvalidArgument,
                        $"-PageSize {PageSize} is not supported; arm64 allows 4KB (4096), 16KB (16384) or 64KB (65536).", PageSize);
                config.PageSize = PageSize;
            }
            if (Bound(nameof(HugeTlb))) config.HugeTlb = HugeTlb.IsPresent;
            if (Bound(nameof(TransparentHugepage))) config.TransparentHugepage = TransparentHugepage.IsPresent;
            if (Bound(nameof(Cpus))) config.Cpus = Cpus;
            if (Bound(nameof(CmaSize))) config.CmaBytes = CmaSize;
            if (Bound(nameof(ReservedPages))) config.ReservedPages = ReservedPages;
            if (Bound(nameof(Seed))) config.Seed = Seed;
            if (Bound(nameof(Booted))) config.Booted = Booted.IsPresent;
            if (Bound(nameof(DisableMobilityGrouping))) config.DisableMobilityGrouping = DisableMobilityGrouping.IsPresent;
            if (ZoneLayout != null) config.ZoneLayout = ParseZoneLayout(ZoneLayout);

            config.Name = TakeName(registry);

            MemNode? node = null;
            try
            {
                node = new MemNode(config);
                if (Bound(nameof(SwapSize))) Core.Swap.SwapDevice.Configure(node, SwapSize);
            }
            catch (MemMgmtException e) { ThrowTerminatingError(Errors.ToRecord(e)); }
            registry.Add(node!, makeCurrent: true);
            WriteObject(node);
        }

        private string TakeName(NodeRegistry registry)
        {
            string name = Name ?? registry.NextDefaultName();
            if (registry.Find(name) != null)
                Reject("NodeNameInUse", ErrorCategory.ResourceExists,
                    $"-Name '{name}' is already used by a node of this session; pick another name or remove that node with Remove-MemNode.", name);
            return name;
        }

        private void BuildFromCapture(NodeRegistry registry)
        {
            var options = new CaptureOptions { Name = TakeName(registry) };
            if (Bound(nameof(Seed))) options.Seed = Seed;
            string directory = SessionState.Path.GetUnresolvedProviderPathFromPSPath(FromCapture);
            var warnings = new List<string>();
            MemNode? node = null;
            try
            {
                if (Kernel != null) options.Kernel = KernelProfile.Find(Kernel);
                node = CaptureBuilder.Build(directory, options, warnings);
                if (Bound(nameof(SwapSize))) Core.Swap.SwapDevice.Configure(node, SwapSize);
            }
            catch (MemMgmtException e) { ThrowTerminatingError(Errors.ToRecord(e)); }
            foreach (var w in warnings) WriteWarning(w);
            registry.Add(node!, makeCurrent: true);
            WriteObject(node);
        }

        /// <summary>Zone name → bytes, sorted lowest zone first (a hashtable has no order); Core checks sizes and duplicates.</summary>
        private List<KeyValuePair<ZoneType, long>> ParseZoneLayout(IDictionary layout)
        {
            var list = new List<KeyValuePair<ZoneType, long>>();
            foreach (DictionaryEntry e in layout)
            {
                string key = LanguagePrimitives.ConvertTo<string>(e.Key) ?? "";
                if (!Enum.TryParse(key.Trim(), true, out ZoneType zone) || !Enum.IsDefined(typeof(ZoneType), zone)
                    || int.TryParse(key.Trim(), out _))
                    Reject("ZoneNotPresent", ErrorCategory.InvalidArgument,
                        $"-ZoneLayout names zone '{key}', which is not a zone; allowed: {string.Join(", ", Enum.GetNames(typeof(ZoneType)))} (arm64 4.14 has DMA, Normal and Movable).", key);
                object? raw = e.Value is PSObject pso ? pso.BaseObject : e.Value;
                long bytes = 0;
                try
                {
                    if (!(raw is string text && ByteSize.TryParse(text, out bytes)))
                        bytes = LanguagePrimitives.ConvertTo<long>(raw);
                }
                catch (PSInvalidCastException)
                {
                    Reject("ZoneLayoutInvalid", ErrorCategory.InvalidArgument,
                        $"-ZoneLayout value for zone {zone} is '{e.Value}', which is not a size in bytes (e.g. 1GB).", e.Value);
                }
                list.Add(new KeyValuePair<ZoneType, long>(zone, bytes));
            }
            list.Sort((a, b) => a.Key.CompareTo(b.Key));
            return list;
        }
    }
}
