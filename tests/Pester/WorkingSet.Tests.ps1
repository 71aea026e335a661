# Working-set workloads: accesses that run as Step-MemNode advances virtual time.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)
    function New-WsNode([long]$SizeBytes = 256MB, [long]$SwapBytes = 256MB) {
        $config = [MemMgmt.Core.Node.NodeConfig]::new()
        $config.SizeBytes = $SizeBytes
        $node = [MemMgmt.Core.Node.MemNode]::new($config)
        if ($SwapBytes -gt 0) { [MemMgmt.Core.Swap.SwapDevice]::Configure($node, $SwapBytes) }
        $node
    }
}

# Removes every node this file made, whatever its tests did, so files share a runspace in any order.
AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

Describe 'Add-WorkingSet' {
    It 'keeps a hot anon set resident while a streaming read of twice memory runs through Step-MemNode' {
        $node = New-WsNode
        $hot = Add-WorkingSet HotSet -Owner Anon -Percent 25 -Node $node
        $hot.Node | Should -Be $node
        $hot.ResidentPages | Should -Be $hot.TargetPages
        $read = Add-WorkingSet Streaming -Percent 200 -PagesPerRound 256 -Node $node
        $read.Owner | Should -Be 'FileCache'
        $read.PagesRead | Should -Be 0
        $i = 0
        while (-not $read.Finished -and $i -lt 5000) { $null = Step-MemNode 10 -Node $node; $i++ }
        $read.Finished | Should -BeTrue
        $read.PagesRead | Should -Be $read.TargetPages
        $read.ResidentPages | Should -BeLessThan ($node.ManagedPages - $hot.TargetPages)
        $hot.ResidentPages | Should -Be $hot.TargetPages
        $hot.Skipped | Should -Be 0
        $hot.Rounds | Should -BeGreaterOrEqual $i
        foreach ($h in $hot.Handles) { [MemMgmt.Core.Allocation.PageAllocator]::TryGetAllocation($node, $h, [ref]0L, [ref]0) | Should -BeTrue }
        (Get-VmStat -Node $node -Name pswpout).Value | Should -BeLessThan ($hot.TargetPages / 100)
        [MemMgmt.Core.Debug.InvariantChecker]::Check($node).Count | Should -Be 0
    }

    It 'rejects a Streaming set of anonymous memory with ContradictoryWorkingSetOptions before anything changes' {
        $node = New-WsNode -SwapBytes 0
        $free = $node.FreePages
        { Add-WorkingSet Streaming -Owner Anon -Percent 50 -Node $node } | Should -Throw -ErrorId 'ContradictoryWorkingSetOptions,*'
        { Add-WorkingSet HotSet -Percent 150 -Node $node } | Should -Throw -ErrorId 'PercentOutOfRange,*'
        { Add-WorkingSet HotSet -IntervalMilliseconds 0 -Node $node } | Should -Throw -ErrorId 'IntervalOutOfRange,*'
        $node.FreePages | Should -Be $free
        @([MemMgmt.Core.Workloads.WorkingSets]::Get($node)).Count | Should -Be 0
    }
}

