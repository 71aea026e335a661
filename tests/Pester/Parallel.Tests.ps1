# A node shared between runspaces (ForEach-Object -Parallel with $using:): every cmdlet's work on it is atomic,
# independent nodes do not disturb each other, and a cmdlet waiting for a held node can be stopped.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
}

Describe 'A node used from several runspaces at once' {
    BeforeEach {
        # The parallel runspaces start without the caller's modules: they import this same copy.
        $manifest = Join-Path (Get-Module MemMgmt).ModuleBase 'MemMgmt.psd1'
    }
    AfterEach { Remove-MemNode -Name 'par-*' -Confirm:$false }

    It 'stays consistent through 8 runspaces x 10000 alloc/free pairs' {
        $n = New-MemNode -Name 'par-shared'
        # Free and pcp pages together are constant while nothing is allocated (refills and drains move pages between them).
        $census = { $b = Get-Pageblock -Node $n; ($b | Measure-Object FreePages -Sum).Sum + ($b | Measure-Object PcpPages -Sum).Sum }
        $pgfree = { (Get-VmStat -Node $n pgfree).Value }
        $pgalloc = { (Get-VmStat -Node $n pgalloc_* | Measure-Object Value -Sum).Sum }
        $free0 = & $census; $freed0 = & $pgfree; $alloc0 = & $pgalloc

        $short = 1..8 | ForEach-Object -ThrottleLimit 8 -Parallel {
            Import-Module $using:manifest
            $node = $using:n
            for ($i = 0; $i -lt 100; $i++) {
                $a = New-PageAllocation -Node $node -Order 0 -Count 100 -Cpu ($_ % 2)
                if ($a.Count -ne 100) { "runspace $($_) batch $($i): $($a.Count) of 100" }
                $a | Remove-PageAllocation -Cpu (($_ + $i) % 2)
            }
        }

        $short | Should -BeNullOrEmpty
        $t = Test-MemNode -Node $n
        $t.Violations | Should -BeNullOrEmpty
        $t.Passed | Should -BeTrue
        $n.Allocations.LiveCount | Should -Be 0
        (& $census) | Should -Be $free0
        (& $pgfree) - $freed0 | Should -Be 80000
        (& $pgalloc) - $alloc0 | Should -Be 80000
    }

    It 'runs 8 independent nodes in parallel to the same end state as serially' {
        $work = {
            param($i)
            $n = New-MemNode -Name "par-$i" -Size 256MB -Seed $i
            Add-Pressure -Node $n -Order (1 + $i % 4) | Out-Null
            Invoke-Compaction -Node $n -Order 3 -Priority SyncLight | Out-Null
            "par-$i`n" + ((Get-BuddyInfo -Node $n -Raw) -join "`n") + "`n" + ((Get-VmStat -Node $n -Raw) -join "`n")
        }
        $serial = foreach ($i in 1..8) { & $work $i }
        Remove-MemNode -Name 'par-*' -Confirm:$false
        $text = $work.ToString()
        $parallel = 1..8 | ForEach-Object -ThrottleLimit 8 -Parallel {
            Import-Module $using:manifest
            & ([scriptblock]::Create($using:text)) $_
        }

        $parallel.Count | Should -Be 8
        ($serial | Sort-Object -Unique).Count | Should -Be 8
        ($parallel | Sort-Object) -join "`n==`n" | Should -BeExactly (($serial | Sort-Object) -join "`n==`n")
    }

    It 'lets a cmdlet waiting for a node that another thread holds be stopped' {
        $n = New-MemNode -Name 'par-held'
        $rs = [runspacefactory]::CreateRunspace()
        $rs.Open()
        $ps = [powershell]::Create($rs)
        $null = $ps.AddScript('param($m, $node) Import-Module $m; Get-BuddyInfo -Node $node -Raw').AddArgument($manifest).AddArgument($n)
        [System.Threading.Monitor]::Enter($n.SyncRoot)
        try {
            $pending = $ps.BeginInvoke()
            $pending.AsyncWaitHandle.WaitOne(3000) | Should -BeFalse -Because 'the node is held by this thread'
            $ps.InvocationStateInfo.State | Should -Be 'Running'
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally {
            [System.Threading.Monitor]::Exit($n.SyncRoot)
            $ps.Dispose()
        }
        # The stopped wait left no lock behind.
        $again = [powershell]::Create($rs)
        $lines = $again.AddScript('param($node) Get-BuddyInfo -Node $node -Raw').AddArgument($n).Invoke()
        $again.Dispose(); $rs.Dispose()
        $lines[0] | Should -BeLike 'Node 0, zone *'
    }
}
