# The /proc view cmdlets: objects shaped like the kernel files, and -Raw text equal to the kernel's bytes.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)
    # Runs a script in a new runspace that has the module but no node; rethrows its first error.
    function Invoke-InNewRunspace([string]$Script) {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddCommand('Import-Module').AddParameter('Name', (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1')).AddStatement().AddScript($Script)
            $ps.Invoke()
            if ($ps.Streams.Error.Count -gt 0) { throw $ps.Streams.Error[0] }
        } finally {
            $ps.Runspace.Dispose()
            $ps.Dispose()
        }
    }
}

AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

Describe 'Views without a node' {
    It 'Get-PageTypeInfo says there is no current node' {
        { Invoke-InNewRunspace 'Get-PageTypeInfo' } | Should -Throw -ErrorId 'NoCurrentNode,*'
    }
    It 'Get-BdiStat and Get-WorkingSet say there is no current node' {
        { Invoke-InNewRunspace 'Get-BdiStat -Raw' } | Should -Throw -ErrorId 'NoCurrentNode,*'
        { Invoke-InNewRunspace 'Get-WorkingSet' } | Should -Throw -ErrorId 'NoCurrentNode,*'
    }
}

Describe 'Get-PageTypeInfo' {
    BeforeAll {
        $node = New-MemNode -Name 'views-pti'
    }

    It 'prints /proc/pagetypeinfo of a fresh default node with -Raw' {
        $lines = @(Get-PageTypeInfo -Raw -Node $node)
        $lines.Count | Should -Be 13
        $lines[0] | Should -BeExactly 'Page block order: 9'
        $lines[1] | Should -BeExactly 'Pages per block:  512'
        $lines[2] | Should -BeExactly ''
        $lines[3] | Should -BeExactly 'Free pages count per migrate type at order       0      1      2      3      4      5      6      7      8      9     10 '
        $lines[5] | Should -BeExactly 'Node    0, zone      DMA, type      Movable      0      0      0      0      0      1      1      1      1      0    479 '
        $lines[8] | Should -BeExactly 'Node    0, zone      DMA, type          CMA      0      0      0      0      0      0      0      0      0      0     16 '
        $lines[12] | Should -BeExactly 'Node 0, zone      DMA            0          992            0            0           32            0 '
    }

    It 'returns one row per zone and migrate type with free blocks and pageblocks' {
        $rows = @(Get-PageTypeInfo -Node $node)
        $rows.Count | Should -Be 6
        $movable = $rows | Where-Object MigrateType -EQ 'Movable'
        $movable.Zone | Should -Be 'DMA'
        $movable.FreeBlocks[10] | Should -Be 479
        $movable.Pageblocks | Should -Be 992
        $movable.FreePages | Should -Be (479 * 1024 + 32 + 64 + 128 + 256)
    }

    It 'takes the node by property name from any report' {
        $rows = @([pscustomobject]@{ Node = $node } | Get-PageTypeInfo)
        $rows.Count | Should -Be 6
    }

    It 'shows a node once per pipeline however many reports name it' {
        $lines = @($node, $node, [pscustomobject]@{ Node = $node } | Get-PageTypeInfo -Raw)
        $lines.Count | Should -Be 13
    }

    It 'follows allocations: an unmovable order-0 request steals a Movable block and refills the pcp list by a batch' {
        $copy = Copy-MemNode -Node $node -Name 'views-pti-alloc'
        New-PageAllocation -Node $copy -Order 0 -Gfp GFP_KERNEL | Out-Null
        $unmovable = Get-PageTypeInfo -Node $copy | Where-Object MigrateType -EQ 'Unmovable'
        # __rmqueue_fallback steals the largest Movable block (order 10 >= pageblock_order): change_pageblock_range
        # retypes both of its pageblocks; rmqueue_bulk then takes a batch of 31 pages from it for the pcp list.
        $unmovable.Pageblocks | Should -Be 2
        $unmovable.FreePages | Should -Be (1024 - 31)
    }
}

