# Scenario tests for Start-MemRecording / Stop-MemRecording and Step-MemNode's sampling while a node records.
BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) -Force
    # The numbers of one /proc file line after its "Node 0, zone DMA" prefix.
    function Get-LineValues([string]$line) { @(($line -split '\s+') | Where-Object { $_ -match '^-?[0-9.]+$' } | Select-Numbers) }
    function Select-Numbers { process { [double]$_ } }
}

Describe 'MemRecording' {
    AfterEach { Remove-MemNode -Name 'rec-*' }

    It 'samples at the start and at every interval of virtual time, as the /proc files show the node' {
        $n = New-MemNode -Name rec-a -Size 256MB -CmaSize 0
        $r = Start-MemRecording compact_stall, pgfree -IntervalMilliseconds 10 -Node $n
        $r.Counters | Should -Be @('compact_stall', 'pgfree')
        $r.Samples.Count | Should -Be 1
        $report = Step-MemNode 50 -Node $n
        $report.StartNs | Should -Be 0
        $report.EndNs | Should -Be 50000000
        $s = @(Stop-MemRecording -Node $n)
        @($s | ForEach-Object { $_.TimeMs }) | Should -Be @(0, 10, 20, 30, 40, 50)
        # A fresh 256 MiB node: free from index 9760 in blocks of orders 5, 6, 7, 8, then 54 of order 10.
        $s[0].FreePages | Should -Be 55776
        @(0..10 | ForEach-Object { $s[0]."Order$_" }) | Should -Be @(0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 54)
        $s[0].FragIndexDMA | Should -Be -1
        $s[0].pgfree | Should -Be 55776
        $s[0].PSObject.TypeNames[0] | Should -Be 'MemMgmt.MemSample'
        @($s[0].PSObject.Properties | ForEach-Object { $_.Name }) |
            Should -Be @('TimeMs', 'FreePages', 'Order0', 'Order1', 'Order2', 'Order3', 'Order4', 'Order5', 'Order6', 'Order7', 'Order8', 'Order9', 'Order10', 'FragIndexDMA', 'compact_stall', 'pgfree')
    }

    It 'records the fragmentation index at the chosen order and the counters as the node reports them' {
        $n = New-MemNode -Name rec-b -Size 256MB -CmaSize 0
        $n | Add-Pressure -Order 9 | Out-Null
        $start = $n.Clock.NowMs
        $startNs = $n.Clock.NowNs
        Start-MemRecording pgmigrate_success, nr_free_pages -Order 9 -IntervalMilliseconds 25 -Node $n | Out-Null
        Step-MemNode 60 -Node $n | Out-Null
        $s = @(Stop-MemRecording -Node $n)
        # Slices end on multiples of the interval: the start, then 25-ms boundaries, then the end of the step.
        $s.Count | Should -Be (2 + [math]::Floor(($start + 60) / 25) - [math]::Floor($start / 25))
        # Add-Pressure's allocations took virtual time, so the start is not a whole millisecond: compare in ns as TimeMs is made.
        $s[-1].TimeMs | Should -Be (($startNs + 60000000) / 1e6)
        $frag = Get-LineValues (Get-FragmentationIndex -Raw -Node $n)
        $buddy = Get-LineValues (Get-BuddyInfo -Raw -Node $n)
        $s[-1].FragIndexDMA | Should -Be $frag[-2]
        $s[-1].FragIndexDMA | Should -BeGreaterThan 0.9
        @(0..10 | ForEach-Object { $s[-1]."Order$_" }) | Should -Be $buddy[-11..-1]
        $s[-1].nr_free_pages | Should -Be $s[-1].FreePages
        $s[-1].pgmigrate_success | Should -Be (Get-VmStat pgmigrate_success -Node $n).Value
    }

    It 'rejects <Case> with <Id> and starts nothing' -ForEach @(
        @{ Case = 'an unknown counter'; Id = 'UnknownCounter'; Params = @{ Counter = 'pgfree', 'no_such_counter' } }
        @{ Case = 'an order past MAX_ORDER-1'; Id = 'OrderOutOfRange'; Params = @{ Order = 11 } }
        @{ Case = 'a zero interval'; Id = 'IntervalOutOfRange'; Params = @{ IntervalMilliseconds = 0 } }
    ) {
        $n = New-MemNode -Name rec-bad -Size 256MB -CmaSize 0
        { Start-MemRecording -Node $n @Params } | Should -Throw -ErrorId "$Id*"
        { Stop-MemRecording -Node $n } | Should -Throw -ErrorId 'NoRecording*'
    }

    It 'allows one recording per node at a time' {
        $n = New-MemNode -Name rec-twice -Size 256MB -CmaSize 0
        Start-MemRecording -Node $n | Out-Null
        { Start-MemRecording -Node $n } | Should -Throw -ErrorId 'RecordingRunning*'
        @(Stop-MemRecording -Node $n).Count | Should -Be 1
        { Stop-MemRecording -Node $n } | Should -Throw -ErrorId 'NoRecording*'
    }
}
