# Dirty page limits, the flusher and balance_dirty_pages (mm/page-writeback.c, fs/fs-writeback.c, 4.14).

BeforeAll {
    if (-not (Get-Module MemMgmt)) { Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) }
    function New-DirtyNode([string]$Name) {
        New-MemNode -Name $Name -Size 512MB
    }
    function Get-Gauge($Node, [string]$Name) { (Get-VmStat -Node $Node -Name $Name).Value }
    # Steps 10 ms at a time until writeback first appears; returns the nr_dirty seen before that step and after it.
    function Measure-WritebackStart($Node) {
        for ($i = 0; $i -lt 2000; $i++) {
            $before = Get-Gauge $Node nr_dirty
            $null = Step-MemNode 10 -Node $Node
            if ((Get-Gauge $Node nr_writeback) + (Get-Gauge $Node nr_written) -gt 0) {
                return [pscustomobject]@{ Before = $before; After = (Get-Gauge $Node nr_dirty) + (Get-Gauge $Node nr_writeback); Step = $i }
            }
        }
        $null
    }
}

Describe 'vm.dirty_* sysctls' {
    AfterAll { Remove-MemNode -Name 'dw-*' }

    It 'has the kernel defaults' {
        $n = New-DirtyNode dw-def
        (Get-MemSysctl -Node $n vm.dirty_ratio).Value | Should -Be '20'
        (Get-MemSysctl -Node $n vm.dirty_background_ratio).Value | Should -Be '10'
        (Get-MemSysctl -Node $n vm.dirty_bytes).Value | Should -Be '0'
        (Get-MemSysctl -Node $n vm.dirty_background_bytes).Value | Should -Be '0'
        (Get-MemSysctl -Node $n vm.dirty_expire_centisecs).Value | Should -Be '3000'
        (Get-MemSysctl -Node $n vm.dirty_writeback_centisecs).Value | Should -Be '500'
    }

    It 'reads dirty_ratio 0 once dirty_bytes is set, and nr_dirty_threshold follows the bytes' {
        $n = New-DirtyNode dw-bytes
        Set-MemSysctl -Node $n vm.dirty_bytes 104857600
        (Get-MemSysctl -Node $n vm.dirty_ratio).Value | Should -Be '0'
        Get-Gauge $n nr_dirty_threshold | Should -Be 25600
        Set-MemSysctl -Node $n vm.dirty_ratio 20
        (Get-MemSysctl -Node $n vm.dirty_bytes).Value | Should -Be '0'
        Get-Gauge $n nr_dirty_threshold | Should -BeLessThan 25600
        Set-MemSysctl -Node $n vm.dirty_background_bytes 1048576
        (Get-MemSysctl -Node $n vm.dirty_background_ratio).Value | Should -Be '0'
        Get-Gauge $n nr_dirty_background_threshold | Should -Be 256
    }

    It 'rejects <Name> = <Value> with <Id> and keeps the old value' -TestCases @(
        @{ Name = 'vm.dirty_ratio'; Value = 101; Id = 'SysctlValueOutOfRange' }
        @{ Name = 'vm.dirty_bytes'; Value = 4096; Id = 'SysctlValueOutOfRange' }
        @{ Name = 'vm.dirty_background_bytes'; Value = 0; Id = 'SysctlValueOutOfRange' }
        @{ Name = 'vm.dirty_expire_centisecs'; Value = -1; Id = 'SysctlValueOutOfRange' }
        @{ Name = 'vm.dirty_writeback_centisecs'; Value = 'often'; Id = 'SysctlValueInvalid' }
    ) {
        $n = New-DirtyNode dw-bad
        $old = (Get-MemSysctl -Node $n $Name).Value
        { Set-MemSysctl -Node $n -Name $Name -Value $Value -ErrorAction Stop } | Should -Throw -ErrorId $Id
        (Get-MemSysctl -Node $n $Name).Value | Should -Be $old
        (Get-MemSysctl -Node $n vm.dirty_ratio).Value | Should -Be '20'
        Remove-MemNode -Name dw-bad
    }
}

