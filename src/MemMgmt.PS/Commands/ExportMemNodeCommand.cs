using System;
using System.IO;
using System.Management.Automation;
using System.Threading;
using MemMgmt.Core;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Export-MemNode: saves the whole node to a snapshot file that Import-MemNode loads.</summary>
    [Cmdlet(VerbsData.Export, "MemNode", SupportsShouldProcess = true)]
    [OutputType(typeof(FileInfo))]
    public sealed class ExportMemNodeCommand : MemNodeCmdlet
    {
        /// <summary>The snapshot file to write.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        /// <summary>Replace an existing file.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Also save the events in the node's trace buffer (Get-MemTrace).</summary>
        [Parameter]
        public SwitchParameter IncludeTrace { get; set; }

        private readonly CancellationTokenSource _cancel = new CancellationTokenSource();

        protected override void StopProcessing() => _cancel.Cancel();

        private void Fail(string id, ErrorCategory category, string message, object? target) =>
            ThrowTerminatingError(Errors.Make(id, category, message, target));

        protected override void ProcessNode(MemNode node)
        {
            // Everything about the target is checked before anything is written.
            string full = GetUnresolvedProviderPathFromPSPath(Path);
            string? dir = System.IO.Path.GetDirectoryName(full);
            if (string.IsNullOrEmpty(dir) || !Directory.Exists(dir))
                Fail("SnapshotDirectoryNotFound", ErrorCategory.ObjectNotFound,
                    $"The directory of -Path '{Path}' ('{dir}') does not exist; create it first.", Path);
            if (Directory.Exists(full))
                Fail("SnapshotPathIsDirectory", ErrorCategory.InvalidArgument, $"-Path '{Path}' is a directory; give a file name.", Path);
            bool exists = File.Exists(full);
            if (exists && !Force)
                Fail("SnapshotFileExists", ErrorCategory.ResourceExists, $"The file '{full}' exists; use -Force to replace it.", Path);
            if (!ShouldProcess(full, exists ? $"Replace the file with a snapshot of node '{node.Name}'" : $"Export node '{node.Name}'"))
                return;
            try
            {
                NodeSnapshot.Export(node, full, IncludeTrace.IsPresent, _cancel.Token);
            }
            catch (MemMgmtException e)
            {
                ThrowTerminatingError(Errors.ToRecord(e));
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: the temporary file is gone and the target is as it was.
                return;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                Fail("SnapshotWriteFailed", ErrorCategory.WriteError, $"Writing the snapshot '{full}' failed: {e.Message}", Path);
            }
            WriteObject(new FileInfo(full));
        }
    }
}
