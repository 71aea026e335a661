# Scenario tests for Get-MemSysctl and Set-MemSysctl.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)
}

# Removes every node this file made, whatever its tests did, so files share a runspace in any order.
AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

Describe 'Get-MemSysctl' {
    BeforeAll { $n = New-MemNode -Name sy-get }
    AfterAll { Remove-MemNode -Name 'sy-*' }

    It 'lists every simulated vm sysctl with the vm. prefix and the boot values of the QEMU capture' {
        $all = @(Get-MemSysctl -Node $n)
        # Fourteen knobs plus the compact_memory trigger (compaction), drop_caches (reclaim) and nr_hugepages (hugetlb);
        # 4.14 has no compaction_proactiveness.
        $all.Count | Should -Be 17
        ($all | Where-Object Name -EQ 'vm.nr_hugepages').Value | Should -Be '0'
        ($all | Where-Object Name -EQ 'vm.drop_caches').Value | Should -Be '0'
        @($all | Where-Object { $_.Name -notlike 'vm.*' }).Count | Should -Be 0
        ($all | Where-Object Name -EQ 'vm.min_free_kbytes').Value | Should -Be '22528'
        ($all | Where-Object Name -EQ 'vm.watermark_scale_factor').Value | Should -Be '10'
        ($all | Where-Object Name -EQ 'vm.extfrag_threshold').Value | Should -Be '500'
        ($all | Where-Object Name -EQ 'vm.swappiness').Value | Should -Be '60'
        ($all | Where-Object Name -EQ 'vm.swappiness').Node | Should -Be $n
    }

    It 'accepts vm.name, name and /proc/sys/vm/name' {
        (Get-MemSysctl vm.swappiness).Name | Should -Be 'vm.swappiness'
        (Get-MemSysctl swappiness).Name | Should -Be 'vm.swappiness'
        (Get-MemSysctl /proc/sys/vm/swappiness).Value | Should -Be '60'
    }

    It 'selects with wildcards' {
        $d = @(Get-MemSysctl -Name '*dirty*')
        $d.Count | Should -Be 6
        @(Get-MemSysctl 'vm.w*').Name | Should -Be 'vm.watermark_scale_factor'
        @(Get-MemSysctl 'nothing*').Count | Should -Be 0
    }

    It 'writes UnknownSysctl (ObjectNotFound) for a name that is not simulated' {
        { Get-MemSysctl vm.overcommit_memory -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownSysctl,*'
        $errs = $null
        $ok = @(Get-MemSysctl vm.nope, vm.swappiness -ErrorVariable errs -ErrorAction SilentlyContinue)
        $ok.Count | Should -Be 1
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}

Describe 'Set-MemSysctl' {
    BeforeEach {
        $n = New-MemNode -Name sy-set
        $dma = $n.GetZone('DMA')
    }
    AfterEach { Remove-MemNode -Name 'sy-*' }

    It 'recomputes the watermarks from min_free_kbytes (positional form)' {
        $dma.WatermarkMin | Should -Be 5632
        Set-MemSysctl vm.min_free_kbytes 8192
        (Get-MemSysctl vm.min_free_kbytes).Value | Should -Be '8192'
        # pages_min = 8192 KiB / 4 = 2048; delta = max(2048/4, 507360*10/10000) = 512.
        $dma.WatermarkMin | Should -Be 2048
        $dma.WatermarkLow | Should -Be 2560
        $dma.WatermarkHigh | Should -Be 3072
    }

    It 'spreads low and high with watermark_scale_factor and returns the entry with -PassThru' {
        Set-MemSysctl vm.min_free_kbytes 8192
        $r = Set-MemSysctl -Name watermark_scale_factor -Value 200 -PassThru
        $r.Name | Should -Be 'vm.watermark_scale_factor'
        $r.Value | Should -Be '200'
        $r.Node | Should -Be $n
        # delta = max(512, 507360*200/10000 = 10147).
        $dma.WatermarkLow | Should -Be (2048 + 10147)
        $dma.WatermarkHigh | Should -Be (2048 + 2 * 10147)
    }

    It 'writes vector sysctls from an array' {
        Set-MemSysctl vm.lowmem_reserve_ratio 128, 16
        (Get-MemSysctl vm.lowmem_reserve_ratio).Value | Should -Be "128`t16"
    }

    It 'rejects <Case> with <Id> and keeps the old value and watermarks' -ForEach @(
        @{ Case = 'swappiness 101'; Id = 'SysctlValueOutOfRange'; Name = 'vm.swappiness'; Value = 101 }
        @{ Case = 'a negative min_free_kbytes'; Id = 'SysctlValueOutOfRange'; Name = 'vm.min_free_kbytes'; Value = -1 }
        @{ Case = 'watermark_scale_factor 0'; Id = 'SysctlValueOutOfRange'; Name = 'vm.watermark_scale_factor'; Value = 0 }
        @{ Case = 'watermark_scale_factor 1001'; Id = 'SysctlValueOutOfRange'; Name = 'vm.watermark_scale_factor'; Value = 1001 }
        @{ Case = 'percpu_pagelist_fraction 7'; Id = 'SysctlValueOutOfRange'; Name = 'vm.percpu_pagelist_fraction'; Value = 7 }
        @{ Case = 'a word'; Id = 'SysctlValueInvalid'; Name = 'vm.min_free_kbytes'; Value = 'lots' }
        @{ Case = 'two values for a scalar'; Id = 'SysctlValueInvalid'; Name = 'vm.swappiness'; Value = @(1, 2) }
        @{ Case = 'too many ratios'; Id = 'SysctlValueInvalid'; Name = 'vm.lowmem_reserve_ratio'; Value = @(1, 2, 3, 4) }
        @{ Case = 'an unknown name'; Id = 'UnknownSysctl'; Name = 'vm.laptop_mode'; Value = 3 }
    ) {
        $before = @(Get-MemSysctl -Node $n | ForEach-Object { "$($_.Name)=$($_.Value)" }) -join ';'
        $marks = "$($dma.WatermarkMin)/$($dma.WatermarkLow)/$($dma.WatermarkHigh)"
        { Set-MemSysctl -Node $n -Name $Name -Value $Value -ErrorAction Stop } | Should -Throw -ErrorId "$Id,*"
        (@(Get-MemSysctl -Node $n | ForEach-Object { "$($_.Name)=$($_.Value)" }) -join ';') | Should -Be $before
        "$($dma.WatermarkMin)/$($dma.WatermarkLow)/$($dma.WatermarkHigh)" | Should -Be $marks
    }

    It 'runs the writing task on -Cpu: its direct compactions are traced on that CPU' {
        $frag = New-MemNode -Kernel 6.1 -Name sy-cpu
        Add-Pressure -Node $frag -Pattern Frag -Parity Odd | Out-Null
        Clear-MemTrace -Node $frag
        Set-MemSysctl vm.nr_hugepages 150 -Node $frag -Cpu 1
        $own = @(Get-MemTrace -Node $frag -Event 'mm_compaction_begin' | Where-Object Task -NE 'kcompactd0')
        $own.Count | Should -BeGreaterThan 0
        @($own.Cpu | Sort-Object -Unique) | Should -Be @(1)
        (Get-MemTrace -Node $frag -Raw -Event 'mm_compaction_begin' | Where-Object { $_ -like '*memsh-*' } | Select-Object -First 1) | Should -Match '^ +memsh-\d+ +\[001\] '
    }

    It 'rejects a -Cpu the node does not have with CpuOutOfRange and allocates nothing' {
        $err = { Set-MemSysctl vm.nr_hugepages 10 -Node $n -Cpu 2 -ErrorAction Stop } | Should -Throw -ErrorId 'CpuOutOfRange,*' -PassThru
        $err.Exception.Message | Should -BeLike '*CPUs 0 to 1*'
        (Get-MemSysctl vm.nr_hugepages -Node $n).Value | Should -Be '0'
        (Get-MemInfo HugePages_Total -Node $n).Value | Should -Be 0
    }

    It 'names the sysctl, the value and the range in the message' {
        $err = $null
        try { Set-MemSysctl vm.swappiness 101 -ErrorAction Stop } catch { $err = $_ }
        $err.Exception.Message | Should -Match 'vm.swappiness'
        $err.Exception.Message | Should -Match '101'
        $err.Exception.Message | Should -Match '0 to 100'
    }

    It 'changes nothing with -WhatIf' {
        Set-MemSysctl vm.min_free_kbytes 65536 -WhatIf
        (Get-MemSysctl vm.min_free_kbytes).Value | Should -Be '22528'
        $dma.WatermarkMin | Should -Be 5632
    }

    It 'only changes the node it is given' {
        $other = New-MemNode -Name sy-other
        Set-MemSysctl vm.swappiness 10 -Node $other
        (Get-MemSysctl vm.swappiness -Node $other).Value | Should -Be '10'
        (Get-MemSysctl vm.swappiness -Node $n).Value | Should -Be '60'
    }
}
