# Scenario tests for New-MemNode, Get-MemNode, Remove-MemNode, Copy-MemNode and Test-MemNode.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)
    function Get-NodeCount { @(Get-MemNode).Count }
}

# Removes every node this file made, whatever its tests did, so files share a runspace in any order.
AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

Describe 'New-MemNode' {
    AfterEach { Get-MemNode -Name 'nm-*' | Remove-MemNode -Confirm:$false }

    It 'builds the qemu-virt-2g default: 2 GiB at pfn 0x40000, all in DMA, 4K pages, MAX_ORDER 11, pageblock order 9' {
        $n = New-MemNode -Name nm-default
        $n.NodeStartPfn | Should -Be 0x40000
        $n.SpannedPages | Should -Be 524288
        $n.Geometry.PageSize | Should -Be 4096
        $n.Geometry.MaxOrder | Should -Be 11
        $n.Geometry.PageblockOrder | Should -Be 9
        $n.NrCpus | Should -Be 2
        $dma = $n.GetZone('DMA')
        $dma.PresentPages | Should -Be 524288
        # The arm64 QEMU capture: present 524288, managed 507360.
        $dma.ManagedPages | Should -Be 507360
        $n.GetZone('Normal').PresentPages | Should -Be 0
        # min_free_kbytes as the capture's sysctl_vm.txt shows after khugepaged raised it.
        (Get-MemSysctl vm.min_free_kbytes -Node $n).Value | Should -Be '22528'
    }

    It 'makes the new node current and writes it to the pipeline' {
        $n = New-MemNode -Name nm-current
        Get-MemNode -Current | Should -Be $n
        $n | Should -BeOfType ([MemMgmt.Core.Node.MemNode])
    }

    It 'gives default names node0, node1 ... that are unused' {
        $a = New-MemNode
        $b = New-MemNode
        $a.Name | Should -Match '^node\d+$'
        $b.Name | Should -Match '^node\d+$'
        $a.Name | Should -Not -Be $b.Name
        Remove-MemNode -Name $a.Name, $b.Name
    }

    It 'derives pageblock order <Pb> and MAX_ORDER <Max> for page size <Size>, hugetlb <Huge>, THP <Thp>' -ForEach @(
        @{ Size = '4KB';  Huge = $true;  Thp = $true;  Max = 11; Pb = 9 }
        @{ Size = '4KB';  Huge = $false; Thp = $true;  Max = 11; Pb = 10 }
        @{ Size = '16KB'; Huge = $true;  Thp = $true;  Max = 12; Pb = 11 }
        @{ Size = '16K';  Huge = $true;  Thp = $false; Max = 11; Pb = 10 }
        @{ Size = 65536;  Huge = $true;  Thp = $true;  Max = 14; Pb = 13 }
    ) {
        $n = New-MemNode -Name nm-geo -Size 4GB -PageSize $Size -HugeTlb:$Huge -TransparentHugepage:$Thp -CmaSize 0
        $n.Geometry.MaxOrder | Should -Be $Max
        $n.Geometry.PageblockOrder | Should -Be $Pb
    }

    It 'lets explicit parameters override the profile' {
        $n = New-MemNode -Profile a53-16k-8g -Name nm-override -Size 2GB -Cpus 4
        $n.Geometry.PageSize | Should -Be 16384
        $n.SpannedPages | Should -Be (2GB / 16KB)
        $n.NrCpus | Should -Be 4
        $n.Config.Profile | Should -Be 'a53-16k-8g'
    }

    It 'splits a 4 GiB node at the 4 GiB boundary into DMA and Normal (qemu-virt-4g)' {
        $n = New-MemNode -Profile qemu-virt-4g -Name nm-4g
        $n.GetZone('DMA').SpannedPages | Should -Be (3GB / 4KB)
        $n.GetZone('Normal').SpannedPages | Should -Be (1GB / 4KB)
        $n.GetZone('Normal').ZoneStartPfn | Should -Be 0x100000
    }

    It 'takes a -ZoneLayout hashtable in any key order' {
        $n = New-MemNode -Name nm-layout -Size 2GB -ZoneLayout @{ Normal = 1GB; DMA = 1GB }
        $n.GetZone('DMA').SpannedPages | Should -Be 262144
        $n.GetZone('Normal').SpannedPages | Should -Be 262144
        $n.GetZone('Normal').ZoneStartPfn | Should -Be (0x40000 + 262144)
    }

    It 'takes sizes as strings too (''1GB'', ''32 MiB'')' {
        $n = New-MemNode -Name nm-strings -Size '1GB' -CmaSize '32 MiB' -ZoneLayout ([ordered]@{ DMA = '512MB'; Normal = 512MB })
        $n.SpannedPages | Should -Be 262144
        $n.GetZone('DMA').CmaPages | Should -Be 8192
        $n.GetZone('Normal').SpannedPages | Should -Be 131072
    }

    It 'has no CMA with a53-1g-nocma and 16384 CMA pages with the default' {
        (New-MemNode -Profile a53-1g-nocma -Name nm-nocma).GetZone('DMA').CmaPages | Should -Be 0
        (New-MemNode -Name nm-cma).GetZone('DMA').CmaPages | Should -Be 16384
    }

    It 'rejects <Case> with error id <Id> and changes nothing' -ForEach @(
        @{ Case = 'an unknown profile'; Id = 'UnknownProfile'; Params = @{ Profile = 'no-such-board' } }
        @{ Case = 'a size that is not whole pageblocks'; Id = 'SizeNotPageblockMultiple'; Params = @{ Size = 1000 } }
        @{ Case = 'a negative size'; Id = 'SizeNotPageblockMultiple'; Params = @{ Size = -2GB } }
        @{ Case = 'a size above 1 TiB with 4K pages'; Id = 'SizeTooLarge'; Params = @{ Size = 2TB } }
        @{ Case = 'a size above 4 TiB with 64K pages'; Id = 'SizeTooLarge'; Params = @{ Size = 8TB; PageSize = '64KB' } }
        @{ Case = 'an 8K page size'; Id = 'PageSizeNotSupported'; Params = @{ PageSize = '8KB' } }
        @{ Case = 'zero CPUs'; Id = 'CpusOutOfRange'; Params = @{ Cpus = 0 } }
        @{ Case = '65 CPUs'; Id = 'CpusOutOfRange'; Params = @{ Cpus = 65 } }
        @{ Case = 'a misaligned CMA size'; Id = 'CmaSizeMisaligned'; Params = @{ CmaSize = 1MB } }
        @{ Case = 'too many reserved pages'; Id = 'ReservedPagesOutOfRange'; Params = @{ ReservedPages = 524288 } }
        @{ Case = 'a CMA area that leaves no pageblock'; Id = 'CmaSizeTooLarge'; Params = @{ Size = 64MB } }
        @{ Case = 'zone sizes that do not add up'; Id = 'ZoneLayoutSizeMismatch'; Params = @{ ZoneLayout = @{ DMA = 1GB; Normal = 512MB } } }
        @{ Case = 'a zone arm64 4.14 lacks'; Id = 'ZoneNotPresent'; Params = @{ ZoneLayout = @{ DMA32 = 2GB } } }
        @{ Case = 'a zone name that is no zone'; Id = 'ZoneNotPresent'; Params = @{ ZoneLayout = @{ Highmem = 2GB } } }
        @{ Case = 'a zone size that is not a number'; Id = 'ZoneLayoutInvalid'; Params = @{ ZoneLayout = @{ DMA = 'lots' } } }
        @{ Case = 'a zone size not in pageblocks'; Id = 'ZoneSizeNotPageblockMultiple'; Params = @{ Size = 2GB; ZoneLayout = @{ DMA = 1GB + 4KB; Normal = 1GB - 4KB } } }
    ) {
        $keep = New-MemNode -Name nm-keep
        $before = Get-NodeCount
        { New-MemNode -Name nm-rejected @Params } | Should -Throw -ErrorId "$Id,*"
        Get-NodeCount | Should -Be $before
        Get-MemNode -Current | Should -Be $keep
        @(Get-MemNode -Name nm-rejected -ErrorAction SilentlyContinue).Count | Should -Be 0
    }

    It 'names the CMA size to use when the default CMA area does not fit a small node' {
        { New-MemNode -Name nm-small -Size 64MB } | Should -Throw -ExpectedMessage '*A CMA area of 16384 pages plus the boot reservation of 8992 pages leave less than one pageblock in zone DMA (16384 pages): give -CmaSize at most 24 MiB (0 for none) or a larger -Size.*'
        New-MemNode -Name nm-small -Size 64MB -CmaSize 24MB | Should -Not -BeNullOrEmpty
        { New-MemNode -Name nm-small2 -Size 256MB -CmaSize 248MB } | Should -Throw -ErrorId 'CmaSizeTooLarge,*'
    }

    It 'names the parameter, the value and the allowed range in the message' {
        $err = $null
        try { New-MemNode -Name nm-bad -PageSize 8192 } catch { $err = $_ }
        $err.Exception.Message | Should -Match '-PageSize 8192'
        $err.Exception.Message | Should -Match '4KB.*16KB.*64KB'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'rejects a name already in use with NodeNameInUse' {
        $n = New-MemNode -Name nm-dup
        $before = Get-NodeCount
        { New-MemNode -Name NM-DUP } | Should -Throw -ErrorId 'NodeNameInUse,*'
        Get-NodeCount | Should -Be $before
        Get-MemNode -Current | Should -Be $n
    }
}

Describe 'Get-MemNode' {
    BeforeAll {
        $a = New-MemNode -Name gm-alpha -Size 256MB -CmaSize 0
        $b = New-MemNode -Name gm-beta -Size 256MB -CmaSize 0
    }
    AfterAll { Remove-MemNode -Name 'gm-*' }

    It 'returns every node by default' {
        $all = @(Get-MemNode)
        $all | Should -Contain $a
        $all | Should -Contain $b
    }

    It 'selects by wildcard and ignores case' {
        @(Get-MemNode -Name 'GM-*').Count | Should -Be 2
        Get-MemNode gm-beta | Should -Be $b
    }

    It 'returns the current node with -Current' {
        Get-MemNode -Current | Should -Be $b
    }

    It 'writes NodeNotFound for a name without wildcards that matches nothing' {
        { Get-MemNode -Name gm-gamma -ErrorAction Stop } | Should -Throw -ErrorId 'NodeNotFound,*'
        @(Get-MemNode -Name 'gm-zz*').Count | Should -Be 0
    }
}

Describe 'Remove-MemNode' {
    It 'removes by name and falls back to the previous node as current' {
        $first = New-MemNode -Name rm-first -Size 256MB -CmaSize 0
        $second = New-MemNode -Name rm-second -Size 256MB -CmaSize 0
        Remove-MemNode -Name rm-second
        @(Get-MemNode -Name rm-second -ErrorAction SilentlyContinue).Count | Should -Be 0
        Get-MemNode -Current | Should -Be $first
        $first | Remove-MemNode
        @(Get-MemNode -Name 'rm-*').Count | Should -Be 0
    }

    It 'changes nothing with -WhatIf' {
        $n = New-MemNode -Name rm-whatif -Size 256MB -CmaSize 0
        Remove-MemNode -Name rm-whatif -WhatIf
        Get-MemNode -Name rm-whatif | Should -Be $n
        Remove-MemNode -Name rm-whatif
    }

    It 'writes NodeNotFound for an unknown name or a node removed already' {
        { Remove-MemNode -Name rm-none -ErrorAction Stop } | Should -Throw -ErrorId 'NodeNotFound,*'
        $n = New-MemNode -Name rm-twice -Size 256MB -CmaSize 0
        $n | Remove-MemNode
        $before = @(Get-MemNode).Count
        { $n | Remove-MemNode -ErrorAction Stop } | Should -Throw -ErrorId 'NodeNotFound,*'
        @(Get-MemNode).Count | Should -Be $before
    }
}

Describe 'Copy-MemNode' {
    BeforeAll { $src = New-MemNode -Name cp-src -Size 256MB -CmaSize 0 }
    AfterAll { Remove-MemNode -Name 'cp-*' }

    It 'makes an independent copy: allocating on the copy leaves the original alone' {
        $copy = $src | Copy-MemNode -Name cp-copy
        $copy.Name | Should -Be 'cp-copy'
        $copy.FreePages | Should -Be $src.FreePages
        $free = $src.FreePages
        New-PageAllocation -Order 4 -Gfp GFP_KERNEL -Node $copy | Out-Null
        $copy.FreePages | Should -Be ($free - 16)
        $src.FreePages | Should -Be $free
        Set-MemSysctl vm.swappiness 10 -Node $copy
        (Get-MemSysctl vm.swappiness -Node $src).Value | Should -Be '60'
        Test-MemNode -Node $copy -Quiet | Should -BeTrue
    }

    It 'keeps live allocations in the copy under the same handles' {
        $a = New-PageAllocation -Order 2 -Gfp GFP_KERNEL -Node $src
        $copy = Copy-MemNode -Node $src -Name cp-alloc
        $copy.Allocations.LiveCount | Should -Be $src.Allocations.LiveCount
        Remove-PageAllocation -Handle $a.Handle -Node $copy
        $copy.Allocations.LiveCount | Should -Be ($src.Allocations.LiveCount - 1)
        { Remove-PageAllocation -Handle $a.Handle -Node $copy -ErrorAction Stop } | Should -Throw -ErrorId 'AllocationNotLive,*'
        $a | Remove-PageAllocation
        Test-MemNode -Node $copy -Quiet | Should -BeTrue
        Test-MemNode -Node $src -Quiet | Should -BeTrue
    }

    It 'keeps the current node unless -SetCurrent' {
        Get-MemNode -Current | Should -Be $src
        $c2 = Copy-MemNode -Node $src -Name cp-second -SetCurrent
        Get-MemNode -Current | Should -Be $c2
    }

    It 'picks a unique default name' {
        $d1 = Copy-MemNode -Node $src
        $d2 = Copy-MemNode -Node $src
        $d1.Name | Should -Be 'cp-src-copy'
        $d2.Name | Should -Not -Be $d1.Name
    }

    It 'rejects a name in use with NodeNameInUse and copies nothing' {
        $before = @(Get-MemNode).Count
        { Copy-MemNode -Node $src -Name CP-SRC -ErrorAction Stop } | Should -Throw -ErrorId 'NodeNameInUse,*'
        @(Get-MemNode).Count | Should -Be $before
    }
}

Describe 'Test-MemNode' {
    BeforeAll { $n = New-MemNode -Name tm-node -Size 256MB -CmaSize 0 }
    AfterAll { Remove-MemNode -Name 'tm-*' }

    It 'passes a freshly booted node and one after allocations and frees' {
        $r = Test-MemNode -Node $n
        $r.Passed | Should -BeTrue
        $r.ViolationCount | Should -Be 0
        $r.Node | Should -Be $n
        New-PageAllocation -Order 2 -Gfp GFP_KERNEL -Count 20 -Node $n | Remove-PageAllocation
        Test-MemNode -Node $n -Quiet | Should -BeTrue
    }

    It 'reports a corrupted free count, as $false with -Quiet and InvariantViolated with -ThrowOnFailure' {
        $bad = Copy-MemNode -Node $n -Name tm-broken
        $zone = $bad.GetZone('DMA')
        $field = [MemMgmt.Core.Node.Zone].GetField('NrFreePages', [Reflection.BindingFlags]'NonPublic,Instance')
        $field.SetValue($zone, [long]($zone.FreePages + 1))
        $r = Test-MemNode -Node $bad
        $r.Passed | Should -BeFalse
        $r.ViolationCount | Should -BeGreaterThan 0
        Test-MemNode -Node $bad -Quiet | Should -BeFalse
        { Test-MemNode -Node $bad -ThrowOnFailure } | Should -Throw -ErrorId 'InvariantViolated,*'
        Test-MemNode -Node $n -Quiet | Should -BeTrue
    }

    It 'uses the current node without -Node and takes nodes from the pipeline' {
        (Test-MemNode).Node | Should -Be (Get-MemNode -Current)
        @(Get-MemNode -Name 'tm-node' | Test-MemNode).Count | Should -Be 1
    }
}
