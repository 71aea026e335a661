# Table views name the node they describe, label columns with property names, and the types file gives
# every node-describing object a NodeName and MemNode a short default display set.
BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) -Force
    $script:views = foreach ($file in [System.IO.Directory]::GetFiles((Get-Module MemMgmt).ModuleBase, '*.Format.ps1xml')) {
        ([xml][System.IO.File]::ReadAllText($file)).Configuration.ViewDefinitions.View
    }
}

Describe 'Views name the node' {
    BeforeAll {
        $script:n = New-MemNode -Name views-a -Size 256MB -CmaSize 0
        $script:w = Copy-MemNode -Node $script:n -Name views-whatif
        Set-MemSysctl vm.watermark_scale_factor 200 -Node $script:w
        Invoke-Compaction -Node $script:n
        $null = Add-WorkingSet -Node $script:n -Pattern HotSet -Percent 5
        $script:samples = @(
            $script:n
            New-PageAllocation -Node $script:n -Order 1
            Get-MemSysctl vm.swappiness -Node $script:n
            Test-MemNode -Node $script:n
            @(Get-Pageblock -Node $script:n)[0]
            Get-PageTypeInfo -Node $script:n
            Get-BuddyInfo -Node $script:n
            Get-ZoneInfo -Node $script:n
            @(Get-VmStat -Node $script:n)[0]
            Get-FragmentationIndex -Node $script:n
            Get-LruVec -Node $script:n
            Invoke-Compaction -Node $script:n
            Step-MemNode -Node $script:n -Milliseconds 10
            Invoke-Reclaim -Node $script:n -Order 0
            Invoke-Kswapd -Node $script:n
            Get-WorkingSet -Node $script:n
            New-MemCgroup views-cg -Node $script:n
        )
    }
    AfterAll {
        Remove-MemNode -Name views-* -Confirm:$false
    }

    It 'gives every object that carries a Node a NodeName' {
        foreach ($o in $script:samples) {
            if ($o.PSObject.Properties['Node']) { $o.NodeName | Should -Be 'views-a' -Because $o.GetType().FullName }
        }
    }

    It 'groups every table of node-describing objects by NodeName' {
        foreach ($o in $script:samples) {
            if (-not $o.PSObject.Properties['Node']) { continue }
            $view = @($script:views | Where-Object { $_.ViewSelectedBy.TypeName -eq $o.GetType().FullName })[0]
            if ($null -eq $view) { continue }
            if ($view.TableControl.TableHeaders.TableColumnHeader.Label -contains 'NodeName') { continue }
            $view.GroupBy.Label | Should -Be 'NodeName' -Because $view.Name
            $view.GroupBy.ScriptBlock | Should -Be '$_.Node.Name'
        }
    }

    It 'labels every column with a property of the object it shows (orders excepted)' {
        foreach ($o in $script:samples) {
            foreach ($view in @($script:views | Where-Object { $_.ViewSelectedBy.TypeName -like ($o.GetType().FullName + '*') })) {
                foreach ($label in $view.TableControl.TableHeaders.TableColumnHeader.Label) {
                    if ($label -match '^\d+$') { continue }
                    $o.PSObject.Properties[$label] | Should -Not -BeNullOrEmpty -Because "$($view.Name) column $label"
                }
            }
        }
    }

    It 'filters on what the table shows: Where-Object Free on zoneinfo rows' {
        $rows = @(Get-ZoneInfo -Node $script:w | Where-Object Free -lt 10)
        $rows.Count | Should -BeGreaterThan 0
        foreach ($r in $rows) { $r.Free | Should -BeLessThan 10 }
        @(Get-ZoneInfo -Node $script:w | Where-Object Free -gt 10).Zone | Should -Be @('DMA')
    }

    It 'tells the copy apart from its source by NodeName' {
        @(Get-ZoneInfo -Node $script:n)[0].NodeName | Should -Be 'views-a'
        @(Get-ZoneInfo -Node $script:w)[0].NodeName | Should -Be 'views-whatif'
        @(Get-ZoneInfo -Node $script:w)[0].Low | Should -BeGreaterThan @(Get-ZoneInfo -Node $script:n)[0].Low
    }
}

Describe 'Types file' {
    AfterAll {
        Remove-MemNode -Name types-* -Confirm:$false
    }

    It 'is loaded by the manifest' {
        (Get-Module MemMgmt).ExportedTypeFiles | Should -Not -BeNullOrEmpty
        @((Get-Module MemMgmt).ExportedTypeFiles | ForEach-Object { [System.IO.Path]::GetFileName($_) }) | Should -Contain 'MemMgmt.Types.ps1xml'
    }

    It 'gives MemNode a short default display set' {
        $n = New-MemNode -Name types-n -Size 256MB -CmaSize 0
        $set = $n.PSStandardMembers.DefaultDisplayPropertySet.ReferencedPropertyNames
        $set | Should -Be @('Name', 'Profile', 'SizeMiB', 'PageSize', 'ManagedPages', 'FreePages', 'NrCpus')
        $n.SizeMiB | Should -Be 256
        $n.PageSize | Should -Be 4096
        $n.MaxOrder | Should -Be 11
    }

    It 'has ToString on row types' {
        $n = New-MemNode -Name types-s -Size 256MB -CmaSize 0
        "$(@(Get-BuddyInfo -Node $n)[0])" | Should -BeLike 'Node 0, zone *DMA *'
        "$(@(Get-VmStat nr_free_pages -Node $n)[0])" | Should -BeLike 'nr_free_pages *'
        "$(@(Get-MemInfo MemFree -Node $n)[0])" | Should -BeLike 'MemFree: * kB'
        "$(@(Get-LruVec -Node $n)[0])" | Should -BeLike 'types-s /: inactive_anon *'
        "$(New-MemCgroup types-cg -Node $n)" | Should -BeLike 'types-s:/types-cg usage *'
        "$(@(Get-ZoneInfo -Node $n)[0])" | Should -BeLike 'Node 0, zone DMA: free *'
    }
}
