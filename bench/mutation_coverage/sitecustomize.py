"""Started by every Python process of the map run (bench/mutation.py puts this folder on
PYTHONPATH): measure the mutated module when COVERAGE_PROCESS_START names a configuration.
A Python without coverage runs unmeasured; a line no measured test ran is run against every
test of the selection, so a lost measurement costs time, never a mutant called a survivor."""

import os

if os.environ.get("COVERAGE_PROCESS_START"):
    try:
        import coverage
    except ImportError:
        pass
    else:
        # coverage's own .pth (7.x) may have started it already: then this returns None
        coverage.process_startup()
        _cov = coverage.Coverage.current()
        if _cov is not None:
            _real_exit = os._exit

            def _exit(code: int) -> None:
                # the hooks runtime ends with os._exit, past coverage's own atexit save
                try:
                    _cov.stop()
                    _cov.save()
                finally:
                    _real_exit(code)

            os._exit = _exit
