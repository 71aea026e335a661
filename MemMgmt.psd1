@{
    RootModule        = 'MemMgmt.PS.dll'
    ModuleVersion     = '0.1.0'
    GUID              = '6f1d7c2e-3a4b-4e5f-9a8b-1c2d3e4f5a6b'
    Author            = 'MemMgmt team'
    Description       = 'A kernel-faithful simulation of Linux 4.14 memory management on arm64, driven by cmdlets.'
    PowerShellVersion = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FormatsToProcess  = @('MemMgmt.Format.ps1xml', 'MemMgmt.ProcViews.Format.ps1xml')
    CmdletsToExport   = @(
        'Copy-MemNode'
        'Get-BuddyInfo'
        'Get-FragmentationIndex'
        'Get-MemInfo'
        'Get-MemNode'
        'Get-MemSysctl'
        'Get-Pageblock'
        'Get-PageTypeInfo'
        'Get-VmStat'
        'Get-ZoneInfo'
        'New-MemNode'
        'New-PageAllocation'
        'Remove-MemNode'
        'Remove-PageAllocation'
        'Set-MemSysctl'
        'Test-MemNode'
    )
    FunctionsToExport = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
