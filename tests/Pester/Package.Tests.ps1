# build.ps1 -Task Package makes a .nupkg with Publish-PSResource; Install-PSResource installs it and
# Import-Module finds it by name. Both run in the pinned pwsh (.config/dotnet-tools.json) with HOME
# set to a temporary folder, so the repository registration and the CurrentUser install stay there.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $repoRoot = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
    $temp = Join-Path ([System.IO.Path]::GetTempPath()) "memmgmt-package-$([guid]::NewGuid().ToString('N'))"
    $packages = Join-Path $temp 'packages'
    $userHome = [Environment]::GetFolderPath('UserProfile')

    # Runs `dotnet <arguments>` in the repository root with HOME=$temp/home; returns exit code and output.
    function Invoke-Dotnet([string[]] $Arguments) {
        $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
        $psi.WorkingDirectory = $repoRoot
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $psi.Environment['HOME'] = Join-Path $temp 'home'
        # dotnet finds the restored tool and the package cache where they are, not under the new HOME.
        $psi.Environment['DOTNET_CLI_HOME'] = if ($env:DOTNET_CLI_HOME) { $env:DOTNET_CLI_HOME } else { $userHome }
        $psi.Environment['NUGET_PACKAGES'] = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $userHome '.nuget/packages' }
        $psi.Environment['NO_COLOR'] = '1'
        $p = [System.Diagnostics.Process]::Start($psi)
        $stderr = $p.StandardError.ReadToEndAsync()
        $stdout = $p.StandardOutput.ReadToEnd()
        if (-not $p.WaitForExit(300000)) { $p.Kill($true); throw "dotnet $Arguments timed out" }
        [pscustomobject]@{ ExitCode = $p.ExitCode; Output = "$stdout$($stderr.Result)" }
    }

    $null = New-Item -ItemType Directory -Force (Join-Path $temp 'home')
    $restore = Invoke-Dotnet 'tool', 'restore'
    if ($restore.ExitCode -ne 0) { throw "dotnet tool restore failed: $($restore.Output)" }
    $version = (Test-ModuleManifest (Join-Path $repoRoot 'out/MemMgmt/MemMgmt.psd1')).Version.ToString()
}

AfterAll { Remove-Item -Recurse -Force $temp -ErrorAction Ignore }

Describe 'build.ps1 -Task Package' {
    It 'publishes out/MemMgmt as a .nupkg to a folder repository, and Install-PSResource installs it for Import-Module by name' {
        $package = Invoke-Dotnet 'pwsh', '-NoProfile', '-NonInteractive', '-File', 'build.ps1', '-Task', 'Package', '-NoBuild', '-PackagePath', $packages
        $package.ExitCode | Should -Be 0 -Because $package.Output
        Join-Path $packages "MemMgmt.$version.nupkg" | Should -Exist

        $install = Invoke-Dotnet 'pwsh', '-NoProfile', '-NonInteractive', '-Command', (
            "Register-PSResourceRepository -Name MemMgmtTest -Uri '$packages' -Trusted; " +
            'Install-PSResource MemMgmt -Repository MemMgmtTest -Scope CurrentUser -TrustRepository -ErrorAction Stop; ' +
            'Import-Module MemMgmt -ErrorAction Stop; $m = Get-Module MemMgmt; ' +
            '"base=$($m.ModuleBase)"; "version=$($m.Version)"; "first=$((New-MemNode | Get-PageTypeInfo -Raw)[0])"')
        $install.ExitCode | Should -Be 0 -Because $install.Output
        $lines = $install.Output -split "`r?`n"
        $lines | Should -Contain "base=$(Join-Path $temp "home/.local/share/powershell/Modules/MemMgmt/$version")"
        $lines | Should -Contain "version=$version"
        $lines | Should -Contain 'first=Page block order: 9'
    }
}
