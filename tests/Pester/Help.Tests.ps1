# Every exported cmdlet has full help (synopsis, description, every parameter, two examples) and declares [OutputType].
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $cmdlets = @((Get-Module MemMgmt).ExportedCmdlets.Keys | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)
    $common = @([System.Management.Automation.Cmdlet]::CommonParameters) + @([System.Management.Automation.Cmdlet]::OptionalCommonParameters)
    function Get-HelpText($items) { (@($items | ForEach-Object { $_.Text }) -join ' ').Trim() }
}

# Removes every node this file made, whatever its tests did, so files share a runspace in any order.
AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

# Module.Tests.ps1 checks that the manifest exports exactly the cmdlets the dll implements.
Describe 'Cmdlet help and OutputType' {
    It '<Name> declares [OutputType]' -ForEach $cmdlets {
        (Get-Command $Name).OutputType.Count | Should -BeGreaterThan 0
    }

    It '<Name> has a written synopsis and description' -ForEach $cmdlets {
        $help = Get-Help $Name -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        # Without MAML help, Get-Help makes the synopsis from the syntax: "Verb-Noun [-Param] ...".
        $help.Synopsis.Trim() | Should -Not -BeLike "$Name *"
        $help.Synopsis.Length | Should -BeGreaterThan 20
        (Get-HelpText $help.description).Length | Should -BeGreaterThan 40
    }

    It '<Name> has at least two examples with code and remarks' -ForEach $cmdlets {
        $examples = @((Get-Help $Name -Full).examples.example)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($e in $examples) {
            $e.code | Should -Not -BeNullOrEmpty
            (Get-HelpText $e.remarks).Length | Should -BeGreaterThan 10
        }
    }

    It '<Name> documents exactly its parameters, each with a description' -ForEach $cmdlets {
        $help = Get-Help $Name -Full
        $actual = @((Get-Command $Name).Parameters.Keys | Where-Object { $common -notcontains $_ })
        $optional = @((Get-Command $Name).Parameters.Keys | Where-Object { @('WhatIf', 'Confirm') -contains $_ })
        $documented = @($help.parameters.parameter | ForEach-Object { $_.name })
        foreach ($p in $actual + $optional) { $documented | Should -Contain $p }
        foreach ($p in $documented) { $actual + $optional | Should -Contain $p }
        foreach ($p in @($help.parameters.parameter)) { (Get-HelpText $p.description).Length | Should -BeGreaterThan 10 }
    }

    It '<Name> gives each parameter the type it binds to' -ForEach $cmdlets {
        $command = Get-Command $Name
        foreach ($p in @((Get-Help $Name -Full).parameters.parameter)) {
            $type = $command.Parameters[$p.name].ParameterType
            $type = if ([Nullable]::GetUnderlyingType($type)) { [Nullable]::GetUnderlyingType($type) } else { $type }
            $p.type.name | Should -Be $type.Name -Because "-$($p.name)"
        }
    }

    It '<Name> has one syntax line per parameter set' -ForEach $cmdlets {
        @((Get-Help $Name -Full).syntax.syntaxItem).Count | Should -Be @((Get-Command $Name).ParameterSets).Count
    }
}
