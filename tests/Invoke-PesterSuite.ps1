<#
.SYNOPSIS
    Runs tests/Pester with the real Pester from the NuGet package, in this pwsh, in one shared session.
.DESCRIPTION
    Each test file imports out/MemMgmt itself (build it first: `dotnet build`). Pester comes from the
    package the test project restores (its version is pinned in Directory.Packages.props), under
    $env:NUGET_PACKAGES or ~/.nuget/packages; -PesterManifest names another copy (e.g. Pester 6).
    Prints failures, then a last line "pwsh Pester <version>: N passed, N failed, N skipped";
    exits 1 if any test or file failed.
.EXAMPLE
    dotnet pwsh -NoProfile -File tests/Invoke-PesterSuite.ps1
.EXAMPLE
    dotnet pwsh -NoProfile -File tests/Invoke-PesterSuite.ps1 -Path tests/Pester/Reclaim.Tests.ps1 -Output Detailed
#>
[CmdletBinding()]
param(
    [string[]] $Path = (Join-Path $PSScriptRoot 'Pester'),
    [string] $PesterManifest,
    [ValidateSet('None', 'Normal', 'Detailed', 'Diagnostic')]
    [string] $Output = 'Normal'
)
$ErrorActionPreference = 'Stop'

if (-not $PesterManifest) {
    $props = [xml](Get-Content -Raw (Join-Path $PSScriptRoot '../Directory.Packages.props'))
    $version = ($props.Project.ItemGroup.PackageVersion | Where-Object Include -eq 'Pester').Version
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
    $PesterManifest = Join-Path $packages "pester/$version/tools/Pester.psd1"
    if (-not (Test-Path $PesterManifest)) {
        throw "Pester $version is not restored at $PesterManifest; run 'dotnet restore MemMgmt.sln' first."
    }
}
Import-Module $PesterManifest -Force
$pester = Get-Module Pester

$config = New-PesterConfiguration
$config.Run.Path = $Path
$config.Run.PassThru = $true
$config.Output.Verbosity = $Output
$result = Invoke-Pester -Configuration $config
if ($null -eq $result) { throw 'Invoke-Pester returned no result (see the error above).' }

# A file that failed outside any It (parse error, throwing Describe body, failing top-level
# BeforeAll or AfterAll) counts as one failure on top of its tests.
$failed = $result.FailedCount + $result.FailedContainersCount + $result.FailedBlocksCount
"pwsh Pester $($pester.Version): $($result.PassedCount) passed, $failed failed, $($result.SkippedCount + $result.NotRunCount) skipped"
exit ([int]($failed -gt 0))
