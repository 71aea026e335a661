# Sweeps: many nodes on one machine with ForEach-Object -Parallel, and a sweep split into shards that merge back
# into the table one unsharded run writes (tools/Invoke-MemSweep.ps1, tools/Merge-MemSweep.ps1).
# Only Core cmdlets and .NET here: the hosted test engine has no Microsoft.PowerShell.Utility or Management module.
BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) -Force
    $script:sweep = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'tools', 'Invoke-MemSweep.ps1')
    $script:merge = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'tools', 'Merge-MemSweep.ps1')
    $script:dir = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), "memsweep-" + [guid]::NewGuid().ToString('n'))
    [void][System.IO.Directory]::CreateDirectory($script:dir)
    function script:File([string] $name) { [System.IO.Path]::Combine($script:dir, $name) }
    . ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'tools', 'MemSweepCsv.ps1'))
    # A small node and a short workload keep the sweep quick; the rows still depend on the seed and the sysctl.
    $script:common = @{
        Seed = 1, 2, 3
        Sysctl = @{ 'vm.extfrag_threshold' = 100, 900 }
        Size = 256MB
        ThrottleLimit = 2
        Workload = {
            param($node, $case)
            $p = Add-Pressure -Node $node -Order 2 -Requests 16 -Percent 90 -Pattern RandomHalf -Seed $case.Seed
            @{ Successes = $p.Successes; Failures = $p.Failures; Stalls = $p.Stalls; FreePages = $node.FreePages }
        }
    }
}

AfterAll {
    if ([System.IO.Directory]::Exists($script:dir)) { [System.IO.Directory]::Delete($script:dir, $true) }
}

Describe 'Invoke-MemSweep.ps1 -Shard and Merge-MemSweep.ps1' {
    AfterEach { Get-MemNode -Name 'sweep-*' -ErrorAction SilentlyContinue | Remove-MemNode -Confirm:$false }

    It 'merges shards 1/3, 2/3 and 3/3 into exactly the unsharded run' {
        & $script:sweep @script:common -OutFile (File 'all.csv')
        foreach ($i in 1..3) { & $script:sweep @script:common -Shard "$i/3" -OutFile (File "shard$i.csv") }
        & $script:merge -Path (File 'shard*.csv') -OutFile (File 'merged.csv')

        $all = [System.IO.File]::ReadAllLines((File 'all.csv'))
        $all.Count | Should -Be 7 # header and 3 seeds x 2 thresholds
        # the workload returns a hashtable: its columns are sorted by name
        $all[0] | Should -Be 'Case,Seed,vm.extfrag_threshold,Failures,FreePages,Stalls,Successes'
        [System.IO.File]::ReadAllLines((File 'merged.csv')) | Should -Be $all
        # Shard 2/3 runs cases 1 and 4: seed 1 with threshold 900 and seed 3 with threshold 100.
        $two = @(ConvertFrom-SweepCsv ([System.IO.File]::ReadAllLines((File 'shard2.csv'))))
        $two.Case | Should -Be '1', '4'
        $two.Seed | Should -Be '1', '3'
        $two.'vm.extfrag_threshold' | Should -Be '900', '100'
        # The rows come from the runs: different seeds fragment the node differently.
        $free = @{}
        foreach ($r in ConvertFrom-SweepCsv $all) { $free[$r.FreePages] = 1 }
        $free.Count | Should -BeGreaterThan 1
    }

    It 'rejects a shard outside 1..n with ShardOutOfRange' {
        { & $script:sweep -Seed 1 -Shard 4/3 } | Should -Throw -ErrorId 'ShardOutOfRange*'
        { & $script:sweep -Seed 1 -Shard 0/3 } | Should -Throw -ErrorId 'ShardOutOfRange*'
    }

    It 'refuses to merge shards that ran the same case (ShardCaseDuplicate)' {
        $a = File 'dup-a.csv'
        $b = File 'dup-b.csv'
        & $script:sweep @script:common -Seed 1 -Shard 1/2 -OutFile $a
        [System.IO.File]::Copy($a, $b, $true)
        { & $script:merge -Path $a, $b } | Should -Throw -ErrorId 'ShardCaseDuplicate*'
    }
}

Describe 'ForEach-Object -Parallel over seeds and sysctls' {
    It 'gives every case the row a serial run in this runspace gives' {
        $module = (Get-Module MemMgmt).Path
        $cases = foreach ($s in 4, 5) { foreach ($t in 100, 900) { [pscustomobject]@{ Seed = $s; Threshold = $t } } }
        $parallel = $cases | ForEach-Object -ThrottleLimit 2 -Parallel {
            Import-Module $using:module
            $n = New-MemNode -Name "par-$($_.Seed)-$($_.Threshold)" -Size 256MB -Seed $_.Seed
            Set-MemSysctl -Node $n vm.extfrag_threshold $_.Threshold
            $p = Add-Pressure -Node $n -Order 2 -Requests 16 -Percent 90 -Pattern RandomHalf -Seed $_.Seed
            [pscustomobject]@{ Seed = $_.Seed; Threshold = $_.Threshold; Failures = $p.Failures; FreePages = $n.FreePages }
            Remove-MemNode -Node $n -Confirm:$false
        }
        $byCase = @{}
        foreach ($r in $parallel) { $byCase["$($r.Seed)/$($r.Threshold)"] = $r }
        $serial = foreach ($c in $cases) {
            $n = New-MemNode -Name "ser-$($c.Seed)-$($c.Threshold)" -Size 256MB -Seed $c.Seed
            Set-MemSysctl -Node $n vm.extfrag_threshold $c.Threshold
            $p = Add-Pressure -Node $n -Order 2 -Requests 16 -Percent 90 -Pattern RandomHalf -Seed $c.Seed
            [pscustomobject]@{ Seed = $c.Seed; Threshold = $c.Threshold; Failures = $p.Failures; FreePages = $n.FreePages }
            Remove-MemNode -Node $n -Confirm:$false
        }
        @($parallel).Count | Should -Be 4
        foreach ($s in $serial) {
            $p = $byCase["$($s.Seed)/$($s.Threshold)"]
            ConvertTo-SweepCsvLine @($p.Seed, $p.Threshold, $p.Failures, $p.FreePages) |
                Should -Be (ConvertTo-SweepCsvLine @($s.Seed, $s.Threshold, $s.Failures, $s.FreePages))
        }
        # The runspaces' nodes are theirs: none is left in this session.
        @(Get-MemNode -Name 'par-*' -ErrorAction SilentlyContinue).Count | Should -Be 0
    }
}
