# Scenario tests for Get-Pageblock.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)
    # Only Microsoft.PowerShell.Core cmdlets are available in the hosted engine (no Measure-Object).
    function Measure-Sum { $sum = 0L; foreach ($x in $input) { $sum += $x }; $sum }
}

# Removes every node this file made, whatever its tests did, so files share a runspace in any order.
AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

Describe 'Get-Pageblock' {
    BeforeEach {
        # 256 MiB at pfn 0x40000: 128 pageblocks of 512 pages; 9760 reserved pages at the start of RAM.
        $n = New-MemNode -Name pb-node -Size 256MB -CmaSize 0
    }
    AfterEach { Remove-MemNode -Name 'pb-*' }

    It 'returns one block per pageblock whose pages add up' {
        $blocks = @(Get-Pageblock)
        $blocks.Count | Should -Be 128
        $blocks[0].StartPfn | Should -Be 0x40000
        $blocks[1].StartPfn | Should -Be (0x40000 + 512)
        $blocks[127].EndPfn | Should -Be (0x40000 + 65536)
        ($blocks | ForEach-Object { $_.FreePages } | Measure-Sum) | Should -Be 55776
        ($blocks | ForEach-Object { $_.ReservedPages } | Measure-Sum) | Should -Be 9760
        @($blocks | Where-Object { $_.FreePages + $_.ReservedPages + $_.PcpPages + $_.UsedPages -ne 512 }).Count | Should -Be 0
        @($blocks | Where-Object Zone -NE 'DMA').Count | Should -Be 0
    }

    It 'shows boot pageblocks as Movable, as memmap_init_zone marks them' {
        @(Get-Pageblock -MigrateType Movable).Count | Should -Be 128
        @(Get-Pageblock -MigrateType Unmovable).Count | Should -Be 0
    }

    It 'shows the block an unmovable fallback claimed, and the allocation inside it' {
        $a = New-PageAllocation -Order 3 -Gfp GFP_KERNEL
        $b = Get-Pageblock -Pfn ($a.Pfn + 5)
        $b.StartPfn | Should -Be ($a.Pfn - ($a.Pfn - 0x40000) % 512)
        $b.MigrateType | Should -Be 'Unmovable'
        $b.KernelPages | Should -Be 8
        $b.UsedPages | Should -Be 8
        # The order-10 block the request split covered two pageblocks; 4.14 retypes both.
        @(Get-Pageblock -MigrateType Unmovable).Count | Should -Be 2
        @(Get-Pageblock -MigrateType Movable).Count | Should -Be 126
    }

    It 'counts anon and pcp pages by owner' {
        $a = New-PageAllocation -Order 0 -Gfp GFP_HIGHUSER_MOVABLE
        $b = Get-Pageblock -Pfn $a.Pfn
        $b.AnonPages | Should -Be 1
        # The pcp refill took one batch (15 pages) from the same order-10 block; one page is in use.
        ((Get-Pageblock -MigrateType Movable | ForEach-Object { $_.PcpPages }) | Measure-Sum) | Should -Be 14
    }

    It 'filters by zone and skip bit' {
        @(Get-Pageblock -Zone DMA).Count | Should -Be 128
        @(Get-Pageblock -Zone Normal).Count | Should -Be 0
        @(Get-Pageblock -Skip).Count | Should -Be 0
        @(Get-Pageblock -Skip:$false).Count | Should -Be 128
    }

    It 'rejects a pfn outside the node with PfnOutOfRange before writing anything' {
        $seen = [System.Collections.Generic.List[object]]::new()
        { Get-Pageblock -Pfn 0x40000, 0x10 | ForEach-Object { $seen.Add($_) } } | Should -Throw -ErrorId 'PfnOutOfRange,*'
        $seen.Count | Should -Be 0
        { Get-Pageblock -Pfn (0x40000 + 65536) } | Should -Throw -ErrorId 'PfnOutOfRange,*'
    }

    It 'rejects a zone the kernel profile lacks with ZoneNotPresent' {
        { Get-Pageblock -Zone DMA32 } | Should -Throw -ErrorId 'ZoneNotPresent,*'
    }

    It 'works on a node from the pipeline and carries it in every block' {
        $other = New-MemNode -Name pb-other -Size 512MB -CmaSize 0
        $blocks = @($other | Get-Pageblock)
        $blocks.Count | Should -Be 256
        @($blocks | Where-Object { $_.Node -ne $other }).Count | Should -Be 0
    }
}
