#Requires -Version 7.0
<#
.SYNOPSIS
    Runs one shard of a sweep over seeds and vm.* sysctls, one fresh node per case, and writes one CSV row per case.
.DESCRIPTION
    The sweep is the cross product of -Seed and every value list in -Sysctl (keys in sorted order, values in the
    order given). Cases are numbered from 0 in that order, and shard i/n runs the cases whose number modulo n is
    i-1, so any batch scheduler (a Slurm array, a Kubernetes indexed Job, a CI matrix) can run shard 1/n .. n/n on
    different machines and Merge-MemSweep.ps1 joins their CSV files into the same table one unsharded run writes.
    Every case builds its own node from its seed, so a case's row does not depend on which shard ran it or on
    what ran before it.

    On one machine the cases of a shard run in parallel runspaces (ForEach-Object -Parallel), -ThrottleLimit at a
    time; each runspace imports the module itself (modules are per runspace) and removes its node when done.

    The default workload per case is the design-card pipeline: New-MemNode -Seed s, the sysctls set, Add-Pressure
    -Order 3 (the EveryOther fill, then 64 order-3 requests), Invoke-Compaction (compact_memory). -Workload
    replaces it: a script block that gets the node as $args[0] and returns a hashtable or object of columns.
.PARAMETER Seed
    The seeds to sweep (each case's New-MemNode -Seed and Add-Pressure -Seed).
.PARAMETER Sysctl
    A hashtable of vm.* sysctl name to the list of values to sweep, e.g. @{ 'vm.extfrag_threshold' = 100, 500 }.
.PARAMETER Shard
    'i/n': run the i-th of n shards (1-based). Default '1/1', the whole sweep.
.PARAMETER Size
    Node size (New-MemNode -Size); default the profile's 2 GiB.
.PARAMETER Workload
    The per-case workload (see the description). It runs in a parallel runspace, so it sees no variable of the
    caller; it gets the node as $args[0] and the case (Case, Seed, Sysctl) as $args[1], and returns the row's
    further columns as an ordered dictionary (in its order), a hashtable (sorted by name) or an object.
.PARAMETER OutFile
    The CSV file to write; without it the rows go to the pipeline.
.PARAMETER ThrottleLimit
    Cases run at once on this machine (default: the processor count).
.EXAMPLE
    ./tools/Invoke-MemSweep.ps1 -Seed (1..12) -Sysctl @{ 'vm.extfrag_threshold' = 100, 500, 900 } -Shard 2/4 -OutFile shard2.csv
    Runs the second of four shards of a 36-case sweep (cases 1, 5, 9, ... 33) and writes them to shard2.csv.
.EXAMPLE
    # A Slurm array job: one shard per task, then one merge.
    #   sbatch --array=1-8 --wrap 'pwsh tools/Invoke-MemSweep.ps1 -Seed (1..64) -Shard "$SLURM_ARRAY_TASK_ID/8" -OutFile "out/shard$SLURM_ARRAY_TASK_ID.csv"'
    ./tools/Merge-MemSweep.ps1 -Path out/shard*.csv -OutFile sweep.csv
.EXAMPLE
    # Many nodes on one machine without this script: ForEach-Object -Parallel over seeds and a sysctl.
    $module = (Get-Module MemMgmt).Path
    $cases = foreach ($s in 1..8) { foreach ($t in 100, 500) { [pscustomobject]@{ Seed = $s; Threshold = $t } } }
    $cases | ForEach-Object -ThrottleLimit 2 -Parallel {
        Import-Module $using:module
        $n = New-MemNode -Name "seed$($_.Seed)-t$($_.Threshold)" -Seed $_.Seed
        Set-MemSysctl -Node $n vm.extfrag_threshold $_.Threshold
        $p = Add-Pressure -Node $n -Order 3 -Seed $_.Seed
        [pscustomobject]@{ Seed = $_.Seed; Threshold = $_.Threshold; Failures = $p.Failures; Stalls = $p.Stalls }
        Remove-MemNode -Node $n -Confirm:$false
    } | Sort-Object Seed, Threshold
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [ValidateNotNullOrEmpty()]
    [ulong[]] $Seed,

    [System.Collections.IDictionary] $Sysctl = @{},

    [ValidatePattern('^\d+/\d+$')]
    [string] $Shard = '1/1',

    [long] $Size = 0,

    [scriptblock] $Workload,

    [string] $OutFile,

    [ValidateRange(1, 256)]
    [int] $ThrottleLimit = [Environment]::ProcessorCount
)
$ErrorActionPreference = 'Stop'
. ([System.IO.Path]::Combine($PSScriptRoot, 'MemSweepCsv.ps1'))

