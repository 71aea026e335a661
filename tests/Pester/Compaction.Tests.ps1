# Compaction end to end through the cmdlets: pressure, direct compaction, kcompactd, compact_memory, traces.
# Most nodes are built with the Core constructor (unregistered, so nothing to remove); the design-card
# pipeline runs through New-MemNode.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)
    function New-TestNode([long]$MiB = 256, [switch]$NoGrouping) {
        $config = [MemMgmt.Core.Node.NodeConfig]::new()
        $config.SizeBytes = $MiB * 1MB
        $config.CmaBytes = 0
        $config.DisableMobilityGrouping = [bool]$NoGrouping
        [MemMgmt.Core.Node.MemNode]::new($config)
    }
    function Get-FreeAtOrAbove($node, [int]$order) {
        $sum = 0L
        foreach ($z in $node.Zones) { for ($o = $order; $o -lt 11; $o++) { $sum += $z.GetNrFree($o) * [math]::Pow(2, $o) } }
        $sum
    }
    function Test-Consistent($node) { [MemMgmt.Core.Debug.InvariantChecker]::Check($node).Count }
    # A user-page fill that does not wake kswapd: woken, kswapd would reclaim the page cache alongside the fill (or,
    # with nothing to reclaim, become hopeless), and the kswapd scenarios below start from a node it has not touched.
    $NoKswapdGfp = [MemMgmt.Core.Allocation.GfpFlags]'GFP_HIGHUSER_MOVABLE' -band -bnot [MemMgmt.Core.Allocation.GfpFlags]'__GFP_KSWAPD_RECLAIM'
}

# Removes every node this file made, whatever its tests did, so files share a runspace in any order.
AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

Describe 'Add-Pressure' {
    It 'fills and frees three quarters of every pageblock, returning a report with the node' {
        $node = New-TestNode
        $r = Add-Pressure -Node $node -Pattern ThreeQuarters -IgnoreWatermarks -Seed 3
        $r.Node | Should -Be $node
        $r.Pattern | Should -Be 'ThreeQuarters'
        $r.Failures | Should -Be 0
        $r.PagesFreed | Should -Be ($r.PagesAllocated / 4 * 3)
        $zone = $node.Zones[0]
        [long[]]$nrFree = foreach ($o in 0..10) { $zone.GetNrFree($o) }
        [MemMgmt.Core.Stats.Fragmentation]::UnusableFreeIndex($nrFree, 9) | Should -Be 1000
        Test-Consistent $node | Should -Be 0
    }

    It 'makes -Order requests through the slow path and counts them by order' {
        $node = New-TestNode
        $r = Add-Pressure -Node $node -Order 9 -Requests 8 -IgnoreWatermarks -Seed 1
        $r.RequestsByOrder[9] | Should -Be 8
        $r.Stalls | Should -BeGreaterThan 0
        $r.Stalls | Should -Be ($r.CompactSuccess + $r.CompactFail)
    }

    It 'rejects <Name> with <Id> and changes nothing' -TestCases @(
        @{ Name = 'a Percent above 100'; Id = 'PercentOutOfRange'; Params = @{ Percent = 150 } }
        @{ Name = 'Percent and Size together'; Id = 'ContradictoryPressureOptions'; Params = @{ Percent = 10; Size = 1MB } }
        @{ Name = 'ChunkPages with RandomHalf'; Id = 'ContradictoryPatternOptions'; Params = @{ Pattern = 'RandomHalf'; ChunkPages = 8 } }
        @{ Name = 'an order of 11'; Id = 'OrderOutOfRange'; Params = @{ Order = 11 } }
        @{ Name = 'a pinned percent of 200'; Id = 'PercentOutOfRange'; Params = @{ PinnedPercent = 200 } }
    ) {
        $node = New-TestNode 64
        $free = $node.FreePages
        { Add-Pressure -Node $node @Params } | Should -Throw -ErrorId "$Id,*"
        $node.FreePages | Should -Be $free
    }
}

Describe 'New-PageAllocation slow path' {
    It 'reports each slow-path step with -Verbose: kswapd wakeup, async compaction, reclaim, sync-light compaction' {
        $node = New-TestNode
        Add-Pressure -Node $node -IgnoreWatermarks | Out-Null
        $out = @(New-PageAllocation -Node $node -Order 9 -Gfp 'GFP_HIGHUSER_MOVABLE,__GFP_COMP' -Verbose 4>&1)
        $steps = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object { $_.Message -replace '^alloc_pages\([^)]*\): ', '' })
        $steps[0] | Should -BeLike 'wake_all_kswapds: kswapd_order 9*'
        $steps[1] | Should -Be 'get_page_from_freelist: failed at the min watermark'
        $steps[2] | Should -BeLike '__alloc_pages_direct_compact: Async: *'
        @($out | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).Count | Should -Be 1
        $node.Counters[[MemMgmt.Core.Stats.VmEvent]::CompactStall] | Should -BeGreaterThan 0
    }
}

