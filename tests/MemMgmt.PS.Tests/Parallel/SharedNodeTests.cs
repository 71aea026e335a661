using System;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using Xunit;

namespace MemMgmt.PS.Tests.Parallel
{
    /// <summary>
    /// One node used from several runspaces at once (ForEach-Object -Parallel with $using:), in the SDK engine: each
    /// cmdlet's work on a node is atomic, independent nodes do not disturb each other, and a cmdlet waiting for a node
    /// another thread holds can be stopped.
    /// </summary>
    public sealed class SharedNodeTests : IDisposable
    {
        private readonly Runspace _runspace;

        public SharedNodeTests()
        {
            _runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
            _runspace.Open();
            Run("Import-Module $args[0] -ErrorAction Stop", PesterHost.ModuleManifest);
        }

        public void Dispose() => _runspace.Dispose();

        /// <summary>Runs script with $args, fails the test on any error record, returns the output.</summary>
        private Collection<PSObject> Run(string script, params object[] args)
        {
            using var ps = PowerShell.Create(_runspace);
            ps.AddScript(script);
            foreach (var a in args) ps.AddArgument(a);
            var output = ps.Invoke();
            Assert.True(ps.Streams.Error.Count == 0,
                "errors: " + string.Join(Environment.NewLine, ps.Streams.Error.Select(e => e.FullyQualifiedErrorId + ": " + e)));
            return output;
        }

