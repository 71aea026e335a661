# The table views in MemMgmt.Format.ps1xml: every type gets a view, and every column resolves on a real object.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)
    $formatPath = [System.IO.Path]::Combine((Get-Module MemMgmt).ModuleBase, 'MemMgmt.Format.ps1xml')
    [xml]$format = [System.IO.File]::ReadAllText($formatPath)
    $node = New-MemNode -Name fmt-node -Size 256MB -CmaSize 0
    $samples = @{
        'MemMgmt.Core.Node.MemNode'         = $node
        'MemMgmt.PS.Results.PageAllocation' = New-PageAllocation -Order 1 -Gfp GFP_KERNEL -Node $node
        'MemMgmt.PS.Results.SysctlEntry'    = Get-MemSysctl vm.min_free_kbytes -Node $node
        'MemMgmt.PS.Results.NodeTestResult' = Test-MemNode -Node $node
        'MemMgmt.PS.Results.Pageblock'      = @(Get-Pageblock -Node $node)[0]
    }
}

# Removes every node this file made, whatever its tests did, so files share a runspace in any order.
AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

Describe 'MemMgmt.Format.ps1xml' {
    It 'has a table view for every result type of the issue-2 cmdlets' {
        $typed = @($format.Configuration.ViewDefinitions.View | ForEach-Object { $_.ViewSelectedBy.TypeName })
        foreach ($t in $samples.Keys) { $typed | Should -Contain $t }
    }

    It 'has as many headers as columns in every view' {
        foreach ($view in $format.Configuration.ViewDefinitions.View) {
            @($view.TableControl.TableHeaders.TableColumnHeader).Count |
                Should -Be @($view.TableControl.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem).Count
        }
    }

    It 'resolves every column of every view on a real object' {
        foreach ($view in $format.Configuration.ViewDefinitions.View) {
            $object = $samples[$view.ViewSelectedBy.TypeName]
            $object | Should -Not -BeNullOrEmpty
            foreach ($item in $view.TableControl.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem) {
                if ($item.PropertyName) {
                    $object.PSObject.Properties[$item.PropertyName] | Should -Not -BeNullOrEmpty
                } else {
                    $block = [scriptblock]::Create($item.ScriptBlock)
                    $value = @($object | ForEach-Object $block)
                    # Only FirstViolation may be empty (a passing node has none).
                    if ($item.ScriptBlock -notmatch 'Violations\[0\]') { $value.Count | Should -Be 1 }
                }
            }
        }
    }

    It 'shows pfns in hex as the kernel does' {
        $a = $samples['MemMgmt.PS.Results.PageAllocation']
        $view = $format.Configuration.ViewDefinitions.View | Where-Object Name -EQ 'MemMgmt.PageAllocation'
        $pfnItem = @($view.TableControl.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem)[1]
        @($a | ForEach-Object ([scriptblock]::Create($pfnItem.ScriptBlock)))[0] | Should -Be ('0x{0:x}' -f $a.Pfn)
    }
}
