#Requires -Version 5.1
<#
.SYNOPSIS
    Builds MemMgmt, assembles the importable module in out/MemMgmt, runs the tests, and packages the module.
.DESCRIPTION
    For pwsh users. The same work without pwsh is `dotnet build` (assembles out/MemMgmt) and `dotnet test MemMgmt.sln`.
    Where Pester 5 is installed, -Task Pester runs tests/Pester with the real Invoke-Pester against out/MemMgmt.
.PARAMETER Task
    Build (default), Test, Pester, Package or All.
.PARAMETER Configuration
    Debug (default) or Release.
.EXAMPLE
    ./build.ps1 -Task Build; Import-Module ./out/MemMgmt
.EXAMPLE
    ./build.ps1 -Task All -Configuration Release
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pester', 'Package', 'All')]
    [string] $Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug'
)
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$module = Join-Path $root 'out/MemMgmt'

function Invoke-Dotnet {
    & dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE" }
}

function Build {
    Invoke-Dotnet build (Join-Path $root 'MemMgmt.sln') -c $Configuration
    Test-ModuleManifest (Join-Path $module 'MemMgmt.psd1') | Out-Null
    Write-Host "Module assembled in $module"
}

function Test {
    Invoke-Dotnet test (Join-Path $root 'MemMgmt.sln') -c $Configuration
}

function Pester {
    if (-not (Get-Module -ListAvailable Pester | Where-Object { $_.Version.Major -ge 5 })) {
        throw 'Pester 5 is not installed: Install-Module Pester -MinimumVersion 5.0 -Scope CurrentUser'
    }
    $job = Start-Job -ScriptBlock {
        param($module, $tests)
        Import-Module $module -Force
        Import-Module Pester -MinimumVersion 5.0
        $r = Invoke-Pester -Path $tests -PassThru -Output Detailed
        $r.FailedCount
    } -ArgumentList (Join-Path $module 'MemMgmt.psd1'), (Join-Path $root 'tests/Pester')
    $failed = Receive-Job $job -Wait -AutoRemoveJob | Select-Object -Last 1
    if ($failed -ne 0) { throw "$failed Pester tests failed" }
}

function Package {
    $manifest = Import-PowerShellDataFile (Join-Path $module 'MemMgmt.psd1')
    $zip = Join-Path $root "out/MemMgmt-$($manifest.ModuleVersion).zip"
    Compress-Archive -Path $module -DestinationPath $zip -Force
    Write-Host "Packaged $zip"
}

switch ($Task) {
    'Build' { Build }
    'Test' { Build; Test }
    'Pester' { Build; Pester }
    'Package' { Build; Package }
    'All' { Build; Test; Package }
}
