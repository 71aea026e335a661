using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using MemMgmt.Core.Node;
using MemMgmt.PS.Charts;
using MemMgmt.PS.Infrastructure;

namespace MemMgmt.PS.Commands
{
    /// <summary>Export-MemChart: the pageblock map, free pages by order or a recording's timeline as a PNG or SVG image.</summary>
    [Cmdlet(VerbsData.Export, "MemChart", SupportsShouldProcess = true)]
    [OutputType(typeof(FileInfo))]
    public sealed class ExportMemChartCommand : PSCmdlet
    {
        private readonly List<PSObject> _rows = new List<PSObject>();

        /// <summary>The image file: .png or .svg.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        [Parameter(Mandatory = true, Position = 1)]
        public MemChartKind Kind { get; set; }

        /// <summary>Recording samples (Stop-MemRecording or Import-Csv rows) for -Kind Timeline.</summary>
        [Parameter(ValueFromPipeline = true)]
        public PSObject? InputObject { get; set; }

        /// <summary>The node to draw (PageblockMap, FreeByOrder), or its name; default: the current node.</summary>
        [Parameter]
        [ValidateNotNull]
        [ArgumentCompleter(typeof(NodeNameCompleter))]
        public MemNodeIdentity? Node { get; set; }

        [Parameter]
        [ValidateRange(100, 10000)]
        public int Width { get; set; } = MemCharts.DefaultWidth;

        [Parameter]
        [ValidateRange(100, 10000)]
        public int Height { get; set; } = MemCharts.DefaultHeight;

        /// <summary>Replace an existing file.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            if (InputObject != null && InputObject.BaseObject != null) _rows.Add(InputObject);
        }

        protected override void EndProcessing()
        {
            // Validate everything before anything is drawn or written.
            string full = GetUnresolvedProviderPathFromPSPath(Path);
            string ext = System.IO.Path.GetExtension(full).ToLowerInvariant();
            if (ext != ".png" && ext != ".svg")
                Fail("ChartFormatUnsupported", ErrorCategory.InvalidArgument,
                    $"-Path '{Path}' has the extension '{ext}'; allowed .png and .svg.", Path);
            string? dir = System.IO.Path.GetDirectoryName(full);
            if (string.IsNullOrEmpty(dir) || !Directory.Exists(dir))
                Fail("ChartDirectoryNotFound", ErrorCategory.ObjectNotFound,
                    $"The directory of -Path '{Path}' ('{dir}') does not exist; create it first.", Path);
            if (Directory.Exists(full))
                Fail("ChartPathIsDirectory", ErrorCategory.InvalidArgument, $"-Path '{Path}' is a directory; give a file name.", Path);
            if (File.Exists(full) && !Force)
                Fail("ChartFileExists", ErrorCategory.ResourceExists,
                    $"The file '{full}' exists; use -Force to replace it.", Path);
            MemNode? node = null;
            if (Kind == MemChartKind.Timeline)
            {
                if (_rows.Count == 0 || _rows[0].Properties[SampleRows.TimeColumn] == null)
                    Fail("TimelineNeedsRecording", ErrorCategory.InvalidArgument,
                        "-Kind Timeline draws a recording: pipe the samples of Stop-MemRecording (or their Import-Csv rows) to Export-MemChart.", Kind);
            }
            else
            {
                node = Node?.Resolve(this) ?? NodeRegistry.ForRunspace(this).Current;
                if (node == null)
                    Fail("NoCurrentNode", ErrorCategory.InvalidOperation, "There is no current node: create one with New-MemNode, or pass -Node.", null);
            }
            if (!ShouldProcess(full, $"Export {Kind} chart")) return;

            NativeAssets.Register();
            int width = Width, height = Height;
            ScottPlot.Plot? plot = null;
            if (Kind == MemChartKind.Timeline) plot = MemCharts.Timeline(_rows);
            else
                NodeLock.Run(this, node!, () => plot = Kind == MemChartKind.PageblockMap
                    ? MemCharts.PageblockMap(node!, out width, out height)
                    : MemCharts.FreeByOrder(node!));
            // Draw into a temporary file beside the target and rename it, so a failed export leaves no half image.
            string temp = System.IO.Path.Combine(dir!, "." + System.IO.Path.GetFileNameWithoutExtension(full) + "." + Guid.NewGuid().ToString("N") + ext);
            try
            {
                if (ext == ".png") plot!.SavePng(temp, width, height);
                else plot!.SaveSvg(temp, width, height);
                if (File.Exists(full)) File.Delete(full);
                File.Move(temp, full);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
            WriteObject(new FileInfo(full));
        }

        private void Fail(string id, ErrorCategory category, string message, object? target) =>
            ThrowTerminatingError(Errors.Make(id, category, message, target));
    }
}
