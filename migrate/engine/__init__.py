"""The engine: the only code that changes the user's repository.

`apply` computes, previews and applies recipes as one validated commit each in the run's own
worktree; `safety` holds the lock and the signals; `recover` finishes what a dead run left;
`rollback` undoes steps with new commits; `journal` keeps the runs; `checks` validates a
step; `writer` writes files; `git` is the one gateway to git. Nothing outside this package
writes to a repository.
"""
