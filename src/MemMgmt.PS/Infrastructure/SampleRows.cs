using System.Globalization;
using System.Management.Automation;
using MemMgmt.Core.Stats;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>Recording samples as flat rows (one property per order, zone and counter), so Export-Csv writes one column
    /// each and Export-MemChart reads them back by name, also after Import-Csv.</summary>
    public static class SampleRows
    {
        /// <summary>The type name the rows carry (for their table view).</summary>
        public const string TypeName = "MemMgmt.MemSample";

        public const string TimeColumn = "TimeMs";
        public const string FreePagesColumn = "FreePages";
        public const string OrderPrefix = "Order";
        public const string FragPrefix = "FragIndex";

        public static PSObject ToRow(MemRecording recording, MemSample sample)
        {
            var row = new PSObject();
            row.TypeNames.Insert(0, TypeName);
            row.Properties.Add(new PSNoteProperty(TimeColumn, sample.TimeMs));
            row.Properties.Add(new PSNoteProperty(FreePagesColumn, sample.FreePages));
            for (int o = 0; o < sample.FreeBlocks.Count; o++)
                row.Properties.Add(new PSNoteProperty(OrderPrefix + o.ToString(CultureInfo.InvariantCulture), sample.FreeBlocks[o]));
            for (int z = 0; z < sample.Zones.Count; z++)
                row.Properties.Add(new PSNoteProperty(FragPrefix + sample.Zones[z], sample.FragmentationIndex[z] / 1000.0));
            for (int c = 0; c < recording.Counters.Count; c++)
                row.Properties.Add(new PSNoteProperty(recording.Counters[c], sample.Counters[c]));
            return row;
        }
    }
}