Describe 'Get-BuddyInfo' {
    BeforeAll { $node = New-MemNode -Name 'views-buddy' }

    It 'prints /proc/buddyinfo with -Raw' {
        Get-BuddyInfo -Raw -Node $node | Should -BeExactly 'Node 0, zone      DMA      0      0      0      0      0      1      1      1      1      0    495 '
    }

    It 'returns free blocks per order per populated zone' {
        $rows = @(Get-BuddyInfo -Node $node)
        $rows.Count | Should -Be 1
        $rows[0].FreeBlocks[10] | Should -Be 495
        $rows[0].FreePages | Should -Be 507360
    }
}

Describe 'Get-ZoneInfo' {
    BeforeAll { $node = New-MemNode -Name 'views-zone' }

    It 'returns every zone with watermarks like the arm64 capture' {
        $zones = @(Get-ZoneInfo -Node $node)
        $zones.Count | Should -Be 3
        $dma = $zones[0]
        $dma.Zone | Should -Be 'DMA'
        $dma.Min | Should -Be 5632
        $dma.Low | Should -Be 7040
        $dma.High | Should -Be 8448
        $dma.Managed | Should -Be 507360
        $dma.StartPfn | Should -Be 262144
        $zones[1].Populated | Should -BeFalse
    }

    It 'filters by zone' {
        $z = @(Get-ZoneInfo -Node $node -Zone Normal)
        $z.Count | Should -Be 1
        $z[0].Zone | Should -Be 'Normal'
    }

    It 'rejects a zone the kernel does not have' {
        { Get-ZoneInfo -Node $node -Zone Highmem } | Should -Throw -ErrorId 'ZoneNotPresent,*'
        { Get-ZoneInfo -Node $node -Zone DMA32 } | Should -Throw -ExpectedMessage "*Zone 'DMA32' does not exist in a 4.14 arm64 node; zones: DMA, Normal, Movable.*"
    }

    It 'takes zone names in any case' {
        @(Get-ZoneInfo -Node $node -Zone normal, DMA).Zone | Should -Be @('DMA', 'Normal')
    }

    It 'prints the 4.14 zoneinfo layout with -Raw' {
        $lines = @(Get-ZoneInfo -Raw -Node $node)
        $lines[0] | Should -BeExactly 'Node 0, zone      DMA'
        $lines[1] | Should -BeExactly '  per-node stats'
        $lines | Should -Contain '  pages free     507360'
        $lines | Should -Contain '        protection: (0, 0, 0)'
        $lines | Should -Contain 'Node 0, zone   Normal'
        $lines | Should -Not -Contain '        boost    0'
    }
}

Describe 'Get-VmStat' {
    BeforeAll { $node = New-MemNode -Name 'views-vmstat' }

    It 'filters counters by wildcard' {
        $c = @(Get-VmStat -Node $node -Name 'compact_*')
        $c.Count | Should -Be 9
        ($c | Where-Object Value -NE 0).Count | Should -Be 0
    }

    It 'counts the boot frees in pgfree and the free pages in nr_free_pages' {
        (Get-VmStat -Node $node pgfree).Value | Should -Be 507360
        (Get-VmStat -Node $node nr_free_pages).Value | Should -Be 507360
    }

    It 'counts allocations per zone in pgalloc_dma' {
        $copy = Copy-MemNode -Node $node -Name 'views-vmstat-alloc'
        New-PageAllocation -Node $copy -Order 3 -Gfp GFP_HIGHUSER_MOVABLE | Out-Null
        (Get-VmStat -Node $copy pgalloc_dma).Value | Should -Be 8
        (Get-VmStat -Node $node pgalloc_dma).Value | Should -Be 0
    }

    It 'prints name value lines with -Raw' {
        $lines = @(Get-VmStat -Raw -Node $node)
        $lines[0] | Should -BeExactly 'nr_free_pages 507360'
        $lines | Should -Contain 'pgalloc_movable 0'
    }
}

