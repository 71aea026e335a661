# -Node takes a node or a node name; pipelines bind what a user expects (pfns, sysctl names, node names).
BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) -Force
}

Describe '-Node by name' {
    BeforeAll {
        $script:small = New-MemNode -Name nodearg-small -Size 256MB -CmaSize 0
        $script:big = New-MemNode -Name nodearg-big -Size 512MB -CmaSize 0
    }
    AfterAll {
        Remove-MemNode -Name nodearg-* -Confirm:$false
    }

    It 'resolves a name to that node of the session' {
        $row = @(Get-BuddyInfo -Node nodearg-small)[0]
        $row.Node | Should -Be $script:small
        (Get-MemSysctl vm.swappiness -Node nodearg-big).Node | Should -Be $script:big
    }

    It 'rejects an unknown name, naming the nodes that exist, and changes nothing' {
        $before = (Get-MemSysctl vm.swappiness -Node nodearg-small).Value
        $err = $null
        try { Set-MemSysctl vm.swappiness 1 -Node nosuch-node } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -Be 'NodeNotFound,MemMgmt.PS.Commands.SetMemSysctlCommand'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err.Exception.Message | Should -BeLike "*-Node 'nosuch-node'*existing: nodearg-small, nodearg-big*"
        (Get-MemSysctl vm.swappiness -Node nodearg-small).Value | Should -Be $before
        (Get-MemSysctl vm.swappiness -Node nodearg-big).Value | Should -Be $before
    }

    It 'binds a piped node name and a Node column of names' {
        @('nodearg-big' | Get-BuddyInfo)[0].Node | Should -Be $script:big
        $rows = @([pscustomobject]@{ Node = 'nodearg-small' }, [pscustomobject]@{ Node = 'nodearg-big' })
        @($rows | Get-MemSysctl vm.swappiness | ForEach-Object { $_.Node.Name }) | Should -Be @('nodearg-small', 'nodearg-big')
    }

    It 'names the unknown node of every cmdlet family the same way' {
        { Get-BuddyInfo -Node nosuch-node } | Should -Throw -ErrorId 'NodeNotFound,MemMgmt.PS.Commands.GetBuddyInfoCommand'
        { Compare-MemNode -Reference nosuch-node -Difference nodearg-big } | Should -Throw -ErrorId 'NodeNotFound,MemMgmt.PS.Commands.CompareMemNodeCommand'
        { Export-MemChart -Node nosuch-node -Path (Join-Path $TestDrive 'x.png') -Kind PageblockMap } | Should -Throw -ErrorId 'NodeNotFound,MemMgmt.PS.Commands.ExportMemChartCommand'
        { Remove-PageAllocation -Node nosuch-node -Handle 1 -Confirm:$false } | Should -Throw -ErrorId 'NodeNotFound,MemMgmt.PS.Commands.RemovePageAllocationCommand'
        { Remove-MemNode -Node nosuch-node -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'NodeNotFound,MemMgmt.PS.Commands.RemoveMemNodeCommand'
        Test-Path (Join-Path $TestDrive 'x.png') | Should -BeFalse
        @(Get-MemNode -Name nodearg-*).Count | Should -Be 2
    }

    It 'completes -Node with the session''s node names' {
        $line = 'Get-BuddyInfo -Node nodearg-b'
        $c = @((TabExpansion2 $line $line.Length).CompletionMatches | ForEach-Object { $_.CompletionText })
        $c | Should -Be @('nodearg-big')
    }
}

Describe 'Pipeline binding' {
    BeforeAll {
        $script:n = New-MemNode -Name nodearg-pipe -Size 256MB -CmaSize 0
    }
    AfterAll {
        Remove-MemNode -Name nodearg-pipe -Confirm:$false
    }

    It 'New-PageAllocation | Get-Pageblock gives the allocations'' pageblocks' {
        $allocs = @(New-PageAllocation -Node $script:n -Order 3 -Count 3 -Gfp GFP_HIGHUSER_MOVABLE)
        $blocks = @($allocs | Get-Pageblock)
        $blocks.Count | Should -Be 3
        for ($i = 0; $i -lt 3; $i++) {
            $allocs[$i].Pfn | Should -BeGreaterOrEqual $blocks[$i].StartPfn
            $allocs[$i].Pfn | Should -BeLessThan $blocks[$i].EndPfn
            $blocks[$i].Node | Should -Be $script:n
        }
        $allocs | Remove-PageAllocation
    }

    It 'Get-MemSysctl | Set-MemSysctl -Value sets that sysctl on that node' {
        $other = New-MemNode -Name nodearg-other -Size 256MB -CmaSize 0
        try {
            Get-MemSysctl vm.swappiness -Node $script:n | Set-MemSysctl -Value 10
            (Get-MemSysctl vm.swappiness -Node $script:n).Value | Should -Be '10'
            (Get-MemSysctl vm.swappiness -Node $other).Value | Should -Be '60'
        } finally { Remove-MemNode -Name nodearg-other -Confirm:$false }
    }

    It 'Get-MemNode binds piped names and result objects'' NodeName, never another object''s Name' {
        @('nodearg-pipe' | Get-MemNode) | Should -Be @($script:n)
        @(Get-MemSysctl vm.swappiness -Node $script:n | Get-MemNode) | Should -Be @($script:n)
        @(Get-ZoneInfo -Node $script:n | Get-MemNode) | Should -Be @($script:n)
        $obj = [pscustomobject]@{ Name = 'nodearg-pipe' }
        { $obj | Get-MemNode -ErrorAction Stop } | Should -Throw -ErrorId 'NodeNotFound,*'
    }
}
