# Tab completion of the issue-2 cmdlets' arguments (argument completers and enums).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)
    function Get-Completion([string]$line) { @((TabExpansion2 $line $line.Length).CompletionMatches | ForEach-Object { $_.CompletionText }) }
}

# Removes every node this file made, whatever its tests did, so files share a runspace in any order.
AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

Describe 'Argument completion' {
    AfterEach { Remove-MemNode -Name 'completion-*' }

    It 'completes -Profile from the known profiles' {
        $c = Get-Completion 'New-MemNode -Profile qemu'
        $c | Should -Contain 'qemu-virt-2g'
        $c | Should -Contain 'qemu-virt-4g'
        $c | Should -Not -Contain 'a53-1g-nocma'
    }

    It 'completes -PageSize with the arm64 page sizes' {
        (Get-Completion 'New-MemNode -PageSize ') -join ',' | Should -Be '4KB,16KB,64KB'
    }

    It 'completes sysctl names with and without the vm. prefix, those the node''s kernel has' {
        $null = New-MemNode -Name completion-sy414 -Size 256MB -CmaSize 0
        Get-Completion 'Get-MemSysctl vm.min' | Should -Be 'vm.min_free_kbytes'
        Get-Completion 'Set-MemSysctl watermark' | Should -Be 'vm.watermark_scale_factor'
        $null = New-MemNode -Name completion-sy61 -Kernel 6.1 -Size 256MB -CmaSize 0
        (Get-Completion 'Set-MemSysctl watermark') -join ',' | Should -Be 'vm.watermark_scale_factor,vm.watermark_boost_factor'
        (Get-Completion 'Set-MemSysctl -Node completion-sy414 -Name vm.percpu') -join ',' | Should -Be 'vm.percpu_pagelist_fraction'
        (Get-Completion 'Set-MemSysctl -Node completion-sy61 -Name vm.percpu') -join ',' | Should -Be 'vm.percpu_pagelist_high_fraction'
    }

    It 'completes GFP flags and migrate types from the enums' {
        Get-Completion 'New-PageAllocation -Gfp GFP_HIGHUSER' | Should -Contain 'GFP_HIGHUSER_MOVABLE'
        Get-Completion 'Get-Pageblock -MigrateType Rec' | Should -Be 'Reclaimable'
    }

    It 'completes -Zone with the zones of the node''s kernel profile (no DMA32 on 4.14 arm64)' {
        $null = New-MemNode -Name completion-61 -Kernel 6.1 -Size 256MB -CmaSize 0
        $null = New-MemNode -Name completion-414 -Size 256MB -CmaSize 0
        (Get-Completion 'Invoke-Kswapd -Zone ') -join ',' | Should -Be 'DMA,Normal,Movable'
        (Get-Completion 'Get-ZoneInfo -Zone ') -join ',' | Should -Be 'DMA,Normal,Movable'
        (Get-Completion 'Get-Pageblock -Node completion-61 -Zone ') -join ',' | Should -Be 'DMA,DMA32,Normal,Movable'
        Get-Completion 'Invoke-Compaction -Zone m' | Should -Be 'Movable'
        Get-Completion 'Invoke-Kcompactd -Node completion-61 -Zone dma3' | Should -Be 'DMA32'
    }

    It 'completes node names of the session' {
        $null = New-MemNode -Name completion-node -Size 256MB -CmaSize 0
        Get-Completion 'Get-MemNode completion-' | Should -Be 'completion-node'
        Remove-MemNode completion-node
        @(Get-Completion 'Get-MemNode completion-').Count | Should -Be 0
    }
}
