"""Several training runs at once, one per CPU core (chapters "Gates" and "Results").

:func:`run_jobs` runs ``fn(*job)`` for each job, in worker processes that each use one CPU
thread. The workers are started once (with ``spawn``, which is safe with PyTorch) and kept for
the next call, so a chapter that trains several groups of runs pays the start-up (a fresh
Python importing torch) once, not once per group. Each run seeds itself, so the results are
those of running the jobs one after another.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

import torch

__all__ = ["run_jobs"]

_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def _worker_start() -> None:
    torch.set_num_threads(1)  # two runs on two cores, not two runs fighting over both
    # Ctrl-C (or a notebook's interrupt) is for the main process: it stops waiting and
    # cancels what has not started, while a worker finishes its run quietly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _workers(n: int) -> ProcessPoolExecutor:
    """The kept pool of ``n`` workers (started now if there is none of that size)."""
    global _pool, _pool_size
    if _pool is None or _pool_size != n:
        if _pool is not None:
            _pool.shutdown(cancel_futures=True)
        _pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_worker_start)
        _pool_size = n
    return _pool


def run_jobs(fn: Callable, jobs: Iterable[tuple], workers: int) -> Iterator[tuple[int, object]]:
    """Yield ``(i, fn(*jobs[i]))`` for each job: in this process, one after another, when
    ``workers`` is 1; else ``workers`` at a time in the kept worker processes, as each ends."""
    jobs = list(jobs)
    if workers == 1:
        for i, job in enumerate(jobs):
            yield i, fn(*job)
        return
    global _pool
    pool = _workers(workers)
    futures = {pool.submit(fn, *job): i for i, job in enumerate(jobs)}
    try:
        for future in as_completed(futures):
            yield futures[future], future.result()
    except BrokenProcessPool:
        _pool = None  # a worker died (out of memory, killed): the next call starts afresh
        raise
    finally:
        for future in futures:
            future.cancel()
