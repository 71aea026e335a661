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

        /// <summary>
        /// Puts the folder that holds the module's MemMgmt/ folder first on $env:PSModulePath, so `Import-Module
        /// MemMgmt` and command autoloading find this copy, also in the runspaces ForEach-Object -Parallel creates
        /// (they start without the modules of the calling runspace). A manifest outside a MemMgmt/ folder is not a
        /// module path entry the engine can use by name, so it is left out.
        /// </summary>
        public static void AddToModulePath(string? manifest)
        {
            if (manifest == null || !File.Exists(manifest)) return;
            string? folder = Path.GetDirectoryName(Path.GetFullPath(manifest));
            if (folder == null || !string.Equals(Path.GetFileName(folder), "MemMgmt", StringComparison.OrdinalIgnoreCase)) return;
            string? root = Path.GetDirectoryName(folder);
            if (root == null) return;
            string current = Environment.GetEnvironmentVariable("PSModulePath") ?? string.Empty;
            foreach (string entry in current.Split(Path.PathSeparator))
                if (string.Equals(entry.TrimEnd(Path.DirectorySeparatorChar), root, StringComparison.Ordinal)) return;
            Environment.SetEnvironmentVariable("PSModulePath", current.Length == 0 ? root : root + Path.PathSeparator + current);
        }
    }
}
