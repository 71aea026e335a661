using System.Globalization;
using System.Management.Automation;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>Every parameter named -Percent or -…Percent is on the 0–100 scale; Core works in fractions. This is
    /// the one place a percent argument is checked and turned into a fraction.</summary>
    internal static class PercentArgument
    {
        /// <summary>The fraction for a 0..100 (or, with <paramref name="exclusiveZero"/>, more than 0 up to 100)
        /// percent; anything else is a PercentOutOfRange ErrorRecord naming the parameter.</summary>
        public static double ToFraction(PSCmdlet cmdlet, string parameter, double percent, bool exclusiveZero = false)
        {
            bool bad = double.IsNaN(percent) || percent > 100 || (exclusiveZero ? percent <= 0 : percent < 0);
            if (bad)
                cmdlet.ThrowTerminatingError(Errors.Make("PercentOutOfRange", ErrorCategory.InvalidArgument,
                    $"-{parameter} {percent.ToString(CultureInfo.InvariantCulture)} is out of range; allowed {(exclusiveZero ? "more than 0" : "0")} to 100 (percent).", percent));
            return percent / 100.0;
        }
    }
}
