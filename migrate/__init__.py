"""migrate: apply a maintenance plan to a Python repository as validated, revertible git commits."""

__version__ = "0.1.0"
# Where users read about the tool: the package index page of its distribution, `migrate-plan`
# (`migrate` on the index is an unrelated project). SARIF's informationUri points here too.
DISTRIBUTION = "migrate-plan"
PROJECT_URL = f"https://pypi.org/project/{DISTRIBUTION}/"
