"""migrate: apply a maintenance plan to a Python repository as validated, revertible git commits."""

__version__ = "0.1.0"
