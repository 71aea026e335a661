# PesterLite: a small Pester 5-compatible test runner, written for MemMgmt.
#
# Pester is not available from this project's package sources and the hosted
# engine (System.Management.Automation from NuGet) only has the
# Microsoft.PowerShell.Core cmdlets, so this module implements the subset of
# Pester 5 our scenario files use, with Pester 5 semantics:
#   * two phases: Discovery runs the file body and the Describe/Context bodies
#     and only collects blocks; Run executes BeforeAll/It/AfterAll from the
#     collected tree without re-running the bodies;
#   * each block and each It runs in its own scope, nested like the blocks, in
#     the test file's session state (not this module's), so BeforeAll
#     variables flow to the Its of that block and its children only;
#   * -ForEach/-TestCases data becomes variables and $_, '<name>' expands.
# It deliberately uses no Microsoft.PowerShell.Utility/Management cmdlets
# (Write-Output, Set-Variable, Test-Path...), which the hosted engine lacks.

$script:Current = $null       # block being discovered
$script:InUserScope = $null   # helper bound to the test file's session state
$script:Results = $null       # run results, in discovery order
$script:ResultPaths = $null   # their paths, kept unique

#region tree

function New-PLBlock {
    param([string]$Kind, [string]$Name, $Parent, [scriptblock]$Body, $Data, [bool]$HasItem, [bool]$Skip)
    $path = if ($null -eq $Parent -or $Parent.Kind -eq 'Root') { @($Name) } else { @($Parent.Path) + $Name }
    [pscustomobject]@{
        Kind = $Kind; Name = $Name; Parent = $Parent; Body = $Body; Path = $path
        Data = $Data; HasItem = $HasItem; Skip = $Skip
        Children = [System.Collections.Generic.List[object]]::new()
        BeforeAll = [System.Collections.Generic.List[scriptblock]]::new()
        AfterAll = [System.Collections.Generic.List[scriptblock]]::new()
        BeforeEach = [System.Collections.Generic.List[scriptblock]]::new()
        AfterEach = [System.Collections.Generic.List[scriptblock]]::new()
    }
}

# Pester expands '<name>' (and '<name.Prop>', '<_>') from the data of the test and its blocks.
function Expand-PLName {
    param([string]$Template, $Block, $Data, [bool]$HasItem)
    $scopes = [System.Collections.Generic.List[object]]::new()
    if ($HasItem) { $scopes.Add(@{ Data = $Data }) }
    for ($b = $Block; $null -ne $b; $b = $b.Parent) { if ($b.HasItem) { $scopes.Add(@{ Data = $b.Data }) } }
    # The innermost data wins, as variable lookup would in Pester.
    $text = [System.Text.StringBuilder]::new()
    $at = 0
    foreach ($m in [regex]::Matches($Template, '<([A-Za-z_][\w\.]*)>')) {
        $null = $text.Append($Template, $at, $m.Index - $at)
        $at = $m.Index + $m.Length
        $parts = $m.Groups[1].Value.Split('.')
        $value = $m.Value
        foreach ($s in $scopes) {
            $found = $parts[0] -eq '_' -or ($s.Data -is [System.Collections.IDictionary] -and $s.Data.Contains($parts[0]))
            if (-not $found) { continue }
            $v = if ($parts[0] -eq '_') { $s.Data } else { $s.Data[$parts[0]] }
            for ($i = 1; $i -lt $parts.Count -and $null -ne $v; $i++) { $v = $v.($parts[$i]) }
            $value = "$v"
            break
        }
        $null = $text.Append($value)
    }
    $null = $text.Append($Template, $at, $Template.Length - $at)
    $text.ToString()
}

