#Requires -Version 7.4
<#
.SYNOPSIS
    Builds MemMgmt, assembles the importable module in out/MemMgmt, runs the tests, and packages the module.
.DESCRIPTION
    Runs in the pwsh the repository pins (.config/dotnet-tools.json): `dotnet tool restore`, then
    `dotnet pwsh ./build.ps1 -Task ...`. The same work without pwsh is `dotnet build` (assembles
    out/MemMgmt) and `dotnet test MemMgmt.sln -c Release`.
    -Task Pester runs tests/Pester with the real Pester (the NuGet package the test project restores)
    in a new pwsh against out/MemMgmt. -Task Package publishes out/MemMgmt as a .nupkg with
    Publish-PSResource to a local folder repository (out/packages by default).
.PARAMETER Task
    Build (default), Test, Pester, Package or All (Build, Test, Pester, Package).
.PARAMETER Configuration
    Debug (default) or Release.
.PARAMETER PackagePath
    The folder the .nupkg is published to; default out/packages.
.PARAMETER NoBuild
    Skips the build that every task starts with (uses out/MemMgmt as it is).
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Build; Import-Module ./out/MemMgmt
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task All -Configuration Release
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pester', 'Package', 'All')]
    [string] $Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug',
    [string] $PackagePath = (Join-Path $PSScriptRoot 'out/packages'),
    [switch] $NoBuild
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
    # A new pwsh, so the suite's Import-Module -Force and the Pester module stay out of this session.
    Push-Location $root
    try {
        Invoke-Dotnet tool restore
        Invoke-Dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $root 'tests/Invoke-PesterSuite.ps1')
    } finally {
        Pop-Location
    }
}

function Package {
    $version = (Test-ModuleManifest (Join-Path $module 'MemMgmt.psd1')).Version
    $null = New-Item -ItemType Directory -Force $PackagePath
    $nupkg = Join-Path $PackagePath "MemMgmt.$version.nupkg"
    # A folder repository under a name no user has, registered only while publishing.
    $repository = "MemMgmtBuild-$([guid]::NewGuid().ToString('N'))"
    Register-PSResourceRepository -Name $repository -Uri (Resolve-Path $PackagePath).Path -Trusted
    try {
        Remove-Item $nupkg -ErrorAction Ignore
        Publish-PSResource -Path $module -Repository $repository
    } finally {
        Unregister-PSResourceRepository -Name $repository
    }
    if (-not (Test-Path $nupkg)) { throw "Publish-PSResource wrote no $nupkg" }
    Write-Host "Packaged $nupkg"
}

if (-not $NoBuild) { Build }
switch ($Task) {
    'Test' { Test }
    'Pester' { Pester }
    'Package' { Package }
    'All' { Test; Pester; Package }
}
