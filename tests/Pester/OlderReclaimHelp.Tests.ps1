# The about_MemMgmt_OlderReclaim topic: every older (4.4) name that older reclaim articles use is mapped to its 4.14
# counterpart, and the commands it points to exist.

BeforeAll {
    if (-not (Get-Module MemMgmt)) { Import-Module ([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'out', 'MemMgmt', 'MemMgmt.psd1')) }
    $script:TopicPath = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'src', 'MemMgmt.PS', 'Help', 'about', 'about_MemMgmt_OlderReclaim.help.txt')
    $script:Text = [System.IO.File]::ReadAllText($script:TopicPath)
}

Describe 'about_MemMgmt_OlderReclaim' {
    It 'is a help topic file with TOPIC, SHORT DESCRIPTION, LONG DESCRIPTION and SEE ALSO' {
        $text = $script:Text
        $text | Should -Match '(?m)^TOPIC\r?\n\s+about_MemMgmt_OlderReclaim'
        foreach ($h in 'SHORT DESCRIPTION', 'LONG DESCRIPTION', 'EXAMPLES', 'SEE ALSO') { $text | Should -Match "(?m)^$h" }
        foreach ($line in $text -split '\r?\n') { $line.Length | Should -BeLessOrEqual 80 }
    }

    It 'maps <Old> to <New>' -TestCases @(
        @{ Old = 'shrink_zone'; New = 'shrink_node' }
        @{ Old = '__GFP_REPEAT'; New = '__GFP_RETRY_MAYFAIL' }
        @{ Old = 'inactive_ratio'; New = 'inactive_list_is_low' }
        @{ Old = 'COMPACT_PARTIAL'; New = 'COMPACT_SUCCESS' }
        @{ Old = 'kswapd_max_order'; New = 'kswapd_order' }
        @{ Old = 'balanced_order'; New = 'reclaim_order' }
    ) {
        $text = $script:Text
        $text | Should -Match ([regex]::Escape("$Old (4.4)"))
        $text | Should -Match ([regex]::Escape($New))
    }

    It 'points only to commands and tracepoints that exist' {
        $text = $script:Text
        $seeAlso = @(($text -split '(?m)^SEE ALSO')[1] -split '\r?\n' | ForEach-Object { $_.Trim() } | Where-Object { $_ })
        $seeAlso.Count | Should -BeGreaterThan 0
        foreach ($name in $seeAlso) { Get-Command $name -Module MemMgmt | Should -Not -BeNullOrEmpty }
        $events = [enum]::GetNames([MemMgmt.Core.Trace.TraceEventId])
        foreach ($m in [regex]::Matches($text, '\bmm_vmscan_[a-z_]+')) { $events | Should -Contain $m.Value }
    }
}
