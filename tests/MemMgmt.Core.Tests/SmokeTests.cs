namespace MemMgmt.Core.Tests { public class SmokeTests { [Xunit.Fact] public void Builds() { } } }
