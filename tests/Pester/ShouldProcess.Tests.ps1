# Cmdlets that destroy or overwrite state support -WhatIf/-Confirm; Clear-MemTrace, Clear-MemKernelLog and
# Get-/Unregister-MemShrinker.
BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) -Force
}

Describe 'ShouldProcess on every destructive cmdlet' {
    It '<Name> supports -WhatIf and -Confirm' -ForEach @(
        @{ Name = 'Remove-MemNode' }, @{ Name = 'Remove-PageAllocation' }, @{ Name = 'Remove-MemCgroup' },
        @{ Name = 'Set-MemSysctl' }, @{ Name = 'Set-MemCgroup' }, @{ Name = 'Stop-MemProcess' }, @{ Name = 'Stop-WorkingSet' },
        @{ Name = 'Invoke-DropCaches' }, @{ Name = 'Clear-MemTrace' }, @{ Name = 'Clear-MemKernelLog' }, @{ Name = 'Unregister-MemShrinker' }
    ) {
        $params = (Get-Command $Name).Parameters
        $params.ContainsKey('WhatIf') | Should -BeTrue
        $params.ContainsKey('Confirm') | Should -BeTrue
    }

    It 'no Get- cmdlet takes -Clear any more' {
        (Get-Command Get-MemTrace).Parameters.ContainsKey('Clear') | Should -BeFalse
        (Get-Command Get-MemKernelLog).Parameters.ContainsKey('Clear') | Should -BeFalse
    }
}

Describe 'Clear-MemTrace and Clear-MemKernelLog' {
    BeforeAll {
        $script:n = New-MemNode -Name sp-clear -Size 256MB -CmaSize 0
        $null = Invoke-Compaction -Node $script:n -Order 4
        $null = New-MemProcess a -Percent 60 -Node $script:n -WarningAction SilentlyContinue
        $null = New-MemProcess b -Percent 60 -Node $script:n -WarningAction SilentlyContinue
    }
    AfterAll {
        Remove-MemNode -Name sp-* -Confirm:$false
    }

    It 'keeps the trace with -WhatIf, then empties only that node''s buffer' {
        $other = Copy-MemNode -Node $script:n -Name sp-copy
        $before = @(Get-MemTrace -Node $script:n).Count
        $before | Should -BeGreaterThan 0
        Clear-MemTrace -Node $script:n -WhatIf
        @(Get-MemTrace -Node $script:n).Count | Should -Be $before
        Clear-MemTrace -Node sp-clear
        @(Get-MemTrace -Node $script:n).Count | Should -Be 0
        @(Get-MemTrace -Node $other).Count | Should -BeGreaterThan 0
    }

    It 'keeps the kernel log with -WhatIf, then empties it' {
        $before = @(Get-MemKernelLog -Node $script:n).Count
        $before | Should -BeGreaterThan 0
        Clear-MemKernelLog -Node $script:n -WhatIf
        @(Get-MemKernelLog -Node $script:n).Count | Should -Be $before
        Get-MemKernelLog -Node $script:n -Last 1 | Clear-MemKernelLog
        @(Get-MemKernelLog -Node $script:n).Count | Should -Be 0
    }
}

Describe 'Get-MemShrinker and Unregister-MemShrinker' {
    BeforeEach {
        $script:n = New-MemNode -Name sp-shrink -Size 256MB -CmaSize 0
    }
    AfterEach {
        Remove-MemNode -Name sp-shrink -Confirm:$false
    }

    It 'lists the superblock shrinker first, then registered ones, filtered by name' {
        $null = Register-MemShrinker gpu 5000 -Seeks 8 -Node $script:n
        @(Get-MemShrinker -Node $script:n | ForEach-Object Name) | Should -Be @('super_block', 'gpu')
        $g = Get-MemShrinker g* -Node $script:n
        $g.Name | Should -Be 'gpu'
        $g.Objects | Should -Be 5000
        $g.Seeks | Should -Be 8
        $g.NodeName | Should -Be 'sp-shrink'
        { Get-MemShrinker nosuch -Node $script:n -ErrorAction Stop } | Should -Throw -ErrorId 'ShrinkerNotFound,*'
    }

    It 'unregisters a piped shrinker from its own node, honouring -WhatIf' {
        $null = Register-MemShrinker gpu 5000 -Node $script:n
        $other = New-MemNode -Name sp-other -Size 256MB -CmaSize 0
        try {
            Get-MemShrinker gpu -Node $script:n | Unregister-MemShrinker -WhatIf
            @(Get-MemShrinker -Node $script:n).Count | Should -Be 2
            Get-MemShrinker gpu -Node $script:n | Unregister-MemShrinker
            @(Get-MemShrinker -Node $script:n | ForEach-Object Name) | Should -Be @('super_block')
            # The node is named by the piped object, not the current node (sp-other).
            @(Get-MemShrinker -Node $other).Count | Should -Be 1
        } finally { Remove-MemNode -Name sp-other -Confirm:$false }
    }

    It 'rejects unknown names and the superblock shrinker, changing nothing, even under -WhatIf' {
        $null = Register-MemShrinker gpu 10 -Node $script:n
        { Unregister-MemShrinker nosuch -Node $script:n -ErrorAction Stop } | Should -Throw -ErrorId 'ShrinkerNotFound,*'
        { Unregister-MemShrinker super_block -Node $script:n -ErrorAction Stop } | Should -Throw -ErrorId 'ShrinkerNotRemovable,*'
        { Unregister-MemShrinker nosuch -Node $script:n -WhatIf -ErrorAction Stop } | Should -Throw -ErrorId 'ShrinkerNotFound,*'
        @(Get-MemShrinker -Node $script:n).Count | Should -Be 2
    }
}
