#Requires -Version 7.0
<#
.SYNOPSIS
    Merges the CSV files of a sweep's shards (Invoke-MemSweep.ps1 -Shard i/n -OutFile ...) into one table.
.DESCRIPTION
    Reads every file, checks that they share one header and that no case number appears twice, and writes the
    header and the rows in case order, so the merged file of shards 1/n .. n/n is byte for byte the file of the
    unsharded run. Case numbers missing below the highest (a shard not run, or one that failed) are reported as a
    warning naming them.
.PARAMETER Path
    The shard CSV files; a file name may hold wildcards (shard*.csv).
.PARAMETER OutFile
    The merged CSV file; without it the rows go to the pipeline as objects.
.EXAMPLE
    ./tools/Merge-MemSweep.ps1 -Path out/shard*.csv -OutFile sweep.csv
    Joins every shard in out/ into sweep.csv.
.EXAMPLE
    ./tools/Merge-MemSweep.ps1 -Path a.csv, b.csv | Where-Object Failures -gt 0
    The merged rows as objects, filtered in the pipeline.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string[]] $Path,
    [string] $OutFile
)
$ErrorActionPreference = 'Stop'
. ([System.IO.Path]::Combine($PSScriptRoot, 'MemSweepCsv.ps1'))

function Stop-Merge([string] $Id, [string] $Message, [object] $Target) {
    $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
        [System.IO.InvalidDataException]::new($Message), $Id, [System.Management.Automation.ErrorCategory]::InvalidData, $Target))
}

$files = [System.Collections.Generic.List[string]]::new()
foreach ($p in $Path) {
    $full = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($p)
    $dir = [System.IO.Path]::GetDirectoryName($full)
    $leaf = [System.IO.Path]::GetFileName($full)
    if ([System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($leaf)) {
        foreach ($f in [System.IO.Directory]::GetFiles($dir, $leaf)) { $files.Add($f) }
    }
    elseif ([System.IO.File]::Exists($full)) { $files.Add($full) }
    else {
        $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
            [System.IO.FileNotFoundException]::new("Shard file '$p' does not exist."), 'ShardFileNotFound',
            [System.Management.Automation.ErrorCategory]::ObjectNotFound, $p))
    }
}
$files.Sort([System.StringComparer]::Ordinal)

$header = $null
$headerFile = $null
$byCase = [System.Collections.Generic.SortedDictionary[long, string]]::new()
$from = @{}
foreach ($f in $files) {
    $lines = [System.IO.File]::ReadAllLines($f)
    if ($lines.Count -eq 0) { continue } # an empty shard (more shards than cases)
    if ($null -eq $header) { $header = $lines[0]; $headerFile = $f }
    elseif ($lines[0] -ne $header) {
        Stop-Merge 'ShardHeaderMismatch' "'$f' has the header '$($lines[0])', but '$headerFile' has '$header'; shards of one sweep share their columns." $f
    }
    for ($k = 1; $k -lt $lines.Count; $k++) {
        if ($lines[$k].Length -eq 0) { continue }
        $case = [long](ConvertFrom-SweepCsvLine $lines[$k])[0]
        if ($byCase.ContainsKey($case)) {
            Stop-Merge 'ShardCaseDuplicate' "Case $case is in both '$($from[$case])' and '$f'; each shard must run different cases." $case
        }
        $byCase[$case] = $lines[$k]
        $from[$case] = $f
    }
}
if ($byCase.Count -gt 0) {
    $max = -1L
    foreach ($c in $byCase.Keys) { $max = $c }
    $missing = @(for ($c = 0L; $c -le $max; $c++) { if (-not $byCase.ContainsKey($c)) { $c } })
    if ($missing.Count -gt 0) { $PSCmdlet.WriteWarning("cases missing from the shards: $($missing -join ', ')") }
}
$merged = [System.Collections.Generic.List[string]]::new()
if ($null -ne $header) { $merged.Add($header) }
foreach ($line in $byCase.Values) { $merged.Add($line) }
if ($OutFile) { [System.IO.File]::WriteAllLines($PSCmdlet.GetUnresolvedProviderPathFromPSPath($OutFile), $merged.ToArray()) }
else { ConvertFrom-SweepCsv $merged.ToArray() }
