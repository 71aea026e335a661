@{ RootModule = 'MemMgmt.PS.dll' }
