using System;
using System.IO;
using System.IO.Compression;
using System.Text;
using System.Threading;

namespace MemMgmt.Core.Node
{
    /// <summary>
    /// The node snapshot file (Export-MemNode, Import-MemNode). Layout, little-endian:
    /// <code>
    ///  0  magic "MEMNODE\x1a"          8 bytes
    ///  8  format version               u32
    /// 12  CRC-32 of bytes 16..body     u32 (the header after it, with the name)
    /// 16  flags                        u32 (bit 0: trace events included)
    /// 20  payload bytes (inflated)     i64
    /// 28  body bytes (deflated)        i64
    /// 36  CRC-32 of the body           u32
    /// 40  name length, then its UTF-8  i32 + bytes
    ///     body: the payload (MemNode.WriteSnapshot) through Deflate, fastest level
    /// </code>
    /// Magic and version come before any checksum, so a file of another kind or of a later format is named as such
    /// rather than as corrupted.
    /// </summary>
    public static class NodeSnapshot
    {
        public const int FormatVersion = 9;
        internal const uint FlagTrace = 1;
        internal const int FixedHeaderBytes = 44;
        internal static readonly byte[] Magic = { (byte)'M', (byte)'E', (byte)'M', (byte)'N', (byte)'O', (byte)'D', (byte)'E', 0x1a };

        /// <summary>Writes the node to <paramref name="path"/> atomically: the snapshot goes to a temporary file in the same
        /// directory, which is renamed over the target only once complete, so the target is the old file or the whole new
        /// one, never part of one. <paramref name="cancel"/> is checked every 64 KiB of payload.</summary>
        public static void Export(MemNode node, string path, bool includeTrace, CancellationToken cancel = default)
        {
            RequireLittleEndian();
            string full = Path.GetFullPath(path);
            string dir = Path.GetDirectoryName(full) ?? ".";
            string temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
            try
            {
                using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
                {
                    WriteTo(node, fs, includeTrace, cancel);
                    fs.Flush(true);
                }
                cancel.ThrowIfCancellationRequested();
                if (File.Exists(full)) File.Replace(temp, full, null);
                else File.Move(temp, full);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }

        /// <summary>Writes the snapshot to a seekable stream at its current position (the header is completed last).</summary>
        internal static void WriteTo(MemNode node, Stream output, bool includeTrace, CancellationToken cancel = default)
        {
            long start = output.Position;
            byte[] name = Encoding.UTF8.GetBytes(node.Name);
            var header = new byte[FixedHeaderBytes + name.Length];
            output.Write(header, 0, header.Length); // placeholder until the lengths and checksums are known

            var crc = new Crc32Stream(output);
            long payload;
            using (var deflate = new DeflateStream(crc, CompressionLevel.Fastest, leaveOpen: true))
            {
                var w = new SnapshotWriter(deflate, cancel);
                node.WriteSnapshot(w, includeTrace);
                w.Flush();
                payload = w.Length;
            }

            Buffer.BlockCopy(Magic, 0, header, 0, Magic.Length);
            PutU32(header, 8, FormatVersion);
            PutU32(header, 16, includeTrace ? FlagTrace : 0);
            PutI64(header, 20, payload);
            PutI64(header, 28, crc.Count);
            PutU32(header, 36, crc.Crc);
            PutU32(header, 40, (uint)name.Length);
            Buffer.BlockCopy(name, 0, header, FixedHeaderBytes, name.Length);
            PutU32(header, 12, Crc32.Append(0, header, 16, header.Length - 16));
            long end = output.Position;
            output.Position = start;
            output.Write(header, 0, header.Length);
            output.Position = end;
        }

        /// <summary>Arrays are copied in bulk in the host's byte order, which the format fixes as little-endian (x64, arm64).</summary>
        internal static void RequireLittleEndian()
        {
            if (!BitConverter.IsLittleEndian)
                throw new MemMgmtException("SnapshotHostNotSupported", ErrorKind.InvalidOperation,
                    "Node snapshots are little-endian; this host is big-endian and cannot read or write them.", null);
        }

        private static void PutU32(byte[] b, int at, uint v)
        {
            b[at] = (byte)v; b[at + 1] = (byte)(v >> 8); b[at + 2] = (byte)(v >> 16); b[at + 3] = (byte)(v >> 24);
        }

        private static void PutI64(byte[] b, int at, long v) { PutU32(b, at, (uint)v); PutU32(b, at + 4, (uint)(v >> 32)); }
    }

    /// <summary>A snapshot file read and checked (magic, version, length, checksums) but not yet turned into a node, so the
    /// caller can decide on the name before the page arrays are built.</summary>
    public sealed class NodeSnapshotFile
    {
        private readonly byte[] _data;
        private readonly int _bodyOffset;
        private readonly long _bodyBytes;

        private NodeSnapshotFile(string path, byte[] data, int version, uint flags, long payload, int bodyOffset, long bodyBytes, string name)
        {
            Path = path; _data = data; Version = version; IncludesTrace = (flags & NodeSnapshot.FlagTrace) != 0;
            PayloadBytes = payload; _bodyOffset = bodyOffset; _bodyBytes = bodyBytes; SavedName = name;
        }

        public string Path { get; }
        public int Version { get; }
        /// <summary>The name the node had when it was exported.</summary>
        public string SavedName { get; }
        public bool IncludesTrace { get; }
        /// <summary>Bytes of the decompressed payload.</summary>
        public long PayloadBytes { get; }

        private static MemMgmtException Bad(string id, string path, string what) =>
            new MemMgmtException(id, ErrorKind.InvalidData, $"'{path}' {what}", path);

