# Scenario tests for Show-PageblockMap: the plain text map's exact text, and the terminal map's fit and colours.
BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) -Force
    $legend = 'pageblocks of 512 pages, 64 per line: U Unmovable, M Movable, R Reclaimable, H HighAtomic, C CMA, I Isolate; lowercase: at least half free'
    # The letter Show-PageblockMap -Raw should print for a Get-Pageblock object.
    function Get-ExpectedLetter($b) {
        $l = @{ Unmovable = 'U'; Movable = 'M'; Reclaimable = 'R'; HighAtomic = 'H'; Cma = 'C'; Isolate = 'I' }["$($b.MigrateType)"]
        if (($b.FreePages + $b.PcpPages) * 2 -ge 512) { $l.ToLowerInvariant() } else { $l }
    }
}

Describe 'Show-PageblockMap' {
    AfterEach { Remove-MemNode -Name 'map-*' }

    It 'prints a new node as reserved blocks then free Movable blocks, 64 to a line' {
        # 256 MiB at pfn 0x40000: 128 blocks; the first 9760 pages (19 blocks and 32 pages) are reserved.
        $n = New-MemNode -Name map-new -Size 256MB -CmaSize 0
        $lines = @(Show-PageblockMap -Raw -Node $n)
        $lines | Should -Be @(
            $legend
            'DMA     0x40000 MMMMMMMMMMMMMMMMMMMmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm'
            'DMA     0x48000 mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm'
        )
    }

    It 'prints the blocks unmovable and reclaimable fallbacks claimed under pressure' {
        $n = New-MemNode -Name map-frag -Size 256MB -CmaSize 0
        $n | Add-Pressure -Order 3 -UnmovablePercent 10 -ReclaimablePercent 10 | Out-Null
        $lines = @(Show-PageblockMap -Raw -Node $n)
        $lines | Should -Be @(
            $legend
            'DMA     0x40000 MMMMMMMMMMMMMMMMMMMMMmmMuummrrmmmmmmmmmmmmmmuummrrmmmmmmmmmmmmmm'
            'DMA     0x48000 uummrrmmmmmmmmmmmmmmuurrmmmmmmmmmmmmmmmmrruummmmmmmmmmmmmmmmuurr'
        )
        # The same letters follow from Get-Pageblock, block by block.
        $expected = -join @(Get-Pageblock -Node $n | ForEach-Object { Get-ExpectedLetter $_ })
        ($lines[1].Substring(16) + $lines[2].Substring(16)) | Should -Be $expected
    }

    It 'starts a new line at each zone and prints CMA blocks' {
        $n = New-MemNode -Name map-zones -Size 4GB
        $lines = @(Show-PageblockMap -Raw -Node $n -Width 512)
        # 4 GiB from pfn 0x40000: DMA up to the 4 GiB boundary (0x100000), Normal above it; CMA at the end of DMA.
        $lines.Count | Should -Be 5
        $lines[1] | Should -BeLike 'DMA     0x040000 *'
        $lines[2] | Should -BeLike 'DMA     0x080000 *'
        $lines[3] | Should -BeLike 'DMA     0x0c0000 *cccccccccccccccccccccccccccccccc'
        $lines[4] | Should -BeLike 'Normal  0x100000 m*'
        $lines[4].Length | Should -Be (16 + 1 + 512)
    }

    It 'fits the terminal map to the host width and colours cells by type' {
        $n = New-MemNode -Name map-ansi -Size 256MB -CmaSize 0
        $n | Add-Pressure -Order 3 -UnmovablePercent 10 | Out-Null
        $cols = 80
        try { if ($Host.UI.RawUI.WindowSize.Width -gt 0) { $cols = $Host.UI.RawUI.WindowSize.Width } } catch { $cols = 80 }
        $lines = @(Show-PageblockMap -Node $n)
        $esc = [char]27
        $cells = $cols - 16
        $plain = @($lines[1..($lines.Count - 1)] | ForEach-Object { $_ -replace "$esc\[[0-9;]*m", '' })
        $plain[0].Length | Should -Be ([math]::Min(128, $cells) + 16)
        ($plain | ForEach-Object { $_.Length - 16 } | ForEach-Object -Begin { $s = 0 } -Process { $s += $_ } -End { $s }) | Should -Be 128
        # Every cell is one coloured glyph; unmovable blocks are red (SGR 31), movable ones green (32).
        $unmovable = @(Get-Pageblock -Node $n -MigrateType Unmovable).Count
        $all = -join $lines[1..($lines.Count - 1)]
        ([regex]::Matches($all, "$esc\[31m")).Count | Should -Be $unmovable
        ([regex]::Matches($all, "$esc\[32m")).Count | Should -Be (128 - $unmovable)
    }

    It 'rejects a width outside 1 to 4096' {
        $n = New-MemNode -Name map-bad -Size 256MB -CmaSize 0
        { Show-PageblockMap -Raw -Width 0 -Node $n } | Should -Throw -ErrorId '*ParameterArgumentValidationError*'
    }
}
