# Workingset refault detection (mm/workingset.c, 4.14): a page-cache set larger than the inactive list that stale
# active pages leave it, but smaller than memory, becomes resident once refaults are detected.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)
}

# Removes every node this file made, whatever its tests did, so files share a runspace in any order.
AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

Describe 'Workingset refault detection' {
    It 'activates refaulting pages of a file set that does not fit beside stale active pages, until it stays resident' {
        $node = New-MemNode -Size 128MB -CmaSize 0 -Seed 3
        $stale = Add-WorkingSet HotSet -Owner FileCache -Percent 40 -Node $node
        while ($stale.Rounds -lt 2) { $null = Step-MemNode 10 -Node $node }
        [MemMgmt.Core.Workloads.WorkingSets]::Remove($node, $stale) | Should -BeTrue
        $set = Add-WorkingSet HotSet -Owner FileCache -Percent 65 -Node $node
        $set.TargetPages | Should -BeGreaterThan ($node.ManagedPages - $stale.TargetPages)

        # Miss ratio of each stretch of rounds (a round that outlasts its interval is followed at once by the next).
        $missRatio = @()
        $lastRefaults = 0
        for ($k = 0; $k -lt 6; $k++) {
            $before = $set.Refaults
            $accesses = $set.Accesses
            $rounds = $set.Rounds
            while ($set.Rounds -eq $rounds) { $null = Step-MemNode 1 -Node $node }
            $missRatio += ($set.Refaults - $before) / ($set.Accesses - $accesses)
            $lastRefaults = $set.Refaults - $before
        }
        $missRatio[0] | Should -BeGreaterThan 0.5
        for ($k = 1; $k -lt 6; $k++) { $missRatio[$k] | Should -BeLessOrEqual $missRatio[$k - 1] }
        $lastRefaults | Should -Be 0
        $set.ResidentPages | Should -Be $set.TargetPages
        $stale.ResidentPages | Should -BeLessThan $stale.TargetPages

        $refault = (Get-VmStat -Node $node -Name workingset_refault).Value
        $activate = (Get-VmStat -Node $node -Name workingset_activate).Value
        $refault | Should -Be $set.Refaults
        $activate | Should -Be $set.RefaultsActivated
        $activate | Should -BeGreaterThan ($set.TargetPages / 2)
        (Get-VmStat -Node $node -Name workingset_nodereclaim).Value | Should -Be 0
        @(Get-VmStat -Node $node -Name workingset_*).Count | Should -Be 3

        $root = @(Get-LruVec -Node $node)[0]
        $root.Cgroup | Should -Be '/'
        $root.Refaults | Should -Be $activate
        $root.InactiveAge | Should -BeGreaterThan $activate
        [MemMgmt.Core.Debug.InvariantChecker]::Check($node).Count | Should -Be 0
    }

    It 'prints the counters between nr_isolated_file and nr_anon_pages in /proc/vmstat' {
        $node = New-MemNode -Size 128MB -CmaSize 0 -Seed 3
        $stale = Add-WorkingSet HotSet -Owner FileCache -Percent 40 -Node $node
        while ($stale.Rounds -lt 2) { $null = Step-MemNode 10 -Node $node }
        $set = Add-WorkingSet HotSet -Owner FileCache -Percent 65 -Node $node
        while ($set.Rounds -lt 1) { $null = Step-MemNode 10 -Node $node }
        $lines = @(Get-VmStat -Node $node -Raw)
        $i = [array]::IndexOf($lines, 'nr_isolated_file 0')
        $i | Should -BeGreaterThan 0
        $refault = (Get-VmStat -Node $node -Name workingset_refault).Value
        $refault | Should -BeGreaterThan 0
        $lines[$i + 1] | Should -BeExactly "workingset_refault $refault"
        $lines[$i + 2] | Should -BeExactly "workingset_activate $((Get-VmStat -Node $node -Name workingset_activate).Value)"
        $lines[$i + 3] | Should -BeExactly 'workingset_nodereclaim 0'
        $lines[$i + 4] | Should -BeLike 'nr_anon_pages *'
    }
}
