# Simulated processes and the OOM killer: New-MemProcess, Get-MemProcess, Stop-MemProcess, Get-MemKernelLog.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)
    function Get-Names($Node) { @(Get-MemProcess -Node $Node | ForEach-Object { $_.Name }) }
    function Get-OomKills($Node) { (Get-VmStat -Node $Node -Name oom_kill).Value }
}

# Removes every node this file made, whatever its tests did, so files share a runspace in any order.
AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

Describe 'The OOM killer on a node without swap' {
    BeforeAll {
        $node = New-MemNode -Name oom-scenario -Size 256MB -CmaSize 0
        $managed = $node.ManagedPages
        $small = New-MemProcess small -Percent 10 -Node $node
        $guarded = New-MemProcess guarded -Percent 45 -OomScoreAdj -1000 -Node $node
        $big = New-MemProcess big -Percent 35 -Node $node
        $bigPid = $big.Pid
        $bigPoints = $big.Rss + $big.PageTables + $big.PmdTables
        $bigVm = $big.TotalVm
        $kills = Get-OomKills $node
        $allocs = @(New-PageAllocation 0 GFP_KERNEL -Count ([long]($managed * 0.15)) -Node $node)
        $log = @(Get-MemKernelLog -Node $node | ForEach-Object { $_.Text })
    }

    It 'maps what the processes asked for, anonymous and resident' {
        $small.Rss | Should -Be ([long][math]::Ceiling($managed * 0.10))
        $small.AnonRss | Should -Be $small.Rss
        $small.SwapEntries | Should -Be 0
        $small.PageTables | Should -Be ([long][math]::Ceiling($small.TotalVm / 512))
    }

    It 'lets the GFP_KERNEL allocations succeed after one kill' {
        $allocs.Count | Should -Be ([long]($managed * 0.15))
        $kills | Should -Be 0
        Get-OomKills $node | Should -Be 1
    }

    It 'kills the largest killable process, not the smaller one and not the oom_score_adj -1000 one' {
        Get-Names $node | Should -Be @('small', 'guarded')
        $big.State | Should -Be 'Killed'
        { Get-MemProcess -Node $node -Id $bigPid -ErrorAction Stop } | Should -Throw -ErrorId 'ProcessNotFound,*'
    }

    It 'logs the 4.14 report: header, dump_tasks, Kill and Killed lines' {
        $total = $managed
        $score = [long][math]::Floor($bigPoints * 1000 / $total)
        $i = [array]::IndexOf($log, "Out of memory: Kill process $bigPid (big) score $score or sacrifice child")
        $i | Should -BeGreaterThan 4
        $log[$i - 5] | Should -Be 'memsh invoked oom-killer: gfp_mask=0x14000c0(GFP_KERNEL), nodemask=(null),  order=0, oom_score_adj=0'
        $log[$i - 4] | Should -Be '[ pid ]   uid  tgid total_vm      rss nr_ptes nr_pmds swapents oom_score_adj name'
        $log[$i - 3] | Should -Match '^\[ 1001\]  1000  1001 +\d+ +\d+ +\d+ +1 +0 +0 small$'
        $log[$i - 2] | Should -Match ' -1000 guarded$'
        $log[$i - 1] | Should -Match "^\[ $bigPid\]  1000  $bigPid +$bigVm +$bigVm "
        $log[$i + 1] | Should -Be "Killed process $bigPid (big) total-vm:$($bigVm * 4)kB, anon-rss:$($bigVm * 4)kB, file-rss:0kB, shmem-rss:0kB"
        @(Get-MemKernelLog -Node $node -Level Err).Count | Should -Be 2
        (Get-MemKernelLog -Node $node -Raw -Last 1) | Should -Match '^\[ +\d+\.\d{6}\] Killed process '
    }
}

Describe 'oom_score_adj' {
    It 'makes a smaller process the victim when it is raised' {
        $node = New-MemNode -Name oom-adj -Size 256MB -CmaSize 0
        $null = New-MemProcess big -Percent 50 -Node $node
        $batch = New-MemProcess batch -Percent 10 -OomScoreAdj 1000 -Node $node
        # oom_score: (rss + nr_ptes + nr_pmds + 1000 * (totalpages / 1000)) * 1000 / totalpages, capped at 1000 by nothing.
        $total = $node.ManagedPages
        $expected = [long][math]::Floor(($batch.Rss + $batch.PageTables + $batch.PmdTables + 1000 * [math]::Floor($total / 1000)) * 1000 / $total)
        $batch.OomScore | Should -Be $expected
        $null = New-PageAllocation 0 GFP_KERNEL -Count ([long]($total * 0.40)) -Node $node
        Get-Names $node | Should -Be @('big')
        $batch.State | Should -Be 'Killed'
        Get-OomKills $node | Should -Be 1
    }
}

