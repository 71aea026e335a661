# Scenario tests for Export-MemChart: images decoded with SkiaSharp (sizes, colours of known pageblocks), SVG as XML,
# and the bad-input errors that write nothing.
BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) -Force
    # The fill of a block: the type's colour moved toward white by 0.75 x its free fraction, channels rounded down.
    function Get-CellColour([int[]]$rgb, [long]$free) {
        $f = 0.75 * [math]::Min(1.0, $free / 512)
        '#ff{0:x2}{1:x2}{2:x2}' -f @($rgb | ForEach-Object { [int]($_ + [math]::Floor((255 - $_) * $f)) })
    }
    function Get-Pixel($bitmap, [int]$block) { "$($bitmap.GetPixel(($block % 64) * 8 + 4, [math]::Floor($block / 64) * 8 + 4))" }
}

Describe 'Export-MemChart' {
    BeforeEach {
        $dir = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'memchart-' + [guid]::NewGuid().ToString('N'))
        [void][System.IO.Directory]::CreateDirectory($dir)
        # 256 MiB without CMA: 128 Movable blocks; blocks 0-18 are wholly reserved, block 19 has 480 free pages.
        $n = New-MemNode -Name chart-n -Size 256MB -CmaSize 0
    }
    AfterEach {
        Remove-MemNode -Name 'chart-*'
        [System.IO.Directory]::Delete($dir, $true)
    }

    It 'draws a new node''s pageblock map as a PNG, block by block' {
        $path = [System.IO.Path]::Combine($dir, 'map.png')
        $file = Export-MemChart -Path $path -Kind PageblockMap -Node $n
        $file.FullName | Should -Be $path
        $bmp = [SkiaSharp.SKBitmap]::Decode($path)
        try {
            $bmp.Width | Should -Be 512
            $bmp.Height | Should -Be 16
            Get-Pixel $bmp 0 | Should -Be '#ff2ca02c'
            Get-Pixel $bmp 18 | Should -Be '#ff2ca02c'
            # Block 19: 44 + floor(211 x 0.703125) = 192, 160 + floor(95 x 0.703125) = 226.
            Get-Pixel $bmp 19 | Should -Be '#ffc0e2c0'
            # Wholly free blocks: 44 + floor(211 x 0.75) = 202, 160 + floor(95 x 0.75) = 231.
            Get-Pixel $bmp 100 | Should -Be '#ffcae7ca'
            Get-Pixel $bmp 127 | Should -Be '#ffcae7ca'
        }
        finally { $bmp.Dispose() }
    }

    It 'colours the blocks pressure turned unmovable and reclaimable' {
        $n | Add-Pressure -Order 3 -UnmovablePercent 10 -ReclaimablePercent 10 | Out-Null
        $path = [System.IO.Path]::Combine($dir, 'frag.png')
        Export-MemChart $path PageblockMap -Node $n | Out-Null
        $rgb = @{ Unmovable = 0xd6, 0x27, 0x28; Movable = 0x2c, 0xa0, 0x2c; Reclaimable = 0xe6, 0xb8, 0x00 }
        $bmp = [SkiaSharp.SKBitmap]::Decode($path)
        try {
            $blocks = @(Get-Pageblock -Node $n)
            @($blocks | Where-Object MigrateType -EQ 'Unmovable').Count | Should -BeGreaterThan 0
            @($blocks | Where-Object MigrateType -EQ 'Reclaimable').Count | Should -BeGreaterThan 0
            foreach ($b in $blocks) {
                Get-Pixel $bmp $b.Index | Should -Be (Get-CellColour $rgb["$($b.MigrateType)"] ($b.FreePages + $b.PcpPages)) -Because "block $($b.Index) is $($b.MigrateType)"
            }
        }
        finally { $bmp.Dispose() }
    }

    It 'draws free pages by order as an SVG with one bar segment per migrate type and order' {
        $path = [System.IO.Path]::Combine($dir, 'free.svg')
        Export-MemChart $path FreeByOrder -Node $n -Width 640 -Height 400 | Out-Null
        [xml]$svg = [System.IO.File]::ReadAllText($path)
        $svg.DocumentElement.LocalName | Should -Be 'svg'
        $svg.DocumentElement.width | Should -Be '640'
        $svg.DocumentElement.height | Should -Be '400'
        # A new node has free Movable blocks at orders 5, 6, 7, 8 and 10: five green bars, no other type drawn as a bar.
        $rects = @($svg.GetElementsByTagName('rect'))
        @($rects | Where-Object { $_.fill -eq '#2CA02C' -and $_.width }).Count | Should -Be 6   # five bars and the legend swatch
        @($rects | Where-Object { $_.fill -eq '#D62728' }).Count | Should -Be 1                  # the legend swatch only
        @($svg.GetElementsByTagName('text')).Count | Should -BeGreaterThan 0
    }

    It 'draws a recording as a timeline PNG of the requested size' {
        Start-MemRecording pgfree -Node $n | Out-Null
        Step-MemNode 50 -Node $n | Out-Null
        $rows = @(Stop-MemRecording -Node $n)
        $path = [System.IO.Path]::Combine($dir, 't.png')
        $rows | Export-MemChart $path Timeline -Width 700 -Height 300 | Out-Null
        $bmp = [SkiaSharp.SKBitmap]::Decode($path)
        try { "$($bmp.Width)x$($bmp.Height)" | Should -Be '700x300' } finally { $bmp.Dispose() }
    }

    It 'rejects <Case> with <Id> and writes nothing' -ForEach @(
        @{ Case = 'a missing directory'; Id = 'ChartDirectoryNotFound'; File = 'nodir/x.png'; Kind = 'PageblockMap' }
        @{ Case = 'another extension'; Id = 'ChartFormatUnsupported'; File = 'x.jpg'; Kind = 'PageblockMap' }
        @{ Case = 'Timeline without a recording'; Id = 'TimelineNeedsRecording'; File = 'x.png'; Kind = 'Timeline' }
        @{ Case = 'an unknown kind'; Id = 'CannotConvertArgumentNoMessage'; File = 'x.png'; Kind = 'Histogram' }
    ) {
        $path = [System.IO.Path]::Combine($dir, $File)
        { Export-MemChart -Path $path -Kind $Kind -Node $n } | Should -Throw -ErrorId "$Id*"
        @([System.IO.Directory]::GetFileSystemEntries($dir)).Count | Should -Be 0
    }

    It 'keeps an existing file without -Force and replaces it with -Force' {
        $path = [System.IO.Path]::Combine($dir, 'map.png')
        [System.IO.File]::WriteAllText($path, 'keep')
        { Export-MemChart $path PageblockMap -Node $n } | Should -Throw -ErrorId 'ChartFileExists*'
        [System.IO.File]::ReadAllText($path) | Should -Be 'keep'
        Export-MemChart $path PageblockMap -Node $n -Force | Out-Null
        $bmp = [SkiaSharp.SKBitmap]::Decode($path)
        try { $bmp.Width | Should -Be 512 } finally { $bmp.Dispose() }
        @([System.IO.Directory]::GetFileSystemEntries($dir)).Count | Should -Be 1
    }
}
