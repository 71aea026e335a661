BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/MemMgmt/MemMgmt.psd1') -Force
    $nodesBefore = @(Get-MemNode)
    $repoRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
    $moduleDir = [System.IO.Path]::Combine($repoRoot, 'out', 'MemMgmt')
    $manifestPath = [System.IO.Path]::Combine($moduleDir, 'MemMgmt.psd1')
}

# Removes every node this file made, whatever its tests did, so files share a runspace in any order.
AfterAll { Get-MemNode | Where-Object { $nodesBefore -notcontains $_ } | Remove-MemNode }

Describe 'MemMgmt module' {
    It 'imports from out/MemMgmt' {
        $module = Import-Module $manifestPath -Force -PassThru -ErrorAction Stop
        $module.Name | Should -Be 'MemMgmt'
        $module.ModuleBase | Should -Be $moduleDir.TrimEnd([System.IO.Path]::DirectorySeparatorChar)
    }

    It 'has a valid manifest' {
        $info = Test-ModuleManifest -Path $manifestPath -ErrorAction Stop
        $info.RootModule | Should -Be 'MemMgmt.PS.dll'
        # The version lives in Directory.Build.props; the build stamps it into the manifest.
        $props = [xml](Get-Content -Raw ([System.IO.Path]::Combine($repoRoot, 'Directory.Build.props')))
        $info.Version | Should -Be ([version]$props.Project.PropertyGroup.Version)
        $info.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        $info.Tags | Should -Contain 'PSEdition_Core'
        $info.Tags | Should -Contain 'PSEdition_Desktop'
        $info.ReleaseNotes | Should -Not -BeNullOrEmpty
        [System.IO.Path]::Combine($moduleDir, 'LICENSE') | Should -Exist
        # LICENSE is the MIT text, and LicenseUri points at the same license's terms.
        (Get-Content -TotalCount 1 ([System.IO.Path]::Combine($moduleDir, 'LICENSE'))) | Should -Be 'MIT License'
        $info.LicenseUri.AbsoluteUri | Should -Be 'https://opensource.org/license/mit'
        $info.Author | Should -Be 'MemMgmt developers'
        $info.Description | Should -Not -BeNullOrEmpty
    }

    It 'ships exactly the format files it names' {
        $info = Test-ModuleManifest -Path $manifestPath -ErrorAction Stop
        $named = @($info.ExportedFormatFiles | ForEach-Object { [System.IO.Path]::GetFileName($_) })
        $named | Should -Contain 'MemMgmt.Format.ps1xml'
        foreach ($file in $named) { [System.IO.Path]::Combine($moduleDir, $file) | Should -Exist }
        $shipped = @([System.IO.Directory]::GetFiles($moduleDir, '*.Format.ps1xml') | ForEach-Object { [System.IO.Path]::GetFileName($_) })
        foreach ($file in $shipped) { $named | Should -Contain $file }
    }
}

Describe 'Exported cmdlets' {
    BeforeAll {
        # The manifest's own list, read as data the way Import-PowerShellDataFile
        # does (that cmdlet is not in every host).
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($manifestPath, [ref]$null, [ref]$null)
        $data = $ast.Find({ param($a) $a -is [System.Management.Automation.Language.HashtableAst] }, $false).SafeGetValue()
        $listed = @($data['CmdletsToExport'] | ForEach-Object { $_ })

        # What the dll really implements: public, non-abstract Cmdlet classes with [Cmdlet].
        $assembly = [System.Reflection.Assembly]::LoadFrom([System.IO.Path]::Combine($moduleDir, 'MemMgmt.PS.dll'))
        $implemented = @($assembly.GetExportedTypes() |
            Where-Object { -not $_.IsAbstract -and [System.Management.Automation.Cmdlet].IsAssignableFrom($_) } |
            ForEach-Object {
                $attr = [System.Attribute]::GetCustomAttribute($_, [System.Management.Automation.CmdletAttribute])
                if ($null -ne $attr) { "$($attr.VerbName)-$($attr.NounName)" }
            })
    }

    It 'lists cmdlets explicitly' {
        $data.ContainsKey('CmdletsToExport') | Should -BeTrue
        @($listed | Where-Object { $_ -match '[*?]' }) | Should -BeNullOrEmpty -Because 'wildcards make exports depend on the dll'
    }

    It 'lists every cmdlet the dll implements' {
        $missing = @($implemented | Where-Object { $listed -notcontains $_ })
        $missing | Should -BeNullOrEmpty -Because "CmdletsToExport in MemMgmt.psd1 must list them"
    }

    It 'lists no cmdlet the dll lacks' {
        $extra = @($listed | Where-Object { $implemented -notcontains $_ })
        $extra | Should -BeNullOrEmpty -Because "MemMgmt.PS.dll does not implement them"
    }

    It 'exports exactly the listed cmdlets on import' {
        $module = Import-Module $manifestPath -Force -PassThru -ErrorAction Stop
        $exported = @($module.ExportedCmdlets.Keys | ForEach-Object { $_ })
        @($exported | Where-Object { $listed -notcontains $_ }) | Should -BeNullOrEmpty
        @($listed | Where-Object { $exported -notcontains $_ }) | Should -BeNullOrEmpty
    }
}
