using System.Collections.Generic;
using System.Management.Automation;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>Matches names against -Name patterns (wildcards, case-insensitive); no patterns match everything.</summary>
    public sealed class NameFilter
    {
        private readonly List<WildcardPattern>? _patterns;

        private NameFilter(List<WildcardPattern>? patterns) { _patterns = patterns; }

        public static NameFilter Create(string[]? names)
        {
            if (names == null || names.Length == 0) return new NameFilter(null);
            var list = new List<WildcardPattern>();
            foreach (var n in names) list.Add(new WildcardPattern(n, WildcardOptions.IgnoreCase));
            return new NameFilter(list);
        }

        public bool IsMatch(string name)
        {
            if (_patterns == null) return true;
            foreach (var p in _patterns) if (p.IsMatch(name)) return true;
            return false;
        }
    }
}
