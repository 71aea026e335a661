# Module manifest for MemMgmt. The build copies it to out/MemMgmt/, stamping ModuleVersion
# with <Version> from Directory.Build.props (the one place the version is set).
# Export lists are explicit (never '*'): tests/Pester/Module.Tests.ps1 checks
# that CmdletsToExport names exactly the cmdlets MemMgmt.PS.dll implements.
@{
    RootModule           = 'MemMgmt.PS.dll'
    ModuleVersion        = '0.0.0'
    GUID                 = '5f0c8e3a-7b1d-4c2e-9a6f-2d4b8e1c3f70'
    Author               = 'MemMgmt developers'
    CompanyName          = 'MemMgmt developers'
    Copyright            = 'Copyright (c) 2026 The MemMgmt authors. MIT License.'
    Description          = 'A kernel-faithful simulation of Linux memory management (Linux 4.14, arm64): buddy allocator, watermarks, compaction, reclaim and the /proc views that show them.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    TypesToProcess       = @('MemMgmt.Types.ps1xml')
    FormatsToProcess     = @('MemMgmt.Format.ps1xml', 'MemMgmt.ProcViews.Format.ps1xml', 'MemMgmt.Compaction.Format.ps1xml', 'MemMgmt.Reclaim.Format.ps1xml', 'MemMgmt.Workloads.Format.ps1xml', 'MemMgmt.Oom.Format.ps1xml', 'MemMgmt.Views.Format.ps1xml')
    CmdletsToExport      = @(
        'Add-Pressure'
        'Add-WorkingSet'
        'Clear-MemKernelLog'
        'Clear-MemTrace'
        'Compare-MemNode'
        'Copy-MemNode'
        'Export-MemChart'
        'Export-MemNode'
        'Get-BdiStat'
        'Get-BuddyInfo'
        'Get-FragmentationIndex'
        'Get-LruVec'
        'Get-MemCgroup'
        'Get-MemInfo'
        'Get-MemKernelLog'
        'Get-MemNode'
        'Get-MemProcess'
        'Get-MemShrinker'
        'Get-MemSysctl'
        'Get-MemTrace'
        'Get-Pageblock'
        'Get-PageTypeInfo'
        'Get-VmPressure'
        'Get-VmStat'
        'Get-WorkingSet'
        'Get-ZoneInfo'
        'Import-MemNode'
        'Invoke-Compaction'
        'Invoke-DropCaches'
        'Invoke-Kcompactd'
        'Invoke-Kswapd'
        'Invoke-Reclaim'
        'New-MemCgroup'
        'New-MemNode'
        'New-MemProcess'
        'New-PageAllocation'
        'Register-MemShrinker'
        'Remove-MemCgroup'
        'Remove-MemNode'
        'Remove-PageAllocation'
        'Set-MemCgroup'
        'Set-MemSysctl'
        'Show-PageblockMap'
        'Start-MemRecording'
        'Step-MemNode'
        'Stop-MemProcess'
        'Stop-MemRecording'
        'Stop-WorkingSet'
        'Test-MemNode'
        'Unregister-MemShrinker'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('memory', 'linux', 'kernel', 'simulation', 'buddy-allocator', 'PSEdition_Core', 'PSEdition_Desktop', 'Linux', 'Windows', 'MacOS')
            # The license's own terms (LICENSE beside this file is the MIT text). ProjectUri stays unset until the
            # project has a public home; a made-up address would send users nowhere.
            LicenseUri   = 'https://opensource.org/license/mit'
            ReleaseNotes = 'Buddy allocator with zones, pageblocks and migrate types; watermarks and the allocation slow path; compaction and kcompactd; reclaim (LRU, kswapd, memcg, shrinkers, swap, writeback); the OOM killer; /proc views byte for byte as Linux 4.14 arm64 prints them. Kernel profiles 4.14 (default), 6.1 (checked against a real arm64 6.1 kernel under QEMU) and 4.4 (zone-based reclaim); hugetlb pools; node snapshots (Export-MemNode, Import-MemNode); nodes up to 1 TiB; nodes safe to share between runspaces.'
        }
    }
}
