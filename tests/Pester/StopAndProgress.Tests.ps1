# Long cmdlets write progress and stop on Ctrl+C (PowerShell.Stop, what the host calls) between units of work,
# leaving the node consistent. Each case runs the cmdlet in its own runspace, stops it mid-run, then checks the node there.
BeforeAll {
    $script:module = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')
    Import-Module $script:module -Force

    # Runs $Setup, then starts $Long, stops it after $AfterMs, then runs $Check; all in one fresh runspace.
    function Invoke-StoppedRun([string]$Setup, [string]$Long, [int]$AfterMs, [string]$Check) {
        $rs = [runspacefactory]::CreateRunspace([System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2())
        $rs.Open()
        try {
            $ps = [powershell]::Create()
            $ps.Runspace = $rs
            $null = $ps.AddScript("Import-Module '$($script:module)'; $Setup").Invoke()
            $ps.Commands.Clear()
            $null = $ps.AddScript($Long)
            $handle = $ps.BeginInvoke()
            $null = $handle.AsyncWaitHandle.WaitOne($AfterMs)
            $finishedEarly = $handle.IsCompleted
            $ps.Stop()
            $progress = @($ps.Streams.Progress)
            $ps.Dispose()
            $ps = [powershell]::Create()
            $ps.Runspace = $rs
            $checked = $ps.AddScript($Check).Invoke()
            $ps.Dispose()
            [pscustomobject]@{ FinishedEarly = $finishedEarly; Progress = $progress; Check = @($checked) }
        } finally { $rs.Dispose() }
    }
}

Describe 'Ctrl+C leaves the node consistent' {
    It 'stops Step-MemNode between slices' {
        $r = Invoke-StoppedRun -Setup '$n = New-MemNode -Size 1GB -CmaSize 0; $null = Add-WorkingSet HotSet -Percent 30; $t0 = $n.Clock.NowNs' `
            -Long 'Step-MemNode -Milliseconds 1000000' -AfterMs 1500 `
            -Check '(Test-MemNode).Passed; ($n.Clock.NowNs - $t0) -lt 1000000 * 1000000; ($n.Clock.NowNs - $t0) -gt 0'
        $r.FinishedEarly | Should -BeFalse
        $r.Check | Should -Be @($true, $true, $true)
        $r.Progress.Count | Should -BeGreaterThan 0
        $r.Progress[0].Activity | Should -BeLike 'Step-MemNode*'
    }

    It 'stops New-PageAllocation -Count between allocations' {
        $r = Invoke-StoppedRun -Setup '$n = New-MemNode -Size 16GB -CmaSize 0; $free = $n.FreePages' `
            -Long 'New-PageAllocation -Order 0 -Count 3900000 -Gfp GFP_HIGHUSER_MOVABLE' -AfterMs 300 `
            -Check '(Test-MemNode).Passed; ($free - $n.FreePages) -lt 950000; ($free - $n.FreePages) -gt 0'
        $r.FinishedEarly | Should -BeFalse
        $r.Check | Should -Be @($true, $true, $true)
        $r.Progress.Count | Should -BeGreaterThan 0
    }

    It 'stops New-MemProcess between page faults; the process keeps what it faulted in' {
        $r = Invoke-StoppedRun -Setup '$n = New-MemNode -Size 16GB -CmaSize 0' `
            -Long 'New-MemProcess big -Percent 95' -AfterMs 300 `
            -Check '(Test-MemNode).Passed; $p = @(Get-MemProcess big)[0]; $p.Rss -lt $p.RequestedPages; $p.Rss -gt 0'
        $r.FinishedEarly | Should -BeFalse
        $r.Check | Should -Be @($true, $true, $true)
        $r.Progress.Count | Should -BeGreaterThan 0
    }
}

Describe 'Progress of the reclaim cmdlets' {
    AfterAll {
        Remove-MemNode -Name sap-* -Confirm:$false
    }

    It 'Invoke-Reclaim -Pages and Invoke-Kswapd -Milliseconds write progress' {
        $r = Invoke-StoppedRun -Setup '$n = New-MemNode -Size 256MB -CmaSize 0; $null = Add-Pressure -Pattern Fill -Percent 95 -FilePercent 100 -Seed 1' `
            -Long 'Invoke-Reclaim -Pages 20000; Invoke-Kswapd -Order 0 -Milliseconds 50' -AfterMs 60000 `
            -Check '(Test-MemNode).Passed'
        $r.FinishedEarly | Should -BeTrue
        $r.Check | Should -Be @($true)
        @($r.Progress | Where-Object Activity -Like 'Invoke-Reclaim*').Count | Should -BeGreaterThan 0
        @($r.Progress | Where-Object Activity -Like 'Invoke-Kswapd*').Count | Should -BeGreaterThan 0
    }
}