Describe 'Get-MemInfo' {
    BeforeAll { $node = New-MemNode -Name 'views-meminfo' }

    It 'reports MemTotal and CmaTotal in kB' {
        (Get-MemInfo -Node $node MemTotal).Value | Should -Be 2029440
        (Get-MemInfo -Node $node CmaTotal).Unit | Should -Be 'kB'
        (Get-MemInfo -Node $node 'HugePages_Total').Unit | Should -BeNullOrEmpty
    }

    It 'prints the kernel alignment with -Raw' {
        $lines = @(Get-MemInfo -Raw -Node $node)
        $lines[0] | Should -BeExactly 'MemTotal:        2029440 kB'
        $lines | Should -Contain 'HugePages_Total:       0'
        $lines | Should -Contain 'Hugepagesize:       2048 kB'
    }
}

Describe 'Get-FragmentationIndex' {
    BeforeAll { $node = New-MemNode -Name 'views-frag' }

    It 'returns both indexes per zone by default' {
        $rows = @(Get-FragmentationIndex -Node $node)
        $rows.Count | Should -Be 2
        $rows[0].Kind | Should -Be 'ExternalFragmentation'
        $rows[0].Thousandths[9] | Should -Be -1000
        $rows[1].Values[9] | Should -Be 0
    }

    It 'prints extfrag_index with -Raw' {
        Get-FragmentationIndex -Raw -Node $node | Should -BeExactly 'Node 0, zone      DMA -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 '
    }

    It 'needs one kind for -Raw' {
        { Get-FragmentationIndex -Raw -Node $node -Kind ExternalFragmentation, UnusableFreeSpace } | Should -Throw -ErrorId 'RawNeedsOneKind,*'
    }
}

Describe 'Table views with 16K and 64K pages' {
    BeforeAll {
        $formatPath = [System.IO.Path]::Combine((Get-Module MemMgmt).ModuleBase, 'MemMgmt.ProcViews.Format.ps1xml')
        [xml]$procViews = [System.IO.File]::ReadAllText($formatPath)
        function Get-OrderColumnCount([string]$typeName) {
            $view = $procViews.Configuration.ViewDefinitions.View | Where-Object { $_.ViewSelectedBy.TypeName -eq $typeName }
            @($view.TableControl.TableHeaders.TableColumnHeader | Where-Object { $_.Label -match '^\d+$' }).Count
        }
    }

    It '<Cmdlet> rows of a <PageSize> node select the view with <Orders> order columns' -TestCases @(
        @{ Cmdlet = 'Get-PageTypeInfo'; PageSize = '64KB'; Orders = 14 }
        @{ Cmdlet = 'Get-BuddyInfo'; PageSize = '64KB'; Orders = 14 }
        @{ Cmdlet = 'Get-FragmentationIndex'; PageSize = '64KB'; Orders = 14 }
        @{ Cmdlet = 'Get-PageTypeInfo'; PageSize = '16KB'; Orders = 12 }
        @{ Cmdlet = 'Get-BuddyInfo'; PageSize = '16KB'; Orders = 12 }
        @{ Cmdlet = 'Get-FragmentationIndex'; PageSize = '16KB'; Orders = 12 }
    ) {
        $n = New-MemNode -Name "views-$PageSize-$($Cmdlet.Substring(4))" -Size 1GB -PageSize $PageSize -TransparentHugepage -CmaSize 0
        $row = @(& $Cmdlet -Node $n)[0]
        $row.PSObject.TypeNames[0] | Should -BeExactly ($row.GetType().FullName + "#MaxOrder$Orders")
        Get-OrderColumnCount $row.PSObject.TypeNames[0] | Should -Be $Orders
        $counts = if ($row.PSObject.Properties['FreeBlocks']) { $row.FreeBlocks } else { $row.Thousandths }
        $counts.Count | Should -Be $Orders
    }

    It 'leaves 4K rows on the plain view with orders 0 to 10' {
        $row = @(Get-PageTypeInfo -Node (New-MemNode -Name 'views-4k' -Size 256MB -CmaSize 0))[0]
        $row.PSObject.TypeNames[0] | Should -BeExactly 'MemMgmt.PS.Results.PageTypeInfoRow'
        Get-OrderColumnCount 'MemMgmt.PS.Results.PageTypeInfoRow' | Should -Be 11
    }
}
