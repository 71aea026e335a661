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
            File = Key = Path = string.Empty;
        }

        /// <summary>Creates a case for the It with <paramref name="key"/> in <paramref name="file"/>, shown as <paramref name="path"/>.</summary>
        public PesterCase(string file, string key, string path)
        {
            File = file;
            Key = key;
            Path = path;
        }

        /// <summary>The test file's name, e.g. Module.Tests.ps1.</summary>
        public string File { get; private set; }

        /// <summary>"Describe > Context > It" of the unexpanded names, numbered where repeated: finds the It in the run.</summary>
        public string Key { get; private set; }

        /// <summary>"Describe > Context > It" as Pester expanded the names at discovery, for display.</summary>
        public string Path { get; private set; }

        /// <inheritdoc/>
        public void Deserialize(IXunitSerializationInfo info)
        {
            File = info.GetValue<string>(nameof(File));
            Key = info.GetValue<string>(nameof(Key));
            Path = info.GetValue<string>(nameof(Path));
        }

        /// <inheritdoc/>
        public void Serialize(IXunitSerializationInfo info)
        {
            info.AddValue(nameof(File), File);
            info.AddValue(nameof(Key), Key);
            info.AddValue(nameof(Path), Path);
        }

        /// <summary>The display name xunit shows.</summary>
        public override string ToString() => $"{File}: {Path}";
    }
}
