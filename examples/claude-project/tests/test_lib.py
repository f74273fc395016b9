import time

from git_utils import parse_status_line
from hook_registry import registered_scripts
from parallel import chunked, run_parallel

from conftest import ROOT


def test_run_parallel_keeps_input_order():
    def slow_square(n: int) -> int:
        time.sleep(0.001 * (n % 3))
        return n * n

    assert run_parallel(slow_square, range(30)) == [n * n for n in range(30)]
    assert run_parallel(slow_square, [], max_workers=2) == []


def test_chunked():
    assert chunked([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]


def test_parse_status_line():
    assert parse_status_line(" M scripts/ops/upkeep.py") == (" M", "scripts/ops/upkeep.py")


def test_every_registered_hook_exists():
    scripts = registered_scripts(ROOT)
    assert scripts
    assert all((ROOT / script).is_file() for script in scripts)