Describe 'Invoke-Compaction' {
    It 'without an order compacts like compact_memory: 95% of free memory ends in order >= 9 blocks' {
        $node = New-TestNode
        $p = Add-Pressure -Node $node -Pattern ThreeQuarters -IgnoreWatermarks -Seed 3
        $p.Order | Should -Be -1
        $reports = @($p | Invoke-Compaction)
        $reports.Count | Should -Be 1
        $reports[0].Status | Should -Be 'complete'
        $reports[0].Mode | Should -Be 'Sync'
        $reports[0].Order | Should -Be -1
        $reports[0].Node | Should -Be $node
        $free = 0L; foreach ($o in 0..10) { $free += $node.Zones[0].GetNrFree($o) * [math]::Pow(2, $o) }
        (Get-FreeAtOrAbove $node 9) | Should -BeGreaterOrEqual ($free * 0.95)
        $reports[0].Migrated | Should -BeGreaterThan (($p.PagesAllocated - $p.PagesFreed) * 0.6)
        $node.Counters[[MemMgmt.Core.Stats.VmEvent]::PgMigrateSuccess] | Should -Be $reports[0].Migrated
        Test-Consistent $node | Should -Be 0
    }

    It 'shows its work in Get-VmStat where the kernel counts it' {
        $node = New-TestNode
        $p = Add-Pressure -Node $node -Order 9 -Requests 4 -IgnoreWatermarks -Seed 2
        $stat = @{}
        foreach ($c in Get-VmStat -Node $node -Name 'compact_*', 'pgmigrate_*') { $stat[$c.Name] = $c.Value }
        $stat['compact_stall'] | Should -Be $p.Stalls
        $stat['compact_success'] | Should -Be $p.CompactSuccess
        $stat['compact_fail'] | Should -Be $p.CompactFail
        $stat['compact_migrate_scanned'] | Should -BeGreaterThan 0
        $stat['compact_isolated'] | Should -BeGreaterThan 0
        $stat['pgmigrate_success'] | Should -BeGreaterThan 0
        $stat['compact_daemon_wake'] | Should -Be 0
    }

    It 'with -Order runs try_to_compact_pages and reports the deferral state' {
        $node = New-TestNode
        Add-Pressure -Node $node -PinnedPercent 100 -IgnoreWatermarks | Out-Null
        $first = Invoke-Compaction -Node $node -Priority SyncLight -Order 9
        $first.Status | Should -Be 'complete'
        $first.DeferShiftBefore | Should -Be 0
        $first.DeferShiftAfter | Should -Be 1
        $first.FailReasons['PinnedNotIsolated'] | Should -BeGreaterThan 0
        $second = Invoke-Compaction -Node $node -Priority SyncLight -Order 9
        $second.Status | Should -Be 'deferred'
        $second.WasDeferred | Should -BeTrue
        (Invoke-Compaction -Node $node -Priority SyncLight -Order 9).Status | Should -Be 'complete'
        (Invoke-Compaction -Node $node -Priority SyncLight -Order 9).DeferShiftAfter | Should -Be 2
    }

    It 'rejects <Name> with <Id>' -TestCases @(
        @{ Name = 'an order of 11'; Id = 'OrderOutOfRange'; Params = @{ Order = 11 } }
        @{ Name = 'an order of -2'; Id = 'OrderOutOfRange'; Params = @{ Order = -2 } }
        @{ Name = 'an empty zone'; Id = 'ZoneNotPopulated'; Params = @{ Zone = 'Movable' } }
        @{ Name = 'a zone 4.14 lacks'; Id = 'ZoneNotPresent'; Params = @{ Zone = 'DMA32' } }
    ) {
        $node = New-TestNode 64
        { Invoke-Compaction -Node $node @Params } | Should -Throw -ErrorId "$Id,*"
        $node.Trace.Written | Should -Be 0
    }

    It 'rejects -Priority without an order (compact_memory has none) and changes nothing' {
        $node = New-TestNode 64
        { Invoke-Compaction -Node $node -Priority SyncLight } | Should -Throw -ErrorId '*PriorityWithoutOrder*'
        $node.Trace.Written | Should -Be 0
        { Add-Pressure -Node $node -Percent 10 | Invoke-Compaction -Priority Async } | Should -Throw -ErrorId '*PriorityWithoutOrder*'
    }

    It 'rejects an unknown priority at binding' {
        $node = New-TestNode 64
        { Invoke-Compaction -Node $node -Priority Fastest } | Should -Throw
    }
}

