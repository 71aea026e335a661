# Working-set workloads (issue 4): accesses that run as Step-MemNode advances virtual time.

BeforeAll {
    if (-not (Get-Module MemMgmt)) { Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) }
    function New-WsNode([long]$SizeBytes = 256MB, [long]$SwapBytes = 256MB) {
        $config = [MemMgmt.Core.Node.NodeConfig]::new()
        $config.SizeBytes = $SizeBytes
        $node = [MemMgmt.Core.Node.MemNode]::new($config)
        if ($SwapBytes -gt 0) { [MemMgmt.Core.Reclaim.SwapDevice]::Configure($node, $SwapBytes) }
        $node
    }
}

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
        { Add-WorkingSet Streaming -Owner Anon -Percent 50 -Node $node } | Should -Throw -ErrorId 'ContradictoryWorkingSetOptions'
        { Add-WorkingSet HotSet -Percent 150 -Node $node } | Should -Throw -ErrorId 'PercentOutOfRange'
        { Add-WorkingSet HotSet -IntervalMs 0 -Node $node } | Should -Throw -ErrorId 'IntervalOutOfRange'
        $node.FreePages | Should -Be $free
        @([MemMgmt.Core.Workloads.WorkingSets]::Get($node)).Count | Should -Be 0
    }
}
