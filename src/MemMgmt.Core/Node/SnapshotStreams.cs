using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace MemMgmt.Core.Node
{
    /// <summary>Writes a snapshot payload: little-endian scalars through a buffer, primitive arrays copied in bulk
    /// (Buffer.BlockCopy in buffer-sized chunks, never element by element).</summary>
    internal sealed class SnapshotWriter
    {
        private const int BufferSize = 1 << 16;
        private readonly Stream _out;
        private readonly byte[] _buf = new byte[BufferSize];
        private readonly System.Threading.CancellationToken _cancel;
        private int _pos;

        internal SnapshotWriter(Stream output, System.Threading.CancellationToken cancel = default) { _out = output; _cancel = cancel; }

        /// <summary>Payload bytes written so far.</summary>
        internal long Length { get; private set; }

        internal void Flush()
        {
            _cancel.ThrowIfCancellationRequested();
            if (_pos == 0) return;
            _out.Write(_buf, 0, _pos);
            Length += _pos;
            _pos = 0;
        }

        private void Room(int n) { if (_pos + n > BufferSize) Flush(); }

        /// <summary>A section tag: the reader checks it, so a payload that drifted out of step is caught where it drifts.</summary>
        internal void Section(SnapshotSection s) => Int((int)s);

        internal void Byte(byte v) { Room(1); _buf[_pos++] = v; }
        internal void Bool(bool v) => Byte(v ? (byte)1 : (byte)0);

        internal void Int(int v)
        {
            Room(4);
            _buf[_pos] = (byte)v; _buf[_pos + 1] = (byte)(v >> 8); _buf[_pos + 2] = (byte)(v >> 16); _buf[_pos + 3] = (byte)(v >> 24);
            _pos += 4;
        }

        internal void Long(long v) { Int((int)v); Int((int)(v >> 32)); }
        internal void ULong(ulong v) => Long((long)v);
        internal void Double(double v) => Long(BitConverter.DoubleToInt64Bits(v));

        internal void NullableLong(long? v) { Bool(v.HasValue); if (v.HasValue) Long(v.Value); }

        internal void String(string? s)
        {
            if (s == null) { Int(-1); return; }
            var bytes = Encoding.UTF8.GetBytes(s);
            Int(bytes.Length);
            Raw(bytes, bytes.Length);
        }

        /// <summary>A primitive array with its length; null is written as length −1.</summary>
        internal void Array(Array? a)
        {
            if (a == null) { Int(-1); return; }
            Int(a.Length);
            Raw(a, Buffer.ByteLength(a));
        }

        /// <summary>One half of the list links (every entry's next, or every entry's prev) as each link minus its own index:
        /// links between neighbouring pages become small repeated numbers, which Deflate packs far better and faster than
        /// the raw indexes.</summary>
        internal void Links(PageLink[] a, bool next)
        {
            Int(a.Length);
            var chunk = new int[BufferSize / 4];
            for (int start = 0; start < a.Length; start += chunk.Length)
            {
                int n = Math.Min(chunk.Length, a.Length - start);
                if (next) for (int i = 0; i < n; i++) chunk[i] = a[start + i].Next - (start + i);
                else for (int i = 0; i < n; i++) chunk[i] = a[start + i].Prev - (start + i);
                Raw(chunk, n * 4);
            }
        }

        internal void LongList(List<long> list)
        {
            Int(list.Count);
            for (int i = 0; i < list.Count; i++) Long(list[i]);
        }

        internal void ByteList(List<byte> list)
        {
            Int(list.Count);
            for (int i = 0; i < list.Count; i++) Byte(list[i]);
        }

        private void Raw(Array a, int bytes)
        {
            int done = 0;
            while (done < bytes)
            {
                if (_pos == BufferSize) Flush();
                int n = Math.Min(bytes - done, BufferSize - _pos);
                Buffer.BlockCopy(a, done, _buf, _pos, n);
                _pos += n;
                done += n;
            }
        }
    }

    /// <summary>Reads what <see cref="SnapshotWriter"/> wrote; anything out of step or out of range is
    /// <see cref="SnapshotFormatException"/> (the file is corrupted).</summary>
    internal sealed class SnapshotReader
    {
        private const int BufferSize = 1 << 16;
        private readonly Stream _in;
        private readonly byte[] _buf = new byte[BufferSize];
        private int _pos, _len;

        internal SnapshotReader(Stream input) { _in = input; }

        /// <summary>Payload bytes consumed so far.</summary>
        internal long Position { get; private set; }

        private void Fill()
        {
            if (_pos < _len) return;
            _len = _in.Read(_buf, 0, BufferSize);
            _pos = 0;
            if (_len <= 0) { _len = 0; throw new SnapshotFormatException("the payload ends early"); }
        }

        /// <summary>True when nothing is left in the payload.</summary>
        internal bool AtEnd
        {
            get
            {
                if (_pos < _len) return false;
                _len = _in.Read(_buf, 0, BufferSize);
                _pos = 0;
                return _len <= 0;
            }
        }

        internal void Section(SnapshotSection expected)
        {
            int tag = Int();
            if (tag != (int)expected) throw new SnapshotFormatException($"section {expected} expected, tag {tag} found");
        }

        internal byte Byte()
        {
            Fill();
            Position++;
            return _buf[_pos++];
        }

        internal bool Bool()
        {
            byte b = Byte();
            if (b > 1) throw new SnapshotFormatException($"boolean byte {b}");
            return b == 1;
        }

        internal int Int()
        {
            if (_len - _pos >= 4)
            {
                int v = _buf[_pos] | (_buf[_pos + 1] << 8) | (_buf[_pos + 2] << 16) | (_buf[_pos + 3] << 24);
                _pos += 4;
                Position += 4;
                return v;
            }
            return Byte() | (Byte() << 8) | (Byte() << 16) | (Byte() << 24);
        }

        internal long Long() => (uint)Int() | ((long)Int() << 32);
        internal ulong ULong() => (ulong)Long();
        internal double Double() => BitConverter.Int64BitsToDouble(Long());
        internal long? NullableLong() => Bool() ? Long() : (long?)null;

        /// <summary>An int in [min, max].</summary>
        internal int Int(int min, int max)
        {
            int v = Int();
            if (v < min || v > max) throw new SnapshotFormatException($"value {v} outside {min}..{max}");
            return v;
        }

        internal string? String()
        {
            int n = Int();
            if (n == -1) return null;
            if (n < 0 || n > 1 << 24) throw new SnapshotFormatException($"string length {n}");
            var bytes = new byte[n];
            Raw(bytes, n);
            return Encoding.UTF8.GetString(bytes);
        }

        internal string RequiredString() => String() ?? throw new SnapshotFormatException("a name is missing");

        private int Length(int max)
        {
            int n = Int();
            if (n < -1 || n > max) throw new SnapshotFormatException($"array length {n} outside 0..{max}");
            return n;
        }

        /// <summary>A primitive array written by <see cref="SnapshotWriter.Array"/>; null when written as null.</summary>
        internal T[]? ArrayOrNull<T>(int maxLength = int.MaxValue) where T : struct
        {
            int n = Length(maxLength);
            if (n < 0) return null;
            var a = new T[n];
            Raw(a, Buffer.ByteLength(a));
            return a;
        }

        internal T[] Array<T>(int maxLength = int.MaxValue) where T : struct =>
            ArrayOrNull<T>(maxLength) ?? throw new SnapshotFormatException($"array of {typeof(T).Name} missing");

        /// <summary>Reads into an existing array, whose length must match the written one.</summary>
        internal void ArrayInto(Array a)
        {
            int n = Int();
            if (n != a.Length) throw new SnapshotFormatException($"array length {n}, expected {a.Length}");
            Raw(a, Buffer.ByteLength(a));
        }

        /// <summary>Reads what <see cref="SnapshotWriter.Links"/> wrote into the same half of links of the written length.</summary>
        internal void LinksInto(PageLink[] a, bool next)
        {
            int n = Int();
            if (n != a.Length) throw new SnapshotFormatException($"link array length {n}, expected {a.Length}");
            var chunk = new int[BufferSize / 4];
            for (int start = 0; start < n; start += chunk.Length)
            {
                int count = Math.Min(chunk.Length, n - start);
                Raw(chunk, count * 4);
                for (int k = 0; k < count; k++)
                {
                    int i = start + k;
                    int v = chunk[k] + i;
                    if ((uint)v >= (uint)a.Length) throw new SnapshotFormatException($"link {v} of entry {i} outside 0..{a.Length - 1}");
                    if (next) a[i].Next = v;
                    else a[i].Prev = v;
                }
            }
        }

        internal List<long> LongList()
        {
            int n = Length(int.MaxValue / 8);
            if (n < 0) throw new SnapshotFormatException("list missing");
            var list = new List<long>(n);
            for (int i = 0; i < n; i++) list.Add(Long());
            return list;
        }

        internal List<byte> ByteList()
        {
            int n = Length(int.MaxValue);
            if (n < 0) throw new SnapshotFormatException("list missing");
            var list = new List<byte>(n);
            for (int i = 0; i < n; i++) list.Add(Byte());
            return list;
        }

        /// <summary>A count of items that follow (each at least one byte, so a corrupted count fails fast).</summary>
        internal int Count(int max = 1 << 26) => Int(0, max);

        private void Raw(Array a, int bytes)
        {
            int done = 0;
            while (done < bytes)
            {
                Fill();
                int n = Math.Min(bytes - done, _len - _pos);
                Buffer.BlockCopy(_buf, _pos, a, done, n);
                _pos += n;
                done += n;
            }
            Position += bytes;
        }
    }

    /// <summary>The payload does not decode: thrown inside the reader, reported as SnapshotCorrupted.</summary>
    internal sealed class SnapshotFormatException : Exception
    {
        internal SnapshotFormatException(string message) : base(message) { }
    }

    /// <summary>CRC-32 (IEEE 802.3, reflected 0xEDB88320), slicing by 8 bytes.</summary>
    internal static class Crc32
    {
        private static readonly uint[] Table = BuildTable();

        private static uint[] BuildTable()
        {
            var t = new uint[8 * 256];
            for (uint i = 0; i < 256; i++)
            {
                uint c = i;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                t[i] = c;
            }
            for (int i = 0; i < 256; i++)
                for (int s = 1; s < 8; s++)
                    t[s * 256 + i] = (t[(s - 1) * 256 + i] >> 8) ^ t[t[(s - 1) * 256 + i] & 0xff];
            return t;
        }

        /// <summary>Continues <paramref name="crc"/> (start with 0) over buf[offset, offset+count).</summary>
        internal static uint Append(uint crc, byte[] buf, int offset, int count)
        {
            var t = Table;
            uint c = ~crc;
            int i = offset, end = offset + count;
            while (end - i >= 8)
            {
                uint lo = c ^ (uint)(buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
                uint hi = (uint)(buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24));
                c = t[7 * 256 + (lo & 0xff)] ^ t[6 * 256 + ((lo >> 8) & 0xff)] ^ t[5 * 256 + ((lo >> 16) & 0xff)] ^ t[4 * 256 + (lo >> 24)]
                  ^ t[3 * 256 + (hi & 0xff)] ^ t[2 * 256 + ((hi >> 8) & 0xff)] ^ t[256 + ((hi >> 16) & 0xff)] ^ t[hi >> 24];
                i += 8;
            }
            while (i < end) c = t[(c ^ buf[i++]) & 0xff] ^ (c >> 8);
            return ~c;
        }
    }

    /// <summary>Passes writes through to another stream, counting them and keeping their CRC-32.</summary>
    internal sealed class Crc32Stream : Stream
    {
        private readonly Stream _inner;
        internal Crc32Stream(Stream inner) { _inner = inner; }
        internal uint Crc { get; private set; }
        internal long Count { get; private set; }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Crc = Crc32.Append(Crc, buffer, offset, count);
            Count += count;
            _inner.Write(buffer, offset, count);
        }

        public override void Flush() => _inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
