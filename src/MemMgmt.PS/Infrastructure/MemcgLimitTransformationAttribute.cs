using System;
using System.Management.Automation;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>Lets memory.low/memory.max parameters take "max" (no limit, as the cgroup2 files accept) besides byte
    /// sizes ('64MB', 67108864). "max" becomes Int64.MaxValue, which the memcg cmdlets read as unlimited.</summary>
    public sealed class MemcgLimitTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            object value = inputData is PSObject pso ? pso.BaseObject : inputData;
            if (value is string s)
            {
                if (string.Equals(s.Trim(), "max", StringComparison.OrdinalIgnoreCase)) return long.MaxValue;
                if (ByteSize.TryParse(s, out long bytes)) return bytes;
            }
            return inputData;
        }
    }
}