Describe 'The memcg OOM killer' {
    It 'kills the largest process of the group over memory.max, not a bigger one outside it' {
        $node = New-MemNode -Name oom-memcg -Size 512MB -CmaSize 0
        $grp = New-MemCgroup grp -Max 16MB -Node $node
        $null = New-MemProcess a -Size 4MB -Cgroup grp -Node $node
        $b = New-MemProcess b -Size 10MB -Cgroup grp -Node $node
        $bPid = $b.Pid
        $bPoints = $b.Rss + $b.PageTables + $b.PmdTables
        $null = New-MemProcess outsider -Size 64MB -Node $node
        $c = New-MemProcess c -Size 4MB -Cgroup /grp -Node $node -WarningVariable warned
        $warned | Should -BeNullOrEmpty
        $c.Rss | Should -Be 1024
        Get-Names $node | Should -Be @('a', 'outsider', 'c')
        (Get-MemCgroup grp -Node $node).OomKillEvents | Should -Be 1
        (Get-MemCgroup grp -Node $node).OomEvents | Should -BeGreaterOrEqual 1
        Get-OomKills $node | Should -Be 1
        $score = [long][math]::Floor($bPoints * 1000 / 4096)
        $log = @(Get-MemKernelLog -Node $node | ForEach-Object { $_.Text })
        $log | Should -Contain "Memory cgroup out of memory: Kill process $bPid (b) score $score or sacrifice child"
        $log | Should -Contain 'Task in /grp killed as a result of limit of /grp'
        @($log | Where-Object { $_ -match ' outsider$' }).Count | Should -Be 0
    }
}

Describe 'Stop-MemProcess' {
    It 'honours -WhatIf, then exits the process and frees its anonymous memory' {
        $node = New-MemNode -Name oom-stop -Size 256MB -CmaSize 0
        $p = New-MemProcess job -Size 32MB -Node $node
        $anon = (Get-MemInfo -Node $node -Name AnonPages).Value
        Stop-MemProcess -Id $p.Pid -Node $node -WhatIf
        Get-Names $node | Should -Be @('job')
        $ended = Get-MemProcess job -Node $node | Stop-MemProcess -PassThru -Confirm:$false
        $ended.State | Should -Be 'Exited'
        @(Get-MemProcess -Node $node).Count | Should -Be 0
        (Get-MemInfo -Node $node -Name AnonPages).Value | Should -Be ($anon - 32MB / 1KB)
    }

    It 'exits a pid named twice once, without an error' {
        $node = New-MemNode -Name oom-stop-twice -Size 256MB -CmaSize 0
        $p = New-MemProcess twice -Size 4MB -Node $node
        $ended = @(Stop-MemProcess -Id $p.Pid, $p.Pid -Node $node -PassThru -Confirm:$false -ErrorAction Stop)
        $ended.Count | Should -Be 1
        @(Get-MemProcess -Node $node).Count | Should -Be 0
    }
}

Describe 'Bad input' {
    BeforeAll {
        $node = New-MemNode -Name oom-bad -Size 256MB -CmaSize 0
        $null = New-MemProcess keep -Size 1MB -Node $node
        $free = $node.FreePages
    }
    AfterEach {
        Get-Names $node | Should -Be @('keep')
        $node.FreePages | Should -Be $free
    }

    It 'rejects an unknown cgroup with MemcgNotFound' {
        { New-MemProcess x -Size 1MB -Cgroup nope -Node $node } | Should -Throw -ErrorId 'MemcgNotFound,*'
    }
    It 'rejects oom_score_adj outside -1000..1000 with OomScoreAdjOutOfRange' {
        { New-MemProcess x -Size 1MB -OomScoreAdj 1001 -Node $node } | Should -Throw -ErrorId 'OomScoreAdjOutOfRange,*'
    }
    It 'rejects a size larger than the node with ProcessSizeOutOfRange' {
        { New-MemProcess x -Size 1GB -Node $node } | Should -Throw -ErrorId 'ProcessSizeOutOfRange,*'
        { New-MemProcess x -Size 200MB -FileSize 100MB -Node $node } | Should -Throw -ErrorId 'ProcessSizeOutOfRange,*'
    }
    It 'rejects two anonymous sizes and a bad percent' {
        { New-MemProcess x -Size 1MB -Pages 10 -Node $node } | Should -Throw -ErrorId 'ContradictoryProcessSize,*'
        { New-MemProcess x -Percent 101 -Node $node } | Should -Throw -ErrorId 'PercentOutOfRange,*'
    }
    It 'rejects an unknown pid with ProcessNotFound and stops none of the others' {
        $keep = (Get-MemProcess keep -Node $node).Pid
        { Stop-MemProcess -Id $keep, 4242 -Node $node -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'ProcessNotFound,*'
        { Get-MemProcess -Id 4242 -Node $node -ErrorAction Stop } | Should -Throw -ErrorId 'ProcessNotFound,*'
    }
    It 'rejects negative sizes with ProcessSizeOutOfRange' {
        { New-MemProcess x -Size -1MB -Node $node } | Should -Throw -ErrorId 'ProcessSizeOutOfRange,*'
        { New-MemProcess x -Size 1MB -ShmemSize -4KB -Node $node } | Should -Throw -ErrorId 'ProcessSizeOutOfRange,*'
    }
    It 'rejects -Last 0 with LastOutOfRange' {
        { Get-MemKernelLog -Node $node -Last 0 } | Should -Throw -ErrorId 'LastOutOfRange,*'
    }
}
