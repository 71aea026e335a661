# New-MemNode -Kernel 4.4: the zone-based reclaim, 4.4's kswapd, compaction and slow path behind every cmdlet
# (that every cmdlet runs on a 4.4 node is in KernelProfiles.Tests.ps1, for every profile).

BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) -Force
    $NoKswapdGfp = [MemMgmt.Core.Allocation.GfpFlags]'GFP_HIGHUSER_MOVABLE' -band -bnot [MemMgmt.Core.Allocation.GfpFlags]'__GFP_KSWAPD_RECLAIM'
    function New-Node44([string]$Name) { New-MemNode -Kernel 4.4 -Size 512MB -Name "$Name-$([guid]::NewGuid().ToString('n').Substring(0, 8))" }
}

# Removes every node this file made, whatever its tests did.
AfterAll { Get-MemNode | Where-Object Name -Like 'k44*' | Remove-MemNode -Confirm:$false }

Describe 'New-MemNode -Kernel 4.4' {
    It 'makes a 4.4 node that Get-MemNode shows in its Kernel column, with the arm64 4.4 zones' {
        $n = New-Node44 k44-new
        $n.Kernel.Version | Should -Be '4.4'
        (Get-MemNode $n.Name).Kernel.Version | Should -Be '4.4'
        ($n.Zones | ForEach-Object { "$($_.Type)" }) -join ',' | Should -Be 'DMA,Normal,Movable'
        (Get-MemNode $n.Name | Format-Table | Out-String) | Should -Match '\b4\.4\b'
    }

    It 'rejects an unknown kernel with a message that lists 4.4' {
        $err = { New-MemNode -Kernel 3.18 -Name k44-bad } | Should -Throw -ErrorId '*UnknownKernelVersion*' -PassThru
        $err.Exception.Message | Should -BeLike '*4.14, 6.1, 4.4*'
        Get-MemNode -Name k44-bad -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'completes -Kernel with 4.4' {
        $c = TabExpansion2 -inputScript 'New-MemNode -Kernel ' -cursorColumn 'New-MemNode -Kernel '.Length
        $c.CompletionMatches.CompletionText | Should -Contain '4.4'
    }
}

Describe 'the main pipeline on a 4.4 node' {
    It 'runs New-MemNode -Kernel 4.4 | Add-Pressure -Order 3 | Invoke-Compaction -Priority SyncLight | Get-PageTypeInfo' {
        $name = "k44-pipe-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
        $rows = New-MemNode -Kernel 4.4 -Name $name | Add-Pressure -Order 3 | Invoke-Compaction -Priority SyncLight | Get-PageTypeInfo
        $rows | Should -Not -BeNullOrEmpty
        ($rows | Select-Object -First 1).Node.Kernel.Version | Should -Be '4.4'
        $raw = Get-PageTypeInfo -Node $name -Raw
        ($raw -join "`n") | Should -Match 'Page block order: 9'
        (Test-MemNode -Node $name).Violations | Should -BeNullOrEmpty
    }
}

Describe 'reclaim, kswapd and allocation on a 4.4 node' {
    It 'Invoke-Reclaim shrinks the zones one by one and reclaims' {
        $node = New-Node44 k44-rec
        Add-Pressure -Node $node -IgnoreWatermarks -FilePercent 100 -Gfp $NoKswapdGfp | Out-Null
        $r = Invoke-Reclaim -Node $node -Order 0
        $r.NrReclaimed | Should -BeGreaterOrEqual 32
        # 4.4's do_try_to_free_pages walks the zones; its mm_vmscan_lru_isolate events carry the zone's index.
        @(Get-MemTrace -Node $node -Event mm_vmscan_lru_isolate).Count | Should -BeGreaterThan 0
        (Test-MemNode -Node $node).Violations | Should -BeNullOrEmpty
    }

    It 'Step-MemNode runs 4.4 kswapd at order 9: no reclaim where compaction may run, no kcompactd, then it naps or sleeps' {
        $node = New-Node44 k44-ks
        Add-Pressure -Node $node -IgnoreWatermarks -FilePercent 50 -Gfp $NoKswapdGfp | Out-Null
        [MemMgmt.Core.Allocation.PageAllocator]::Allocate($node, 9, 'GFP_TRANSHUGE_LIGHT,__GFP_KSWAPD_RECLAIM', 0, $null).Success | Should -BeFalse
        $s = Step-MemNode -Node $node -Milliseconds 300
        $s.Kswapd.Runs | Should -BeGreaterOrEqual 1
        (Get-MemTrace -Node $node -Event mm_vmscan_kswapd_wake -Raw) -join "`n" | Should -Match 'order=9'
        # 4.4's kswapd_shrink_zone balances a zone at order 0 where compaction may run (compaction_suitable not
        # SKIPPED): with half the memory free it reclaims nothing (4.14 reclaims compact_gap(9) pages here), cannot
        # balance order 9, so kswapd_try_to_sleep finds the node unbalanced once and kswapd goes on at order 0.
        $s.Kswapd.NrReclaimed | Should -Be 0
        (Get-VmStat -Node $node -Name kswapd_high_wmark_hit_quickly).Value | Should -BeGreaterOrEqual 1
        $s.KcompactdRan | Should -BeFalse
        $s.Kswapd.State | Should -BeIn @('Napping', 'Sleeping')
        (Test-MemNode -Node $node).Violations | Should -BeNullOrEmpty
    }

    It 'Get-MemTrace prints the 4.4 compaction result name partial; Invoke-Kswapd runs' {
        $node = New-Node44 k44-tr
        Invoke-Compaction -Node $node -Priority SyncLight -Order 3 | Out-Null
        (Get-MemTrace -Node $node -Event mm_compaction_suitable -Raw) -join "`n" | Should -Match 'ret=partial'
        (Invoke-Kswapd -Node $node).Runs | Should -BeGreaterOrEqual 0
    }

    It 'New-MemProcess faults its pages in through the 4.4 slow path' {
        $node = New-Node44 k44-proc
        $p = New-MemProcess -Node $node db -Percent 30
        $p.Name | Should -Be 'db'
        (Get-MemProcess -Node $node).Name | Should -Contain 'db'
        (Test-MemNode -Node $node).Violations | Should -BeNullOrEmpty
    }
}

Describe 'snapshots and copies of a 4.4 node' {
    It 'Export-MemNode and Import-MemNode round-trip the profile and its state; Copy-MemNode keeps it' {
        $node = New-Node44 k44-snap
        Add-Pressure -Node $node -IgnoreWatermarks -FilePercent 100 -Gfp $NoKswapdGfp | Out-Null
        Invoke-Reclaim -Node $node -Order 0 | Out-Null
        $file = Join-Path ([System.IO.Path]::GetTempPath()) "$($node.Name).memnode"
        try {
            Export-MemNode -Node $node -Path $file | Out-Null
            $b = Import-MemNode -Path $file -Name "$($node.Name)-b"
            $b.Kernel.Version | Should -Be '4.4'
            (Get-BuddyInfo -Node $b -Raw) | Should -Be (Get-BuddyInfo -Node $node -Raw)
            (Get-LruVec -Node $b | Out-String) | Should -Be (Get-LruVec -Node $node | Out-String).Replace($node.Name, $b.Name)
        }
        finally { Remove-Item $file -ErrorAction SilentlyContinue }
        $c = Copy-MemNode -Node $node -Name "$($node.Name)-c"
        $c.Kernel.Version | Should -Be '4.4'
        (Invoke-Reclaim -Node $c -Order 0).NrReclaimed | Should -Be (Invoke-Reclaim -Node $node -Order 0).NrReclaimed
    }
}

Describe 'the /proc texts of a 4.4 node' {
    It 'prints vmstat and zoneinfo in the 4.4 layout: nr_alloc_batch, one allocstall that direct reclaim counts, no per-node block' {
        $node = New-Node44 k44-proc
        $before = (Get-VmStat -Node $node -Raw) -join "`n"
        $before | Should -Match '(?m)^nr_alloc_batch \d+$'
        $before | Should -Match '(?m)^allocstall 0$'
        $before | Should -Not -Match 'allocstall_'
        Add-Pressure -Node $node -IgnoreWatermarks -FilePercent 100 -Gfp $NoKswapdGfp | Out-Null
        Invoke-Reclaim -Node $node -Order 0 | Out-Null
        $after = (Get-VmStat -Node $node -Raw) -join "`n"
        $after | Should -Match '(?m)^allocstall [1-9]\d*$'
        $zi = (Get-ZoneInfo -Node $node -Raw) -join "`n"
        $zi | Should -Match '(?m)^        scanned  \d+$'
        $zi | Should -Match '(?m)^  all_unreclaimable: [01]$'
        $zi | Should -Not -Match 'per-node stats'
    }
}

Describe 'Get-ZoneInfo reclaim state (Scanned, AllUnreclaimable, InactiveRatio)' {
    It 'gives each zone of a 4.4 node the scanned, all_unreclaimable and inactive_ratio its zoneinfo prints' {
        $node = New-Node44 k44-zrs
        Add-Pressure -Node $node -IgnoreWatermarks -FilePercent 100 -Gfp $NoKswapdGfp | Out-Null
        Invoke-Reclaim -Node $node -Order 0 | Out-Null
        $raw = (Get-ZoneInfo -Node $node -Raw) -join "`n"
        $zones = @(Get-ZoneInfo -Node $node | Where-Object Populated)
        $zones.Count | Should -BeGreaterThan 0
        foreach ($z in $zones) {
            $m = [regex]::Match($raw, "(?ms)^Node 0, zone +$($z.Zone)\n(.*?)(?=^Node |\z)")
            $m.Success | Should -BeTrue
            $body = $m.Groups[1].Value
            $z.Scanned | Should -BeOfType [long]
            $z.Scanned | Should -Be ([long][regex]::Match($body, '(?m)^        scanned  (\d+)$').Groups[1].Value)
            [int]$z.AllUnreclaimable | Should -Be ([int][regex]::Match($body, '(?m)^  all_unreclaimable: (\d)$').Groups[1].Value)
            $z.InactiveRatio | Should -Be ([long][regex]::Match($body, '(?m)^  inactive_ratio:    (\d+)$').Groups[1].Value)
        }
    }

    It 'shows them with Format-Table -View ZoneReclaim' {
        $node = New-Node44 k44-zrv
        $zones = @(Get-ZoneInfo -Node $node | Where-Object Populated)
        $out = Get-ZoneInfo -Node $node | Format-Table -View ZoneReclaim | Out-String -Width 200
        $out | Should -Match 'Scanned\s+AllUnreclaimable\s+InactiveRatio'
        foreach ($z in $zones) {
            $out | Should -Match "(?m)^\s*0\s+$($z.Zone)\s+$($z.Free)\s+$($z.Min)\s+$($z.High)\s+$($z.Managed)\s+$($z.Scanned)\s+$($z.AllUnreclaimable)\s+$($z.InactiveRatio)\s*$"
        }
    }

    It 'has $null for all three on 4.14 and 6.1 nodes, which keep no per-zone reclaim state' {
        foreach ($k in '4.14', '6.1') {
            $node = New-MemNode -Kernel $k -Size 512MB -Name "k44-zrnull-$($k.Replace('.', ''))-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
            foreach ($z in Get-ZoneInfo -Node $node) {
                $z.Scanned | Should -BeNullOrEmpty
                $null -eq $z.Scanned | Should -BeTrue
                $null -eq $z.AllUnreclaimable | Should -BeTrue
                $null -eq $z.InactiveRatio | Should -BeTrue
                $z.PSObject.Properties.Name | Should -Contain 'Scanned'
            }
        }
    }
}

Describe '4.4 watermarks and the fair zone allocation policy' {
    It 'has no vm.watermark_scale_factor (SysctlNotInKernel) and sets low and high at min + min/4 and min + min/2' {
        $n = New-MemNode -Kernel 4.4 -Size 4GB -Name "k44wm-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
        { Set-MemSysctl -Node $n vm.watermark_scale_factor 20 -ErrorAction Stop } | Should -Throw -ErrorId '*SysctlNotInKernel*'
        foreach ($z in @(Get-ZoneInfo -Node $n | Where-Object Managed -GT 0)) {
            $z.Low | Should -Be ($z.Min + [math]::Floor($z.Min / 4))
            $z.High | Should -Be ($z.Min + [math]::Floor($z.Min / 2))
        }
    }

    It 'prints each zone''s nr_alloc_batch, and spreads a burst of page faults over DMA and Normal' {
        $n = New-MemNode -Kernel 4.4 -Size 4GB -Name "k44fair-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
        $raw = (Get-ZoneInfo -Node $n -Raw) -join "`n"
        $raw | Should -Match 'nr_alloc_batch\s+[1-9]\d*'
        $dma0 = (Get-VmStat -Node $n -Name pgalloc_dma).Value
        New-PageAllocation -Node $n -Order 0 -Count 20000 -Gfp GFP_HIGHUSER_MOVABLE | Out-Null
        # 4.14 would take all 20000 from Normal; the fair policy gives DMA its batch's share (about three quarters here).
        ((Get-VmStat -Node $n -Name pgalloc_dma).Value - $dma0) | Should -BeGreaterThan 10000
    }
}
