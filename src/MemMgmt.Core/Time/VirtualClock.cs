namespace MemMgmt.Core.Time
{
    /// <summary>The node's virtual time in nanoseconds; advanced by modelled costs, never by the wall clock.</summary>
    public sealed class VirtualClock
    {
        public long NowNs { get; private set; }

        public double NowMs => NowNs / 1e6;

        internal void Advance(long ns) => NowNs += ns;

        /// <summary>Work of a daemon on the node's other CPU runs on that CPU's own time: the caller sets the clock to it
        /// and back to the task's time afterwards.</summary>
        internal void SwitchTo(long ns) => NowNs = ns;

        internal VirtualClock Clone() => new VirtualClock { NowNs = NowNs };

        internal void Write(Node.SnapshotWriter w) => w.Long(NowNs);

        internal static VirtualClock Read(Node.SnapshotReader r) => new VirtualClock { NowNs = r.Long() };
    }
}