function Get-PLItems {
    param([System.Collections.IDictionary]$Bound)
    # Like Pester 5.5+: null or empty data is a mistake unless -AllowNullOrEmptyForEach says otherwise.
    if ($Bound.ContainsKey('ForEach') -and @($Bound['ForEach'] | Where-Object { $null -ne $_ }).Count -eq 0) {
        if ($Bound.ContainsKey('AllowNullOrEmptyForEach')) { return , @() }
        throw "-ForEach of '$($Bound['Name'])' is null or empty. If this is expected, use -AllowNullOrEmptyForEach."
    }
    if ($Bound.ContainsKey('ForEach')) { return , @(@($Bound['ForEach']) | ForEach-Object { , @{ Data = $_; HasItem = $true } }) }
    , @(@{ Data = $null; HasItem = $false })
}

# Runs $Action (module code) inside a new scope of the test file's session
# state, with the data variables and $_ set there; user script blocks that
# $Action dot-sources then run in that scope.
function Invoke-PLInScope {
    param($Data, [bool]$HasItem, [scriptblock]$Action, $Argument)
    $vars = @{}
    if ($Data -is [System.Collections.IDictionary]) { foreach ($k in $Data.Keys) { $vars["$k"] = $Data[$k] } }
    & $script:InUserScope $vars $HasItem $Data $Action $Argument
}

#endregion

#region Pester DSL

function Describe {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)][string]$Name,
        [Parameter(Position = 1)][scriptblock]$Fixture,
        [Alias('TestCases')][AllowNull()][AllowEmptyCollection()][object[]]$ForEach,
        [switch]$AllowNullOrEmptyForEach,
        [string[]]$Tag,
        [switch]$Skip)
    Add-PLBlock 'Describe' $Name $Fixture $PSBoundParameters $Skip.IsPresent
}

function Context {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)][string]$Name,
        [Parameter(Position = 1)][scriptblock]$Fixture,
        [Alias('TestCases')][AllowNull()][AllowEmptyCollection()][object[]]$ForEach,
        [switch]$AllowNullOrEmptyForEach,
        [string[]]$Tag,
        [switch]$Skip)
    Add-PLBlock 'Context' $Name $Fixture $PSBoundParameters $Skip.IsPresent
}

function Add-PLBlock {
    param([string]$Kind, [string]$Name, [scriptblock]$Fixture, [System.Collections.IDictionary]$Bound, [bool]$Skip)
    if ($null -eq $script:Current) { throw "$Kind '$Name' was called outside of Invoke-PesterLite discovery." }
    if ($null -eq $Fixture) { throw "$Kind '$Name' has no script block." }
    $parent = $script:Current
    foreach ($item in (Get-PLItems $Bound)) {
        $expanded = Expand-PLName $Name $parent $item.Data $item.HasItem
        $block = New-PLBlock $Kind $expanded $parent $Fixture $item.Data $item.HasItem ($Skip -or $parent.Skip)
        $parent.Children.Add($block)
        $script:Current = $block
        try {
            Invoke-PLInScope $item.Data $item.HasItem { param($b) $null = . $b.Body } $block
        }
        finally { $script:Current = $parent }
    }
}

function It {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)][string]$Name,
        [Parameter(Position = 1)][scriptblock]$Test,
        [Alias('TestCases')][AllowNull()][AllowEmptyCollection()][object[]]$ForEach,
        [switch]$AllowNullOrEmptyForEach,
        [string[]]$Tag,
        [switch]$Skip)
    if ($null -eq $script:Current) { throw "It '$Name' was called outside of Invoke-PesterLite discovery." }
    $parent = $script:Current
    foreach ($item in (Get-PLItems $PSBoundParameters)) {
        $expanded = Expand-PLName $Name $parent $item.Data $item.HasItem
        $parent.Children.Add([pscustomobject]@{
            Kind = 'It'; Name = $expanded; Parent = $parent; Body = $Test; Path = (@($parent.Path | Where-Object { $_ }) + $expanded) -join ' > '
            Data = $item.Data; HasItem = $item.HasItem
            Skip = ($Skip.IsPresent -or $parent.Skip -or $null -eq $Test)
            Outcome = $null
        })
    }
}

