using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text;

namespace MemMgmt.Shell
{
    /// <summary>
    /// Turns ErrorRecords and parse errors into the text memsh prints on stderr. Done here
    /// rather than by the engine's ErrorView because that view needs Utility cmdlets the
    /// hosted engine lacks, and because users grep for the FullyQualifiedErrorId.
    /// </summary>
    internal static class ErrorRenderer
    {
        public static string Render(ErrorRecord record)
        {
            if (record.Exception is ParseException { Errors: { Length: > 0 } parseErrors }) return Render(parseErrors);
            var sb = new StringBuilder();
            string message = record.ErrorDetails?.Message is { Length: > 0 } details ? details : record.Exception?.Message ?? record.ToString();
            InvocationInfo? inv = record.InvocationInfo;
            bool fromCmdlet = inv?.MyCommand is CmdletInfo;
            string name = inv?.MyCommand?.Name ?? string.Empty;
            if (name.Length == 0 && record.Exception is CommandNotFoundException) name = record.TargetObject as string ?? string.Empty;

            sb.Append(name.Length > 0 && !name.EndsWith(".ps1", StringComparison.OrdinalIgnoreCase) ? name + ": " : string.Empty).Append(message);
            if (inv != null && inv.ScriptLineNumber > 0)
            {
                if (fromCmdlet)
                {
                    // A cmdlet error is explained by its message; only say where in a script file.
                    if (!string.IsNullOrEmpty(inv.ScriptName)) sb.Append('\n').Append("At ").Append(inv.ScriptName).Append(':').Append(inv.ScriptLineNumber).Append(" char:").Append(inv.OffsetInLine);
                }
                else if (!string.IsNullOrEmpty(inv.PositionMessage))
                {
                    sb.Append('\n').Append(inv.PositionMessage.TrimEnd());
                }
            }
            sb.Append('\n').Append("  + CategoryInfo          : ").Append(record.CategoryInfo.GetMessage());
            sb.Append('\n').Append("  + FullyQualifiedErrorId : ").Append(record.FullyQualifiedErrorId);
            return sb.ToString();
        }

        /// <summary>Parse errors: message, the line with a caret under the column, and the error id.</summary>
        public static string Render(IEnumerable<ParseError> errors)
        {
            var sb = new StringBuilder();
            foreach (ParseError e in errors)
            {
                if (sb.Length > 0) sb.Append('\n');
                IScriptExtent x = e.Extent;
                sb.Append("ParserError: ").Append(e.Message).Append('\n');
                sb.Append("At ").Append(string.IsNullOrEmpty(x.File) ? "line" : x.File).Append(':').Append(x.StartLineNumber)
                  .Append(" char:").Append(x.StartColumnNumber).Append('\n');
                string line = x.StartScriptPosition.Line.TrimEnd('\r', '\n');
                sb.Append("+ ").Append(line).Append('\n');
                sb.Append("+ ").Append(new string(' ', Math.Max(0, Math.Min(x.StartColumnNumber - 1, line.Length)))).Append('~').Append('\n');
                sb.Append("  + FullyQualifiedErrorId : ").Append(e.ErrorId);
            }
            return sb.ToString();
        }
    }
}
