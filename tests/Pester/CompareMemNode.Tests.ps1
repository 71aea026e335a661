# Scenario tests for Compare-MemNode: the what-if workflow (Copy-MemNode, a change, Compare-MemNode).
BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) -Force
}

Describe 'Compare-MemNode' {
    BeforeEach {
        # 256 MiB at pfn 0x40000, one DMA zone of 128 pageblocks, 55776 managed pages.
        $base = New-MemNode -Name cmp-base -Size 256MB -CmaSize 0
        $copy = Copy-MemNode -Node $base -Name cmp-copy
    }
    AfterEach { Remove-MemNode -Name 'cmp-*' }

    It 'reports nothing for an untouched copy' {
        @(Compare-MemNode -Reference $base -Difference $copy).Count | Should -Be 0
    }

    It 'takes the two nodes by name' {
        Set-MemSysctl vm.min_free_kbytes 8192 -Node $copy | Out-Null
        $d = @(Compare-MemNode -Reference cmp-base -Difference cmp-copy -Kind Watermark)
        $d.DifferenceValue | Should -Be @(2048, 2560, 3072)
        { Compare-MemNode -Reference cmp-none -Difference cmp-copy } | Should -Throw -ErrorId 'NodeNotFound,*'
    }

    It 'reports the watermarks vm.min_free_kbytes sets, with exact values' {
        $before = Get-ZoneInfo -Node $base | Where-Object Zone -EQ 'DMA'
        Set-MemSysctl vm.min_free_kbytes 8192 -Node $copy | Out-Null
        $d = @(Compare-MemNode -Reference $base -Difference $copy -Kind Watermark)
        # __setup_per_zone_wmarks with one zone: min = 8192 KiB / 4 KiB = 2048 pages;
        # low = min + max(min/4, managed * 10 / 10000) = 2048 + max(512, 55) ; high = min + 2 * 512.
        $d.Count | Should -Be 3
        $d.Name | Should -Be @('min', 'low', 'high')
        $d.DifferenceValue | Should -Be @(2048, 2560, 3072)
        $d.ReferenceValue | Should -Be @($before.Min, $before.Low, $before.High)
        $d[0].Delta | Should -Be (2048 - $before.Min)
        $d[0].Zone | Should -Be 'DMA'
        $d[0].Node.Name | Should -Be 'cmp-copy'
        $d[0].ReferenceNode.Name | Should -Be 'cmp-base'
    }

    It 'reports the pageblocks Add-Pressure retyped, block for block as Get-Pageblock shows them' {
        $copy | Add-Pressure -Order 3 -UnmovablePercent 10 -ReclaimablePercent 10 | Out-Null
        $d = @(Compare-MemNode -Reference $base -Difference $copy -Kind Pageblock)
        $d.Count | Should -BeGreaterThan 0
        $ref = @{}; foreach ($b in Get-Pageblock -Node $base) { $ref[$b.StartPfn] = $b.MigrateType }
        $changed = @(Get-Pageblock -Node $copy | Where-Object { $ref[$_.StartPfn] -ne $_.MigrateType })
        @($d | ForEach-Object { $_.Pfn }) | Should -Be @($changed | ForEach-Object { $_.StartPfn })
        @($d | ForEach-Object { "$($_.DifferenceValue)" }) | Should -Be @($changed | ForEach-Object { "$($_.MigrateType)" })
        @($d | Where-Object { "$($_.ReferenceValue)" -ne 'Movable' }).Count | Should -Be 0
        @($d | Where-Object { $null -ne $_.Delta }).Count | Should -Be 0
        $d[0].Name | Should -Be ('pfn 0x{0:x}' -f $d[0].Pfn)
    }

    It 'reports per-zone free pages, free lists and vmstat deltas that add up' {
        $copy | Add-Pressure -Order 3 -UnmovablePercent 10 -ReclaimablePercent 10 | Out-Null
        $all = @(Compare-MemNode $base $copy)
        $free = @($all | Where-Object { $_.Kind -eq 'ZoneFree' -and $_.Name -eq 'nr_free_pages' })
        $free.Count | Should -Be 1
        $free[0].DifferenceValue | Should -Be (Get-ZoneInfo -Node $copy | Where-Object Zone -EQ 'DMA').Free
        $vm = @($all | Where-Object { $_.Kind -eq 'VmStat' -and $_.Name -eq 'nr_free_pages' })
        $vm[0].Delta | Should -Be $free[0].Delta
        # The free lists' pages, order by order, account for the same delta.
        $pages = 0L
        foreach ($f in $all | Where-Object Kind -EQ 'FreeArea') { $pages += $f.Delta * [long][math]::Pow(2, $f.Order) }
        $pages | Should -Be $free[0].Delta
        @($all | Where-Object { $_.Kind -ne 'Pageblock' -and $_.Delta -eq 0 }).Count | Should -Be 0
    }

    It 'takes the changed node from the pipeline and compares it once' {
        $before = Get-ZoneInfo -Node $base | Where-Object Zone -EQ 'DMA'
        $d = @($copy | Set-MemSysctl vm.watermark_scale_factor 200 -PassThru | Compare-MemNode -Reference $base -Kind Watermark)
        # low = min + max(min/4, 55776 * 200 / 10000 = 1115); high adds it twice.
        $d.Name | Should -Be @('low', 'high')
        $d.DifferenceValue | Should -Be @(($before.Min + 1115), ($before.Min + 2230))
    }

    It 'rejects nodes of different layouts with NodeLayoutMismatch' {
        $other = New-MemNode -Name cmp-other -Size 512MB -CmaSize 0
        { Compare-MemNode -Reference $base -Difference $other } | Should -Throw -ErrorId '*NodeLayoutMismatch*'
    }
}