Describe 'kcompactd and virtual time' {
    It 'Invoke-Kcompactd -Order 9 wakes kcompactd, which compacts and counts compact_daemon_*' {
        $node = New-TestNode
        Add-Pressure -Node $node -IgnoreWatermarks | Out-Null
        $r = @(Invoke-Kcompactd -Node $node -Order 9)
        $r.Count | Should -Be 1
        $r[0].Status | Should -Be 'success'
        $r[0].Mode | Should -Be 'SyncLight'
        $node.Counters[[MemMgmt.Core.Stats.VmEvent]::CompactDaemonWake] | Should -Be 1
        $node.Counters[[MemMgmt.Core.Stats.VmEvent]::CompactDaemonMigrateScanned] | Should -Be $r[0].MigrateScanned
    }

    It 'Step-MemNode runs kcompactd after a failed huge page request woke kswapd' {
        # Half the pages are page cache: kswapd reclaims compact_gap(9) pages, drops to order 0 and wakes kcompactd at 9.
        $node = New-TestNode
        Add-Pressure -Node $node -IgnoreWatermarks -FilePercent 50 -Gfp $NoKswapdGfp | Out-Null
        [MemMgmt.Core.Allocation.PageAllocator]::Allocate($node, 9, 'GFP_TRANSHUGE_LIGHT,__GFP_KSWAPD_RECLAIM', 0, $null).Success | Should -BeFalse
        $s = Step-MemNode -Node $node -Milliseconds 100
        $s.Kswapd.NrReclaimed | Should -BeGreaterOrEqual 1024
        $s.KcompactdRan | Should -BeTrue
        ($s.EndNs - $s.StartNs) | Should -BeGreaterOrEqual 100000000
        @(Get-MemTrace -Node $node -Event 'mm_compaction_kcompactd_*').Name | Should -Be @('mm_compaction_kcompactd_wake', 'mm_compaction_kcompactd_sleep')
    }

    It 'Step-MemNode leaves kcompactd asleep when kswapd reclaims nothing (4.14 wakes it only after dropping the order)' {
        $node = New-TestNode
        Add-Pressure -Node $node -IgnoreWatermarks -Gfp $NoKswapdGfp | Out-Null
        [MemMgmt.Core.Allocation.PageAllocator]::Allocate($node, 9, 'GFP_TRANSHUGE_LIGHT,__GFP_KSWAPD_RECLAIM', 0, $null).Success | Should -BeFalse
        $s = Step-MemNode -Node $node -Milliseconds 100
        $s.Kswapd.AllocOrder | Should -Be 9
        $s.Kswapd.NrReclaimed | Should -Be 0
        $s.KcompactdRan | Should -BeFalse
    }

    It 'Set-MemSysctl vm.compact_memory 1 compacts the node' {
        $node = New-TestNode
        Add-Pressure -Node $node -IgnoreWatermarks | Out-Null
        $before = Get-FreeAtOrAbove $node 9
        Set-MemSysctl -Node $node vm.compact_memory 1
        $node.Compaction.LastCompactMemory.Trigger | Should -Be 'compact_node'
        (Get-FreeAtOrAbove $node 9) | Should -BeGreaterThan ($before + 10000)
        Test-Consistent $node | Should -Be 0
    }

    It 'vm.compact_memory compacts every zone when written' {
        $node = New-TestNode
        Add-Pressure -Node $node -IgnoreWatermarks | Out-Null
        $before = Get-FreeAtOrAbove $node 9
        [MemMgmt.Core.Sysctl.VmSysctl]::Write($node, 'vm.compact_memory', '1')
        $node.Compaction.LastCompactMemory.Zones[0].Status | Should -Be 'complete'
        (Get-FreeAtOrAbove $node 9) | Should -BeGreaterThan ($before + 10000)
    }
}

Describe 'Get-MemTrace' {
    It 'returns events with kernel names and fields and renders ftrace text' {
        $node = New-TestNode 64
        Add-Pressure -Node $node -IgnoreWatermarks | Out-Null
        Clear-MemTrace -Node $node
        Invoke-Compaction -Node $node -Priority Async -Order 4 | Out-Null
        $events = @(Get-MemTrace -Node $node)
        $events[0].Name | Should -Be 'mm_compaction_try_to_compact_pages'
        $events[0].Text | Should -BeExactly 'order=4 gfp_mask=0x14200ca priority=2'
        $begin = $events | Where-Object Name -EQ 'mm_compaction_begin'
        $begin.Fields['zone_start'] | Should -Be 0x40000
        $raw = @(Get-MemTrace -Node $node -Raw -Event 'mm_compaction_begin')
        $raw[0] | Should -BeExactly '# tracer: nop'
        $raw[-1] | Should -Match '^ {11}memsh-1000  \[000\] \.\.\.\. +\d+\.\d{6}: mm_compaction_begin: zone_start=0x40000 migrate_pfn=0x40000 free_pfn=0x43e00 zone_end=0x44000, mode=async$'
        @(Get-MemTrace -Node $node -Last 2).Count | Should -Be 2
    }

    It 'rejects an unknown event name' {
        $node = New-TestNode 64
        { Get-MemTrace -Node $node -Event 'mm_nothing' } | Should -Throw -ErrorId 'UnknownTraceEvent,*'
    }
}

