"""Where a module calls subprocess, `os.system` or asyncio subprocesses, with exact name
resolution: one model (`model`), read from `ast` (`ast_front`) or, for syntax newer than this
interpreter, LibCST (`cst_front`). The `subprocess-timeouts` transform and the audit both read
their sites here, so they agree call for call.
"""
