using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;

namespace MemMgmt.Core.Tests.Stats
{
    /// <summary>Finds the real /proc captures in &lt;RepoRoot&gt;/../shared/reference/procfs.</summary>
    internal static class ProcCaptures
    {
        internal const string Arm64 = "arm64-6.1-qemu-virt-2g-boot";
        internal const string X86 = "x86_64-6.18-vm";

        internal static string RepoRoot
        {
            get
            {
                string? repoRoot = typeof(ProcCaptures).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                    .FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
                if (string.IsNullOrEmpty(repoRoot))
                    throw new InvalidOperationException("The test assembly carries no [AssemblyMetadata(\"RepoRoot\", ...)].");
                return repoRoot!;
            }
        }

        /// <summary>The directory of one run of the project's own QEMU harness captures (tests/captures/arm64-6.1-qemu).</summary>
        internal static string HarnessRun(string scenario) => Path.Combine(RepoRoot, "tests", "captures", "arm64-6.1-qemu", scenario);

        /// <summary>The directory of one phase of the project's own QEMU harness captures (tests/captures/arm64-6.1-qemu).</summary>
        internal static string Harness(string scenario, string phase) => Path.Combine(HarnessRun(scenario), phase);

        /// <summary>The text of one file of a harness capture phase.</summary>
        internal static string HarnessFile(string scenario, string phase, string file) =>
            File.ReadAllText(Path.Combine(Harness(scenario, phase), file));

        internal static string Root
        {
            get
            {
                string root = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "reference", "procfs"));
                if (!Directory.Exists(root))
                    throw new DirectoryNotFoundException("The /proc captures are missing: " + root + " (expected <RepoRoot>/../shared/reference/procfs).");
                return root;
            }
        }

        internal static string Read(string machine, string file)
        {
            string path = Path.Combine(Root, machine, file);
            if (!File.Exists(path))
                throw new FileNotFoundException("Capture missing: " + path, path);
            // Byte-exact: read as bytes, decode ASCII/UTF-8 without any newline translation.
            return System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(path));
        }

        /// <summary>Every (machine, file) capture of a kind this layer parses.</summary>
        public static IEnumerable<object[]> ParsableCaptures()
        {
            string[] kinds = { "buddyinfo.txt", "pagetypeinfo.txt", "zoneinfo.txt", "vmstat.txt", "meminfo.txt", "extfrag_index.txt", "unusable_index.txt" };
            foreach (string dir in Directory.GetDirectories(Root).OrderBy(d => d, StringComparer.Ordinal))
            {
                foreach (string file in Directory.GetFiles(dir).Select(p => Path.GetFileName(p)!).OrderBy(f => f, StringComparer.Ordinal))
                {
                    if (kinds.Contains(file))
                        yield return new object[] { Path.GetFileName(dir)!, file };
                }
            }
        }
    }
}
