"""Where a module calls subprocess, `os.system` or asyncio subprocesses, with exact name
resolution. The `subprocess-timeouts` transform and the audit both read their sites here, so
they agree call for call.

`prefilter`: a cheap test on the raw text before any parse. `read`: `read_facts`, the entry
point. `model`: the facts both front ends read (values, calls, bindings in the `pysource.scopes`
model) and the `Site`s made of them. `walker`: the scope bookkeeping of both front ends.
`ast_front` and `ast_values`: the `ast` front end (the walk, and what an expression is);
`cst_front`: the LibCST one, for syntax newer than this interpreter. `resolve`: the resolver
(`Facts.sites`) and the hazards of adding a timeout.
"""