Describe 'Stopping long runs (Ctrl+C)' {
    BeforeAll {
        $manifest = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')
        function Stop-When($node, [string]$script, [scriptblock]$started) {
            # CreateDefault2: the engine's own commands without snap-ins (the hosted test engine has no console host).
            $rs = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspace([System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2())
            $rs.Open()
            $ps = [powershell]::Create()
            $ps.Runspace = $rs
            $null = $ps.AddScript($script).AddArgument($manifest).AddArgument($node)
            $handle = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not (& $started) -and -not $handle.IsCompleted -and [DateTime]::UtcNow -lt $deadline) { [System.Threading.Thread]::Sleep(5) }
            $ps.Stop()
            $state = $ps.InvocationStateInfo.State
            $reason = $ps.InvocationStateInfo.Reason
            $ps.Dispose()
            $rs.Dispose()
            if ($state -eq 'Failed') { "Failed: $reason" } else { "$state" }
        }
    }

    It 'Add-Pressure stops between two allocations and leaves the node consistent' {
        $node = New-TestNode 2048
        $state = Stop-When $node 'param($m, $n) Import-Module $m; Add-Pressure -Node $n -IgnoreWatermarks' { $node.Allocations.LiveCount -gt 20000 }
        $state | Should -Be 'Stopped'
        $node.Allocations.LiveCount | Should -BeLessThan ($node.ManagedPages - 1000)
        Test-Consistent $node | Should -Be 0
    }

    It 'Invoke-Compaction stops at a fatal-signal check and leaves the node consistent' {
        $node = New-TestNode 2048
        Add-Pressure -Node $node -IgnoreWatermarks | Out-Null
        $full = (Invoke-Compaction -Node $node.Clone('stop-copy')).Migrated
        $state = Stop-When $node 'param($m, $n) Import-Module $m; Invoke-Compaction -Node $n' {
            $node.Counters[[MemMgmt.Core.Stats.VmEvent]::PgMigrateSuccess] -gt 1000 }
        $state | Should -Be 'Stopped'
        $node.Counters[[MemMgmt.Core.Stats.VmEvent]::PgMigrateSuccess] | Should -BeLessThan $full
        Test-Consistent $node | Should -Be 0
        # The run ended early: what is left compacts to completion now.
        (Invoke-Compaction -Node $node).Status | Should -Be 'complete'
        Test-Consistent $node | Should -Be 0
    }
}

Describe 'Grouping by mobility' {
    It 'gives far more huge pages after compaction than with grouping disabled' {
        $counts = foreach ($disabled in $false, $true) {
            $node = New-TestNode 256 -NoGrouping:$disabled
            Add-Pressure -Node $node -Pattern RandomHalf -UnmovablePercent 5 -Seed 5 | Out-Null
            Invoke-Compaction -Node $node | Out-Null
            $n = 0
            while ([MemMgmt.Core.Allocation.PageAllocator]::Allocate($node, 9, 'GFP_HIGHUSER_MOVABLE,__GFP_COMP,__GFP_RETRY_MAYFAIL', 0, 'HugeTlb').Success) { $n++ }
            $n
        }
        $counts[0] | Should -BeGreaterThan (5 * [math]::Max(1, $counts[1]))
    }
}

Describe 'The design-card pipeline' {
    AfterEach { Remove-MemNode -Name 'design-card-*' }

    It 'runs as the card prints it' {
        $rows = @(New-MemNode -Name 'design-card-1' | Add-Pressure -Order 3 | Invoke-Compaction -Priority SyncLight | Get-PageTypeInfo)
        $rows.Count | Should -BeGreaterThan 0
        $rows[0].Node.Name | Should -Be 'design-card-1'
    }

    It 'compacts for the order Add-Pressure pressed, at the priority given (try_to_compact_pages, 4.14 trace text)' {
        $p = New-MemNode -Name 'design-card-2' | Add-Pressure -Order 3
        $p.Order | Should -Be 3
        Clear-MemTrace -Node $p.Node
        $reports = @($p | Invoke-Compaction -Priority SyncLight)
        $reports[0].Order | Should -Be 3
        $reports[0].Priority | Should -Be 'SyncLight'
        $ev = @(Get-MemTrace -Node $p.Node -Event mm_compaction_try_to_compact_pages)
        $ev.Count | Should -Be 1
        $ev[0].Text | Should -BeExactly 'order=3 gfp_mask=0x14200ca priority=1'
    }
}