Describe 'Background writeback and balance_dirty_pages' {
    AfterAll { Remove-MemNode -Name 'dw-*' }

    It 'writing 30% of memory starts background writeback past 10% and throttles the writer below the 20% limit' {
        $n = New-DirtyNode dw-30
        $w = Add-WorkingSet Streaming -Percent 30 -Write -Node $n
        $w.Write | Should -BeTrue
        $bg = Get-Gauge $n nr_dirty_background_threshold
        $start = Measure-WritebackStart $n
        $start | Should -Not -BeNullOrEmpty
        $start.Before | Should -BeLessOrEqual $bg
        $start.After | Should -BeGreaterThan $bg
        $w.BalanceDirtyPagesPauses | Should -Be 0
        $max = 0
        for ($i = 0; $i -lt 3000 -and -not $w.Finished; $i++) {
            $null = Step-MemNode 10 -Node $n
            $sum = (Get-Gauge $n nr_dirty) + (Get-Gauge $n nr_writeback)
            if ($sum -gt $max) { $max = $sum }
        }
        $w.Finished | Should -BeTrue
        $limit = Get-Gauge $n nr_dirty_threshold
        $max | Should -BeLessOrEqual $limit
        $max | Should -BeGreaterThan (($limit + (Get-Gauge $n nr_dirty_background_threshold)) / 2)
        $w.BalanceDirtyPagesPauses | Should -BeGreaterThan 0
        $w.ThrottledNs | Should -BeGreaterThan 0
        $w.PagesDirtied | Should -Be $w.TargetPages
    }

    It 'starts background writeback earlier with vm.dirty_background_ratio 5' {
        $a = New-DirtyNode dw-a
        $null = Add-WorkingSet Streaming -Percent 30 -Write -Node $a
        $b = New-DirtyNode dw-b
        Set-MemSysctl -Node $b vm.dirty_background_ratio 5
        $null = Add-WorkingSet Streaming -Percent 30 -Write -Node $b
        $sa = Measure-WritebackStart $a
        $sb = Measure-WritebackStart $b
        $sb.Step | Should -BeLessThan $sa.Step
        $sb.After | Should -BeGreaterThan (Get-Gauge $b nr_dirty_background_threshold)
        $sb.After | Should -BeLessThan (Get-Gauge $a nr_dirty_background_threshold)
    }

    It 'records balance_dirty_pages trace events with the kernel fields' {
        $n = New-DirtyNode dw-trace
        $w = Add-WorkingSet Streaming -Percent 30 -Write -Node $n
        for ($i = 0; $i -lt 3000 -and $w.BalanceDirtyPagesPauses -eq 0; $i++) { $null = Step-MemNode 10 -Node $n }
        $ev = @(Get-MemTrace -Node $n | Where-Object Name -EQ 'balance_dirty_pages')
        $ev.Count | Should -BeGreaterThan 0
        $ev[0].Text | Should -Match '^bdi 254:0: limit=\d+ setpoint=\d+ dirty=\d+ bdi_setpoint=\d+ bdi_dirty=\d+ dirty_ratelimit=51200 task_ratelimit=\d+ dirtied=\d+ dirtied_pause=\d+ paused=0 pause=\d+ period=\d+ think=-?\d+ cgroup_ino=1$'
    }

    It 'rejects -Write for anonymous memory with ContradictoryWorkingSetOptions' {
        $n = New-DirtyNode dw-anon
        $free = $n.FreePages
        { Add-WorkingSet HotSet -Owner Anon -Percent 5 -Write -Node $n -ErrorAction Stop } | Should -Throw -ErrorId 'ContradictoryWorkingSetOptions'
        $n.FreePages | Should -Be $free
    }
}

Describe 'Reclaim and the flusher' {
    AfterAll { Remove-MemNode -Name 'dw-*' }

    It 'wakes the flusher when reclaim meets a node full of dirty page cache' {
        $n = New-MemNode -Name dw-reclaim -Size 256MB
        $null = Add-Pressure -Node $n -Pattern Fill -Percent 90 -File 1 -Dirty 1 -Seed 1
        Get-Gauge $n nr_dirty | Should -BeGreaterThan 1000
        [MemMgmt.Core.Writeback.Flusher]::GetStats($n).PagesVmscan | Should -Be 0
        $null = Invoke-Reclaim -Node $n
        [MemMgmt.Core.Writeback.Flusher]::GetStats($n).PagesVmscan | Should -BeGreaterThan 0
        Get-Gauge $n nr_vmscan_immediate_reclaim | Should -BeGreaterThan 0
        (Get-Gauge $n nr_writeback) + (Get-Gauge $n nr_written) | Should -BeGreaterThan 0
    }
}

Describe 'Get-BdiStat' {
    It 'prints bdi_debug_stats_show for a fresh node: registered, nothing dirty, the global limits in kB' {
        $node = New-MemNode -Name 'bdi-fresh' -Size 256MB -CmaSize 0
        $lines = @(Get-BdiStat -Raw -Node $node)
        $lines.Count | Should -Be 14
        $thresh = (Get-VmStat -Node $node -Name nr_dirty_threshold).Value * 4
        $bg = (Get-VmStat -Node $node -Name nr_dirty_background_threshold).Value * 4
        $lines[0] | Should -BeExactly ('BdiWriteback:       {0,10} kB' -f 0)
        $lines[2] | Should -BeExactly ('BdiDirtyThresh:     {0,10} kB' -f 0)
        $lines[3] | Should -BeExactly ('DirtyThresh:        {0,10} kB' -f $thresh)
        $lines[4] | Should -BeExactly ('BackgroundThresh:   {0,10} kB' -f $bg)
        $lines[7] | Should -BeExactly ('BdiWriteBandwidth:  {0,10} kBps' -f 51200)
        $lines[12] | Should -BeExactly ('bdi_list:           {0,10}' -f 1)
        $lines[13] | Should -BeExactly ('state:              {0,10}' -f 1)
    }

    It 'follows a writer: dirty and written page cache in kB, has_dirty_io in state, the device share of the limit' {
        $node = New-MemNode -Name 'bdi-writer' -Size 512MB -CmaSize 0
        $null = Add-WorkingSet Streaming -Write -Percent 30 -PagesPerRound 1024 -Node $node
        $null = Step-MemNode 500 -Node $node
        $s = @{}
        foreach ($c in Get-BdiStat -Node $node) { $s[$c.Name] = $c.Value }
        $s['BdiReclaimable'] | Should -Be ((Get-VmStat -Node $node -Name nr_dirty).Value * 4)
        $s['BdiWritten'] | Should -BeGreaterThan 0
        $s['BdiDirtyThresh'] | Should -Be $s['DirtyThresh']
        $s['BdiDirtied'] | Should -Be ((Get-VmStat -Node $node -Name nr_dirtied).Value * 4)
        ($s['state'] -band 5) | Should -Be 5
        $s['BdiWriteback'] | Should -BeLessOrEqual ((Get-VmStat -Node $node -Name nr_writeback).Value * 4)
    }
}
