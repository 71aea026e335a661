<#
.SYNOPSIS
    Runs Pester test files with the real Invoke-Pester and flattens the result for the xunit bridge.
.DESCRIPTION
    Emits one object per file: File, Error (a failure of the file itself: parse error, throwing
    Describe body, failing top-level BeforeAll) and Tests, each with Path ("Describe > Context > It"
    with the names Pester expanded), Key (the same path of unexpanded names, numbered "#2", "#3"...
    where it repeats: Pester expands some data-driven names only at run time, so Key is what
    identifies a test in both discovery and run), Result (Passed, Failed, Skipped, or NotRun after
    -DiscoveryOnly), Message and StackTrace.
    A test inside a block whose BeforeAll or AfterAll failed is reported Failed with that block's
    error, so setup and teardown failures are never silent.
#>
param(
    [Parameter(Mandatory)] [string] $PesterManifest,
    [Parameter(Mandatory)] [string[]] $Path,
    [switch] $DiscoveryOnly
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterManifest -Force

$config = New-PesterConfiguration
$config.Run.Path = $Path
$config.Run.PassThru = $true
$config.Run.SkipRun = [bool]$DiscoveryOnly
$config.Output.Verbosity = 'None'
$run = Invoke-Pester -Configuration $config

function Get-FirstError($records) {
    foreach ($r in $records) {
        return [pscustomobject]@{
            Message    = "$($r.Exception.GetType().Name): $($r.Exception.Message)"
            StackTrace = $r.ScriptStackTrace
        }
    }
}

# Discovery leaves data-driven names as templates (Pester expands them when the test runs);
# for display, fill in <Name>, <Name.Property> and <_> from the block's or test's data.
function Expand-Name([string] $name, $data) {
    if (-not $DiscoveryOnly -or $null -eq $data) { return $name }
    [regex]::Replace($name, '<([^<>]+)>', {
            param($m)
            $parts = $m.Groups[1].Value -split '\.'
            $value = if ($parts[0] -eq '_') { $data } elseif ($data -is [System.Collections.IDictionary]) { $data[$parts[0]] } else { return $m.Value }
            foreach ($p in $parts | Select-Object -Skip 1) { $value = $value.$p }
            "$value"
        })
}

function Get-Tests($block, [string[]] $names, [string[]] $templates, $inherited, $seen) {
    $names = $names + (Expand-Name $block.ExpandedName $block.Data)
    $templates = $templates + $block.Name
    $blockError = Get-FirstError $block.ErrorRecord
    if ($blockError) { $inherited = $blockError }
    foreach ($test in $block.Tests) {
        $key = ($templates + $test.Name) -join ' > '
        $seen[$key]++
        if ($seen[$key] -gt 1) { $key += " #$($seen[$key])" }
        $own = Get-FirstError $test.ErrorRecord
        $result = "$($test.Result)"
        $failure = if ($own) { $own } elseif ($result -ne 'Skipped' -and -not $DiscoveryOnly) { $inherited }
        if ($failure) { $result = 'Failed' }
        [pscustomobject]@{
            Path       = ($names + (Expand-Name $test.ExpandedName $test.Data)) -join ' > '
            Key        = $key
            Result     = $result
            Message    = $failure.Message
            StackTrace = $failure.StackTrace
        }
    }
    foreach ($child in $block.Blocks) { Get-Tests $child $names $templates $inherited $seen }
}

foreach ($container in $run.Containers) {
    $fileError = Get-FirstError $container.ErrorRecord
    $seen = @{}
    $tests = @(foreach ($block in $container.Blocks) { Get-Tests $block @() @() $fileError $seen })
    $fileFailure = $null
    if ($fileError -and $tests.Count -eq 0) { $fileFailure = "$($fileError.Message)`n$($fileError.StackTrace)" }
    [pscustomobject]@{
        File  = [System.IO.Path]::GetFileName("$($container.Item)")
        Error = $fileFailure
        Tests = $tests
    }
}
