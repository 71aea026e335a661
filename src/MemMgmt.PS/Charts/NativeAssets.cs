using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;

namespace MemMgmt.PS.Charts
{
    /// <summary>
    /// Points SkiaSharp's and HarfBuzzSharp's DllImports at the native libraries in the module's
    /// runtimes/linux-x64/native folder. A module imported into pwsh is not part of the host's deps.json, so the
    /// runtime would not look there by itself. NativeLibrary (.NET Core 3 and later) is reached by reflection because the
    /// module targets netstandard2.0; on hosts without it the default probing applies.
    /// </summary>
    public sealed class NativeAssets : IModuleAssemblyInitializer
    {
        private static int _registered;

        public void OnImport() => Register();

        /// <summary>Installs the resolver once per process; a host that already installed one for these assemblies keeps it.</summary>
        public static void Register()
        {
            if (Interlocked.Exchange(ref _registered, 1) == 1) return;
            var nativeLibrary = Type.GetType("System.Runtime.InteropServices.NativeLibrary");
            var resolverType = Type.GetType("System.Runtime.InteropServices.DllImportResolver");
            if (nativeLibrary == null || resolverType == null || NativeDirectory() == null) return;
            var set = nativeLibrary.GetMethod("SetDllImportResolver", new[] { typeof(Assembly), resolverType });
            var resolve = typeof(NativeAssets).GetMethod(nameof(Resolve), BindingFlags.NonPublic | BindingFlags.Static);
            if (set == null || resolve == null) return;
            var resolver = Delegate.CreateDelegate(resolverType, resolve);
            foreach (var assembly in new[] { typeof(SkiaSharp.SKBitmap).Assembly, typeof(HarfBuzzSharp.Blob).Assembly })
            {
                try
                {
                    set.Invoke(null, new object[] { assembly, resolver });
                }
                catch (TargetInvocationException e) when (e.InnerException is InvalidOperationException)
                {
                    // The host set a resolver for this assembly first; its own probing finds the library.
                }
            }
        }

        /// <summary>runtimes/linux-x64/native beside the module's dll, on Linux x64 only; null elsewhere.</summary>
        private static string? NativeDirectory()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
            string? dir = Path.GetDirectoryName(typeof(NativeAssets).Assembly.Location);
            return dir == null ? null : Path.Combine(dir, "runtimes", "linux-x64", "native");
        }

        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        {
            string? dir = NativeDirectory();
            if (dir == null) return IntPtr.Zero;
            string file = Path.Combine(dir, libraryName.EndsWith(".so", StringComparison.Ordinal) ? libraryName : libraryName + ".so");
            if (!File.Exists(file)) return IntPtr.Zero;
            var load = Type.GetType("System.Runtime.InteropServices.NativeLibrary")?.GetMethod("Load", new[] { typeof(string) });
            return load == null ? IntPtr.Zero : (IntPtr)load.Invoke(null, new object[] { file })!;
        }
    }
}
