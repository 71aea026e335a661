# Reclaim cmdlets: direct reclaim, kswapd, lruvecs, drop_caches, memory cgroups, shrinkers, vmpressure.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)
    function New-ReclaimNode([long]$SizeBytes = 512MB, [long]$SwapBytes = 0) {
        $config = [MemMgmt.Core.Node.NodeConfig]::new()
        $config.SizeBytes = $SizeBytes
        $node = [MemMgmt.Core.Node.MemNode]::new($config)
        if ($SwapBytes -gt 0) { [MemMgmt.Core.Swap.SwapDevice]::Configure($node, $SwapBytes) }
        $node
    }
    function Add-PageCache($Node, [int]$Count) {
        for ($i = 0; $i -lt $Count; $i++) {
            $null = [MemMgmt.Core.Allocation.PageAllocator]::Allocate($Node, 0, 'GFP_HIGHUSER_MOVABLE', 0, 'FileCache')
        }
    }
}

# Removes every node this file made, whatever its tests did, so files share a runspace in any order.
AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

Describe 'Invoke-Reclaim' {
    It 'reclaims clean page cache and reports it per list with the node' {
        $node = New-ReclaimNode
        Add-PageCache $node 3000
        $report = Invoke-Reclaim -Node $node -Pages 1000
        $report.NrReclaimed | Should -BeGreaterOrEqual 1000
        $report.ReclaimedFile | Should -Be $report.NrReclaimed
        $report.ReclaimedAnon | Should -Be 0
        $report.Kind | Should -Be 'Direct'
        $report.Node | Should -Be $node
        (Get-LruVec -Node $node -Cgroup '/').InactiveFile | Should -Be (3000 - $report.NrReclaimed)
    }

    It 'rejects an order beyond MAX_ORDER with OrderOutOfRange' {
        $node = New-ReclaimNode
        { Invoke-Reclaim -Node $node -Order 11 } | Should -Throw -ErrorId 'OrderOutOfRange,*'
    }
}

Describe 'Invoke-Kswapd' {
    It 'runs kswapd on demand and reports a balanced node that naps' {
        $node = New-ReclaimNode
        $report = Invoke-Kswapd -Node $node
        $report.Runs | Should -Be 1
        $report.Balanced | Should -BeTrue
        $report.State | Should -Be 'Napping'
        (Invoke-Kswapd -Node $node -Milliseconds 200).State | Should -Be 'Sleeping'
    }
}

Describe 'kswapd alongside a burst' {
    BeforeEach {
        # 512 MiB of clean page cache with the free pages 1000 above the low watermark.
        $node = New-MemNode -Name "ks-along-$([guid]::NewGuid().ToString('n').Substring(0, 8))" -Size 512MB @cpuArgs
        $dma = Get-ZoneInfo -Node $node -Zone DMA
        $null = Add-Pressure -Node $node -Pattern Fill -FilePercent 100 -Size (($dma.Free - $dma.Low - 1000) * 4KB)
        function Stat([string]$Name) { (Get-VmStat -Node $node -Name $Name | Measure-Object -Property Value -Sum).Sum }
    }
    AfterEach { $node | Remove-MemNode }

    Context 'on two CPUs' {
        BeforeAll { $cpuArgs = @{} }

        It 'serves a stream of page faults from kswapd: pgscan_kswapd grows, no allocation stalls' {
            $p = New-MemProcess -Node $node -Name stream -Pages 40000
            $p.FaultFailure | Should -BeNullOrEmpty
            Stat 'pgscan_kswapd' | Should -BeGreaterThan 0
            Stat 'pgsteal_kswapd' | Should -BeGreaterOrEqual 39000
            Stat 'allocstall_*' | Should -Be 0
            Stat 'pgscan_direct' | Should -Be 0
        }

        It 'stalls in direct reclaim when order-3 requests outrun kswapd' {
            $null = New-PageAllocation -Node $node -Order 3 -Gfp GFP_HIGHUSER_MOVABLE -Count 5000 -Owner Anon
            Stat 'pgscan_kswapd' | Should -BeGreaterThan 0
            Stat 'allocstall_*' | Should -BeGreaterThan 0
        }
    }

    Context 'on one CPU' {
        BeforeAll { $cpuArgs = @{ Cpus = 1 } }

        It 'leaves the same stream to direct reclaim: kswapd has no CPU to run on during the burst' {
            $p = New-MemProcess -Node $node -Name stream -Pages 40000
            $p.FaultFailure | Should -BeNullOrEmpty
            Stat 'pgscan_kswapd' | Should -Be 0
            Stat 'allocstall_*' | Should -BeGreaterThan 0
        }
    }
}

Describe 'Invoke-DropCaches' {
    It 'drops clean page cache' {
        $node = New-ReclaimNode
        Add-PageCache $node 500
        $r = Invoke-DropCaches -Node $node -Mode 1
        $r.PagesDropped | Should -Be 500
        (Get-LruVec -Node $node -Cgroup '/').InactiveFile | Should -Be 0
    }

    It 'rejects 5 and changes nothing' {
        $node = New-ReclaimNode
        Add-PageCache $node 10
        { Invoke-DropCaches -Node $node -Mode 5 } | Should -Throw -ErrorId 'DropCachesOutOfRange,*'
        # The ten new pages still wait in cpu 0's lru_add pagevec: a rejected write must not have drained it.
        $v = Get-LruVec -Node $node -Cgroup '/'
        $v.InactiveFile | Should -Be 0
        $v.PendingLruAdd | Should -Be 10
    }
}

