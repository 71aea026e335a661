# Memory cgroup hierarchy cmdlets: New-MemCgroup -Parent and paths, Get-MemCgroup -File, Set-MemCgroup -Max max,
# Remove-MemCgroup.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)
    function New-CgNode {
        $config = [MemMgmt.Core.Node.NodeConfig]::new()
        $config.SizeBytes = 512MB
        [MemMgmt.Core.Node.MemNode]::new($config)
    }
    function Add-CgPages($Node, [string]$Path, [int]$Count) {
        for ($i = 0; $i -lt $Count; $i++) {
            $r = [MemMgmt.Core.Memcg.MemCgroups]::Allocate($Node, $Path, 0, 'GFP_HIGHUSER_MOVABLE', 'FileCache', 0)
            if (-not $r.Success) { throw "charge to $Path failed: $($r.FailureReason)" }
        }
    }
}

# Removes every node this file made, whatever its tests did, so files share a runspace in any order.
AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

Describe 'New-MemCgroup hierarchy' {
    It 'creates children with -Parent or a path and names them by cgroup path' {
        $node = New-CgNode
        $web = New-MemCgroup -Node $node -Name 'web' -Max 8MB -Swappiness 20
        $fe = New-MemCgroup -Node $node -Name 'frontend' -Parent 'web'
        $be = New-MemCgroup -Node $node -Name '/web/backend'
        $fe.Path | Should -Be '/web/frontend'
        $be.Path | Should -Be '/web/backend'
        $fe.Parent | Should -Be '/web'
        $fe.Swappiness | Should -Be 20
        $paths = @(Get-MemCgroup -Node $node | ForEach-Object { $_.Path })
        ($paths -join ',') | Should -Be '/web,/web/frontend,/web/backend'
        @(Get-MemCgroup -Node $node -Name '/web/*').Count | Should -Be 2
        (Get-LruVec -Node $node -Cgroup '/web/frontend').Cgroup | Should -Be '/web/frontend'
    }

    It 'charges count against the parent: memory.current is hierarchical and the parent takes the max event' {
        $node = New-CgNode
        $null = New-MemCgroup -Node $node -Name 'web' -Max 4MB
        $null = New-MemCgroup -Node $node -Name 'web/a'
        $null = New-MemCgroup -Node $node -Name 'other'
        Add-CgPages $node 'other' 300
        Add-CgPages $node 'web/a' 1500
        $web = Get-MemCgroup -Node $node -Name 'web'
        $web.Usage | Should -BeLessOrEqual 1024
        $web.MaxEvents | Should -BeGreaterThan 0
        (Get-MemCgroup -Node $node -Name 'web/a').MaxEvents | Should -Be 0
        (Get-MemCgroup -Node $node -Name 'other').Usage | Should -Be 300
        $current = Get-MemCgroup -Node $node -Name 'web' -File 'memory.current'
        $current | Should -Be ("{0}`n" -f ($web.Usage * 4096))
        $events = Get-MemCgroup -Node $node -Name 'web' -File 'memory.events'
        $events | Should -Be ("low 0`nhigh 0`nmax {0}`noom 0`noom_kill 0`n" -f $web.MaxEvents)
    }

    It 'rejects a missing parent, a sibling clash, a bad name and too deep a path, creating nothing' {
        $node = New-CgNode
        $null = New-MemCgroup -Node $node -Name 'a'
        $null = New-MemCgroup -Node $node -Name 'x' -Parent 'a'
        { New-MemCgroup -Node $node -Name 'x' -Parent 'nope' } | Should -Throw -ErrorId 'MemcgParentNotFound,*'
        { New-MemCgroup -Node $node -Name 'a/x' } | Should -Throw -ErrorId 'MemcgExists,*'
        { New-MemCgroup -Node $node -Name '..' -Parent 'a' } | Should -Throw -ErrorId 'MemcgNameInvalid,*'
        { New-MemCgroup -Node $node -Name 'a/x/1/2/3/4/5/6/7' } | Should -Throw -ErrorId 'MemcgTooDeep,*'
        $p = 'a/x'
        foreach ($i in 3..8) { $p = "$p/d$i"; $null = New-MemCgroup -Node $node -Name $p }
        { New-MemCgroup -Node $node -Name 'd9' -Parent $p } | Should -Throw -ErrorId 'MemcgTooDeep,*'
        @(Get-MemCgroup -Node $node).Count | Should -Be 8
    }
}

