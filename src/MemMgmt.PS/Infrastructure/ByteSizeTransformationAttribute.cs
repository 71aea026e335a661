using System;
using System.Globalization;
using System.Management.Automation;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>Lets size parameters take numbers (2GB is already a number in PowerShell) and strings such as
    /// '2GB', '512MB', '64 MiB' or '4096'. Anything else passes through so the binder reports it.</summary>
    public sealed class ByteSizeTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            object value = inputData is PSObject pso ? pso.BaseObject : inputData;
            return value is string s && ByteSize.TryParse(s, out long bytes) ? bytes : inputData;
        }
    }

    /// <summary>Parses sizes written the PowerShell way (KB, MB, GB, TB are powers of 1024) or with KiB/MiB/GiB.</summary>
    public static class ByteSize
    {
        public static bool TryParse(string text, out long bytes)
        {
            bytes = 0;
            string t = text.Trim().ToUpperInvariant().Replace(" ", "");
            long mult = 1;
            string[] suffixes = { "KIB", "MIB", "GIB", "TIB", "KB", "MB", "GB", "TB", "K", "M", "G", "T" };
            foreach (var suffix in suffixes)
            {
                if (!t.EndsWith(suffix, StringComparison.Ordinal)) continue;
                mult = suffix[0] switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1L << 40 };
                t = t.Substring(0, t.Length - suffix.Length);
                break;
            }
            if (t.StartsWith("0X", StringComparison.Ordinal))
            {
                if (!long.TryParse(t.Substring(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long hex)) return false;
                return TryScale(hex, mult, out bytes);
            }
            if (!long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)) return false;
            return TryScale(n, mult, out bytes);
        }

        private static bool TryScale(long n, long mult, out long bytes)
        {
            try { bytes = checked(n * mult); return true; }
            catch (OverflowException) { bytes = 0; return false; }
        }
    }
}
