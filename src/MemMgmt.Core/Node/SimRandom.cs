namespace MemMgmt.Core.Node
{
    /// <summary>The node's seeded generator (xoshiro256**): same seed and commands give the same state on every runtime.</summary>
    public sealed class SimRandom
    {
        private ulong _s0, _s1, _s2, _s3;

        public SimRandom(ulong seed)
        {
            ulong x = seed;
            _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
        }

        private SimRandom(SimRandom other)
        {
            _s0 = other._s0; _s1 = other._s1; _s2 = other._s2; _s3 = other._s3;
        }

        public SimRandom Clone() => new SimRandom(this);

        internal void Write(SnapshotWriter w) { w.ULong(_s0); w.ULong(_s1); w.ULong(_s2); w.ULong(_s3); }

        internal static SimRandom Read(SnapshotReader r)
        {
            var g = new SimRandom(0);
            g._s0 = r.ULong(); g._s1 = r.ULong(); g._s2 = r.ULong(); g._s3 = r.ULong();
            return g;
        }

        /// <summary>Restarts the sequence from a new seed (Add-Pressure -Seed).</summary>
        internal void Reseed(ulong seed)
        {
            ulong x = seed;
            _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
        }

        private static ulong SplitMix(ref ulong x)
        {
            ulong z = x += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        private static ulong Rotl(ulong x, int k) => (x << k) | (x >> (64 - k));

        public ulong NextULong()
        {
            ulong result = Rotl(_s1 * 5, 7) * 9;
            ulong t = _s1 << 17;
            _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
            _s2 ^= t;
            _s3 = Rotl(_s3, 45);
            return result;
        }

        /// <summary>Uniform in [0, bound) for bound &gt; 0.</summary>
        public long Next(long bound) => (long)((NextULong() >> 11) % (ulong)bound);

        /// <summary>Uniform in [0, 1).</summary>
        public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));
    }
}
