using System;
using System.IO;

namespace MemMgmt.Shell
{
    /// <summary>
    /// Finds the MemMgmt module memsh imports. Order: MEMMGMT_MODULE_PATH (a .psd1 or its
    /// folder), the copy the build puts beside memsh (MemMgmt/), then out/MemMgmt in any
    /// parent folder, which is what a run from the source tree finds.
    /// </summary>
    internal static class ModuleLocator
    {
        public const string EnvVar = "MEMMGMT_MODULE_PATH";
        private const string Manifest = "MemMgmt.psd1";

        public static string? Find()
        {
            string? env = Environment.GetEnvironmentVariable(EnvVar);
            if (!string.IsNullOrWhiteSpace(env))
            {
                // An explicit override is honoured even if wrong, so the import error names it.
                return Directory.Exists(env) ? Path.Combine(env, Manifest) : env;
            }

            string baseDir = AppContext.BaseDirectory;
            string beside = Path.Combine(baseDir, "MemMgmt", Manifest);
            if (File.Exists(beside)) return beside;

            for (DirectoryInfo? d = new DirectoryInfo(baseDir); d != null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "out", "MemMgmt", Manifest);
                if (File.Exists(candidate)) return candidate;
            }
            return null;
        }
    }
}
