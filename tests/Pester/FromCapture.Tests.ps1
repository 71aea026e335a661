# New-MemNode -FromCapture: nodes built from real /proc captures reproduce buddyinfo and the pageblock counts exactly,
# pass the invariant checker, say where the capture's files disagreed, and refuse what they cannot reproduce.

BeforeDiscovery {
    $phases = foreach ($scenario in 'odd', 'even', 'rand') {
        foreach ($phase in 'boot', 'frag', 'hugepages1', 'released', 'compacted', 'hugepages2') {
            @{ Scenario = $scenario; Phase = $phase }
        }
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)
    $captures = Join-Path $PSScriptRoot '../captures/arm64-6.1-qemu'
    $sharedBoot = Join-Path $PSScriptRoot '../../../shared/reference/procfs/arm64-6.1-qemu-virt-2g-boot'
    $sample = Join-Path (Get-Module MemMgmt).ModuleBase 'Samples/arm64-6.1-qemu-virt-2g-boot'

    function Get-BlockCountLine([string[]] $lines) {
        $i = [array]::IndexOf($lines, ($lines | Where-Object { $_ -like 'Number of blocks type*' } | Select-Object -First 1))
        $lines[$i + 1]
    }

    function New-TempCapture {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ('memmgmt-fromcapture-' + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $dir
        # Written anew, so the copies are writable whatever the shared files' modes.
        foreach ($f in 'zoneinfo.txt', 'buddyinfo.txt', 'pagetypeinfo.txt') {
            [System.IO.File]::WriteAllText((Join-Path $dir $f), [System.IO.File]::ReadAllText((Join-Path $sharedBoot $f)))
        }
        $dir
    }
}

AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

Describe 'New-MemNode -FromCapture on the shared arm64 boot capture' {
    BeforeAll {
        $node = New-MemNode -FromCapture $sharedBoot -Name 'cap-boot' -WarningVariable warned -WarningAction SilentlyContinue
    }
    AfterAll { Remove-MemNode -Node 'cap-boot' -ErrorAction SilentlyContinue }

    It 'prints the captured buddyinfo with Get-BuddyInfo -Raw' {
        @(Get-BuddyInfo -Raw -Node $node) | Should -Be @(Get-Content (Join-Path $sharedBoot 'buddyinfo.txt'))
    }

    It 'prints the captured "Number of blocks type" row with Get-PageTypeInfo -Raw' {
        Get-BlockCountLine @(Get-PageTypeInfo -Raw -Node $node) |
            Should -BeExactly (Get-BlockCountLine @(Get-Content (Join-Path $sharedBoot 'pagetypeinfo.txt')))
    }

    It 'passes Test-MemNode' {
        Test-MemNode -Node $node -Quiet | Should -BeTrue
    }

    It 'takes the zone, watermarks, profile and CPUs from zoneinfo' {
        $node.Kernel.Version | Should -Be '6.1'
        $node.NrCpus | Should -Be 2
        $dma = $node.GetZone('DMA')
        $dma.ZoneStartPfn | Should -Be 0x40000
        $dma.ManagedPages | Should -Be 507360
        "$($dma.WatermarkMin) $($dma.WatermarkLow) $($dma.WatermarkHigh)" | Should -Be '5632 7040 8448'
    }

    It 'warns once per reconciled order and once for zoneinfo''s free count, naming files and lines' {
        $warned.Count | Should -Be 3
        $warned[0].Message | Should -BeExactly 'zoneinfo line 46 gives zone DMA 496524 free pages, buddyinfo line 1 496461; buddyinfo is used.'
        $warned[1].Message | Should -BeExactly 'buddyinfo line 1 has 1 free order-0 blocks in zone DMA, pagetypeinfo''s types add up to 0: added 1 Movable (pagetypeinfo line 6).'
        $warned[2].Message | Should -BeExactly 'buddyinfo line 1 has 2 free order-6 blocks in zone DMA, pagetypeinfo''s types add up to 3: removed 1 Movable (pagetypeinfo line 6).'
    }

    It 'makes the new node current' {
        (Get-MemNode -Current).Name | Should -Be 'cap-boot'
    }
}

Describe 'New-MemNode -FromCapture on every phase of the project''s captures' {
    It '<Scenario>/<Phase> reproduces buddyinfo and block counts and passes Test-MemNode' -ForEach $phases {
        $dir = Join-Path $captures "$Scenario/$Phase"
        $n = New-MemNode -FromCapture $dir -Name "cap-$Scenario-$Phase" -WarningAction SilentlyContinue
        try {
            @(Get-BuddyInfo -Raw -Node $n) | Should -Be @(Get-Content (Join-Path $dir 'buddyinfo.txt'))
            Get-BlockCountLine @(Get-PageTypeInfo -Raw -Node $n) | Should -BeExactly (Get-BlockCountLine @(Get-Content (Join-Path $dir 'pagetypeinfo.txt')))
            Test-MemNode -Node $n -Quiet | Should -BeTrue
        } finally {
            Remove-MemNode -Node $n
        }
    }
}

Describe 'New-MemNode -FromCapture with the harness''s pbmap' {
    AfterEach { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

    It 'makes the blocks pbmap saw wholly of hugetlb pages the pool: HugePages_Total as the captured grant' {
        $dir = Join-Path $captures 'odd/hugepages1'
        $granted = [long]((Get-Content (Join-Path $dir 'hugepages.txt') | Where-Object { $_ -like 'granted=*' }) -replace '^granted=')
        $n = New-MemNode -FromCapture $dir -Name 'cap-pool' -WarningAction SilentlyContinue
        $granted | Should -Be 101
        (Get-MemInfo HugePages_Total -Node $n).Value | Should -Be $granted
        Get-MemSysctl vm.nr_hugepages -Node $n | Select-Object -ExpandProperty Value | Should -Be "$granted"
    }

    It 'puts the CMA area where the boot capture''s free CMA pages are (pfn 0xb9a00)' {
        $n = New-MemNode -FromCapture (Join-Path $captures 'odd/boot') -Name 'cap-cma' -WarningAction SilentlyContinue
        $cma = @(Get-Pageblock -Node $n -MigrateType CMA)
        $cma.Count | Should -Be 32
        ($cma | Measure-Object StartPfn -Minimum).Minimum | Should -Be 0xb9a00
    }
}

Describe 'New-MemNode -FromCapture options' {
    AfterEach { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

    It 'builds the capture the module ships' {
        $n = New-MemNode -FromCapture $sample -Name 'cap-sample' -WarningAction SilentlyContinue
        @(Get-BuddyInfo -Raw -Node $n) | Should -Be @(Get-Content (Join-Path $sharedBoot 'buddyinfo.txt'))
    }

    It 'follows -Kernel 4.14 when given' {
        $n = New-MemNode -FromCapture $sample -Name 'cap-414' -Kernel 4.14 -WarningAction SilentlyContinue
        $n.Kernel.Version | Should -Be '4.14'
        Test-MemNode -Node $n -Quiet | Should -BeTrue
    }

    It 'resolves a relative path against the current location' {
        Push-Location (Split-Path $sample)
        try { $n = New-MemNode -FromCapture './arm64-6.1-qemu-virt-2g-boot' -Name 'cap-rel' -WarningAction SilentlyContinue }
        finally { Pop-Location }
        $n.Name | Should -Be 'cap-rel'
    }

    It 'is a parameter set error with <Extra>' -ForEach @(
        @{ Extra = '-Size'; Splat = @{ Size = 1GB } }
        @{ Extra = '-Cpus'; Splat = @{ Cpus = 4 } }
        @{ Extra = '-Profile'; Splat = @{ Profile = 'qemu-virt-2g' } }
    ) {
        $count = @(Get-MemNode).Count
        { New-MemNode -FromCapture $sample -Name 'cap-bad' @Splat } | Should -Throw -ErrorId 'AmbiguousParameterSet,*'
        @(Get-MemNode).Count | Should -Be $count
    }

    It 'gives a node that can be copied and compacted and still passes Test-MemNode' {
        $n = New-MemNode -FromCapture (Join-Path $captures 'odd/frag') -Name 'cap-use' -WarningAction SilentlyContinue
        $copy = Copy-MemNode -Node $n -Name 'cap-use-copy'
        Test-MemNode -Node $copy -Quiet | Should -BeTrue
        $r = Invoke-Compaction -Node $n
        $r.Migrated | Should -BeGreaterThan 0
        Test-MemNode -Node $n -Quiet | Should -BeTrue
        (Get-BuddyInfo -Node $copy -Raw) | Should -Be @(Get-Content (Join-Path $captures 'odd/frag/buddyinfo.txt'))
    }

    It 'refuses a name in use with NodeNameInUse' {
        $null = New-MemNode -Name 'cap-taken'
        { New-MemNode -FromCapture $sample -Name 'cap-taken' -WarningAction SilentlyContinue } | Should -Throw -ErrorId 'NodeNameInUse,*'
    }
}

Describe 'New-MemNode -FromCapture refuses captures it cannot reproduce' {
    BeforeEach {
        $dir = New-TempCapture
        $before = @(Get-MemNode)
        $current = Get-MemNode -Current -ErrorAction SilentlyContinue
    }
    AfterEach {
        Remove-Item -LiteralPath $dir -Recurse -Force
        Get-MemNode | Where-Object { $nodesBefore -notcontains $_ -and $before -notcontains $_ } | Remove-MemNode
    }

    It '<Id>: <Case>' -ForEach @(
        @{ Id = 'CaptureFreeExceedsManaged'; Case = 'more free pages than managed'; File = 'buddyinfo.txt'; From = '   483 '; To = '   999 '; Where = 'buddyinfo.txt line 1:' }
        @{ Id = 'CaptureBlockCountMismatch'; Case = 'block counts not the spanned pageblocks'; File = 'pagetypeinfo.txt'; From = '          955 '; To = '          954 '; Where = 'pagetypeinfo.txt line 13:' }
        @{ Id = 'CaptureOrderBeyondMaxOrder'; Case = 'an order beyond MAX_ORDER'; File = 'buddyinfo.txt'; From = '   483 '; To = '   483      0 '; Where = 'buddyinfo.txt line 1:' }
        @{ Id = 'CapturePageSizeUnsupported'; Case = 'a pageblock order of no arm64 page size'; File = 'pagetypeinfo.txt'; From = "Page block order: 9`nPages per block:  512"; To = "Page block order: 12`nPages per block:  4096"; Where = 'pagetypeinfo.txt line 1:' }
        @{ Id = 'CaptureFormatInvalid'; Case = 'a line the kernel would not print'; File = 'zoneinfo.txt'; From = '        managed  507360'; To = '        managed 507360'; Where = 'zoneinfo.txt line 53:' }
    ) {
        $path = Join-Path $dir $File
        [System.IO.File]::WriteAllText($path, [System.IO.File]::ReadAllText($path).Replace($From, $To))
        $err = $null
        try { New-MemNode -FromCapture $dir -Name 'cap-refused' -WarningAction SilentlyContinue } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $err.Exception.Message | Should -BeLike "*$Where*"
        @(Get-MemNode).Count | Should -Be $before.Count
        (Get-MemNode -Current -ErrorAction SilentlyContinue) | Should -Be $current
    }

    It 'CaptureFileMissing names the missing file' {
        Remove-Item (Join-Path $dir 'zoneinfo.txt')
        { New-MemNode -FromCapture $dir -Name 'cap-refused' } | Should -Throw -ErrorId 'CaptureFileMissing,*' -ExpectedMessage '*zoneinfo.txt*'
        @(Get-MemNode).Count | Should -Be $before.Count
    }

    It 'CaptureFileMissing for a phase folder without /proc files' {
        { New-MemNode -FromCapture (Join-Path $captures 'odd/end') -Name 'cap-refused' } | Should -Throw -ErrorId 'CaptureFileMissing,*'
    }

    It 'CaptureNotFound for a directory that does not exist' {
        { New-MemNode -FromCapture (Join-Path $dir 'nope') -Name 'cap-refused' } | Should -Throw -ErrorId 'CaptureNotFound,*'
    }
}

Describe 'New-MemNode -FromCapture on the SIMULATED 4.4 capture (tests/captures/arm64-4.4-sim)' {
    BeforeAll {
        $sim44 = Join-Path $PSScriptRoot '../captures/arm64-4.4-sim'
    }

    It 'builds a 4.4 node from the <Phase> phase whose buddyinfo and pagetypeinfo are the capture''s, byte for byte' -ForEach @(
        @{ Phase = 'boot' }, @{ Phase = 'pressure' }
    ) {
        $dir = Join-Path $sim44 $Phase
        $node = New-MemNode -FromCapture $dir -Name "cap44-$Phase" -WarningVariable warned -WarningAction SilentlyContinue
        $node.Kernel.Version | Should -Be '4.4'
        $warned | Should -BeNullOrEmpty
        ((Get-BuddyInfo -Node $node -Raw) -join "`n") + "`n" | Should -BeExactly ([System.IO.File]::ReadAllText((Join-Path $dir 'buddyinfo.txt')))
        ((Get-PageTypeInfo -Node $node -Raw) -join "`n") + "`n" | Should -BeExactly ([System.IO.File]::ReadAllText((Join-Path $dir 'pagetypeinfo.txt')))
        (Test-MemNode -Node $node).Violations | Should -BeNullOrEmpty
    }

    It 'gives Get-ZoneInfo the captured watermarks and the captured scanned, all_unreclaimable and inactive_ratio' {
        $dir = Join-Path $sim44 'pressure'
        $node = New-MemNode -FromCapture $dir -Name 'cap44-zi' -WarningAction SilentlyContinue
        $text = [System.IO.File]::ReadAllText((Join-Path $dir 'zoneinfo.txt'))
        $zones = @(Get-ZoneInfo -Node $node | Where-Object Populated)
        $zones.Zone -join ',' | Should -Be 'DMA,Normal'
        foreach ($z in $zones) {
            $body = [regex]::Match($text, "(?ms)^Node 0, zone +$($z.Zone)\n(.*?)(?=^Node |\z)").Groups[1].Value
            $z.Min | Should -Be ([long][regex]::Match($body, '(?m)^        min      (\d+)$').Groups[1].Value)
            $z.High | Should -Be ([long][regex]::Match($body, '(?m)^        high     (\d+)$').Groups[1].Value)
            $z.Scanned | Should -Be ([long][regex]::Match($body, '(?m)^        scanned  (\d+)$').Groups[1].Value)
            $z.Scanned | Should -BeGreaterThan 0
            [int]$z.AllUnreclaimable | Should -Be ([int][regex]::Match($body, '(?m)^  all_unreclaimable: (\d)$').Groups[1].Value)
            $z.InactiveRatio | Should -Be ([long][regex]::Match($body, '(?m)^  inactive_ratio:    (\d+)$').Groups[1].Value)
        }
    }

    It 'refuses a 4.4 zoneinfo whose first zone lacks its scanned line: CaptureFormatInvalid naming the file and line' {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ('memmgmt-fromcapture44-' + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $dir
        try {
            foreach ($f in 'zoneinfo.txt', 'buddyinfo.txt', 'pagetypeinfo.txt') {
                [System.IO.File]::WriteAllText((Join-Path $dir $f), [System.IO.File]::ReadAllText((Join-Path $sim44 "pressure/$f")))
            }
            $zi = Join-Path $dir 'zoneinfo.txt'
            $lines = [System.IO.File]::ReadAllText($zi) -split "`n"
            $i = [array]::IndexOf($lines, ($lines | Where-Object { $_ -like '        scanned  *' } | Select-Object -First 1))
            [System.IO.File]::WriteAllText($zi, (($lines[0..($i - 1)] + $lines[($i + 1)..($lines.Count - 1)]) -join "`n"))
            $before = @(Get-MemNode).Count
            $err = $null
            try { New-MemNode -FromCapture $dir -Name 'cap44-refused' } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -BeLike 'CaptureFormatInvalid,*'
            $err.Exception.Message | Should -BeLike "*zoneinfo.txt line $($i + 1):*scanned*4.4*"
            @(Get-MemNode).Count | Should -Be $before
        }
        finally { Remove-Item -Recurse -Force $dir }
    }
}
