"""parallel.py: thread_map keeps order, and threaded cross-fitting gives the serial numbers bit for bit."""

import numpy as np

from segtarget import parallel
from segtarget.causal.nuisance import crossfit_nuisances


def test_thread_map_keeps_input_order():
    assert parallel.thread_map(lambda x: x * x, range(7)) == [x * x for x in range(7)]
    assert parallel.thread_map(str, []) == []


def test_threaded_crossfit_equals_serial(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4))
    T = (rng.random(600) < 1 / (1 + np.exp(-X[:, 0]))).astype(int)
    Y = X[:, 1] + T * (1 + X[:, 2]) + rng.normal(size=600)
    threaded = crossfit_nuisances(Y, T, X, n_folds=4, seed=3)
    monkeypatch.setattr(parallel, "thread_map", lambda func, items: [func(it) for it in items])
    serial = crossfit_nuisances(Y, T, X, n_folds=4, seed=3)
    for name in ("e_raw", "mu0", "mu1", "folds"):
        np.testing.assert_array_equal(getattr(threaded, name), getattr(serial, name))
