using System;
using Xunit.Abstractions;

namespace MemMgmt.PS.Tests
{
    /// <summary>
    /// One Pester It as xunit theory data. A serializable type (rather than two
    /// strings) so xunit still pre-enumerates the cases and shows the full
    /// "File: Describe > Context > It" name: xunit cuts string arguments at 50 characters.
    /// </summary>
    public sealed class PesterCase : IXunitSerializable
    {
        /// <summary>For the xunit deserializer only.</summary>
        [Obsolete("For xunit deserialization only.")]
        public PesterCase()
        {
            File = Path = string.Empty;
        }

        /// <summary>Creates a case for the It at <paramref name="path"/> in <paramref name="file"/>.</summary>
        public PesterCase(string file, string path)
        {
            File = file;
            Path = path;
        }

        /// <summary>The test file's name, e.g. Module.Tests.ps1.</summary>
        public string File { get; private set; }

        /// <summary>"Describe > Context > It", as PesterLite names it.</summary>
        public string Path { get; private set; }

        /// <inheritdoc/>
        public void Deserialize(IXunitSerializationInfo info)
        {
            File = info.GetValue<string>(nameof(File));
            Path = info.GetValue<string>(nameof(Path));
        }

        /// <inheritdoc/>
        public void Serialize(IXunitSerializationInfo info)
        {
            info.AddValue(nameof(File), File);
            info.AddValue(nameof(Path), Path);
        }

        /// <summary>The display name xunit shows.</summary>
        public override string ToString() => $"{File}: {Path}";
    }
}
