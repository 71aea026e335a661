using System;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace MemMgmt.Shell
{
    internal static class Program
    {
        private static int Main(string[] args)
        {
            var iss = InitialSessionState.CreateDefault2();
            using var ps = PowerShell.Create(iss);
            ps.AddScript(args.Length > 0 ? args[0] : "$PSVersionTable.PSVersion.ToString(); Get-Command -Module Microsoft.PowerShell.Core | Measure-Object");
            try { foreach (var o in ps.Invoke()) Console.WriteLine(o); }
            catch (Exception e) { Console.WriteLine(e); }
            foreach (var e in ps.Streams.Error) Console.WriteLine("ERR " + e);
            return 0;
        }
    }
}
