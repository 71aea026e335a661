using System;
using System.IO;
using System.Management.Automation;
using MemMgmt.Core;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Import-MemNode: loads a node saved by Export-MemNode and makes it the current node.</summary>
    [Cmdlet(VerbsData.Import, "MemNode")]
    [OutputType(typeof(MemNode))]
    public sealed class ImportMemNodeCommand : PSCmdlet
    {
        /// <summary>The snapshot file; FileInfo objects bind through their FullName.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        /// <summary>Name of the loaded node; default: the name it was exported under.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Name { get; set; }

        private void Error(string id, ErrorCategory category, string message, object? target) =>
            WriteError(Errors.Make(id, category, message, target));

        protected override void ProcessRecord()
        {
            string full = GetUnresolvedProviderPathFromPSPath(Path);
            if (Directory.Exists(full))
            {
                Error("SnapshotPathIsDirectory", ErrorCategory.InvalidArgument, $"-Path '{Path}' is a directory; give a snapshot file.", Path);
                return;
            }
            if (!File.Exists(full))
            {
                Error("SnapshotFileNotFound", ErrorCategory.ObjectNotFound, $"The snapshot file '{full}' does not exist.", Path);
                return;
            }
            NodeSnapshotFile file;
            try { file = NodeSnapshotFile.Open(full); }
            catch (MemMgmtException e) { WriteError(Errors.ToRecord(e)); return; }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                Error("SnapshotReadFailed", ErrorCategory.ReadError, $"Reading the snapshot '{full}' failed: {e.Message}", Path);
                return;
            }

            var registry = NodeRegistry.ForRunspace(this);
            string name = Name ?? file.SavedName;
            if (registry.Find(name) != null)
            {
                Error("NodeNameInUse", ErrorCategory.ResourceExists, Name != null
                    ? $"-Name '{name}' is already used by a node of this session; pick another name or remove that node with Remove-MemNode."
                    : $"The snapshot's node name '{name}' is already used by a node of this session; give another with -Name or remove that node with Remove-MemNode.", name);
                return;
            }
            MemNode node;
            try { node = file.ToNode(name); }
            catch (MemMgmtException e) { WriteError(Errors.ToRecord(e)); return; }
            registry.Add(node, makeCurrent: true);
            WriteObject(node);
        }
    }
}
