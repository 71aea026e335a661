# CSV lines for the sweep scripts, written and read with .NET only, so the scripts run in any PowerShell host
# (a hosted engine may lack the Microsoft.PowerShell.Utility module with Export-Csv and Sort-Object).
# A field is quoted only when it holds a comma, a quote or a line break, and quotes are doubled, as RFC 4180 says.

function ConvertTo-SweepCsvField([object] $Value) {
    $s = if ($null -eq $Value) { '' } else { [string]$Value }
    if ($s.IndexOfAny([char[]]@(',', '"', "`r", "`n")) -ge 0) { '"' + $s.Replace('"', '""') + '"' } else { $s }
}

function ConvertTo-SweepCsvLine([object[]] $Values) {
    [string]::Join(',', [string[]]@(foreach ($v in $Values) { ConvertTo-SweepCsvField $v }))
}

function ConvertFrom-SweepCsvLine([string] $Line) {
    $fields = [System.Collections.Generic.List[string]]::new()
    $sb = [System.Text.StringBuilder]::new()
    $quoted = $false
    for ($k = 0; $k -lt $Line.Length; $k++) {
        $ch = $Line[$k]
        if ($quoted) {
            if ($ch -eq '"') {
                if ($k + 1 -lt $Line.Length -and $Line[$k + 1] -eq '"') { [void]$sb.Append('"'); $k++ }
                else { $quoted = $false }
            }
            else { [void]$sb.Append($ch) }
        }
        elseif ($ch -eq '"') { $quoted = $true }
        elseif ($ch -eq ',') { $fields.Add($sb.ToString()); [void]$sb.Clear() }
        else { [void]$sb.Append($ch) }
    }
    $fields.Add($sb.ToString())
    , $fields.ToArray()
}

# Rows (objects with the same properties) as CSV lines: the header, then one line per row.
function ConvertTo-SweepCsv([object[]] $Rows) {
    if ($Rows.Count -eq 0) { return }
    $names = @($Rows[0].PSObject.Properties | ForEach-Object Name)
    ConvertTo-SweepCsvLine $names
    foreach ($r in $Rows) { ConvertTo-SweepCsvLine @(foreach ($n in $names) { $r.$n }) }
}

# CSV lines back to objects (every value a string).
function ConvertFrom-SweepCsv([string[]] $Lines) {
    if ($Lines.Count -eq 0) { return }
    $names = ConvertFrom-SweepCsvLine $Lines[0]
    for ($k = 1; $k -lt $Lines.Count; $k++) {
        if ($Lines[$k].Length -eq 0) { continue }
        $values = ConvertFrom-SweepCsvLine $Lines[$k]
        $o = [ordered]@{}
        for ($c = 0; $c -lt $names.Count; $c++) { $o[$names[$c]] = if ($c -lt $values.Count) { $values[$c] } else { '' } }
        [pscustomobject]$o
    }
}
