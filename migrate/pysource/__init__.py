"""Reading Python source the same way everywhere: the models every analysis of a module shares.

`parse`: the one policy for what parses (`ast`, then LibCST for newer syntax). `scopes`: what a
name is bound to and what an imported name stands for, under the codemod's call-site resolver
(`subprocess_sites`) and the hook state analysis (`hooks/state`) alike. `edits`: positions and
splicing. `subprocess_sites`: where a module runs a subprocess, for the `subprocess-timeouts`
transform and the audit alike; `pool_calls`: the pool names both read; `skeleton`: a module
with the bodies the audit need not read cut; `suppress`: `# migrate: ignore` comments.
"""
