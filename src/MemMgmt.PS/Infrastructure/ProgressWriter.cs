using System;
using System.Management.Automation;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>One progress bar of a long cmdlet: written only when the whole percent changes, so a Core callback
    /// that fires per slice or per thousand pages costs a comparison, not a host round trip.</summary>
    internal sealed class ProgressWriter
    {
        private readonly Cmdlet _cmdlet;
        private readonly ProgressRecord _record;
        private readonly string _unit;
        private int _lastPercent = -1;

        public ProgressWriter(Cmdlet cmdlet, int activityId, string activity, string unit)
        {
            _cmdlet = cmdlet;
            _unit = unit;
            _record = new ProgressRecord(activityId, activity, "starting");
        }

        public void Report(long done, long total)
        {
            int percent = total > 0 ? (int)Math.Min(100, Math.Max(0, done * 100 / total)) : 0;
            if (percent == _lastPercent) return;
            _lastPercent = percent;
            _record.PercentComplete = percent;
            _record.StatusDescription = $"{done} of {total} {_unit}";
            _cmdlet.WriteProgress(_record);
        }

        public void Complete()
        {
            if (_lastPercent < 0) return;
            _record.RecordType = ProgressRecordType.Completed;
            _cmdlet.WriteProgress(_record);
        }
    }
}
