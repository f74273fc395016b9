"""What the user sees: the console (`render`), the run report (`reports`), the audit view, the
guided migration (`guide`), diff hunks for review, and the JSON shapes of every command."""
