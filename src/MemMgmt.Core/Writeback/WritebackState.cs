namespace MemMgmt.Core.Writeback
{
    /// <summary>Writes in flight on the node's backing device (FIFO by completion time), and the pgdat flags reclaim
    /// raises from what it finds under writeback (PGDAT_DIRTY, PGDAT_WRITEBACK, PGDAT_CONGESTED).</summary>
    internal sealed class WritebackState
    {
        internal int[] WbIndex = new int[256];
        internal long[] WbDoneNs = new long[256];
        /// <summary>Pages each write covers (the page's order may change once its owner frees it).</summary>
        internal int[] WbPages = new int[256];
        internal int WbHead, WbCount;
        internal bool PgdatDirty, PgdatWriteback, PgdatCongested;

        internal WritebackState Clone()
        {
            var c = (WritebackState)MemberwiseClone();
            c.WbIndex = (int[])WbIndex.Clone();
            c.WbDoneNs = (long[])WbDoneNs.Clone();
            c.WbPages = (int[])WbPages.Clone();
            return c;
        }

        internal void Write(Node.SnapshotWriter w)
        {
            w.Array(WbIndex); w.Array(WbDoneNs); w.Array(WbPages); w.Int(WbHead); w.Int(WbCount);
            w.Bool(PgdatDirty); w.Bool(PgdatWriteback); w.Bool(PgdatCongested);
        }

        internal static WritebackState Read(Node.SnapshotReader r)
        {
            var s = new WritebackState { WbIndex = r.Array<int>(), WbDoneNs = r.Array<long>(), WbPages = r.Array<int>() };
            if (s.WbDoneNs.Length != s.WbIndex.Length || s.WbPages.Length != s.WbIndex.Length || s.WbIndex.Length == 0)
                throw new Node.SnapshotFormatException("writeback queue arrays differ in length");
            s.WbHead = r.Int(0, s.WbIndex.Length - 1); s.WbCount = r.Int(0, s.WbIndex.Length);
            s.PgdatDirty = r.Bool(); s.PgdatWriteback = r.Bool(); s.PgdatCongested = r.Bool();
            return s;
        }

        internal void QueueWriteback(int index, int nrPages, long doneNs)
        {
            if (WbCount == WbIndex.Length)
            {
                int n = WbIndex.Length * 2;
                var ni = new int[n];
                var nd = new long[n];
                var np = new int[n];
                for (int i = 0; i < WbCount; i++)
                {
                    ni[i] = WbIndex[(WbHead + i) % WbIndex.Length];
                    nd[i] = WbDoneNs[(WbHead + i) % WbIndex.Length];
                    np[i] = WbPages[(WbHead + i) % WbIndex.Length];
                }
                WbIndex = ni; WbDoneNs = nd; WbPages = np; WbHead = 0;
            }
            // Kept in completion order: the flusher's writes finish as the device gets to them, later than a pageout
            // queued after them may, so an earlier write is slotted in before them (usually it goes at the tail).
            int len = WbIndex.Length, at = WbCount;
            while (at > 0)
            {
                int prev = (WbHead + at - 1) % len;
                if (WbDoneNs[prev] <= doneNs) break;
                int cur = (WbHead + at) % len;
                WbIndex[cur] = WbIndex[prev]; WbDoneNs[cur] = WbDoneNs[prev]; WbPages[cur] = WbPages[prev];
                at--;
            }
            int slot = (WbHead + at) % len;
            WbIndex[slot] = index;
            WbDoneNs[slot] = doneNs;
            WbPages[slot] = nrPages;
            WbCount++;
        }
    }
}
