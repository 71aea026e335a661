# Every example in every cmdlet's help runs, as a user would paste it into a new session: in a new
# runspace with only the module imported, its output formatted (Out-String), with no error written.
# An example that needs a node or other setup shows that setup in its own code; one that runs longer
# than five minutes (a loop that never ends) fails. Each runs in its own empty temporary directory, so the
# files an example writes (charts, CSV) land there and are removed with it.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $examples = foreach ($name in @((Get-Module MemMgmt).ExportedCmdlets.Keys | Sort-Object)) {
        $i = 0
        foreach ($e in @((Get-Help $name -Full).examples.example)) {
            $i++
            @{ Name = $name; Number = $i; Code = ($e.code -join "`n") }
        }
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $manifest = Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1'
}

Describe 'Help examples' {
    It '<Name> example <Number> runs in a new session without an error' -ForEach $examples {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ("memmgmt-example-" + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $dir
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddCommand('Set-Location').AddParameter('LiteralPath', $dir).AddStatement()
            $null = $ps.AddCommand('Import-Module').AddParameter('Name', $manifest).AddStatement().AddScript($Code).AddCommand('Out-String')
            $run = $ps.BeginInvoke()
            if (-not $run.AsyncWaitHandle.WaitOne([TimeSpan]::FromMinutes(5))) {
                $ps.Stop()
                throw "The example ran longer than 5 minutes:`n$Code"
            }
            $output = $ps.EndInvoke($run)
            $errors = @($ps.Streams.Error | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" })
            $errors | Should -BeNullOrEmpty -Because "the example is:`n$Code`nand wrote:`n$output"
            $ps.InvocationStateInfo.State | Should -Be 'Completed'
        } finally {
            $ps.Runspace.Dispose()
            $ps.Dispose()
            Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}