$i, $n = $Shard.Split('/') | ForEach-Object { [int]$_ }
if ($n -lt 1 -or $i -lt 1 -or $i -gt $n) {
    $err = [System.Management.Automation.ErrorRecord]::new(
        [System.ArgumentOutOfRangeException]::new('Shard', "-Shard '$Shard' is out of range; give i/n with 1 <= i <= n."),
        'ShardOutOfRange', [System.Management.Automation.ErrorCategory]::InvalidArgument, $Shard)
    $PSCmdlet.ThrowTerminatingError($err)
}

# The whole sweep, numbered: seeds outermost, then each sysctl (sorted by name) with its values in the order given.
$names = [System.Collections.Generic.List[string]]::new()
foreach ($k in $Sysctl.Keys) { $names.Add([string]$k) }
$names.Sort([System.StringComparer]::Ordinal)
$combos = [System.Collections.Generic.List[System.Collections.Specialized.OrderedDictionary]]::new()
$combos.Add([ordered]@{})
foreach ($name in $names) {
    $next = [System.Collections.Generic.List[System.Collections.Specialized.OrderedDictionary]]::new()
    foreach ($c in $combos) {
        foreach ($v in @($Sysctl[$name])) {
            $d = [ordered]@{}
            foreach ($k in $c.Keys) { $d[$k] = $c[$k] }
            $d[$name] = $v
            $next.Add($d)
        }
    }
    $combos = $next
}
$cases = [System.Collections.Generic.List[object]]::new()
$number = 0
foreach ($s in $Seed) {
    foreach ($c in $combos) {
        if ($number % $n -eq $i - 1) { $cases.Add([pscustomobject]@{ Case = $number; Seed = $s; Sysctl = $c }) }
        $number++
    }
}
$PSCmdlet.WriteVerbose("shard $i/$n`: $($cases.Count) of $number cases")

$module = (Get-Module MemMgmt).Path
if (-not $module) { $module = [System.IO.Path]::Combine($PSScriptRoot, '..', 'out', 'MemMgmt', 'MemMgmt.psd1') }
$workloadText = if ($Workload) { $Workload.ToString() } else { $null }

$results = $cases | ForEach-Object -ThrottleLimit $ThrottleLimit -Parallel {
    $case = $_
    Import-Module $using:module
    $params = @{ Name = "sweep-case$($case.Case)"; Seed = $case.Seed }
    if ($using:Size -gt 0) { $params.Size = $using:Size }
    $node = New-MemNode @params
    try {
        foreach ($k in $case.Sysctl.Keys) { Set-MemSysctl -Node $node $k $case.Sysctl[$k] }
        $row = [ordered]@{ Case = $case.Case; Seed = $case.Seed }
        foreach ($k in $case.Sysctl.Keys) { $row[$k] = $case.Sysctl[$k] }
        if ($using:workloadText) {
            $result = & ([scriptblock]::Create($using:workloadText)) $node $case
            if ($result -is [System.Collections.Specialized.OrderedDictionary]) { foreach ($k in $result.Keys) { $row[[string]$k] = $result[$k] } }
            elseif ($result -is [System.Collections.IDictionary]) {
                # A hashtable's order changes from process to process (string hashing is randomised): sort the
                # columns, so every shard writes the same header.
                $keys = [System.Collections.Generic.List[string]]::new()
                foreach ($k in $result.Keys) { $keys.Add([string]$k) }
                $keys.Sort([System.StringComparer]::Ordinal)
                foreach ($k in $keys) { $row[$k] = $result[$k] }
            }
            else { foreach ($p in $result.PSObject.Properties) { $row[$p.Name] = $p.Value } }
        }
        else {
            $p = Add-Pressure -Node $node -Order 3 -Seed $case.Seed
            $c = Invoke-Compaction -Node $node
            $row.Requests = $p.Requests
            $row.Failures = $p.Failures
            $row.Stalls = $p.Stalls
            $row.CompactSuccess = $p.CompactSuccess
            $row.CompactResult = $c.Result
            $row.FreePages = $node.FreePages
        }
        [pscustomobject]$row
    }
    finally {
        Remove-MemNode -Node $node -Confirm:$false
    }
}
# Parallel runspaces finish in any order: put the rows back in case order.
$rows = [System.Collections.Generic.List[object]]::new()
foreach ($r in @($results)) { $rows.Add($r) }
$rows.Sort([System.Comparison[object]] { param($a, $b) ([long]$a.Case).CompareTo([long]$b.Case) })

if ($OutFile) {
    $path = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($OutFile)
    [System.IO.File]::WriteAllLines($path, [string[]]@(ConvertTo-SweepCsv $rows.ToArray()))
}
else { $rows }
