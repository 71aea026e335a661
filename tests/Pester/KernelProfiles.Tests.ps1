# Kernel profiles (New-MemNode -Kernel), the profile's own sysctls, and the hugetlb pool behind vm.nr_hugepages.

BeforeAll { Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) -Force }

Describe 'New-MemNode -Kernel' {
    AfterEach { Get-MemNode | Remove-MemNode -Confirm:$false }

    It 'defaults to 4.14 and builds a 6.1 node on request, which Get-MemNode and Copy-MemNode keep' {
        (New-MemNode -Name k414).Kernel.Version | Should -Be '4.14'
        $n = New-MemNode -Kernel 6.1 -Name k61
        $n.Kernel.Version | Should -Be '6.1'
        (Get-MemNode k61).Kernel.Version | Should -Be '6.1'
        (Copy-MemNode -Node $n -Name k61copy).Kernel.Version | Should -Be '6.1'
        # 6.1 has ZONE_DMA32 (empty on a 2 GiB QEMU guest, whose RAM is all in DMA); 4.14 arm64 has none.
        ($n.Zones | ForEach-Object { "$($_.Type)" }) -join ',' | Should -Be 'DMA,DMA32,Normal,Movable'
    }

    It 'rejects an unknown kernel naming the profiles there are, and makes no node' {
        $err = { New-MemNode -Kernel 5.4 -Name bad } | Should -Throw -ErrorId '*UnknownKernelVersion*' -PassThru
        $err.Exception.Message | Should -BeLike '*5.4*4.14, 6.1*'
        Get-MemNode -Name bad -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe '/proc texts of the 6.1 profile' {
    BeforeAll {
        $boot = [System.IO.Path]::Combine($PSScriptRoot, '..', 'captures', 'arm64-6.1-qemu', 'odd', 'boot')
        # A line without its value and the padding that right-aligns it: what the layout fixes.
        function Get-Shape([string[]]$Lines) { $Lines | ForEach-Object { $_ -replace ' +\d+( kB)?$', ' #$1' } }
        function Get-CaptureLines([string]$File) { [System.IO.File]::ReadAllText([System.IO.Path]::Combine($boot, $File)).TrimEnd("`n") -split "`n" }
    }
    AfterEach { Get-MemNode | Remove-MemNode -Confirm:$false }

    It 'prints zoneinfo, vmstat and meminfo with -Raw line for line in the layout of the real 6.1 kernel' {
        New-MemNode -Kernel 6.1 -Booted | Out-Null
        Get-Shape (Get-ZoneInfo -Raw) | Should -Be (Get-Shape (Get-CaptureLines zoneinfo.txt))
        Get-Shape (Get-VmStat -Raw) | Should -Be (Get-Shape (Get-CaptureLines vmstat.txt))
        Get-Shape (Get-MemInfo -Raw) | Should -Be (Get-Shape (Get-CaptureLines meminfo.txt))
        (Get-MemInfo MemTotal).Value | Should -Be 2029440
        (Get-MemInfo VmallocTotal).Value | Should -Be 133143592960
    }

    It 'keeps the 4.14 layouts on a 4.14 node' {
        New-MemNode | Out-Null
        (Get-ZoneInfo -Raw) -match '^        (boost|cma) ' | Should -BeNullOrEmpty
        (Get-VmStat -Raw) -match '^workingset_refault ' | Should -HaveCount 1
        (Get-VmStat -Raw) -match '^(pgscan_file|nr_swapcached|nr_unstable) ' | Should -Be 'nr_unstable 0'
        (Get-MemInfo).Name | Should -Not -Contain 'Hugetlb'
    }
}

Describe 'sysctls a profile lacks' {
    AfterEach { Get-MemNode | Remove-MemNode -Confirm:$false }

    It 'has vm.compaction_proactiveness on 6.1 (default 20, 0 to 100) and not on 4.14' {
        New-MemNode -Kernel 6.1 | Out-Null
        (Get-MemSysctl vm.compaction_proactiveness).Value | Should -Be '20'
        (Set-MemSysctl vm.compaction_proactiveness 0 -PassThru).Value | Should -Be '0'
        { Set-MemSysctl vm.compaction_proactiveness 101 -ErrorAction Stop } | Should -Throw -ErrorId '*SysctlValueOutOfRange*'
        New-MemNode | Out-Null
        (Get-MemSysctl vm.*).Name | Should -Not -Contain 'vm.compaction_proactiveness'
        $err = { Set-MemSysctl vm.compaction_proactiveness 10 -ErrorAction Stop } | Should -Throw -ErrorId '*SysctlNotInKernel*' -PassThru
        $err.Exception.Message | Should -BeLike '*4.14*6.1*'
        { Get-MemSysctl vm.compaction_proactiveness -ErrorAction Stop } | Should -Throw -ErrorId '*SysctlNotInKernel*'
    }

    It 'has vm.watermark_boost_factor on 6.1 (default 15000, 0 turns boosting off) and not on 4.14' {
        New-MemNode -Kernel 6.1 -Name wb61 | Out-Null
        (Get-MemSysctl vm.watermark_boost_factor).Value | Should -Be '15000'
        (Set-MemSysctl vm.watermark_boost_factor 0 -PassThru).Value | Should -Be '0'
        (Set-MemSysctl vm.watermark_boost_factor 30000 -PassThru).Value | Should -Be '30000'
        $err = { Set-MemSysctl vm.watermark_boost_factor -1 -ErrorAction Stop } | Should -Throw -ErrorId '*SysctlValueOutOfRange*' -PassThru
        $err.Exception.Message | Should -BeLike '*vm.watermark_boost_factor must be an integer from 0 to 2147483647*-1 is out of range*'
        $err = { Set-MemSysctl vm.watermark_boost_factor many -ErrorAction Stop } | Should -Throw -ErrorId '*SysctlValueInvalid*' -PassThru
        $err.Exception.Message | Should -BeLike "*'many' is not an integer*"
        (Get-MemSysctl vm.watermark_boost_factor).Value | Should -Be '30000'
        New-MemNode -Name wb414 | Out-Null
        (Get-MemSysctl vm.*).Name | Should -Not -Contain 'vm.watermark_boost_factor'
        $err = { Set-MemSysctl vm.watermark_boost_factor 0 -ErrorAction Stop } | Should -Throw -ErrorId '*SysctlNotInKernel*' -PassThru
        $err.Exception.Message | Should -BeLike '*wb414*kernel 4.14 has no such sysctl; it exists in kernel 6.1*'
    }

    It 'has vm.percpu_pagelist_high_fraction on 6.1 and vm.percpu_pagelist_fraction on 4.14 only' {
        $n = New-MemNode -Kernel 6.1
        ((Get-ZoneInfo -Node $n | Where-Object Zone -EQ DMA).Pagesets | ForEach-Object { "$($_.High)/$($_.Batch)" }) -join ',' |
            Should -Be '3520/63,3520/63'
        Set-MemSysctl vm.percpu_pagelist_high_fraction 8
        (Get-ZoneInfo -Node $n | Where-Object Zone -EQ DMA).Pagesets[0].High | Should -Be 31710
        { Set-MemSysctl vm.percpu_pagelist_high_fraction 7 -ErrorAction Stop } | Should -Throw -ErrorId '*SysctlValueOutOfRange*'
        { Set-MemSysctl vm.percpu_pagelist_fraction 8 -ErrorAction Stop } | Should -Throw -ErrorId '*SysctlNotInKernel*'
        New-MemNode | Out-Null
        (Get-ZoneInfo | Where-Object Zone -EQ DMA).Pagesets[0].High | Should -Be 186
        { Set-MemSysctl vm.percpu_pagelist_high_fraction 8 -ErrorAction Stop } | Should -Throw -ErrorId '*SysctlNotInKernel*'
        (Set-MemSysctl vm.percpu_pagelist_fraction 8 -PassThru).Value | Should -Be '8'
    }
}

Describe 'vm.nr_hugepages' {
    AfterEach { Get-MemNode | Remove-MemNode -Confirm:$false }

    It 'allocates 2 MiB pages into the pool and a smaller number frees them' {
        New-MemNode | Out-Null
        $free0 = (Get-MemInfo MemFree).Value
        (Set-MemSysctl vm.nr_hugepages 10 -PassThru).Value | Should -Be '10'
        (Get-MemInfo HugePages_Total).Value | Should -Be 10
        (Get-MemInfo HugePages_Free).Value | Should -Be 10
        (Get-MemInfo Hugepagesize).Value | Should -Be 2048
        $free0 - (Get-MemInfo MemFree).Value | Should -Be (10 * 2048)
        (Get-VmStat htlb_buddy_alloc_success).Value | Should -Be 10
        Set-MemSysctl vm.nr_hugepages 4
        (Get-MemInfo HugePages_Total).Value | Should -Be 4
        Set-MemSysctl vm.nr_hugepages 0
        (Get-MemInfo MemFree).Value | Should -Be $free0
        (Test-MemNode).Violations | Should -BeNullOrEmpty
    }

    It 'accepts a count beyond memory and keeps what it got before the first failed allocation' {
        New-MemNode -Size 256MB -CmaSize 0 | Out-Null
        (Set-MemSysctl vm.nr_hugepages 100000 -PassThru).Value | Should -BeLessThan 128
        $got = (Get-MemInfo HugePages_Total).Value
        $got | Should -BeGreaterThan 50
        (Get-MemSysctl vm.nr_hugepages).Value | Should -Be "$got"
        (Get-VmStat htlb_buddy_alloc_fail).Value | Should -Be 1
    }

    It 'does not exist on a node without hugetlb' {
        New-MemNode -HugeTlb:$false | Out-Null
        { Set-MemSysctl vm.nr_hugepages 1 -ErrorAction Stop } | Should -Throw -ErrorId '*SysctlNotInKernel*'
    }
}

Describe 'Add-Pressure -Parity and the harness workload' {
    AfterEach { Get-MemNode | Remove-MemNode -Confirm:$false }

    It 'rejects -Parity with a pattern that frees no every-other pages, and -Size with Frag' {
        New-MemNode -Size 256MB | Out-Null
        { Add-Pressure -Pattern RandomHalf -Parity Even } | Should -Throw -ErrorId '*ContradictoryPatternOptions*'
        { Add-Pressure -Pattern Frag -Size 64MB } | Should -Throw -ErrorId '*ContradictoryPatternOptions*'
        (Get-MemInfo MemFree).Value | Should -BeGreaterThan (200 * 1024)
    }

    It 'runs the harness workload: anon, shmem, slab, page tables and pipe pages, then half of each chunk freed' {
        New-MemNode -Size 512MB | Out-Null
        $r = Add-Pressure -Pattern Frag -Parity Odd
        $r.Failures | Should -Be 0
        (Get-MemInfo Shmem).Value | Should -BeGreaterThan 0
        (Get-MemInfo SReclaimable).Value | Should -BeGreaterThan 0
        (Get-MemInfo SUnreclaim).Value | Should -BeGreaterThan 0
        (Get-MemInfo PageTables).Value | Should -BeGreaterThan 0
        $anonKb = (Get-MemInfo AnonPages).Value
        $r.PagesFreed * 4 | Should -Be $anonKb
        (Test-MemNode).Violations | Should -BeNullOrEmpty
    }
}

Describe 'page reclaim of the 6.1 profile' {
    AfterEach { Get-MemNode | Remove-MemNode -Confirm:$false }

    It 'weighs anon against file by reclaim cost on 6.1, so the same reclaim scans more anon and notes the swap-outs as anon_cost' {
        # 100000 anon pages and 60000 of page cache, 40000 of it used twice (active), then 3000 pages of direct reclaim.
        # 4.14's SCAN_FRACT comes from recent_scanned/recent_rotated, which the page cache's fill tips toward file;
        # 6.1's comes from anon_cost/file_cost (get_scan_count, lru_note_cost, 5.9+), still zero here: a larger anon share.
        $scan = @{}
        foreach ($k in '4.14', '6.1') {
            $node = New-MemNode -Name "reclaim$k" -Size 2GB -SwapSize 1GB -Kernel $k
            $null = New-PageAllocation -Node $node -Order 0 -Owner Anon -Gfp GFP_HIGHUSER_MOVABLE -Count 100000
            $files = New-PageAllocation -Node $node -Order 0 -Owner FileCache -Gfp GFP_HIGHUSER_MOVABLE -Count 60000
            foreach ($f in $files[0..39999]) {
                [MemMgmt.Core.Reclaim.PageAccess]::MarkAccessed($node, $f.Handle)
                [MemMgmt.Core.Reclaim.PageAccess]::MarkAccessed($node, $f.Handle)
            }
            $scan[$k] = Invoke-Reclaim -Node $node -Pages 3000
            $scan[$k].NrReclaimed | Should -BeGreaterOrEqual 3000
        }
        function Stat($Node, [string]$Name) { (Get-VmStat -Node $Node -Name $Name).Value }
        $n61 = Get-MemNode reclaim6.1
        $n414 = Get-MemNode reclaim4.14
        # 6.1 counts scans per type in /proc/vmstat; 4.14 has no such lines.
        Stat $n61 pgscan_anon | Should -Be $scan['6.1'].ScannedInactiveAnon
        Stat $n61 pgscan_file | Should -Be $scan['6.1'].ScannedInactiveFile
        (Stat $n61 pgscan_anon) + (Stat $n61 pgscan_file) | Should -Be (Stat $n61 pgscan_direct)
        Get-VmStat -Node $n414 -Name pgscan_anon | Should -BeNullOrEmpty
        (Stat $n61 pgscan_anon) | Should -BeGreaterThan (2 * $scan['4.14'].ScannedInactiveAnon)
        (Stat $n61 pgscan_file) | Should -BeLessThan $scan['4.14'].ScannedInactiveFile
        # shrink_inactive_list notes the pages it wrote out: every anon page swapped out, no file page written.
        $lru61 = Get-LruVec -Node $n61 -Cgroup '/'
        $lru61.AnonCost | Should -Be (Stat $n61 pswpout)
        $lru61.FileCost | Should -Be 0
        (Get-LruVec -Node $n414 -Cgroup '/').AnonCost | Should -Be 0
    }
}

Describe 'every cmdlet on each profile' {
    AfterEach { Get-MemNode | Where-Object Name -Like 'every-*' | Remove-MemNode -Confirm:$false }

    It 'runs each cmdlet that takes -Node and needs nothing else, then the ones that need an argument, without an error (<Case>)' -ForEach @(
        @{ Case = '4.14'; Make = { New-MemNode -Kernel 4.14 -Size 512MB -Name every-414 }
           Fill = { param($n) Add-Pressure -Node $n -Percent 60 -FilePercent 50 }
           Sysctls = { param($n) Set-MemSysctl -Node $n vm.min_free_kbytes 8192 } }
        @{ Case = '4.4'; Make = { New-MemNode -Kernel 4.4 -Size 512MB -Name every-44 }
           Fill = { param($n) Add-Pressure -Node $n -Percent 60 -FilePercent 50 }
           Sysctls = { param($n) Set-MemSysctl -Node $n vm.min_free_kbytes 8192 } }
        @{ Case = '6.1'; Make = { New-MemNode -Kernel 6.1 -Name every-61 }
           Fill = { param($n) Add-Pressure -Node $n -Pattern Frag -Parity Odd }
           Sysctls = { param($n) Set-MemSysctl -Node $n vm.nr_hugepages 60 -Cpu 1; Set-MemSysctl -Node $n vm.compaction_proactiveness 40 } }
        @{ Case = '6.1 -Booted'; Make = { New-MemNode -Kernel 6.1 -Booted -Name every-61-booted }
           Fill = { param($n) Add-Pressure -Node $n -Pattern Frag -Parity Odd }
           Sysctls = { param($n) Set-MemSysctl -Node $n vm.nr_hugepages 60 -Cpu 1; Set-MemSysctl -Node $n vm.compaction_proactiveness 40 } }
    ) {
        $node = & $Make
        & $Fill $node | Out-Null
        # Before the loop's own fills: a full booted node has only CMA blocks left, which an unmovable request may not use.
        New-PageAllocation -Node $node -Order 3 | Remove-PageAllocation
        $skipVerbs = 'Remove', 'Clear', 'Stop', 'Unregister', 'Export', 'Set'
        $ran = foreach ($c in (Get-Module MemMgmt).ExportedCmdlets.Values | Where-Object { $_.Parameters.ContainsKey('Node') } | Sort-Object Name) {
            $free = @($c.ParameterSets | Where-Object { -not ($_.Parameters | Where-Object { $_.IsMandatory -and $_.Name -ne 'Node' }) })
            if ($free.Count -eq 0 -or $c.Verb -in $skipVerbs) { continue }
            & $c.Name -Node $node -ErrorAction Stop -WarningAction SilentlyContinue | Out-String | Out-Null
            $c.Name
        }
        foreach ($name in 'Get-ZoneInfo', 'Get-PageTypeInfo', 'Invoke-Kcompactd', 'Step-MemNode') { $ran | Should -Contain $name }
        New-MemCgroup -Node $node -Name web | Out-Null
        Set-MemCgroup -Node $node -Name web -Low 16MB
        Remove-MemCgroup -Node $node -Name web -Confirm:$false
        & $Sysctls $node
        Clear-MemTrace -Node $node
        (Test-MemNode -Node $node).Violations | Should -BeNullOrEmpty
    }
}
