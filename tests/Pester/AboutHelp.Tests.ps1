# The about_ topics ship in out/MemMgmt/en-US and Get-Help shows them.
BeforeAll {
    Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) -Force
}

Describe 'about_ help topics' {
    It 'Get-Help <Topic> returns the topic' -ForEach @(
        @{ Topic = 'about_MemMgmt'; Heading = 'THE WHAT-IF WORKFLOW' }
        @{ Topic = 'about_MemMgmt_NodeModel'; Heading = 'VIRTUAL TIME' }
        @{ Topic = 'about_MemMgmt_Compaction'; Heading = 'DECISIONS' }
        @{ Topic = 'about_MemMgmt_Reclaim'; Heading = 'KSWAPD AND DIRECT RECLAIM' }
    ) {
        $text = "$(Get-Help $Topic)"
        $text | Should -BeLike "TOPIC*$Topic*SHORT DESCRIPTION*"
        $text | Should -BeLike "*$Heading*"
    }

    It 'ships every file of Help/about, not a fixed list' {
        $source = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'src', 'MemMgmt.PS', 'Help', 'about')
        $shipped = [System.IO.Path]::Combine((Get-Module MemMgmt).ModuleBase, 'en-US')
        $names = @([System.IO.Directory]::GetFiles($source, '*.help.txt') | ForEach-Object { [System.IO.Path]::GetFileName($_) })
        $names.Count | Should -BeGreaterOrEqual 4
        foreach ($n in $names) { [System.IO.File]::Exists([System.IO.Path]::Combine($shipped, $n)) | Should -BeTrue -Because $n }
    }
}
