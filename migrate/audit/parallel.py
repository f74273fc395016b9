"""Fanning work out over processes: weighted chunks, results in input order, Ctrl-C left to the
parent."""

from __future__ import annotations

import gc
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass


T = TypeVar("T")
R = TypeVar("R")


Progress = Callable[[int, int], None]


# -- fanning work out over processes -------------------------------------------------------------


def parallel_map(
    fn: Callable[[Sequence[T]], list[R]],
    items: Sequence[T],
    *,
    jobs: int,
    progress: Progress | None = None,
    weights: Sequence[int] | None = None,
    finish: Callable[[R], R] | None = None,
) -> list[R]:
    """`fn` applied to chunks of `items`, in `jobs` worker processes (1: in this process).

    Chunks hold about 1/8 of a worker's share of the total weight (default: 1 per item), so
    heavy items go in small chunks and the workers finish together. Results keep the input
    order; `finish(result)`, when given, runs here on each result as its chunk arrives (the
    workers go on meanwhile) and its value is kept; then `progress(done, total)` runs. `fn`
    must be picklable (a module-level function, or a `functools.partial` of one).
    """
    chunks = _chunks(items, weights or [1] * len(items), jobs)
    total, done = len(items), 0
    if progress is not None:
        progress(0, total)
    results: list[list[R]] = [[] for _ in chunks]
    for index, result in _run_chunks(fn, chunks, jobs):
        results[index] = result if finish is None else [finish(r) for r in result]
        done += len(chunks[index])
        if progress is not None:
            progress(done, total)
    return [r for part in results for r in part]


def _chunks(items: Sequence[T], weights: Sequence[int], jobs: int) -> list[Sequence[T]]:
    budget = max(1, sum(weights) // (max(jobs, 1) * 8))
    chunks: list[Sequence[T]] = []
    start, weight = 0, 0
    for i, item_weight in enumerate(weights):
        weight += item_weight
        if weight >= budget or i - start + 1 >= 64:
            chunks.append(items[start : i + 1])
            start, weight = i + 1, 0
    if start < len(items):
        chunks.append(items[start:])
    return chunks


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which cancels the chunks not started."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_chunks(
    fn: Callable[[Sequence[T]], list[R]], chunks: Sequence[Sequence[T]], jobs: int
) -> Iterator[tuple[int, list[R]]]:
    if jobs <= 1 or len(chunks) <= 1:
        for index, part in enumerate(chunks):
            yield index, fn(part)
        return
    import multiprocessing  # a fiftieth of a second: not for trees one process audits
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # Forked workers inherit the imported modules; elsewhere fork is unsafe or unavailable.
    method = "fork" if sys.platform.startswith("linux") else None
    context = multiprocessing.get_context(method)
    # Frozen, this process's objects are never scanned by a worker's garbage collector, so the
    # workers do not copy the memory pages holding them (fork shares them copy-on-write).
    gc.freeze()
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_ignore_interrupts)
    try:
        pending = {pool.submit(fn, part): i for i, part in enumerate(chunks)}
        for future in as_completed(pending):
            yield pending[future], future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        gc.unfreeze()
