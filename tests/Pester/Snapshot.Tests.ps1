# Export-MemNode and Import-MemNode: a node saved and loaded, then driven by the same commands as the original,
# ends with the same /proc texts; bad files, paths and names are refused with their own ids and change nothing.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)

    # Every kind of state in use: memcgs with limits, processes in them, working sets (one writing), swap slots
    # taken, dirty pages and pages under writeback.
    function New-RichNode([string] $Name, [string] $Kernel, [int] $PageSize) {
        $n = New-MemNode -Name $Name -Size 512MB -Kernel $Kernel -PageSize $PageSize -SwapSize 256MB -Seed 11 -CmaSize 32MB
        New-MemCgroup web -Max 160MB -Node $n | Out-Null
        New-MemCgroup frontend -Parent web -Low 16MB -Node $n | Out-Null
        New-MemCgroup batch -Max 100MB -Node $n | Out-Null
        New-MemProcess db -Size 64MB -FileSize 32MB -Cgroup web/frontend -Node $n | Out-Null
        New-MemProcess cruncher -Size 80MB -ShmemSize 16MB -Cgroup batch -Node $n | Out-Null
        Add-WorkingSet HotSet -Owner FileCache -Percent 8 -Node $n | Out-Null
        Add-WorkingSet Random -Owner Anon -Percent 6 -Seed 5 -Node $n | Out-Null
        Add-WorkingSet Streaming -Percent 150 -PagesPerRound 128 -Write -Node $n | Out-Null
        Add-Pressure -Order 2 -Percent 30 -FilePercent 50 -DirtyPercent 30 -WritebackPercent 10 -UnmovablePercent 10 -Seed 3 -Node $n | Out-Null
        Step-MemNode 30 -Node $n | Out-Null
        Invoke-Reclaim -Pages 10000 -Node $n | Out-Null
        # 6.1 faults anon pages in inactive and spares them on their first referenced look: a second reclaim reaches swap.
        if ($Kernel -eq '6.1') { Invoke-Reclaim -Pages 10000 -Node $n | Out-Null }
        Step-MemNode 5 -Node $n | Out-Null
        $n
    }

    # The same commands for both nodes: allocation pressure, compaction, reclaim, kswapd (which wakes kcompactd), virtual time.
    function Invoke-Drive($n) {
        Add-Pressure -Order 3 -Percent 10 -Seed 21 -Node $n | Out-Null
        Invoke-Compaction SyncLight -Order 4 -Node $n | Out-Null
        Invoke-Reclaim -Pages 2048 -Node $n | Out-Null
        Invoke-Kswapd -Order 2 -Milliseconds 50 -Node $n | Out-Null
        Step-MemNode 200 -Node $n | Out-Null
        Step-MemNode 100 -Node $n | Out-Null
    }

    # Every view's text, one string per view.
    function Get-Views($n) {
        [ordered]@{
            buddyinfo    = (Get-BuddyInfo -Raw -Node $n) -join "`n"
            vmstat       = (Get-VmStat -Raw -Node $n) -join "`n"
            zoneinfo     = (Get-ZoneInfo -Raw -Node $n) -join "`n"
            pagetypeinfo = (Get-PageTypeInfo -Raw -Node $n) -join "`n"
            meminfo      = (Get-MemInfo -Raw -Node $n) -join "`n"
            bdi          = (Get-BdiStat -Raw -Node $n) -join "`n"
            dmesg        = (Get-MemKernelLog -Raw -Node $n) -join "`n"
            processes    = (Get-MemProcess -Node $n | ForEach-Object { "$($_.Pid) $($_.Name) $($_.State) $($_.Rss) $($_.SwapEntries) $($_.OomScore)" }) -join "`n"
            memcgs       = (Get-MemCgroup -Node $n | ForEach-Object { "$($_.Path) $($_.Usage) $($_.Low) $($_.Max) $($_.MaxEvents)" }) -join "`n"
            workingsets  = (Get-WorkingSet -Node $n | ForEach-Object { "$($_.Name) $($_.Rounds) $($_.Accesses) $($_.Refaults) $($_.PagesDirtied)" }) -join "`n"
        }
    }

    function Get-VmStatValue($n, [string] $item) {
        $line = (Get-VmStat -Raw -Node $n) | Where-Object { $_ -like "$item *" }
        [long]($line -split ' ')[1]
    }
}

AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

