# Scenario tests for New-PageAllocation and Remove-PageAllocation.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)
    # 256 MiB without CMA: managed 65536 - 9760 reserved = 55776 pages; pcp batch 15, high 90.
    function New-SmallNode([string]$Name) { New-MemNode -Name $Name -Size 256MB -CmaSize 0 }
}

# Removes every node this file made, whatever its tests did, so files share a runspace in any order.
AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

Describe 'New-PageAllocation' {
    BeforeEach { $n = New-SmallNode 'pa-node'; $dma = $n.GetZone('DMA') }
    AfterEach { Remove-MemNode -Name 'pa-*' }

    It 'starts from a 256 MiB node with the kernel pcp sizing' {
        $dma.ManagedPages | Should -Be 55776
        $dma.FreePages | Should -Be 55776
        $dma.GetPageset(0).Batch | Should -Be 15
        $dma.GetPageset(0).High | Should -Be 90
    }

    It 'serves order 0 from the pcp list, refilled with one batch from the buddy lists' {
        $a = New-PageAllocation -Order 0 -Gfp GFP_KERNEL
        $a.Source | Should -Be 'PcpList'
        $a.Order | Should -Be 0
        $a.Zone | Should -Be 'DMA'
        $a.MigrateType | Should -Be 'Unmovable'
        $a.Owner | Should -Be 'Kernel'
        $a.Node | Should -Be $n
        $dma.GetPageset(0).Count | Should -Be 14
        $dma.FreePages | Should -Be (55776 - 15)
        $a.PfnHex | Should -Be ('{0:x}' -f $a.Pfn)
    }

    It 'claims a movable pageblock for the first unmovable order-3 request, then takes the buddy lists' {
        $first = New-PageAllocation -Order 3 -Gfp GFP_KERNEL
        $first.Source | Should -Be 'Fallback'
        $first.BlockMigrateType | Should -Be 'Unmovable'
        ($first.Pfn % 8) | Should -Be 0
        $second = New-PageAllocation -Order 3 -Gfp GFP_KERNEL
        $second.Source | Should -Be 'Buddy'
        $dma.FreePages | Should -Be (55776 - 16)
        (Get-Pageblock -Pfn $first.Pfn).MigrateType | Should -Be 'Unmovable'
    }

    It 'gives movable requests anon pages from Movable blocks' {
        $a = New-PageAllocation 2 GFP_HIGHUSER_MOVABLE -Cpu 1
        $a.MigrateType | Should -Be 'Movable'
        $a.BlockMigrateType | Should -Be 'Movable'
        $a.Owner | Should -Be 'Anon'
        $a.Cpu | Should -Be 1
        $a.Source | Should -Be 'Buddy'
    }

    It 'honours -Owner and -Count with distinct live handles' {
        $all = @(New-PageAllocation -Order 1 -Gfp 'GFP_KERNEL,__GFP_RECLAIMABLE' -Count 5 -Owner SlabReclaimable)
        $all.Count | Should -Be 5
        @($all | Where-Object Owner -EQ 'SlabReclaimable').Count | Should -Be 5
        @($all | Where-Object MigrateType -EQ 'Reclaimable').Count | Should -Be 5
        [Linq.Enumerable]::Count([Linq.Enumerable]::Distinct([long[]]@($all.Handle))) | Should -Be 5
        $n.Allocations.LiveCount | Should -Be 5
    }

    It 'rejects <Case> with <Id> before allocating anything' -ForEach @(
        @{ Case = 'order MAX_ORDER'; Id = 'OrderOutOfRange'; Params = @{ Order = 11 } }
        @{ Case = 'a negative order'; Id = 'OrderOutOfRange'; Params = @{ Order = -1 } }
        @{ Case = 'count 0'; Id = 'CountOutOfRange'; Params = @{ Order = 0; Count = 0 } }
        @{ Case = 'a negative count'; Id = 'CountOutOfRange'; Params = @{ Order = 0; Count = -3 } }
        @{ Case = 'a CPU the node lacks'; Id = 'CpuOutOfRange'; Params = @{ Order = 0; Cpu = 2 } }
        @{ Case = 'a negative CPU'; Id = 'CpuOutOfRange'; Params = @{ Order = 0; Cpu = -1 } }
        @{ Case = 'owner None'; Id = 'OwnerInvalid'; Params = @{ Order = 0; Owner = 'None' } }
    ) {
        { New-PageAllocation -Node $n @Params } | Should -Throw -ErrorId "$Id,*"
        $dma.FreePages | Should -Be 55776
        $dma.GetPageset(0).Count | Should -Be 0
        $n.Allocations.LiveCount | Should -Be 0
    }

    It 'names the allowed order range in the message' {
        $err = $null
        try { New-PageAllocation -Node $n -Order 12 } catch { $err = $_ }
        $err.Exception.Message | Should -Match 'Order 12'
        $err.Exception.Message | Should -Match '0 to 10'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'reports a fast-path failure as AllocationFailed (ResourceUnavailable) and stops' {
        $errs = $null
        $got = @(New-PageAllocation -Order 10 -Gfp GFP_KERNEL -Count 1000 -ErrorVariable errs -ErrorAction SilentlyContinue)
        # 55776 free pages; order 10 fails once free - 1023 <= the low watermark (3441): 51 blocks fit.
        $dma.WatermarkLow | Should -Be 3441
        $got.Count | Should -Be 51
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'AllocationFailed,*'
        $errs[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        # The slow path gives up on a costly order without __GFP_RETRY_MAYFAIL after async and sync-light compaction.
        $errs[0].Exception.Message | Should -Match 'slow path: costly order 10 without __GFP_RETRY_MAYFAIL'
        $errs[0].Exception.Message | Should -Match '51 of 1000'
        { New-PageAllocation -Order 10 -Gfp GFP_KERNEL -ErrorAction Stop } | Should -Throw -ErrorId 'AllocationFailed,*'
        $n.Allocations.LiveCount | Should -Be 51
        Test-MemNode -Quiet | Should -BeTrue
    }

    It 'takes the node from the pipeline' {
        $other = New-SmallNode 'pa-other'
        $a = $n | New-PageAllocation -Order 0
        $a.Node | Should -Be $n
        $other.Allocations.LiveCount | Should -Be 0
    }
}

Describe 'Remove-PageAllocation' {
    BeforeEach { $n = New-SmallNode 'rp-node'; $dma = $n.GetZone('DMA') }
    AfterEach { Remove-MemNode -Name 'rp-*' }

    It 'frees from the pipeline and merges back to the boot state' {
        $bootOrder10 = $dma.GetNrFree(10)
        $a = New-PageAllocation -Order 3 -Gfp GFP_KERNEL -Count 4
        $dma.GetNrFree(10) | Should -Be ($bootOrder10 - 1)
        $dma.FreePages | Should -Be (55776 - 32)
        $a | Remove-PageAllocation
        $dma.FreePages | Should -Be 55776
        $n.Allocations.LiveCount | Should -Be 0
        $dma.GetNrFree(10) | Should -Be $bootOrder10
        Test-MemNode -Node $n -Quiet | Should -BeTrue
    }

    It 'puts freed order-0 pages on the CPU pcp list' {
        $a = New-PageAllocation -Order 0 -Gfp GFP_KERNEL
        $dma.GetPageset(1).Count | Should -Be 0
        $a | Remove-PageAllocation -Cpu 1
        $dma.GetPageset(1).Count | Should -Be 1
        $dma.GetPageset(0).Count | Should -Be 14
    }

    It 'rejects a second free with AllocationNotLive and changes nothing' {
        $a = New-PageAllocation -Order 2 -Gfp GFP_KERNEL
        $a | Remove-PageAllocation
        $free = $dma.FreePages
        { $a | Remove-PageAllocation -ErrorAction Stop } | Should -Throw -ErrorId 'AllocationNotLive,*'
        $dma.FreePages | Should -Be $free
        Test-MemNode -Node $n -Quiet | Should -BeTrue
    }

    It 'rejects an allocation passed with another node as AllocationNodeMismatch' {
        $other = New-SmallNode 'rp-other'
        $a = New-PageAllocation -Node $n -Order 1
        $free = $dma.FreePages
        { Remove-PageAllocation -InputObject $a -Node $other -ErrorAction Stop } | Should -Throw -ErrorId 'AllocationNodeMismatch,*'
        $dma.FreePages | Should -Be $free
        $n.Allocations.LiveCount | Should -Be 1
        Remove-PageAllocation -InputObject $a -Node $n
        $n.Allocations.LiveCount | Should -Be 0
    }

    It 'frees by property name (Handle and Node)' {
        $a = New-PageAllocation -Node $n -Order 4
        [pscustomobject]@{ Handle = $a.Handle; Node = $n } | Remove-PageAllocation
        $n.Allocations.LiveCount | Should -Be 0
        $dma.FreePages | Should -Be 55776
    }

    It 'rejects a handle the node never gave out' {
        { Remove-PageAllocation -Handle 0x7700000042 -Node $n -ErrorAction Stop } | Should -Throw -ErrorId 'AllocationNotLive,*'
        $dma.FreePages | Should -Be 55776
    }

    It 'rejects a CPU out of range with CpuOutOfRange and keeps the allocation' {
        $a = New-PageAllocation -Node $n -Order 0
        { $a | Remove-PageAllocation -Cpu 9 -ErrorAction Stop } | Should -Throw -ErrorId 'CpuOutOfRange,*'
        $n.Allocations.LiveCount | Should -Be 1
    }

    It 'changes nothing with -WhatIf' {
        $a = New-PageAllocation -Node $n -Order 5
        $free = $dma.FreePages
        $a | Remove-PageAllocation -WhatIf
        $dma.FreePages | Should -Be $free
        $n.Allocations.LiveCount | Should -Be 1
        $a | Remove-PageAllocation
        $n.Allocations.LiveCount | Should -Be 0
    }
}
