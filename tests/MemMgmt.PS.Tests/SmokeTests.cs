namespace MemMgmt.PS.Tests { public class SmokeTests { [Xunit.Fact] public void Builds() { } } }
