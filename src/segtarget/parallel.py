"""One parallel layer for bootstraps, tuning trials and refutation refits.

``parallel_map`` runs ``func`` over ``items`` with joblib (default) or Ray (optional extra). Results come
back in input order and every task receives its own deterministic seed, so the numbers do not depend on
the backend or on the number of workers.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import numpy as np


def task_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent, reproducible seeds derived from ``seed`` (NumPy SeedSequence spawning)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


def thread_map(func: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """``[func(it) for it in items]`` on up to ``os.cpu_count()`` threads, in input order.

    For independent model fits that spend their time in native code without the GIL (LightGBM, BLAS): the
    cross-fitting folds of one nuisance, which are too small to be worth a process each. Inside a worker
    process of :func:`parallel_map` (which already fills the cores) it runs serially."""
    import multiprocessing
    import os

    items = list(items)
    workers = min(len(items), os.cpu_count() or 1)
    # joblib's workers are named LokyProcess-N, multiprocessing's children Process-N
    if workers <= 1 or multiprocessing.current_process().name != "MainProcess":
        return [func(it) for it in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, items))


def parallel_map(
    func: Callable[..., Any],
    items: Sequence[Any] | Iterable[Any],
    *,
    n_jobs: int = -1,
    backend: str = "joblib",
) -> list[Any]:
    """Apply ``func`` to every item, in parallel, preserving order."""
    items = list(items)
    if backend == "joblib":
        from joblib import Parallel, delayed

        if n_jobs == 1 or len(items) <= 1:
            return [func(it) for it in items]
        return Parallel(n_jobs=n_jobs, prefer="processes")(delayed(func)(it) for it in items)
    if backend == "ray":
        from ._ray_backend import ray_map

        return ray_map(func, items, n_jobs=n_jobs)
    from .errors import SegtargetError

    raise SegtargetError(f"parallel backend {backend!r} is unknown; use 'joblib' or 'ray'")
