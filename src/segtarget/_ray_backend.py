"""Ray backend of :func:`segtarget.parallel.parallel_map` (optional extra ``ray``).

The same call works on a laptop and on a cluster:

- ``RAY_ADDRESS`` unset: a local Ray instance is started once per process with ``num_cpus`` capped at
  ``n_jobs`` (``-1`` = every core), no dashboard, and shut down when the process exits.
- ``RAY_ADDRESS=ray://head:10001`` (or ``auto``): the process connects to that cluster; the cluster's own
  resources apply and ``n_jobs`` only caps how many tasks are in flight at once.

Results come back in input order. Tasks get their randomness from the items (``parallel.task_seeds``),
so Ray returns the same numbers as joblib.
"""

from __future__ import annotations

import atexit
import os
from typing import Any, Callable, Sequence

from .errors import SegtargetError

_STARTED_HERE = False


def _cpus(n_jobs: int) -> int:
    total = os.cpu_count() or 1
    if n_jobs is None or n_jobs == 0:
        raise SegtargetError("parameter n_jobs=0: use a positive number of workers or -1 for all cores")
    return total if n_jobs < 0 else min(int(n_jobs), total)


def ensure_ray(n_jobs: int = -1):
    """Initialise Ray once (cluster from ``RAY_ADDRESS``, else a local instance) and return the module."""
    global _STARTED_HERE
    try:
        import ray
    except ImportError:
        raise SegtargetError("parallel backend 'ray' needs Ray: pip install 'segtarget[ray]' "
                             "or set run.parallel_backend = \"joblib\"") from None
    if ray.is_initialized():
        return ray
    address = os.environ.get("RAY_ADDRESS") or None
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "ignore_reinit_error": True}
    if address is None:
        kwargs["num_cpus"] = _cpus(n_jobs)
    try:
        ray.init(address=address, **kwargs)
    except ConnectionError as exc:
        raise SegtargetError(f"RAY_ADDRESS={address}: cannot connect to the Ray cluster ({exc}); "
                             "unset RAY_ADDRESS to run locally") from None
    if address is None:
        _STARTED_HERE = True
        atexit.register(shutdown)
    return ray


def shutdown() -> None:
    """Stop the local Ray instance this process started (a cluster connection is just dropped)."""
    global _STARTED_HERE
    try:
        import ray
    except ImportError:
        return
    if ray.is_initialized():
        ray.shutdown()
    _STARTED_HERE = False


def _apply(func: Callable[[Any], Any], item: Any) -> Any:
    return func(item)


def ray_map(func: Callable[[Any], Any], items: Sequence[Any], n_jobs: int = -1) -> list[Any]:
    """``[func(x) for x in items]`` as Ray tasks, at most ``n_jobs`` in flight, results in input order."""
    items = list(items)
    if not items:
        return []
    ray = ensure_ray(n_jobs)
    remote = ray.remote(num_cpus=1)(_apply)
    # The function (often a partial holding the data) goes to the object store once, not once per task.
    func_ref = ray.put(func)
    limit = _cpus(n_jobs) if n_jobs and n_jobs > 0 else max(int(ray.cluster_resources().get("CPU", 1)), 1)
    results: list[Any] = [None] * len(items)
    pending: dict[Any, int] = {}
    nxt = 0
    while nxt < len(items) or pending:
        while nxt < len(items) and len(pending) < limit:
            pending[remote.remote(func_ref, items[nxt])] = nxt
            nxt += 1
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            results[pending.pop(ref)] = ray.get(ref)
    return results


__all__ = ["ray_map", "ensure_ray", "shutdown"]
