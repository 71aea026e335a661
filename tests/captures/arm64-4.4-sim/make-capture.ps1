<#
.SYNOPSIS
    Writes the SIMULATED arm64 4.4 capture in this folder: MemMgmt's own /proc texts of a 4 GiB `-Kernel 4.4` node,
    not a real machine's. See README.md.
.EXAMPLE
    dotnet pwsh -NoProfile -File tests/captures/arm64-4.4-sim/make-capture.ps1
#>
[CmdletBinding()]
param(
    # Where the phase folders go (default: this script's folder).
    [string] $OutDirectory = $PSScriptRoot,
    # The assembled module (default: out/MemMgmt of this checkout).
    [string] $Module = (Join-Path $PSScriptRoot '../../../out/MemMgmt/MemMgmt.psd1')
)
$ErrorActionPreference = 'Stop'
Import-Module $Module -Force

function Save-Phase([object] $Node, [string] $Phase) {
    $dir = Join-Path $OutDirectory $Phase
    $null = New-Item -ItemType Directory -Path $dir -Force
    $files = [ordered]@{
        'zoneinfo.txt'     = { Get-ZoneInfo -Node $Node -Raw }
        'buddyinfo.txt'    = { Get-BuddyInfo -Node $Node -Raw }
        'pagetypeinfo.txt' = { Get-PageTypeInfo -Node $Node -Raw }
        'vmstat.txt'       = { Get-VmStat -Node $Node -Raw }
        'meminfo.txt'      = { Get-MemInfo -Node $Node -Raw }
    }
    foreach ($f in $files.Keys) {
        # -Raw gives the kernel text's lines; the files end with a newline, as cat of the /proc file does.
        $text = ((& $files[$f]) -join "`n") + "`n"
        [System.IO.File]::WriteAllText((Join-Path $dir $f), $text)
    }
}

$name = 'arm64-4.4-sim-' + [guid]::NewGuid().ToString('n').Substring(0, 8)
$node = New-MemNode -Kernel 4.4 -Size 4GB -Seed 44 -Name $name
try {
    Save-Phase $node 'boot'

    # Pressure: a random half of 80 % of memory stays allocated, 60 % of it page cache and a fifth of that pinned
    # (reclaim scans pinned pages but cannot free them); then direct reclaim, as an allocating task would run it.
    Add-Pressure -Node $node -Pattern RandomHalf -Percent 80 -FilePercent 60 -PinnedPercent 20 -UnmovablePercent 5 -ReclaimablePercent 5 -Seed 44 | Out-Null
    1..4 | ForEach-Object { Invoke-Reclaim -Node $node -Order 0 | Out-Null }
    Save-Phase $node 'pressure'
}
finally {
    Remove-MemNode -Node $node -Confirm:$false
}