function BeforeAll { param([Parameter(Mandatory, Position = 0)][scriptblock]$Scriptblock) (Get-PLCurrent 'BeforeAll').BeforeAll.Add($Scriptblock) }
function AfterAll { param([Parameter(Mandatory, Position = 0)][scriptblock]$Scriptblock) (Get-PLCurrent 'AfterAll').AfterAll.Add($Scriptblock) }
function BeforeEach { param([Parameter(Mandatory, Position = 0)][scriptblock]$Scriptblock) (Get-PLCurrent 'BeforeEach').BeforeEach.Add($Scriptblock) }
function AfterEach { param([Parameter(Mandatory, Position = 0)][scriptblock]$Scriptblock) (Get-PLCurrent 'AfterEach').AfterEach.Add($Scriptblock) }

# Runs at once, in the scope of the enclosing body, like Pester's.
function BeforeDiscovery { param([Parameter(Mandatory, Position = 0)][scriptblock]$Scriptblock) $null = . $Scriptblock }

function Get-PLCurrent([string]$What) {
    if ($null -eq $script:Current) { throw "$What was called outside of Invoke-PesterLite discovery." }
    $script:Current
}

# Pester 5's way to end a running It as skipped (or inconclusive/pending, which we report as skipped).
function Set-ItResult {
    param([switch]$Skipped, [switch]$Inconclusive, [switch]$Pending, [string]$Because)
    $ex = [System.OperationCanceledException]::new("PesterLite.Skip: $Because")
    throw [System.Management.Automation.ErrorRecord]::new($ex, 'PesterLite.SetItResult', 'NotSpecified', $null)
}

#endregion

#region Run