Describe 'Get-MemCgroup and Set-MemCgroup limits' {
    It 'prints memory.max as max when unlimited and accepts max to lift a limit' {
        $node = New-CgNode
        $null = New-MemCgroup -Node $node -Name 'g' -Max 4MB -Low 1MB
        Get-MemCgroup -Node $node -Name 'g' -File 'memory.max' | Should -Be "4194304`n"
        Get-MemCgroup -Node $node -Name 'g' -File 'memory.low' | Should -Be "1048576`n"
        $g = Set-MemCgroup -Node $node -Name '/g' -Max 'max'
        $g.Max | Should -Be ([long]::MaxValue)
        Get-MemCgroup -Node $node -Name 'g' -File 'memory.max' | Should -Be "max`n"
        { Set-MemCgroup -Node $node -Name 'g' -Max 'lots' } | Should -Throw
        (Get-MemCgroup -Node $node -Name 'g').Max | Should -Be ([long]::MaxValue)
        { Get-MemCgroup -Node $node -Name 'g' -File 'memory.high' } | Should -Throw
    }

    It 'shows unlimited memory.low and memory.max as max in the table view' {
        $node = New-CgNode
        { New-MemCgroup -Node $node -Name 'g' -Max 4MB -Low 'max' } | Should -Throw -ErrorId 'MemcgLowAboveMax,*'
        @(Get-MemCgroup -Node $node).Count | Should -Be 0
        $g = New-MemCgroup -Node $node -Name 'g' -Low 1MB
        $repoRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
        $xml = [xml][System.IO.File]::ReadAllText([System.IO.Path]::Combine($repoRoot, 'out', 'MemMgmt', 'MemMgmt.Reclaim.Format.ps1xml'))
        $view = @($xml.Configuration.ViewDefinitions.View | Where-Object { $_.Name -eq 'MemCgroup' })[0]
        $labels = @($view.TableControl.TableHeaders.TableColumnHeader | ForEach-Object { $_.Label })
        $items = @($view.TableControl.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem)
        $labels[0] | Should -Be 'Path'
        $max = [scriptblock]::Create($items[[array]::IndexOf($labels, 'Max')].ScriptBlock)
        $low = [scriptblock]::Create($items[[array]::IndexOf($labels, 'Low')].ScriptBlock)
        ($g | ForEach-Object $max) | Should -Be 'max'
        ($g | ForEach-Object $low) | Should -Be 256
        $g = Set-MemCgroup -Node $node -Name 'g' -Max 8MB
        ($g | ForEach-Object $max) | Should -Be 2048
    }

    It 'refuses memory.low above memory.max and leaves the group as it was' {
        $node = New-CgNode
        $null = New-MemCgroup -Node $node -Name 'g' -Max 4MB
        { Set-MemCgroup -Node $node -Name 'g' -Low 'max' } | Should -Throw -ErrorId 'MemcgLowAboveMax,*'
        (Get-MemCgroup -Node $node -Name 'g').Low | Should -Be 0
        { Set-MemCgroup -Node $node -Name 'nope/g' -Max 1MB } | Should -Throw -ErrorId 'MemcgNotFound,*'
    }
}

Describe 'Remove-MemCgroup' {
    It 'refuses a group with children and changes nothing' {
        $node = New-CgNode
        $null = New-MemCgroup -Node $node -Name 'web'
        $null = New-MemCgroup -Node $node -Name 'web/fe'
        Remove-MemCgroup -Node $node -Name 'web' -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Match '^MemcgHasChildren'
        @(Get-MemCgroup -Node $node).Count | Should -Be 2
    }

    It 'moves a removed group''s pages to its parent and honours -WhatIf' {
        $node = New-CgNode
        $null = New-MemCgroup -Node $node -Name 'web'
        $null = New-MemCgroup -Node $node -Name 'web/fe'
        Add-CgPages $node 'web/fe' 200
        Remove-MemCgroup -Node $node -Name 'web/fe' -WhatIf
        @(Get-MemCgroup -Node $node).Count | Should -Be 2
        $r = Remove-MemCgroup -Node $node -Name '/web/fe' -Confirm:$false
        $r.Path | Should -Be '/web/fe'
        $r.Parent | Should -Be '/web'
        $r.PagesReparented | Should -Be 200
        $web = Get-MemCgroup -Node $node -Name 'web'
        $web.Usage | Should -Be 200
        $web.LocalUsage | Should -Be 200
        { Get-MemCgroup -Node $node -Name 'web/fe' -ErrorAction Stop } | Should -Throw -ErrorId 'MemcgNotFound,*'
        (Test-MemNode -Node $node).Passed | Should -BeTrue
    }
}

Describe 'Get-LruVec with a hierarchy' {
    It 'lists the lruvecs in mem_cgroup_iter pre-order, not in creation order' {
        $node = New-CgNode
        $null = New-MemCgroup -Node $node -Name 'a'
        $null = New-MemCgroup -Node $node -Name 'b'
        $null = New-MemCgroup -Node $node -Name 'a/c'
        $null = New-MemCgroup -Node $node -Name 'a/c/d'
        $paths = @(Get-LruVec -Node $node | ForEach-Object { $_.Cgroup })
        ($paths -join ',') | Should -BeExactly '/,/a,/a/c,/a/c/d,/b'
    }
}
