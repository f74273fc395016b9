"""Small helpers to fan work out over threads or processes, keeping results in input order."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def run_parallel(func: Callable[[T], R], items: Iterable[T], max_workers: int = 10) -> list[R]:
    """Apply `func` to every item in a thread pool (I/O-bound work); results in input order."""
    items = list(items)
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        return list(pool.map(func, items))


def run_processes(func: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """Apply `func` in worker processes (CPU-bound work); `func` must be picklable."""
    with ProcessPoolExecutor(max_workers=4) as pool:
        return list(pool.map(func, items, chunksize=8))


def chunked(items: list[T], size: int) -> list[list[T]]:
    """Split `items` into lists of at most `size` elements."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [items[i : i + size] for i in range(0, len(items), size)]
