# One meaning per parameter name: -Percent and -…Percent are 0–100, durations are -…Milliseconds, -Last is a count,
# and an absent -Order means no particular allocation order.
BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) -Force
    $script:parameters = foreach ($c in (Get-Module MemMgmt).ExportedCmdlets.Values) {
        foreach ($p in $c.Parameters.Values) { [pscustomobject]@{ Command = $c.Name; Name = $p.Name; Type = $p.ParameterType } }
    }
}

Describe 'Parameter names across the module' {
    It 'has no fraction, second or Ms parameters' {
        $odd = @($script:parameters | Where-Object { $_.Name -like '*Fraction' -or $_.Name -like '*Ms' -or ($_.Name -like '*Seconds' -and $_.Name -notlike '*Milliseconds') })
        @($odd | ForEach-Object { "$($_.Command) -$($_.Name)" }) | Should -Be @()
    }

    It 'gives every -Last the type Int32 (a count)' {
        $last = @($script:parameters | Where-Object Name -EQ 'Last')
        $last.Count | Should -BeGreaterOrEqual 3
        foreach ($p in $last) { $p.Type | Should -Be ([int]) -Because $p.Command }
    }

    It 'gives every -…Percent a number type' {
        foreach ($p in @($script:parameters | Where-Object { $_.Name -like '*Percent' })) {
            @([double], [int]) | Should -Contain $p.Type -Because "$($p.Command) -$($p.Name)"
        }
    }
}

Describe 'Percents are 0 to 100' {
    AfterEach {
        Remove-MemNode -Name pn-* -Confirm:$false
    }

    It 'Add-Pressure -FilePercent 100 makes the movable fill page cache, 0 anonymous' {
        $a = New-MemNode -Name pn-file -Size 256MB -CmaSize 0
        $null = Add-Pressure -Node $a -Pattern Fill -Percent 50 -FilePercent 100 -Seed 1
        $b = New-MemNode -Name pn-anon -Size 256MB -CmaSize 0
        $null = Add-Pressure -Node $b -Pattern Fill -Percent 50 -FilePercent 0 -Seed 1
        (Get-VmStat nr_file_pages -Node $b).Value | Should -Be 0
        (Get-VmStat nr_file_pages -Node $a).Value | Should -BeGreaterThan ($a.ManagedPages * 0.45)
    }

    It 'rejects <Name> with PercentOutOfRange and changes nothing' -ForEach @(
        @{ Name = '-FilePercent 150'; Params = @{ FilePercent = 150 } }
        @{ Name = '-PinnedPercent -1'; Params = @{ PinnedPercent = -1 } }
        @{ Name = 'unmovable plus reclaimable above 100'; Params = @{ UnmovablePercent = 60; ReclaimablePercent = 50 } }
    ) {
        $n = New-MemNode -Name pn-bad -Size 256MB -CmaSize 0
        $free = $n.FreePages
        { Add-Pressure -Node $n @Params } | Should -Throw -ErrorId 'PercentOutOfRange,*'
        $n.FreePages | Should -Be $free
    }

    It 'Add-WorkingSet -AccessPercent is a percent chance' {
        $n = New-MemNode -Name pn-ws -Size 256MB -CmaSize 0
        (Add-WorkingSet Random -AccessPercent 30 -Percent 5 -Node $n).AccessFraction | Should -Be 0.3
        { Add-WorkingSet Random -AccessPercent 0 -Percent 5 -Node $n } | Should -Throw -ErrorId 'PercentOutOfRange,*'
        { Add-WorkingSet Random -AccessPercent 101 -Percent 5 -Node $n } | Should -Throw -ErrorId 'PercentOutOfRange,*'
        @(Get-WorkingSet -Node $n).Count | Should -Be 1
    }

    It 'Add-WorkingSet -IntervalMilliseconds sets the virtual time between rounds' {
        $n = New-MemNode -Name pn-int -Size 256MB -CmaSize 0
        (Add-WorkingSet HotSet -Percent 5 -IntervalMilliseconds 2.5 -Node $n).IntervalNs | Should -Be 2500000
    }
}

Describe '-Last is a count; an absent -Order means no particular order' {
    AfterEach {
        Remove-MemNode -Name pn-* -Confirm:$false
    }

    It 'Get-VmPressure -Last n returns the newest n events' {
        $n = New-MemNode -Name pn-vmp -Size 256MB -CmaSize 0
        $null = Add-Pressure -Node $n -Pattern Fill -Percent 95 -FilePercent 100 -Seed 1
        1..3 | ForEach-Object { $null = Invoke-Reclaim -Node $n -Pages 200 }
        $all = @(Get-VmPressure -Node $n)
        $all.Count | Should -BeGreaterOrEqual 2
        $two = @(Get-VmPressure -Node $n -Last 2)
        $two.Count | Should -Be 2
        $two[1] | Should -Be $all[-1]
        $two[0] | Should -Be $all[-2]
        { Get-VmPressure -Node $n -Last 0 } | Should -Throw -ErrorId 'LastOutOfRange,*'
    }

    It 'Invoke-Compaction without -Order compacts the whole node, as the kernel order -1 does; below -1 is out of range' {
        $n = New-MemNode -Name pn-order -Size 256MB -CmaSize 0
        { Invoke-Compaction -Node $n -Order -2 } | Should -Throw -ErrorId 'OrderOutOfRange,*'
        $null = Add-Pressure -Node $n -Pattern EveryOther -Percent 50 -Seed 3
        $zones = @(Invoke-Compaction -Node $n)
        $zones.Count | Should -BeGreaterThan 0
        foreach ($z in $zones) { $z.Order | Should -Be -1 }
    }
}
