"""Ray backend of parallel_map: same numbers as joblib on a real stage (Ray local; `make test-scale`)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

pytestmark = pytest.mark.scale
pytest.importorskip("ray")

from segtarget.parallel import parallel_map, task_seeds  # noqa: E402


@pytest.fixture(scope="module")
def ray_local():
    import os

    from segtarget import _ray_backend

    old = os.environ.pop("RAY_ADDRESS", None)
    _ray_backend.ensure_ray(2)
    yield
    _ray_backend.shutdown()
    if old is not None:
        os.environ["RAY_ADDRESS"] = old


def _blobs(seed: int = 0, n: int = 150) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = np.array([[0.1, 0.1, 0.8], [0.8, 0.2, 0.1], [0.3, 0.9, 0.3]])
    labels = rng.integers(0, 3, n)
    return np.clip(centers[labels] + rng.normal(0, 0.22, (n, 3)), 0, None), labels


def test_kmeans_ari_bootstrap_same_on_ray_and_joblib(ray_local):
    from segtarget.segments.config import SegmentSpec
    from segtarget.segments.stability import _kmeans_only_one

    W, ref = _blobs()
    task = functools.partial(_kmeans_only_one, W=W, ref=ref, n_segments=3, spec=SegmentSpec(kmeans_n_init=2))
    seeds = task_seeds(7, 6)
    via_joblib = parallel_map(task, seeds, n_jobs=2, backend="joblib")
    via_ray = parallel_map(task, seeds, n_jobs=2, backend="ray")
    assert via_ray == via_joblib
    assert len(set(via_ray)) > 1 and min(via_ray) > 0.2  # resamples differ; the blobs are still found


def test_full_stability_stage_same_on_ray(ray_local):
    from segtarget.segments.config import SegmentSpec
    from segtarget.segments.stability import bootstrap_stability

    X, ref = _blobs(1, 120)
    kw = dict(spec=SegmentSpec("minmax", kmeans_n_init=2, nmf_max_iter=200), n_factors=2, n_segments=3, n_boot=3,
              seed=5, kmeans_only=False, n_jobs=2)
    a = bootstrap_stability(X, X[:, :2], ref, backend="joblib", **kw)
    b = bootstrap_stability(X, X[:, :2], ref, backend="ray", **kw)
    np.testing.assert_array_equal(a.ari, b.ari)
    np.testing.assert_array_equal(a.jaccard, b.jaccard)


def test_ray_map_keeps_order_and_caps_in_flight(ray_local):
    from segtarget._ray_backend import ray_map

    assert ray_map(functools.partial(pow, 2), list(range(9)), n_jobs=1) == [2 ** i for i in range(9)]
    assert ray_map(abs, [], n_jobs=2) == []
