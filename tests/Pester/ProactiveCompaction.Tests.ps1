# Proactive compaction on the 6.1 profile: kcompactd's timed checks of the fragmentation score while Step-MemNode passes
# virtual time, vm.compaction_proactiveness, and the same node on 4.14.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) -Force
    $nodesBefore = @(Get-MemNode)
    function Get-Score($node) { [MemMgmt.Core.Compaction.CompactionCommands]::FragmentationScoreNode($node) }
    function Get-Counter($node, $name) { (Get-VmStat -Node $node -Name $name).Value }
}
AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode -Confirm:$false }

Describe 'kcompactd compacts a fragmented 6.1 node proactively' {
    AfterEach { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode -Confirm:$false }

    It 'brings the score from above the high wmark (90) to the low wmark (80) within a few seconds of virtual time' {
        $n = New-MemNode -Kernel 6.1 -Size 1GB -CmaSize 0 -Name pro61
        $n | Add-Pressure -Pattern RandomHalf -Percent 100 | Out-Null
        $before = Get-Score $n
        $before | Should -BeGreaterThan 90
        $scanned0 = Get-Counter $n compact_migrate_scanned
        $migrated0 = Get-Counter $n pgmigrate_success
        $wake0 = Get-Counter $n compact_daemon_wake
        $step = $n | Step-MemNode 3000
        $step.ProactiveRuns | Should -BeGreaterOrEqual 1
        Get-Score $n | Should -BeLessOrEqual 80
        Get-Counter $n compact_migrate_scanned | Should -BeGreaterThan $scanned0
        Get-Counter $n pgmigrate_success | Should -BeGreaterThan $migrated0
        # 6.1's proactive_compact_node counts no compact_daemon_* event; only kcompactd_do_work counts wakes.
        Get-Counter $n compact_daemon_wake | Should -Be $wake0
        $step.Compactions[0].Status | Should -Be 'success'
        (Test-MemNode -Node $n).Violations | Should -BeNullOrEmpty
    }

    It 'does nothing with vm.compaction_proactiveness 0, and a write of a non-zero value triggers a check at once' {
        $n = New-MemNode -Kernel 6.1 -Size 1GB -CmaSize 0 -Name pro61zero
        Set-MemSysctl -Node $n vm.compaction_proactiveness 0
        $n | Add-Pressure -Pattern RandomHalf -Percent 100 | Out-Null
        $before = Get-Score $n
        ($n | Step-MemNode 3000).ProactiveRuns | Should -Be 0
        Get-Score $n | Should -Be $before
        Set-MemSysctl -Node $n vm.compaction_proactiveness 20
        ($n | Step-MemNode 1).ProactiveRuns | Should -Be 1
        Get-Score $n | Should -BeLessOrEqual 80
    }
}

Describe 'the same node on 4.14' {
    AfterEach { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode -Confirm:$false }

    It 'is not compacted by passing time, and vm.compaction_proactiveness does not exist' {
        $n = New-MemNode -Kernel 4.14 -Size 1GB -CmaSize 0 -Name pro414
        $n | Add-Pressure -Pattern RandomHalf -Percent 100 | Out-Null
        $before = Get-Score $n
        $scanned0 = Get-Counter $n compact_migrate_scanned
        $step = $n | Step-MemNode 3000
        $step.ProactiveRuns | Should -Be 0
        $step.Compactions | Should -BeNullOrEmpty
        Get-Score $n | Should -Be $before
        Get-Counter $n compact_migrate_scanned | Should -Be $scanned0
        { Set-MemSysctl -Node $n vm.compaction_proactiveness 20 -ErrorAction Stop } | Should -Throw -ErrorId 'SysctlNotInKernel,*'
    }
}

Describe 'kcompactd beside a hugepage request on 6.1' {
    AfterEach { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode -Confirm:$false }

    It 'runs its proactive compaction on the other CPU while the request compacts, and Get-MemTrace merges both by time' {
        $n = New-MemNode -Kernel 6.1 -Name beside61
        $n | Add-Pressure -Pattern Frag -Parity Even | Out-Null
        Clear-MemTrace -Node $n
        $free = (Get-MemInfo -Node $n -Name MemFree).Value
        Set-MemSysctl -Node $n vm.nr_hugepages ([int][math]::Floor($free * 0.75 / 2048))
        $events = @(Get-MemTrace -Node $n -Event 'mm_compaction_begin')
        $kcompactd = @($events | Where-Object Task -EQ 'kcompactd0')
        $kcompactd.Count | Should -Be 1
        $kcompactd[0].Cpu | Should -Be 1
        $direct = @($events | Where-Object Task -NE 'kcompactd0')
        $direct.Count | Should -BeGreaterThan 10
        # The request's direct compactions began before kcompactd's run and go on after it began.
        ($direct | Where-Object Timestamp -LT $kcompactd[0].Timestamp).Count | Should -BeGreaterThan 0
        ($direct | Where-Object Timestamp -GT $kcompactd[0].Timestamp).Count | Should -BeGreaterThan 0
        $all = @(Get-MemTrace -Node $n)
        for ($i = 1; $i -lt $all.Count; $i++) { $all[$i].Timestamp | Should -BeGreaterOrEqual $all[$i - 1].Timestamp }
        (Test-MemNode -Node $n).Violations | Should -BeNullOrEmpty
    }

    It 'leaves a 4.14 node''s request to itself (no proactive compaction)' {
        $n = New-MemNode -Name beside414
        $n | Add-Pressure -Pattern Frag -Parity Even | Out-Null
        Clear-MemTrace -Node $n
        $free = (Get-MemInfo -Node $n -Name MemFree).Value
        Set-MemSysctl -Node $n vm.nr_hugepages ([int][math]::Floor($free * 0.75 / 2048))
        @(Get-MemTrace -Node $n -Event 'mm_compaction_begin' | Where-Object Task -EQ 'kcompactd0').Count | Should -Be 0
    }
}
