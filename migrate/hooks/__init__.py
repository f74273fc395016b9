"""Claude Code hooks: the settings model, the unified runtime, generation, verification."""
