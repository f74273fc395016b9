"""A pytest plugin for bench/mutation.py's map run: each test is a coverage context of its
own, in the pytest process (switched here) and in the processes it starts (they read it from
MUTATION_TEST as their static context), and each test's duration is written down."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Generator
from typing import Any

import coverage
import pytest

_durations: dict[str, float] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Generator[None, None, None]:
    cov = coverage.Coverage.current()
    os.environ["MUTATION_TEST"] = item.nodeid
    if cov is not None:
        cov.switch_context(item.nodeid)
    started = time.monotonic()
    yield
    _durations[item.nodeid] = time.monotonic() - started
    os.environ.pop("MUTATION_TEST", None)
    if cov is not None:
        cov.switch_context("")


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("MUTATION_DURATIONS")
    if target:
        with open(target, "w", encoding="utf-8") as out:
            json.dump(_durations, out, indent=1)