        [Fact]
        public void Eight_runspaces_times_10000_alloc_free_pairs_on_one_node_leave_it_consistent()
        {
            // Batches of 100: New-PageAllocation holds the lock for its 100 allocations, then every
            // Remove-PageAllocation record takes it on its own, so frees interleave with other runspaces' work.
            var r = Run(@"
                param($manifest)
                $n = New-MemNode -Name shared
                $census = { $b = Get-Pageblock -Node $n; ($b | Measure-Object FreePages -Sum).Sum + ($b | Measure-Object PcpPages -Sum).Sum }
                $events = { $s = @{}; Get-VmStat -Node $n pgalloc_*, pgfree | ForEach-Object { $s[$_.Name] = $_.Value }; $s }
                $free0 = & $census
                $ev0 = & $events
                1..8 | ForEach-Object -ThrottleLimit 8 -Parallel {
                    Import-Module $using:manifest
                    $node = $using:n
                    for ($i = 0; $i -lt 100; $i++) {
                        $a = New-PageAllocation -Node $node -Order 0 -Count 100 -Cpu ($_ % 2)
                        if ($a.Count -ne 100) { throw ""runspace $($_): $($a.Count) of 100 allocations"" }
                        $a | Remove-PageAllocation -Cpu (($_ + $i) % 2)
                    }
                }
                $ev1 = & $events
                $alloc = 0; foreach ($k in $ev1.Keys) { if ($k -like 'pgalloc_*') { $alloc += $ev1[$k] - $ev0[$k] } }
                [pscustomobject]@{
                    Passed = (Test-MemNode -Node $n).Passed
                    Violations = (Test-MemNode -Node $n).Violations -join '; '
                    Live = $n.Allocations.LiveCount
                    FreeDelta = (& $census) - $free0
                    AllocDelta = $alloc
                    FreeEvents = $ev1['pgfree'] - $ev0['pgfree']
                }
                Remove-MemNode -Node $n", PesterHost.ModuleManifest);
            var o = Assert.Single(r);
            Assert.True((bool)o.Properties["Passed"].Value, "Test-MemNode: " + o.Properties["Violations"].Value);
            Assert.Equal(0, Convert.ToInt64(o.Properties["Live"].Value));
            Assert.Equal(0L, Convert.ToInt64(o.Properties["FreeDelta"].Value));
            Assert.Equal(80_000L, Convert.ToInt64(o.Properties["AllocDelta"].Value));
            Assert.Equal(80_000L, Convert.ToInt64(o.Properties["FreeEvents"].Value));
        }

        [Fact]
        public void Eight_nodes_run_in_parallel_end_identical_to_the_same_script_run_serially()
        {
            const string work = @"
                $n = New-MemNode -Name ""n$i"" -Size 512MB -Seed $i
                Add-Pressure -Node $n -Order (1 + $i % 4) | Out-Null
                New-PageAllocation -Node $n -Order 2 -Count (50 * $i) -Gfp GFP_HIGHUSER_MOVABLE | Out-Null
                Invoke-Compaction -Node $n -Order 3 -Priority SyncLight | Out-Null
                ""n$i`n"" + ((Get-BuddyInfo -Node $n -Raw) -join ""`n"") + ""`n--`n"" + ((Get-VmStat -Node $n -Raw) -join ""`n"")
                Remove-MemNode -Node $n";
            var serial = Run("param($manifest) foreach ($i in 1..8) {" + work + "}", PesterHost.ModuleManifest)
                .Select(o => (string)o.BaseObject).ToArray();
            var parallel = Run("param($manifest) 1..8 | ForEach-Object -ThrottleLimit 8 -Parallel { Import-Module $using:manifest; $i = $_;" + work +
                " } | ForEach-Object { $_ }", PesterHost.ModuleManifest);
            Assert.Equal(8, serial.Length);
            Assert.Equal(8, parallel.Count);
            // -Parallel returns results in completion order; each text starts with its node's name, so sorting pairs them up.
            Assert.Equal(serial.OrderBy(s => s, StringComparer.Ordinal), parallel.Select(o => (string)o.BaseObject).OrderBy(s => s, StringComparer.Ordinal));
            Assert.Equal(8, serial.Distinct().Count());
        }

        [Fact]
        public void A_cmdlet_waiting_for_a_node_another_thread_holds_waits_and_can_be_stopped()
        {
            var node = Run("New-MemNode -Name held").Single();
            object gate = node.Properties["SyncRoot"].Value;
            using var other = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
            other.Open();
            using var ps = PowerShell.Create(other);
            ps.AddScript("param($manifest, $node) Import-Module $manifest; Get-BuddyInfo -Node $node -Raw")
              .AddArgument(PesterHost.ModuleManifest).AddArgument(node);

            Monitor.Enter(gate);
            try
            {
                IAsyncResult pending = ps.BeginInvoke();
                // Long enough for the import and for the cmdlet to reach the node: it must still be waiting.
                Assert.False(pending.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(3)), "Get-BuddyInfo finished while the node's lock was held elsewhere");
                Assert.Equal(PSInvocationState.Running, ps.InvocationStateInfo.State);
                var watch = Stopwatch.StartNew();
                ps.Stop();
                watch.Stop();
                Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), "Stop took " + watch.Elapsed);
            }
            finally
            {
                Monitor.Exit(gate);
            }

            // The stopped wait left no lock behind: the other runspace can use the node at once.
            using var again = PowerShell.Create(other);
            again.AddScript("param($node) Get-BuddyInfo -Node $node -Raw").AddArgument(node);
            IAsyncResult done = again.BeginInvoke();
            Assert.True(done.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)), "Get-BuddyInfo did not finish after the lock was released");
            var lines = again.EndInvoke(done);
            Assert.Contains(lines, l => l.ToString().StartsWith("Node 0, zone", StringComparison.Ordinal));
            Run("Remove-MemNode -Name held");
        }

        [Fact]
        public void A_pipeline_may_use_the_same_node_in_consecutive_cmdlets_while_other_runspaces_use_it()
        {
            // New-PageAllocation holds the node while Remove-PageAllocation (called from its WriteObject, same thread)
            // takes it again; Get-Pageblock | Where-Object reads while parallel runspaces allocate.
            var r = Run(@"
                param($manifest)
                $n = New-MemNode -Name reentrant
                $counts = 1..4 | ForEach-Object -ThrottleLimit 4 -Parallel {
                    Import-Module $using:manifest
                    $node = $using:n
                    for ($i = 0; $i -lt 20; $i++) {
                        New-PageAllocation -Node $node -Order 1 -Count 50 | Remove-PageAllocation
                        (Get-Pageblock -Node $node | Where-Object FreePages -gt 0 | Measure-Object).Count
                    }
                }
                ($counts | Measure-Object).Count
                (Test-MemNode -Node $n).Passed
                $n.Allocations.LiveCount
                Remove-MemNode -Node $n", PesterHost.ModuleManifest);
            Assert.Equal(new object[] { 80, true, 0 }, r.Select(o => o.BaseObject).ToArray());
        }

        [Fact]
        public void Compare_MemNode_in_both_orders_while_both_nodes_change_neither_deadlocks_nor_fails()
        {
            // Two runspaces compare (a, b), two compare (b, a), two allocate on a and on b: Compare-MemNode holds both
            // nodes' locks, and the opposite orders must not wait on each other forever.
            var r = Run(@"
                param($manifest)
                $a = New-MemNode -Name cmp-a -Size 256MB -CmaSize 0
                $b = Copy-MemNode -Node $a -Name cmp-b
                $jobs = 1..6 | ForEach-Object -ThrottleLimit 6 -Parallel {
                    Import-Module $using:manifest
                    $x = $using:a; $y = $using:b
                    for ($i = 0; $i -lt 30; $i++) {
                        switch ($_ % 3) {
                            0 { $null = Compare-MemNode -Reference $x -Difference $y }
                            1 { $null = Compare-MemNode -Reference $y -Difference $x }
                            2 { $n = if ($_ -eq 2) { $x } else { $y }; New-PageAllocation -Node $n -Order 0 -Count 50 | Remove-PageAllocation }
                        }
                    }
                    'done'
                }
                @($jobs).Count
                (Test-MemNode -Node $a).Passed -and (Test-MemNode -Node $b).Passed
                Remove-MemNode -Name cmp-a, cmp-b", PesterHost.ModuleManifest);
            Assert.Equal(6, Convert.ToInt32(r[0].BaseObject));
            Assert.True((bool)r[1].BaseObject);
        }
    }
}