function Invoke-PesterLite {
    <#
    .SYNOPSIS
    Discovers and (unless -DiscoveryOnly) runs one Pester 5 test file.
    .OUTPUTS
    An object with DiscoveryError (string or $null) and Tests (Path, Result, Message, StackTrace).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Path, [switch]$DiscoveryOnly)

    $ss = $PSCmdlet.SessionState
    $helper = $ss.InvokeCommand.InvokeScript($ss, [scriptblock]::Create(@'
{ param($__plVars, $__plHasItem, $__plItem, $__plAction, $__plArgument)
  foreach ($__plKey in $__plVars.Keys) { $ExecutionContext.SessionState.PSVariable.Set($__plKey, $__plVars[$__plKey]) }
  if ($__plHasItem) { $ExecutionContext.SessionState.PSVariable.Set('_', $__plItem) }
  & $__plAction $__plArgument }
'@), @())
    $script:InUserScope = [scriptblock]($helper[0].psobject.BaseObject)
    $runFile = $ss.InvokeCommand.InvokeScript($ss, [scriptblock]::Create('{ param($__plPath) $null = & $__plPath }'), @())
    $runFile = [scriptblock]($runFile[0].psobject.BaseObject)

    $Path = [System.IO.Path]::GetFullPath($Path)
    $fileVars = @{ PSScriptRoot = [System.IO.Path]::GetDirectoryName($Path); PSCommandPath = $Path }
    $root = New-PLBlock 'Root' '' $null $null $fileVars $false $false
    $root.Path = @()
    $discoveryError = $null
    $script:Current = $root
    try { & $runFile $Path }
    catch { $discoveryError = Format-PLError $_ }
    finally { $script:Current = $null }

    $script:Results = [System.Collections.Generic.List[object]]::new()
    $script:ResultPaths = [System.Collections.Generic.HashSet[string]]::new([System.StringComparer]::Ordinal)
    if ($null -eq $discoveryError) {
        if ($DiscoveryOnly) { foreach ($t in (Get-PLTests $root)) { Add-PLResult $t $(if ($t.Skip) { 'Skipped' } else { 'NotRun' }) $null $null } }
        else { Invoke-PLBlock $root $null }
    }
    [pscustomobject]@{ Path = $Path; DiscoveryError = $discoveryError; Tests = $script:Results.ToArray() }
}

function Get-PLTests($Block) {
    foreach ($c in $Block.Children) { if ($c.Kind -eq 'It') { $c } else { Get-PLTests $c } }
}

function Add-PLResult($Test, [string]$Result, $Message, $StackTrace) {
    # Pester reports duplicate names separately; keep paths unique so each can be looked up.
    $path = $Test.Path; $n = 1
    while (-not $script:ResultPaths.Add($path)) { $n++; $path = "$($Test.Path) #$n" }
    $Test.Outcome = [pscustomobject]@{ Path = $path; Result = $Result; Message = $Message; StackTrace = $StackTrace }
    $script:Results.Add($Test.Outcome)
}

function Format-PLError($ErrorRecord) {
    $ex = $ErrorRecord.Exception
    $message = if ($ErrorRecord.FullyQualifiedErrorId -like 'PesterAssertionFailed*') { $ex.Message }
               else { '{0}: {1}' -f $ex.GetType().Name, $ex.Message }
    $stack = @("$($ErrorRecord.ScriptStackTrace)" -split "`r?`n" | Where-Object { $_ -and $_ -notmatch 'PesterLite\.psm1|<No file>' }) -join "`n"
    [pscustomobject]@{ Message = $message; StackTrace = $stack }
}

function Invoke-PLBlock($Block, $InheritedFailure) {
    if ($Block.Skip -or $null -ne $InheritedFailure) {
        foreach ($t in (Get-PLTests $Block)) {
            if ($t.Skip) { Add-PLResult $t 'Skipped' $null $null }
            else { Add-PLResult $t 'Failed' $InheritedFailure.Message $InheritedFailure.StackTrace }
        }
        return
    }
    Invoke-PLInScope $Block.Data $Block.HasItem {
        param($Block)
        $failure = $null
        try { foreach ($sb in $Block.BeforeAll) { $null = . $sb } }
        catch { $failure = Format-PLError $_; $failure.Message = "BeforeAll failed: $($failure.Message)" }
        foreach ($c in $Block.Children) {
            if ($c.Kind -eq 'It') { Invoke-PLTest $c $failure } else { Invoke-PLBlock $c $failure }
        }
        foreach ($sb in $Block.AfterAll) {
            try { $null = . $sb }
            catch {
                # Pester fails the block; we fail its last test so the error is visible in xunit.
                $e = Format-PLError $_
                $last = Get-PLTests $Block | Select-PLLast
                if ($null -ne $last) {
                    $r = $last.Outcome
                    $r.Result = 'Failed'
                    $r.Message = (@($r.Message, "AfterAll failed: $($e.Message)") | Where-Object { $_ }) -join "`n"
                    $r.StackTrace = (@($r.StackTrace, $e.StackTrace) | Where-Object { $_ }) -join "`n"
                }
            }
        }
    } $Block
}

function Select-PLLast { begin { $last = $null } process { $last = $_ } end { $last } }

function Invoke-PLTest($Test, $BlockFailure) {
    if ($Test.Skip) { Add-PLResult $Test 'Skipped' $null $null; return }
    if ($null -ne $BlockFailure) { Add-PLResult $Test 'Failed' $BlockFailure.Message $BlockFailure.StackTrace; return }
    $chain = [System.Collections.Generic.List[object]]::new()
    for ($b = $Test.Parent; $null -ne $b; $b = $b.Parent) { $chain.Insert(0, $b) }
    Invoke-PLInScope $Test.Data $Test.HasItem {
        param($TestAndChain)
        $Test, $Chain = $TestAndChain
        $err = $null
        try {
            foreach ($b in $Chain) { foreach ($sb in $b.BeforeEach) { $null = . $sb } }
            $null = . $Test.Body
        }
        catch { $err = $_ }
        for ($i = $Chain.Count - 1; $i -ge 0; $i--) {
            foreach ($sb in $Chain[$i].AfterEach) { try { $null = . $sb } catch { if ($null -eq $err) { $err = $_ } } }
        }
        if ($null -eq $err) { Add-PLResult $Test 'Passed' $null $null }
        elseif ($err.FullyQualifiedErrorId -like 'PesterLite.SetItResult*') { Add-PLResult $Test 'Skipped' ($err.Exception.Message -replace '^PesterLite\.Skip: ', '') $null }
        else { $e = Format-PLError $err; Add-PLResult $Test 'Failed' $e.Message $e.StackTrace }
    } @($Test, $chain)
}

#endregion

#region Should

function Format-Nicely($Value) {
    if ($null -eq $Value) { return '$null' }
    if ($Value -is [bool]) { return $(if ($Value) { '$true' } else { '$false' }) }
    if ($Value -is [string] -or $Value -is [char]) { return "'$Value'" }
    if ($Value -is [type]) { return "[$($Value.FullName)]" }
    if ($Value -is [System.IFormattable]) { return [string]::Format([cultureinfo]::InvariantCulture, '{0}', $Value) }
    if ($Value -is [System.Collections.IDictionary]) { return '@{' + (@($Value.Keys | ForEach-Object { "$_=$(Format-Nicely $Value[$_])" }) -join '; ') + '}' }
    if ($Value -is [System.Collections.IEnumerable]) { return '@(' + (@($Value | ForEach-Object { Format-Nicely $_ }) -join ', ') + ')' }
    "$Value"
}

# Accepts a type, or a name as written in a command argument: 'int', '[int]', 'string[]'.
function ConvertTo-PLType($Value) {
    if ($null -eq $Value -or $Value -is [type]) { return $Value }
    $name = [string]$Value
    if ($name.StartsWith('[') -and $name.EndsWith(']') -and -not $name.EndsWith('[]')) { $name = $name.Substring(1, $name.Length - 2) }
    elseif ($name.StartsWith('[') -and $name.EndsWith(']]')) { $name = $name.Substring(1, $name.Length - 2) }
    $name -as [type]
}

function Format-Because([string]$Because) { if ($Because) { " because $($Because.TrimEnd('.'))," } else { '' } }

function Test-PLCollection($Value) { $Value -is [System.Collections.IEnumerable] -and $Value -isnot [string] -and $Value -isnot [System.Collections.IDictionary] }

# Pester treats $null, @() and @($null) alike when comparing.
function Test-PLNullOrEmptyArray($Value) {
    $null -eq $Value -or ((Test-PLCollection $Value) -and ($(@($Value).Count -eq 0) -or (@($Value).Count -eq 1 -and $null -eq @($Value)[0])))
}

# Pester's ArraysAreEqual: both sides as arrays, same count, items equal (actual on the left).
function Test-PLEqual($Actual, $Expected, [bool]$CaseSensitive) {
    if ((Test-PLNullOrEmptyArray $Actual) -and (Test-PLNullOrEmptyArray $Expected)) { return $true }
    if ($null -eq $Actual -or $null -eq $Expected) { return $false }
    if ((Test-PLCollection $Actual) -or (Test-PLCollection $Expected)) {
        $a = @($Actual); $e = @($Expected)
        if ($a.Count -ne $e.Count) { return $false }
        for ($i = 0; $i -lt $a.Count; $i++) { if (-not (Test-PLEqual $a[$i] $e[$i] $CaseSensitive)) { return $false } }
        return $true
    }
    if ($CaseSensitive) { return [bool]($Actual -ceq $Expected) }
    [bool]($Actual -eq $Expected)
}

function Format-PLStringDifference([string]$Expected, [string]$Actual, [string]$Because) {
    $i = 0
    while ($i -lt $Expected.Length -and $i -lt $Actual.Length -and $Expected[$i] -ceq $Actual[$i]) { $i++ }
    "Expected strings to be the same,$(Format-Because $Because) but they were different.`n" +
    "Expected length: $($Expected.Length)`nActual length:   $($Actual.Length)`nStrings differ at index $i.`n" +
    "Expected: '$Expected'`nBut was:  '$Actual'"
}

function Should {
    <#
    .SYNOPSIS
    Pester 5's assertion, with the common operators. Throws an ErrorRecord
    with FullyQualifiedErrorId PesterAssertionFailed and Pester's message.
    #>
    [CmdletBinding()]
    param(
        [Parameter(ValueFromPipeline)]$ActualValue,
        [Parameter(Position = 0)]$ExpectedValue,
        [switch]$Not,
        [switch]$Be, [switch]$BeExactly, [switch]$BeNullOrEmpty, [switch]$BeTrue, [switch]$BeFalse,
        [switch]$BeGreaterThan, [switch]$BeLessThan, [switch]$BeGreaterOrEqual, [switch]$BeLessOrEqual,
        [switch]$Match, [switch]$MatchExactly, [switch]$BeLike, [switch]$BeLikeExactly,
        [switch]$Contain, [switch]$BeIn, [switch]$BeOfType, [switch]$HaveCount, [switch]$Throw, [switch]$Exist, [switch]$HaveParameter,
        [string]$ParameterName, $Type, [switch]$Mandatory,
        [string]$RegularExpression, $ExpectedType, [string]$ExpectedMessage, [string]$ErrorId, [type]$ExceptionType,
        [switch]$PassThru, [string]$Because)
    begin { $items = [System.Collections.Generic.List[object]]::new() }
    process { if ($PSBoundParameters.ContainsKey('ActualValue') -or $MyInvocation.ExpectingInput) { $items.Add($ActualValue) } }
    end {
        $actual = if ($items.Count -eq 0) { $null } elseif ($items.Count -eq 1) { $items[0] } else { $items.ToArray() }
        $bound = $PSBoundParameters
        $ops = @('Be', 'BeExactly', 'BeNullOrEmpty', 'BeTrue', 'BeFalse', 'BeGreaterThan', 'BeLessThan', 'BeGreaterOrEqual',
                 'BeLessOrEqual', 'Match', 'MatchExactly', 'BeLike', 'BeLikeExactly', 'Contain', 'BeIn', 'BeOfType',
                 'HaveCount', 'Throw', 'Exist', 'HaveParameter') | Where-Object { $bound.ContainsKey($_) }
        if (@($ops).Count -ne 1) { throw "Should needs exactly one operator (e.g. -Be), got: $(@($ops) -join ', ')." }
        $op = @($ops)[0]
        $e = $ExpectedValue; $bc = Format-Because $Because
        $fa = Format-Nicely $actual; $fe = Format-Nicely $e
        $ok = $true; $msg = $null; $result = $null

        switch ($op) {
            'Be' {
                $ok = Test-PLEqual $actual $e $false
                $msg = if ($Not) { "Expected $fe to be different from the actual value,$bc but got the same value." }
                       elseif ($actual -is [string] -and $e -is [string]) { Format-PLStringDifference $e $actual $Because }
                       else { "Expected $fe,$bc but got $fa." }
            }
            'BeExactly' {
                $ok = Test-PLEqual $actual $e $true
                $msg = if ($Not) { "Expected $fe to be different from the actual value,$bc but got exactly the same value." }
                       else { "Expected exactly $fe,$bc but got $fa." }
            }
            'BeNullOrEmpty' {
                $ok = $null -eq $actual -or ($actual -is [string] -and $actual.Length -eq 0) -or
                      ((Test-PLCollection $actual) -and @($actual).Count -eq 0) -or
                      ($actual -is [System.Collections.IDictionary] -and $actual.Count -eq 0)
                $msg = if ($Not) { "Expected a value,$bc but got `$null or empty." } else { "Expected `$null or empty,$bc but got $fa." }
            }
            'BeTrue' {
                $ok = [bool]$actual
                $msg = if ($Not) { "Expected `$false,$bc but got $fa." } else { "Expected `$true,$bc but got $fa." }
            }
            'BeFalse' {
                $ok = -not [bool]$actual
                $msg = if ($Not) { "Expected `$true,$bc but got $fa." } else { "Expected `$false,$bc but got $fa." }
            }
            'BeGreaterThan' {
                $ok = $actual -gt $e
                $msg = if ($Not) { "Expected the actual value to be less than or equal to $fe,$bc but got $fa." } else { "Expected the actual value to be greater than $fe,$bc but got $fa." }
            }
            'BeLessThan' {
                $ok = $actual -lt $e
                $msg = if ($Not) { "Expected the actual value to be greater than or equal to $fe,$bc but got $fa." } else { "Expected the actual value to be less than $fe,$bc but got $fa." }
            }
            'BeGreaterOrEqual' {
                $ok = $actual -ge $e
                $msg = if ($Not) { "Expected the actual value to be less than $fe,$bc but got $fa." } else { "Expected the actual value to be greater than or equal to $fe,$bc but got $fa." }
            }
            'BeLessOrEqual' {
                $ok = $actual -le $e
                $msg = if ($Not) { "Expected the actual value to be greater than $fe,$bc but got $fa." } else { "Expected the actual value to be less than or equal to $fe,$bc but got $fa." }
            }
            { $_ -in 'Match', 'MatchExactly' } {
                $re = if ($PSBoundParameters.ContainsKey('RegularExpression')) { $RegularExpression } else { [string]$e }
                $ok = if ($op -eq 'Match') { [bool]($actual -match $re) } else { [bool]($actual -cmatch $re) }
                $how = if ($op -eq 'Match') { '' } else { 'case sensitively ' }
                $msg = if ($Not) { "Expected regular expression '$re' to not ${how}match $fa,$bc but it did match." }
                       else { "Expected regular expression '$re' to ${how}match $fa,$bc but it did not match." }
            }
            { $_ -in 'BeLike', 'BeLikeExactly' } {
                $ok = if ($op -eq 'BeLike') { [bool]($actual -like $e) } else { [bool]($actual -clike $e) }
                $how = if ($op -eq 'BeLike') { 'like' } else { 'case sensitive like' }
                $msg = if ($Not) { "Expected $how wildcard $fe to not match $fa,$bc but it did match." }
                       else { "Expected $how wildcard $fe to match $fa,$bc but it did not match." }
            }
            'Contain' {
                $ok = [bool](@($actual) -contains $e)
                $msg = if ($Not) { "Expected $fe to not be found in collection $fa,$bc but it was found." }
                       else { "Expected $fe to be found in collection $fa,$bc but it was not found." }
            }
            'BeIn' {
                $ok = [bool](@($e) -contains $actual)
                $msg = if ($Not) { "Expected collection $fe to not contain $fa,$bc but it was found." }
                       else { "Expected collection $fe to contain $fa,$bc but it was not found." }
            }
            'BeOfType' {
                $t = if ($PSBoundParameters.ContainsKey('ExpectedType')) { $ExpectedType } else { $e }
                $t = ConvertTo-PLType $t
                if ($null -eq $t) { throw "Could not find type '$(if ($PSBoundParameters.ContainsKey('ExpectedType')) { $ExpectedType } else { $e })'." }
                $ok = $actual -is $t
                $at = if ($null -eq $actual) { '$null' } else { "[$($actual.GetType().FullName)]" }
                $msg = if ($Not) { "Expected the value to not have type [$($t.FullName)] or any of its subtypes,$bc but got $fa with type $at." }
                       else { "Expected the value to have type [$($t.FullName)] or any of its subtypes,$bc but got $fa with type $at." }
            }
            'HaveCount' {
                $n = if ($null -eq $actual) { 0 } else { @($actual).Count }
                $ok = $n -eq [int]$e
                $msg = if ($Not) { "Expected a collection with size different from $fe,$bc but got collection with that size $fa." }
                       elseif ([int]$e -eq 0) { "Expected an empty collection,$bc but got collection with size $n $fa." }
                       else { "Expected a collection with size $fe,$bc but got collection with size $n $fa." }
            }
            'HaveParameter' {
                # $actual is a CommandInfo (Get-Command X | Should -HaveParameter Order -Type int -Mandatory).
                $pn = if ($bound.ContainsKey('ParameterName')) { $ParameterName } else { [string]$e }
                $cmd = "command $(if ($null -ne $actual) { $actual.Name } else { '$null' })"
                $p = if ($null -ne $actual -and $null -ne $actual.Parameters) { $actual.Parameters[$pn] } else { $null }
                if ($Not) {
                    $ok = $null -eq $p
                    $msg = "Expected $cmd to not have a parameter $pn,$bc but it had the parameter."
                }
                else {
                    $problems = [System.Collections.Generic.List[string]]::new()
                    if ($null -eq $p) { $problems.Add('the parameter is missing') }
                    else {
                        $t = ConvertTo-PLType $Type
                        if ($null -ne $Type -and $p.ParameterType -ne $t) { $problems.Add("it was of type [$($p.ParameterType.FullName)]") }
                        if ($Mandatory -and -not @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.Mandatory }).Count) { $problems.Add('it was not mandatory') }
                    }
                    $ok = $problems.Count -eq 0
                    $want = @($(if ($Mandatory) { 'mandatory' }), 'parameter', $pn, $(if ($null -ne $Type) { "of type [$($Type)]" })) | Where-Object { $_ }
                    $msg = "Expected $cmd to have a $($want -join ' '),$bc but $($problems -join ' and ')."
                }
                if (-not $ok) { Stop-PLAssertion $msg }
                return
            }
            'Exist' {
                $p = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath([string]$actual)
                $ok = [System.IO.File]::Exists($p) -or [System.IO.Directory]::Exists($p)
                $msg = if ($Not) { "Expected path $fa to not exist,$bc but it did exist." } else { "Expected path $fa to exist,$bc but it did not exist." }
            }
            'Throw' {
                if ($actual -isnot [scriptblock]) { throw 'Should -Throw needs a script block as the actual value.' }
                $wantMessage = if ($PSBoundParameters.ContainsKey('ExpectedMessage')) { $ExpectedMessage } elseif ($null -ne $e) { [string]$e } else { $null }
                $err = $null
                try { $null = & $actual } catch { $err = $_ }
                $filter = ''
                if ($ExceptionType) { $filter += " of type [$($ExceptionType.FullName)]" }
                if ($wantMessage) { $filter += ", with message like '$wantMessage'" }
                if ($ErrorId) { $filter += ", with FullyQualifiedErrorId '$ErrorId'" }
                if ($Not) {
                    $ok = $null -eq $err
                    if (-not $ok) {
                        $where = $err.InvocationInfo
                        $msg = "Expected no exception to be thrown,$bc but an exception `"$($err.Exception.Message)`" was thrown from $($where.ScriptName):$($where.ScriptLineNumber) char:$($where.OffsetInLine)."
                    }
                }
                elseif ($null -eq $err) { $ok = $false; $msg = "Expected an exception$filter to be thrown,$bc but no exception was thrown." }
                else {
                    $problems = [System.Collections.Generic.List[string]]::new()
                    $ex = $err.Exception
                    if ($ExceptionType -and $ex -isnot $ExceptionType) { $problems.Add("Expected an exception of type [$($ExceptionType.FullName)] to be thrown,$bc but got [$($ex.GetType().FullName)]: '$($ex.Message)'.") }
                    if ($wantMessage -and $ex.Message -notlike $wantMessage) { $problems.Add("Expected an exception with message like '$wantMessage' to be thrown,$bc but the message was '$($ex.Message)'.") }
                    if ($ErrorId -and $err.FullyQualifiedErrorId -notlike "*$ErrorId*") { $problems.Add("Expected an exception with FullyQualifiedErrorId '$ErrorId' to be thrown,$bc but got '$($err.FullyQualifiedErrorId)'.") }
                    $ok = $problems.Count -eq 0
                    $msg = $problems -join "`n"
                    $result = $err
                }
                if ($ok -and $PassThru) { return $result }
                if (-not $ok) { Stop-PLAssertion $msg }
                return
            }
        }
        if ($Not) { $ok = -not $ok }
        if (-not $ok) { Stop-PLAssertion $msg }
    }
}

function Stop-PLAssertion([string]$Message) {
    $ex = [System.Exception]::new($Message)
    throw [System.Management.Automation.ErrorRecord]::new($ex, 'PesterAssertionFailed', 'InvalidResult', $null)
}

#endregion

Export-ModuleMember -Function Describe, Context, It, BeforeAll, AfterAll, BeforeEach, AfterEach, BeforeDiscovery,
    Should, Set-ItResult, Invoke-PesterLite
