using System;
using System.Management.Automation;
using System.Threading;
using MemMgmt.Core.Node;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>
    /// Runs a cmdlet's work on a node under the node's lock (<see cref="MemNode.SyncRoot"/>). A node another runspace
    /// holds is waited for in short slices, so Ctrl+C (the pipeline's Stopping) ends the wait with a
    /// PipelineStoppedException instead of leaving the cmdlet blocked. The lock is re-entrant on one thread, so a
    /// downstream cmdlet of the same pipeline (called from WriteObject) can work on the same node.
    /// </summary>
    internal static class NodeLock
    {
        /// <summary>How long one wait lasts before Stopping is checked again.</summary>
        private const int SliceMilliseconds = 50;

        public static void Run(Cmdlet cmdlet, MemNode node, Action work)
        {
            object gate = node.SyncRoot;
            bool taken = false;
            try
            {
                while (!taken)
                {
                    if (cmdlet.Stopping) throw new PipelineStoppedException();
                    Monitor.TryEnter(gate, SliceMilliseconds, ref taken);
                }
                work();
            }
            finally
            {
                if (taken) Monitor.Exit(gate);
            }
        }

        /// <summary>Runs work that reads two nodes (Compare-MemNode) under both locks. It holds the first only while the
        /// second is free at once, and otherwise lets go and waits again, so two runspaces taking the same pair in
        /// opposite orders never deadlock.</summary>
        public static void Run(Cmdlet cmdlet, MemNode first, MemNode second, Action work)
        {
            if (ReferenceEquals(first, second))
            {
                Run(cmdlet, first, work);
                return;
            }
            while (true)
            {
                bool acquired = false;
                Run(cmdlet, first, () =>
                {
                    if (!Monitor.TryEnter(second.SyncRoot)) return;
                    acquired = true;
                    try { work(); }
                    finally { Monitor.Exit(second.SyncRoot); }
                });
                if (acquired) return;
                if (cmdlet.Stopping) throw new PipelineStoppedException();
                Thread.Sleep(SliceMilliseconds);
            }
        }
    }
}