        /// <summary>Reads and checks a snapshot file. Errors: NotASnapshot (no magic), SnapshotVersionUnsupported,
        /// SnapshotTruncated (shorter than its header says), SnapshotCorrupted (a checksum does not match).</summary>
        public static NodeSnapshotFile Open(string path)
        {
            NodeSnapshot.RequireLittleEndian();
            byte[] data = File.ReadAllBytes(path);
            var magic = NodeSnapshot.Magic;
            if (data.Length < magic.Length)
            {
                // A cut-off snapshot still starts like one; anything else is another kind of file.
                bool prefix = data.Length > 0;
                for (int i = 0; i < data.Length; i++) if (data[i] != magic[i]) prefix = false;
                throw prefix ? Bad("SnapshotTruncated", path, $"is truncated: {data.Length} bytes, shorter than a snapshot header.")
                    : Bad("NotASnapshot", path, "is not a MemMgmt node snapshot (Export-MemNode writes them; the file does not start with its header).");
            }
            for (int i = 0; i < magic.Length; i++)
                if (data[i] != magic[i])
                    throw Bad("NotASnapshot", path, "is not a MemMgmt node snapshot (Export-MemNode writes them; the file does not start with its header).");
            if (data.Length < 12) throw Bad("SnapshotTruncated", path, $"is truncated: {data.Length} bytes, shorter than a snapshot header.");
            int version = (int)GetU32(data, 8);
            if (version != NodeSnapshot.FormatVersion)
                throw Bad("SnapshotVersionUnsupported", path,
                    $"is a snapshot of format version {version}; this MemMgmt reads version {NodeSnapshot.FormatVersion} only.");
            if (data.Length < NodeSnapshot.FixedHeaderBytes)
                throw Bad("SnapshotTruncated", path, $"is truncated: {data.Length} bytes, shorter than a snapshot header ({NodeSnapshot.FixedHeaderBytes}).");
            uint flags = GetU32(data, 16);
            long payload = GetI64(data, 20), body = GetI64(data, 28);
            uint bodyCrc = GetU32(data, 36);
            int nameBytes = (int)GetU32(data, 40);
            // A damaged header can claim any lengths: its own checksum is checked before they are believed, once the
            // file is long enough to hold what they claim.
            if (nameBytes < 0 || nameBytes > 1 << 16 || body < 0 || payload < 0)
                throw Bad("SnapshotCorrupted", path, "is corrupted: its header holds impossible lengths.");
            long expected = NodeSnapshot.FixedHeaderBytes + nameBytes + body;
            if (data.Length < expected)
                throw Bad("SnapshotTruncated", path, $"is truncated: {data.Length} bytes of the {expected} its header declares.");
            if (Crc32.Append(0, data, 16, NodeSnapshot.FixedHeaderBytes - 16 + nameBytes) != GetU32(data, 12))
                throw Bad("SnapshotCorrupted", path, "is corrupted: the header checksum does not match.");
            if (data.Length > expected)
                throw Bad("SnapshotCorrupted", path, $"is corrupted: {data.Length - expected} bytes follow the snapshot.");
            if ((flags & ~NodeSnapshot.FlagTrace) != 0)
                throw Bad("SnapshotCorrupted", path, $"is corrupted: unknown flags 0x{flags:x}.");
            int bodyOffset = NodeSnapshot.FixedHeaderBytes + nameBytes;
            if (Crc32.Append(0, data, bodyOffset, (int)body) != bodyCrc)
                throw Bad("SnapshotCorrupted", path, "is corrupted: the payload checksum does not match.");
            string name = Encoding.UTF8.GetString(data, NodeSnapshot.FixedHeaderBytes, nameBytes);
            return new NodeSnapshotFile(path, data, version, flags, payload, bodyOffset, body, name);
        }

        /// <summary>Builds the node the snapshot holds, named <paramref name="name"/> (null: the saved name). Throws
        /// SnapshotCorrupted if the payload does not decode (a file whose checksums match but whose writer was not
        /// this format), NodeTooLargeForHost if its page arrays do not fit this machine.</summary>
        public MemNode ToNode(string? name = null)
        {
            try
            {
                using (var body = new MemoryStream(_data, _bodyOffset, (int)_bodyBytes, writable: false))
                using (var inflate = new DeflateStream(body, CompressionMode.Decompress))
                {
                    var r = new SnapshotReader(inflate);
                    var config = MemNode.ReadConfig(r);
                    config.Name = name ?? SavedName;
                    var node = new MemNode(r, config);
                    if (r.Position != PayloadBytes || !r.AtEnd)
                        throw new SnapshotFormatException($"payload is {r.Position} bytes, header says {PayloadBytes}");
                    return node;
                }
            }
            catch (SnapshotFormatException e)
            {
                throw Bad("SnapshotCorrupted", Path, $"is corrupted: {e.Message}.");
            }
            catch (InvalidDataException e)
            {
                throw Bad("SnapshotCorrupted", Path, $"is corrupted: the payload does not inflate ({e.Message}).");
            }
            catch (Exception e) when (e is IndexOutOfRangeException || e is ArgumentException || e is OverflowException)
            {
                // Only a file whose checksums match but whose writer did not follow this format gets here.
                throw Bad("SnapshotCorrupted", Path, $"is corrupted: the payload does not fit the node it describes ({e.GetType().Name}).");
            }
        }

        private static uint GetU32(byte[] b, int at) => (uint)(b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24));
        private static long GetI64(byte[] b, int at) => GetU32(b, at) | ((long)GetU32(b, at + 4) << 32);
    }
}
