# Tab completion of names that live on a node: counters, tracepoints, cgroups, pids, working sets.
BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) -Force
    function Get-Completion([string]$line) { @((TabExpansion2 $line $line.Length).CompletionMatches | ForEach-Object { $_.CompletionText }) }
    $script:n = New-MemNode -Name cmpl-a -Size 256MB -CmaSize 0
    $null = New-MemCgroup web -Node $script:n
    $null = New-MemCgroup web/fe -Node $script:n
    $script:p = New-MemProcess cmplproc -Percent 1 -Node $script:n
    $null = Add-WorkingSet HotSet -Percent 1 -Name cmpl-ws -Node $script:n
    $script:other = New-MemNode -Name cmpl-b -Size 256MB -CmaSize 0
}

AfterAll {
    Remove-MemNode -Name cmpl-* -Confirm:$false
}

Describe 'Completion of node-held names' {
    It 'completes vmstat counter names for Get-VmStat and meminfo names for Get-MemInfo' {
        Get-Completion 'Get-VmStat -Node cmpl-a nr_free_p' | Should -Be @('nr_free_pages')
        Get-Completion 'Get-MemInfo -Node cmpl-a MemF' | Should -Be @('MemFree')
        Get-Completion 'Get-VmStat -Node cmpl-a MemF' | Should -Be @()
    }

    It 'completes tracepoint names for Get-MemTrace -Event' {
        $c = Get-Completion 'Get-MemTrace -Event mm_compaction_defer'
        $c | Should -Contain 'mm_compaction_deferred'
        $c | Should -Contain 'mm_compaction_defer_reset'
        $c | Should -Not -Contain 'mm_vmscan_kswapd_wake'
    }

    It 'completes cgroup names of the node given with -Node' {
        Get-Completion 'Set-MemCgroup -Node cmpl-a -Name we' | Should -Be @('web', 'web/fe')
        Get-Completion 'Get-MemCgroup -Node cmpl-b -Name we' | Should -Be @()
        Get-Completion 'New-MemProcess x -Node cmpl-a -Cgroup web/' | Should -Be @('web/fe')
    }

    It 'completes pids for Stop-MemProcess and working-set names for Stop-WorkingSet' {
        Get-Completion 'Stop-MemProcess -Node cmpl-a -Id ' | Should -Contain ([string]$script:p.Pid)
        Get-Completion 'Stop-WorkingSet -Node cmpl-a -Name cmpl' | Should -Be @('cmpl-ws')
    }
}
