"""Jobs run one after another, or side by side in processes of their own, each result as it is done: the claims'
objectives and the benchmark suites' trials."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed

Jobs = dict[str, tuple[Callable, tuple, tuple]]  # name → (function, its arguments, its cost for ordering)


def as_done(jobs: Jobs, workers: int, costliest_first: bool = True) -> Iterator[tuple[str, object]]:
    """Each job's (name, result) as it is done: one after another in the jobs' order, or with workers > 1 that many
    at once, each in its own process (spawned: no thread of the caller's is copied), started costliest first, so
    that the cheap ones fill in after them, or in the jobs' order, so that the first results come soonest. A job
    that fails raises here; the ones not started are cancelled."""
    if workers == 1:
        for name, (function, args, _) in jobs.items():
            yield name, function(*args)
        return
    order = sorted(jobs, key=lambda name: jobs[name][2], reverse=True) if costliest_first else list(jobs)
    pool = ProcessPoolExecutor(min(workers, len(jobs)), mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(jobs[name][0], *jobs[name][1]): name for name in order}
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        pool.shutdown(cancel_futures=True)