Describe 'Add-Pressure -Access' {
    It 'starts one working set per owner of an anon/shmem mix, each of -Percent of managed memory' {
        $node = New-WsNode
        $sets = @(Add-Pressure -Access HotSet -Owner Anon, Shmem -Percent 10 -Node $node)
        $sets.Count | Should -Be 2
        $sets[0].Owner | Should -Be 'Anon'
        $sets[1].Owner | Should -Be 'Shmem'
        foreach ($s in $sets) {
            $s | Should -BeOfType ([MemMgmt.Core.Workloads.WorkingSet])
            $s.Pattern | Should -Be 'HotSet'
            $s.TargetPages | Should -Be ([long][Math]::Floor($node.ManagedPages * 10 / 100.0))
            $s.ResidentPages | Should -Be $s.TargetPages
            $s.Node | Should -Be $node
        }
        (Get-VmStat -Node $node -Name nr_shmem).Value | Should -Be $sets[1].TargetPages
        $null = Step-MemNode 50 -Node $node
        $sets[0].Accesses | Should -BeGreaterThan 0
    }

    It 'reads a file with Streaming, whose owner defaults to FileCache' {
        $node = New-WsNode
        $read = Add-Pressure -Access Streaming -Percent 50 -PagesPerRound 512 -Node $node
        $read.Owner | Should -Be 'FileCache'
        $null = Step-MemNode 20 -Node $node
        $read.PagesRead | Should -BeGreaterThan 0
    }

    It 'checks every owner before starting any: <Owners> gives <ErrorId>' -TestCases @(
        @{ Owners = @('Anon', 'Anon'); ErrorId = 'DuplicateOwner' }
        @{ Owners = @('Anon', 'Kernel'); ErrorId = 'WorkingSetOwnerNotSupported' }
        @{ Owners = @('FileCache', 'Anon'); ErrorId = 'ContradictoryWorkingSetOptions'; Access = 'Streaming' }
    ) {
        $node = New-WsNode
        $free = $node.FreePages
        $pattern = if ($Access) { $Access } else { 'HotSet' }
        { Add-Pressure -Access $pattern -Owner $Owners -Percent 10 -Node $node } | Should -Throw -ErrorId "$ErrorId,*"
        $node.FreePages | Should -Be $free
        (Get-VmStat -Node $node -Name nr_anon_pages).Value | Should -Be 0
    }

    It 'keeps the fragmenting parameters out of the access form' {
        $node = New-WsNode
        { Add-Pressure -Access HotSet -Order 3 -Node $node } | Should -Throw -ErrorId 'AmbiguousParameterSet,MemMgmt.PS.Commands.AddPressureCommand'
    }
}

Describe 'Add-Pressure -Access -Write' {
    It 'starts a writing page-cache set that dirties its pages, and refuses -Write for anon' {
        $node = New-WsNode
        $w = Add-Pressure -Access Streaming -Write -Percent 5 -PagesPerRound 256 -Node $node
        $w.Write | Should -BeTrue
        $null = Step-MemNode 20 -Node $node
        $w.PagesDirtied | Should -BeGreaterThan 0
        (Get-VmStat -Node $node -Name nr_dirty).Value + (Get-VmStat -Node $node -Name nr_writeback).Value | Should -BeGreaterThan 0
        $free = $node.FreePages
        { Add-Pressure -Access HotSet -Owner Anon -Write -Percent 5 -Node $node } | Should -Throw -ErrorId 'ContradictoryWorkingSetOptions,*'
        $node.FreePages | Should -Be $free
    }
}

Describe 'Get-WorkingSet and Stop-WorkingSet' {
    It 'lists the running workloads by name and stops them, leaving their pages allocated' {
        $node = New-WsNode
        $hot = Add-WorkingSet HotSet -Owner Anon -Percent 5 -Name hot -Node $node
        $null = Add-WorkingSet Random -Owner Shmem -Percent 5 -Name rnd -Node $node
        @(Get-WorkingSet -Node $node | ForEach-Object { $_.Name }) -join ',' | Should -BeExactly 'hot,rnd'
        @(Get-WorkingSet h* -Node $node).Count | Should -Be 1
        { Get-WorkingSet nope -Node $node -ErrorAction Stop } | Should -Throw -ErrorId 'WorkingSetNotFound,MemMgmt.PS.Commands.GetWorkingSetCommand'

        Stop-WorkingSet hot -Node $node -WhatIf
        @(Get-WorkingSet -Node $node).Count | Should -Be 2
        $stopped = Get-WorkingSet hot -Node $node | Stop-WorkingSet -PassThru -Confirm:$false
        $stopped.Name | Should -Be 'hot'
        @(Get-WorkingSet -Node $node | ForEach-Object { $_.Name }) -join ',' | Should -BeExactly 'rnd'
        $rounds = $hot.Rounds
        $null = Step-MemNode 100 -Node $node
        $hot.Rounds | Should -Be $rounds
        $hot.ResidentPages | Should -Be $hot.TargetPages
    }

    It 'checks every name before stopping any: WorkingSetNotFound, nothing stopped' {
        $node = New-WsNode
        $null = Add-WorkingSet HotSet -Owner Anon -Percent 5 -Name keep -Node $node
        { Stop-WorkingSet keep, missing -Node $node -Confirm:$false } | Should -Throw -ErrorId 'WorkingSetNotFound,MemMgmt.PS.Commands.StopWorkingSetCommand'
        @(Get-WorkingSet -Node $node).Count | Should -Be 1
    }
}
