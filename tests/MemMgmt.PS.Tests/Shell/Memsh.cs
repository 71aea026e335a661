using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;

namespace MemMgmt.PS.Tests.Shell
{
    /// <summary>Exit code and both streams of one memsh run.</summary>
    internal sealed record MemshResult(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
    }

    /// <summary>
    /// Runs the built memsh as a child process, as a user or CI script would. The test project
    /// references the Shell project (not its assembly), so memsh and its MemMgmt/ module copy
    /// are built before the tests run, in the same configuration.
    /// </summary>
    internal static class Memsh
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

        public static string DllPath
        {
            get
            {
                string repo = typeof(Memsh).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                    .First(a => a.Key == "RepoRoot").Value!;
                // tests/MemMgmt.PS.Tests/bin/<Configuration>/net10.0/ -> <Configuration>
                string config = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
                string path = Path.Combine(repo, "src", "MemMgmt.Shell", "bin", config, "net10.0", "memsh.dll");
                if (!File.Exists(path)) throw new FileNotFoundException("memsh was not built; build src/MemMgmt.Shell first.", path);
                return path;
            }
        }

        public static MemshResult Run(string? stdin, params string[] args)
        {
            var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            psi.ArgumentList.Add(DllPath);
            foreach (string a in args) psi.ArgumentList.Add(a);
            psi.Environment["NO_COLOR"] = "1";
            psi.Environment["MEMSH_HISTORY"] = string.Empty;
            psi.Environment.Remove("MEMMGMT_MODULE_PATH");

            using Process p = Process.Start(psi)!;
            Task<string> stdout = p.StandardOutput.ReadToEndAsync();
            Task<string> stderr = p.StandardError.ReadToEndAsync();
            if (stdin != null) p.StandardInput.Write(stdin);
            p.StandardInput.Close();
            if (!p.WaitForExit((int)Timeout.TotalMilliseconds))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException("memsh did not finish within " + Timeout + ": " + string.Join(" ", args));
            }
            p.WaitForExit();
            return new MemshResult(p.ExitCode, stdout.Result.Replace("\r\n", "\n"), stderr.Result.Replace("\r\n", "\n"));
        }
    }
}
