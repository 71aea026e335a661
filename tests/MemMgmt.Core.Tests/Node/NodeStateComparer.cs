using System;
using System.Collections;
using System.Collections.Generic;
using System.Reflection;
using System.Runtime.CompilerServices;
using MemMgmt.Core.Node;
using MemMgmt.Core.Trace;
using Xunit.Sdk;

namespace MemMgmt.Core.Tests.Node
{
    /// <summary>Walks two nodes' object graphs field by field (every instance field of every reachable object, arrays
    /// element by element, lists by their items) and fails at the first difference, naming its path. A node's own
    /// identity (name, lock) is not state; references back to a node must point at the node being walked.</summary>
    internal sealed class NodeStateComparer
    {
        private readonly MemNode _a, _b;
        private readonly bool _traceEvents;
        private readonly HashSet<(object, object)> _seen = new HashSet<(object, object)>(new PairComparer());
        /// <summary>Fields visited, by "Type.field": a test can check that the walk reached the state it should.</summary>
        internal readonly HashSet<string> Visited = new HashSet<string>();

        private NodeStateComparer(MemNode a, MemNode b, bool traceEvents) { _a = a; _b = b; _traceEvents = traceEvents; }

        /// <summary>Throws naming the first field whose value differs between the two nodes.</summary>
        internal static NodeStateComparer AssertSameState(MemNode a, MemNode b, bool traceEvents = true)
        {
            var c = new NodeStateComparer(a, b, traceEvents);
            c.Compare(a, b, "node", root: true);
            return c;
        }

        private static void Fail(string path, string what) => throw new XunitException($"{path}: {what}");

        private bool Skip(Type declaring, FieldInfo f)
        {
            string n = f.Name;
            if (declaring == typeof(MemNode))
                return n == "<SyncRoot>k__BackingField" || n == "<Name>k__BackingField" || n == "Stop";
            if (declaring == typeof(NodeConfig)) return n == "<Name>k__BackingField";
            // The report of the last compact_memory write is a result object, not state the simulation reads.
            if (declaring == typeof(MemMgmt.Core.Compaction.CompactionNodeState)) return n == "<LastCompactMemory>k__BackingField";
            if (declaring == typeof(MemTrace) && !_traceEvents) return n == "_ring" || n == "_symbols" || n == "_written";
            return false;
        }

        private void Compare(object? x, object? y, string path, bool root = false)
        {
            if (x == null || y == null)
            {
                if (x != null || y != null) Fail(path, $"{x ?? "null"} vs {y ?? "null"}");
                return;
            }
            var t = x.GetType();
            if (t != y.GetType()) Fail(path, $"type {t.Name} vs {y.GetType().Name}");
            if (t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal))
            {
                if (!x.Equals(y)) Fail(path, $"{x} vs {y}");
                return;
            }
            if (x is MemNode && !root)
            {
                if (!ReferenceEquals(x, _a) || !ReferenceEquals(y, _b)) Fail(path, "refers to another node");
                return;
            }
            if (x is KernelProfile)
            {
                if (!ReferenceEquals(x, y)) Fail(path, $"kernel {x} vs {y}");
                return;
            }
            if (x is Delegate) return; // hooks: present on both (null was handled above)
            if (!t.IsValueType && !_seen.Add((x, y))) return;
            if (x is Array ax)
            {
                var ay = (Array)y;
                if (ax.Length != ay.Length) Fail(path, $"length {ax.Length} vs {ay.Length}");
                var et = t.GetElementType()!;
                if (et.IsPrimitive)
                {
                    int bytes = Buffer.ByteLength(ax);
                    var bx = new byte[bytes];
                    var by = new byte[bytes];
                    Buffer.BlockCopy(ax, 0, bx, 0, bytes);
                    Buffer.BlockCopy(ay, 0, by, 0, bytes);
                    if (!bx.AsSpan().SequenceEqual(by))
                    {
                        int size = Buffer.ByteLength(ax) / Math.Max(1, ax.Length);
                        for (int i = 0; i < bytes; i++)
                            if (bx[i] != by[i]) Fail($"{path}[{i / size}]", $"{ax.GetValue(ToIndexes(ax, i / size))} vs {ay.GetValue(ToIndexes(ay, i / size))}");
                    }
                    return;
                }
                for (int i = 0; i < ax.Length; i++)
                {
                    object? ex = ax.GetValue(i), ey = ay.GetValue(i);
                    // Plain structs (page links) compare whole first; the field walk names the field that differs.
                    if (et.IsValueType && !et.IsEnum && ex!.Equals(ey)) continue;
                    Compare(ex, ey, $"{path}[{i}]");
                }
                return;
            }
            if (x is IList lx)
            {
                var ly = (IList)y;
                if (lx.Count != ly.Count) Fail(path, $"count {lx.Count} vs {ly.Count}");
                for (int i = 0; i < lx.Count; i++) Compare(lx[i], ly[i], $"{path}[{i}]");
                return;
            }
            for (var type = t; type != null && type != typeof(object); type = type.BaseType)
            {
                foreach (var f in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (Skip(type, f)) continue;
                    Visited.Add(type.Name + "." + f.Name);
                    Compare(f.GetValue(x), f.GetValue(y), path + "." + f.Name.Replace("k__BackingField", "").Trim('<', '>'));
                }
            }
        }

        private static int[] ToIndexes(Array a, int flat)
        {
            var idx = new int[a.Rank];
            for (int d = a.Rank - 1; d >= 0; d--)
            {
                int len = a.GetLength(d);
                idx[d] = flat % len;
                flat /= len;
            }
            return idx;
        }

        private sealed class PairComparer : IEqualityComparer<(object, object)>
        {
            public bool Equals((object, object) p, (object, object) q) => ReferenceEquals(p.Item1, q.Item1) && ReferenceEquals(p.Item2, q.Item2);
            public int GetHashCode((object, object) p) => RuntimeHelpers.GetHashCode(p.Item1) * 31 + RuntimeHelpers.GetHashCode(p.Item2);
        }
    }
}
