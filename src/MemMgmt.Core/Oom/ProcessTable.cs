using System.Collections.Generic;
using MemMgmt.Core.Node;
using MemMgmt.Core.Trace;

namespace MemMgmt.Core.Oom
{
    /// <summary>The node's simulated tasks (the task list the OOM killer walks), the pid counter, the task the current
    /// page fault runs in and the kernel log ring the OOM killer writes to.</summary>
    internal sealed class ProcessTable
    {
        internal List<SimProcess> Processes = new List<SimProcess>();
        internal int LastPid;
        internal KernelLog Log = new KernelLog();
        /// <summary>current while a simulated process faults (null: the shell, "memsh").</summary>
        internal SimProcess? Current;

        internal ProcessTable Clone(MemNode node) => new ProcessTable
        {
            Processes = Processes.ConvertAll(p => p.Clone(node)),
            LastPid = LastPid,
            Log = Log.Clone(),
        };

        /// <summary>The tasks, the pid counter and the log; current is only set inside a fault, never between commands.</summary>
        internal void Write(SnapshotWriter w)
        {
            w.Int(Processes.Count);
            foreach (var p in Processes) p.Write(w);
            w.Int(LastPid);
            Log.Write(w);
        }

        internal static ProcessTable Read(SnapshotReader r, MemNode node)
        {
            var t = new ProcessTable();
            int n = r.Count();
            for (int i = 0; i < n; i++) t.Processes.Add(SimProcess.Read(r, node));
            t.LastPid = r.Int();
            t.Log = KernelLog.Read(r);
            return t;
        }
    }
}
