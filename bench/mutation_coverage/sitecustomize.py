"""Started by every Python process of the map run (bench/mutation.py puts this folder on
PYTHONPATH): measure the mutated module when COVERAGE_PROCESS_START names a configuration.
A Python without coverage (a hook's `python3`) runs unmeasured; the map is only a guide to
which tests run first, never the reason a mutant is called a survivor."""

import os

if os.environ.get("COVERAGE_PROCESS_START"):
    try:
        import coverage
    except ImportError:
        pass
    else:
        coverage.process_startup()
