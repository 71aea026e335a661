using System;
using System.IO;
using Xunit;

namespace MemMgmt.PS.Tests.Shell
{
    /// <summary>
    /// memsh runs the PowerShell SDK engine: the cmdlets pwsh has on Linux (Utility, Management) work there next to
    /// MemMgmt's, with the module's format views, in -Command, -File and at the prompt, and MemMgmt is on
    /// PSModulePath so the runspaces of ForEach-Object -Parallel load it by name.
    /// </summary>
    public sealed class MemshPwshCmdletTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "memsh-pwsh-" + Guid.NewGuid().ToString("N"));

        public MemshPwshCmdletTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        [Fact]
        public void Group_Sort_Select_pipeline_names_Movable_as_the_commonest_pageblock_type_of_a_new_node()
        {
            MemshResult r = Memsh.Run(null, "-Command",
                "New-MemNode | Out-Null; Get-Pageblock | Group-Object MigrateType | Sort-Object Count -Descending | Select-Object -First 1 -ExpandProperty Name");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("Movable\n", r.Stdout);
        }

        [Fact]
        public void Measure_ConvertTo_Json_Export_Csv_and_Format_Table_work_in_Command_mode()
        {
            string csv = Path.Combine(_dir, "blocks.csv");
            MemshResult r = Memsh.Run(null, "-Command",
                "New-MemNode | Out-Null\n" +
                "(Get-Pageblock | Measure-Object FreePages -Sum).Sum -eq (Get-BuddyInfo | Measure-Object FreePages -Sum).Sum\n" +
                "Get-BuddyInfo | Select-Object Zone, FreePages | ConvertTo-Json -Compress\n" +
                "Get-Pageblock 0x40000, 0x40200 | Select-Object Index, MigrateType | Export-Csv -Path '" + csv + "'\n" +
                "Get-BuddyInfo | Format-Table");
            Assert.True(r.ExitCode == 0, r.ToString());
            string[] lines = r.Stdout.Split('\n');
            Assert.Equal("True", lines[0]);
            Assert.Equal("{\"Zone\":\"DMA\",\"FreePages\":507360}", lines[1]);
            // Format-Table picks the module's view: one column per order, not the row's property list.
            Assert.Matches(@"NodeName: node0\n\n\s*NodeId\s+Zone\s+0\s+1\s+2\s+3\s+4\s+5\s+6\s+7\s+8\s+9\s+10\s+FreePages\n", r.Stdout);
            Assert.Equal("\"Index\",\"MigrateType\"\n\"0\",\"Movable\"\n\"1\",\"Movable\"\n", File.ReadAllText(csv).Replace("\r\n", "\n"));
        }

        [Fact]
        public void ForEach_Object_Parallel_runspaces_autoload_MemMgmt_and_share_a_node_through_using()
        {
            MemshResult r = Memsh.Run(null, "-Command",
                "$n = New-MemNode -Name shared\n" +
                "1..3 | ForEach-Object -Parallel { $before = [bool](Get-Module MemMgmt); New-PageAllocation -Node $using:n -Order 0 -Count 10 | Remove-PageAllocation; \"$_ $before $([bool](Get-Module MemMgmt))\" } | Sort-Object\n" +
                "1..2 | ForEach-Object -Parallel { Import-Module MemMgmt -PassThru | Select-Object -ExpandProperty Name }\n" +
                "(Test-MemNode -Node $n).Passed; $n.Allocations.LiveCount");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("1 False True\n2 False True\n3 False True\nMemMgmt\nMemMgmt\nTrue\n0\n", r.Stdout);
        }

        [Fact]
        public void Pwsh_cmdlets_work_in_a_File_script_and_at_the_prompt()
        {
            string script = Path.Combine(_dir, "census.ps1");
            File.WriteAllText(script,
                "param([int]$Top = 2)\n" +
                "New-MemNode | Out-Null\n" +
                "Get-Pageblock | Group-Object MigrateType -NoElement | Sort-Object Count -Descending | Select-Object -First $Top | ForEach-Object { '{0}={1}' -f $_.Name, $_.Count }\n");
            MemshResult file = Memsh.Run(null, "-File", script, "-Top", "1");
            Assert.True(file.ExitCode == 0, file.ToString());
            Assert.Matches(@"^Movable=\d+\n$", file.Stdout);

            MemshResult prompt = Memsh.Run("New-MemNode | Out-Null\n(Get-Pageblock | Where-Object MigrateType -eq Movable | Measure-Object).Count -gt 0\nGet-Date -Year 2020 -Month 1 -Day 2 -Format 'yyyy-MM-dd'\n");
            Assert.True(prompt.ExitCode == 0, prompt.ToString());
            Assert.Contains("True\n2020-01-02\n", prompt.Stdout);
        }
    }
}