Describe 'Memory cgroups' {
    It 'creates, reads and changes a group' {
        $node = New-ReclaimNode
        $cg = New-MemCgroup -Node $node -Name 'web' -Low 4MB -Max 64MB -Swappiness 10
        $cg.Low | Should -Be 1024
        $cg.Max | Should -Be 16384
        $cg.Swappiness | Should -Be 10
        (Get-MemCgroup -Node $node -Name 'web').Name | Should -Be 'web'
        (Set-MemCgroup -Node $node -Name 'web' -Swappiness 100).Swappiness | Should -Be 100
        @(Get-LruVec -Node $node).Count | Should -Be 2
    }

    It 'rejects memory.low above memory.max and swappiness above 100' {
        $node = New-ReclaimNode
        { New-MemCgroup -Node $node -Name 'bad' -Low 8MB -Max 4MB } | Should -Throw -ErrorId 'MemcgLowAboveMax,*'
        @(Get-MemCgroup -Node $node).Count | Should -Be 0
        $null = New-MemCgroup -Node $node -Name 'ok'
        { Set-MemCgroup -Node $node -Name 'ok' -Swappiness 101 } | Should -Throw -ErrorId 'SwappinessOutOfRange,*'
        (Get-MemCgroup -Node $node -Name 'ok').Swappiness | Should -Be 60
    }
}

Describe 'Register-MemShrinker and Get-VmPressure' {
    It 'registers a shrinker that reclaim scans' {
        $node = New-ReclaimNode
        $s = Register-MemShrinker -Node $node -Name 'cache' -Objects 5000 -Seeks 2
        $s.Objects | Should -Be 5000
        Add-PageCache $node 2000
        $null = Invoke-Reclaim -Node $node -Pages 1500
        $s.Objects | Should -BeLessThan 5000
        { Register-MemShrinker -Node $node -Name 'zero' -Objects 1 -Seeks 0 } | Should -Throw -ErrorId 'ShrinkerSeeksOutOfRange,*'
    }

    It 'reports critical pressure when nothing can be reclaimed' {
        $node = New-ReclaimNode
        $null = Invoke-Reclaim -Node $node
        (Get-VmPressure -Node $node -Last 1).Level | Should -Be 'Critical'
    }
}

Describe 'New-MemNode -SwapSize' {
    It 'gives the node a swap area that meminfo shows' {
        $node = New-MemNode -Name 'reclaim-swap' -SwapSize 256MB
        $node.SwapTotalPages | Should -Be 65536
        (Get-MemInfo -Node $node SwapTotal).Value | Should -Be 262144
        Remove-MemNode -Node $node -Confirm:$false
    }

    It 'rejects a size that is not whole pages and makes no node' {
        { New-MemNode -Name 'reclaim-badswap' -SwapSize 4097 } | Should -Throw -ErrorId 'SwapSizeInvalid,*'
        @(Get-MemNode | Where-Object Name -EQ 'reclaim-badswap').Count | Should -Be 0
    }
}

Describe 'Reclaim table views' {
    It 'names only real result types and their real properties' {
        $repoRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
        $path = [System.IO.Path]::Combine($repoRoot, 'out', 'MemMgmt', 'MemMgmt.Reclaim.Format.ps1xml')
        $xml = [xml][System.IO.File]::ReadAllText($path)
        $views = @($xml.Configuration.ViewDefinitions.View)
        $views.Count | Should -Be 6
        foreach ($view in $views) {
            $type = $null
            foreach ($asm in [System.AppDomain]::CurrentDomain.GetAssemblies()) {
                if ($null -eq $type) { $type = $asm.GetType($view.ViewSelectedBy.TypeName) }
            }
            $type | Should -Not -BeNullOrEmpty
            foreach ($item in @($view.TableControl.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem)) {
                if ($null -ne $item.PropertyName) { $type.GetProperty($item.PropertyName) | Should -Not -BeNullOrEmpty }
                else {
                    foreach ($m in [regex]::Matches($item.ScriptBlock, '\$_\.(\w+)')) { $type.GetProperty($m.Groups[1].Value) | Should -Not -BeNullOrEmpty }
                }
            }
        }
    }
}

Describe 'Reclaim tracepoints' {
    It 'records mm_vmscan_* events that Get-MemTrace returns with their fields' {
        $node = New-MemNode -Size 256MB -Name 'reclaim-trace'
        $fill = [MemMgmt.Core.Allocation.GfpFlags]'GFP_HIGHUSER_MOVABLE' -band -bnot [MemMgmt.Core.Allocation.GfpFlags]'__GFP_RECLAIM'
        while ([MemMgmt.Core.Allocation.PageAllocator]::Allocate($node, 0, $fill, 0, [MemMgmt.Core.Node.PageOwner]::FileCache).Success) { }
        $r = Invoke-Reclaim -Node $node -Order 0 -Gfp GFP_KERNEL
        $end = @(Get-MemTrace -Node $node -Event 'mm_vmscan_direct_reclaim_end')
        $end.Count | Should -Be 1
        $end[0].Fields['nr_reclaimed'] | Should -Be $r.NrReclaimed
        @(Get-MemTrace -Node $node -Event 'mm_vmscan_lru_isolate').Count | Should -BeGreaterThan 0
    }
}
