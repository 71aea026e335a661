# New-MemNode -Booted: a node in the state a booted kernel leaves, against the real 6.1 kernel's boot captures.

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) -Force
    $nodesBefore = @(Get-MemNode)
    $captures = [System.IO.Path]::Combine($PSScriptRoot, '..', 'captures', 'arm64-6.1-qemu')
    function Get-CaptureText([string] $Scenario, [string] $File) {
        [System.IO.File]::ReadAllText([System.IO.Path]::Combine($captures, $Scenario, 'boot', $File))
    }
    function Get-BlockRow([string] $Text) { @($Text -split "`n" | Where-Object { $_ -like 'Node 0, zone      DMA  *' })[-1].TrimEnd() }
}
AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode -Confirm:$false }

Describe 'New-MemNode -Kernel 6.1 -Booted' {
    BeforeAll { $booted = New-MemNode -Kernel 6.1 -Booted -Name booted61 }

    It 'prints the captured kernel''s pageblock counts in /proc/pagetypeinfo (<_>)' -ForEach 'odd', 'even', 'rand' {
        $real = Get-BlockRow (Get-CaptureText $_ 'pagetypeinfo.txt')
        Get-BlockRow ((Get-PageTypeInfo -Node $booted -Raw) -join "`n") | Should -Be $real
        $real | Should -Match '^Node 0, zone      DMA\s+31\s+955\s+6\s+0\s+32\s+0$'
    }

    It 'has the captured zoneinfo''s spanned, present and managed pages' {
        $text = Get-CaptureText 'even' 'zoneinfo.txt'
        $zone = Get-ZoneInfo -Node $booted | Where-Object Present -gt 0
        foreach ($field in 'spanned', 'present', 'managed') {
            $real = [long]([regex]::Match($text, "(?m)^\s+$field\s+(\d+)").Groups[1].Value)
            $zone.$field | Should -Be $real -Because $field
        }
    }

    It 'passes Test-MemNode, and Copy-MemNode keeps the boot state' {
        (Test-MemNode -Node $booted).Passed | Should -BeTrue
        $copy = Copy-MemNode -Node $booted -Name booted61copy
        $copy.Config.Booted | Should -BeTrue
        (Get-PageTypeInfo -Node $copy -Raw) -join "`n" | Should -Be ((Get-PageTypeInfo -Node $booted -Raw) -join "`n")
        (Test-MemNode -Node $copy).Passed | Should -BeTrue
    }

    It 'is not the default: a 6.1 node without it starts with no Unmovable pageblock' {
        $plain = New-MemNode -Kernel 6.1 -Name plain61
        $plain.Config.Booted | Should -BeFalse
        Get-BlockRow ((Get-PageTypeInfo -Node $plain -Raw) -join "`n") | Should -Match '^Node 0, zone      DMA\s+0\s'
    }
}

Describe 'New-MemNode -Booted errors' {
    It 'rejects 16K pages with BootedNeeds4KPages and makes no node' {
        { New-MemNode -Kernel 6.1 -Booted -PageSize 16KB -Name bad16k } | Should -Throw -ErrorId 'BootedNeeds4KPages,*'
        Get-MemNode -Name bad16k -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'rejects a node too small for the boot memory with BootedNodeTooSmall' {
        $err = { New-MemNode -Booted -Size 128MB -Name tiny } | Should -Throw -ErrorId 'BootedNodeTooSmall,*' -PassThru
        $err.Exception.Message | Should -BeLike '*128 MiB*'
    }
}