Describe 'A snapshot round trip' {
    AfterEach { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

    It 'an imported <Case> node driven by the same commands ends with the same views' -ForEach @(
        @{ Case = '4.14'; Kernel = '4.14'; PageSize = 4096 }
        @{ Case = '6.1'; Kernel = '6.1'; PageSize = 4096 }
        @{ Case = '16K-page'; Kernel = '4.14'; PageSize = 16384 }
    ) {
        $a = New-RichNode "snap-a-$Case" $Kernel $PageSize
        # What the snapshot has to carry is really there.
        $a.SwapTotalPages - $a.SwapFreePages | Should -BeGreaterThan 0
        Get-VmStatValue $a nr_writeback | Should -BeGreaterThan 0
        Get-VmStatValue $a nr_dirty | Should -BeGreaterThan 0
        @(Get-MemProcess -Node $a).Count | Should -Be 2
        @(Get-WorkingSet -Node $a).Count | Should -Be 3
        @(Get-MemCgroup -Node $a | Where-Object Path -NE '/').Count | Should -Be 3

        $file = Join-Path $TestDrive "a-$Case.memnode"
        $info = Export-MemNode -Node $a -Path $file
        $info.FullName | Should -Be $file
        $info.Length | Should -BeLessThan ($a.SpannedPages * 21)
        $b = Import-MemNode -Path $file -Name "snap-b-$Case"
        $b.Name | Should -Be "snap-b-$Case"
        $b.Kernel.Version | Should -Be $Kernel
        $b.Geometry.PageSize | Should -Be $PageSize
        (Get-MemNode -Current).Name | Should -Be "snap-b-$Case"

        $before = Get-Views $a
        $loaded = Get-Views $b
        foreach ($k in $before.Keys) { $loaded[$k] | Should -BeExactly $before[$k] -Because "$k right after the import" }

        Invoke-Drive $a
        Invoke-Drive $b
        (Test-MemNode -Node $a).Passed | Should -BeTrue
        (Test-MemNode -Node $b).Passed | Should -BeTrue
        $va = Get-Views $a
        $vb = Get-Views $b
        foreach ($k in $va.Keys) { $vb[$k] | Should -BeExactly $va[$k] -Because "$k after the same commands" }
        $va.vmstat | Should -Not -BeExactly $before.vmstat
    }

    It 'keeps the exported name without -Name, takes files from the pipeline and carries the trace with -IncludeTrace' {
        $a = New-MemNode -Name snap-keep -Size 256MB
        Add-Pressure -Order 3 -Node $a | Out-Null
        $withTrace = Join-Path $TestDrive 'trace.memnode'
        $without = Join-Path $TestDrive 'notrace.memnode'
        Export-MemNode -Node $a -Path $withTrace -IncludeTrace | Out-Null
        Export-MemNode -Node $a -Path $without | Out-Null
        $events = (Get-MemTrace -Raw -Node $a) -join "`n"
        @(Get-MemTrace -Node $a).Count | Should -BeGreaterThan 0
        Remove-MemNode snap-keep

        $b = Get-Item $withTrace | Import-MemNode
        $b.Name | Should -Be 'snap-keep'
        (Get-MemTrace -Raw -Node $b) -join "`n" | Should -BeExactly $events
        $c = Import-MemNode $without -Name snap-notrace
        @(Get-MemTrace -Node $c).Count | Should -Be 0
        (Get-BuddyInfo -Raw -Node $c) -join "`n" | Should -BeExactly ((Get-BuddyInfo -Raw -Node $b) -join "`n")
    }

    It 'leaves only the snapshot in the directory (the temporary file is renamed over it)' {
        $a = New-MemNode -Name snap-dir -Size 256MB
        $dir = Join-Path $TestDrive 'only'
        New-Item -ItemType Directory $dir | Out-Null
        Export-MemNode -Node $a -Path (Join-Path $dir 'x.memnode') | Out-Null
        Export-MemNode -Node $a -Path (Join-Path $dir 'x.memnode') -Force | Out-Null
        @(Get-ChildItem -Force $dir).Name | Should -Be @('x.memnode')
    }
}

Describe 'Export-MemNode refuses' {
    BeforeAll {
        $node = New-MemNode -Name snap-export -Size 256MB
        $existing = Join-Path $TestDrive 'existing.memnode'
        Set-Content -LiteralPath $existing -Value 'old content'
    }
    AfterAll { Remove-MemNode snap-export }

    It 'a path in a missing directory: SnapshotDirectoryNotFound' {
        $path = Join-Path $TestDrive 'missing/dir/x.memnode'
        { Export-MemNode -Node $node -Path $path } | Should -Throw -ErrorId 'SnapshotDirectoryNotFound,*'
        Test-Path (Join-Path $TestDrive 'missing') | Should -BeFalse
    }

    It 'an existing file without -Force: SnapshotFileExists, the file unchanged' {
        { Export-MemNode -Node $node -Path $existing } | Should -Throw -ErrorId 'SnapshotFileExists,*'
        Get-Content -LiteralPath $existing | Should -Be 'old content'
    }

    It 'a directory as the path: SnapshotPathIsDirectory' {
        { Export-MemNode -Node $node -Path $TestDrive } | Should -Throw -ErrorId 'SnapshotPathIsDirectory,*'
    }

    It 'replacing under -WhatIf: the file unchanged, nothing written' {
        Export-MemNode -Node $node -Path $existing -Force -WhatIf | Should -BeNullOrEmpty
        Get-Content -LiteralPath $existing | Should -Be 'old content'
        $new = Join-Path $TestDrive 'whatif.memnode'
        Export-MemNode -Node $node -Path $new -WhatIf
        Test-Path $new | Should -BeFalse
    }

    It 'nothing with -Force: the file is replaced by the snapshot' {
        Export-MemNode -Node $node -Path $existing -Force | Out-Null
        (Import-MemNode $existing -Name snap-replaced).Name | Should -Be 'snap-replaced'
        Remove-MemNode snap-replaced
    }
}

Describe 'Import-MemNode refuses' {
    BeforeAll {
        $node = New-MemNode -Name snap-src -Size 256MB
        Add-Pressure -Percent 40 -Node $node | Out-Null
        $good = Join-Path $TestDrive 'good.memnode'
        Export-MemNode -Node $node -Path $good | Out-Null
        $bytes = [IO.File]::ReadAllBytes($good)

        function Write-Bytes([string] $name, [byte[]] $content) {
            $path = Join-Path $TestDrive $name
            [IO.File]::WriteAllBytes($path, $content)
            $path
        }
        function Get-NodeCount { @(Get-MemNode).Count }
    }
    AfterAll { Remove-MemNode snap-src }

    It '<Case>: <Id>, no node added' -ForEach @(
        @{ Case = 'a file cut in half'; Id = 'SnapshotTruncated'; Make = { param($b) $b[0..($b.Length / 2)] } }
        @{ Case = 'a file cut inside its header'; Id = 'SnapshotTruncated'; Make = { param($b) $b[0..20] } }
        @{ Case = 'a changed byte in the payload'; Id = 'SnapshotCorrupted'; Make = { param($b) $c = $b.Clone(); $c[[int]($c.Length * 0.6)] = $c[[int]($c.Length * 0.6)] -bxor 0x40; , $c } }
        @{ Case = 'a changed byte in the header'; Id = 'SnapshotCorrupted'; Make = { param($b) $c = $b.Clone(); $c[24] = $c[24] -bxor 1; , $c } }
        @{ Case = 'another format version'; Id = 'SnapshotVersionUnsupported'; Make = { param($b) $c = $b.Clone(); $c[8] = [byte]($c[8] + 1); , $c } }
        @{ Case = 'a text file'; Id = 'NotASnapshot'; Make = { param($b) [Text.Encoding]::UTF8.GetBytes("vm.swappiness = 60`n") } }
        @{ Case = 'an empty file'; Id = 'NotASnapshot'; Make = { param($b) , [byte[]]@() } }
    ) {
        $path = Write-Bytes "bad-$Id.memnode" ([byte[]](& $Make $bytes))
        $count = Get-NodeCount
        $current = Get-MemNode -Current
        { Import-MemNode $path -Name snap-bad -ErrorAction Stop } | Should -Throw -ErrorId "$Id,MemMgmt.PS.Commands.ImportMemNodeCommand"
        Get-NodeCount | Should -Be $count
        Get-MemNode -Current | Should -Be $current
    }

    It 'a name in use: NodeNameInUse, no node added' {
        $count = Get-NodeCount
        { Import-MemNode $good -ErrorAction Stop } | Should -Throw -ErrorId 'NodeNameInUse,*'
        { Import-MemNode $good -Name snap-src -ErrorAction Stop } | Should -Throw -ErrorId 'NodeNameInUse,*'
        Get-NodeCount | Should -Be $count
    }

    It 'a missing file: SnapshotFileNotFound' {
        { Import-MemNode (Join-Path $TestDrive 'none.memnode') -ErrorAction Stop } | Should -Throw -ErrorId 'SnapshotFileNotFound,*'
    }

    It 'the error message names the file and what is wrong' {
        $path = Write-Bytes 'msg.memnode' ($bytes[0..100])
        $err = $null
        Import-MemNode $path -ErrorAction SilentlyContinue -ErrorVariable err
        "$($err[0])" | Should -BeLike "'$path' is truncated: 101 bytes of the * its header declares."
    }
}
