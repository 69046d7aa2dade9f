"""Run small dense linear algebra (Track 1 NMF/K-Means, the CATE zoo's fits) on one thread per process.

The matrices are small (thousands x tens), so BLAS and OpenMP threads inside the fits gain little,
and on a busy machine their spin-waiting costs far more than it saves: on the shared 2-core machine one
full-pipeline fit took 40x the CPU time with the default thread pools. Parallelism comes from
``parallel_map`` over independent tasks (ranks, resamples) instead.
"""

from __future__ import annotations

import functools


def single_threaded(func):
    """Decorator: run ``func`` with BLAS/OpenMP pools limited to one thread."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return func(*args, **kwargs)

    return wrapper
