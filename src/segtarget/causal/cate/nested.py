"""Nested out-of-fold CATE: for every outer fold k, what a learner that never saw fold k says about every unit.

A policy chosen on folds other than k and valued on fold k is only honest if nothing used in the choice has
seen fold k's outcomes. Ordinary out-of-fold CATEs break that for the units outside k: unit i in fold j was
predicted by a model fit on every fold but j, fold k included, so a rule or a policy tree built on those
CATEs carries fold k's noise into the choice that is then scored on fold k (an optimistic held-out value).

Row k of the nested matrix therefore holds, for a unit in fold j != k, the prediction of the learner fit on
the folds other than k and j, and for a unit in fold k the ordinary out-of-fold prediction (fit on the folds
other than k). K (K - 1) extra fits; the ordinary out-of-fold CATE is reused for the diagonal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...threads import single_threaded
from .registry import carrying_learners
from .zoo import build_model


@dataclass(frozen=True)
class NestedCate:
    """(K, n) CATE and interval bounds; row k never used fold k's outcomes (see the module docstring)."""

    cate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    folds: np.ndarray


@single_threaded
def _inner_task(task: tuple) -> tuple:
    row, name, params, seed, Y, T, X, train, test = task
    model = build_model(name, params, seed).fit(Y[train], T[train], X=X[train])
    lo, hi = model.effect_interval(X[test])
    return row, test, model.effect(X[test]), lo, hi


def nested_oof_cate(name: str, params: dict, seed: int, Y, T, X, folds, oof: tuple, *, n_jobs: int = 1,
                    backend: str = "joblib") -> NestedCate:
    """Nested CATE of zoo model ``name`` (fit with ``params`` and the run ``seed`` as in the zoo).

    ``oof`` = (cate, lower, upper), the model's ordinary out-of-fold prediction on the same folds: it is the
    diagonal of the nesting and is not refit."""
    from ...parallel import parallel_map

    Y, T, X, folds = np.asarray(Y, float), np.asarray(T, int), np.asarray(X, float), np.asarray(folds)
    ks = list(np.unique(folds))
    out = [np.tile(np.asarray(a, float), (len(ks), 1)) for a in oof]
    tasks = [(r, name, params, seed, Y, T, X, np.flatnonzero((folds != k) & (folds != j)), np.flatnonzero(folds == j))
             for r, k in enumerate(ks) for j in ks if j != k]
    for r, test, *vals in parallel_map(carrying_learners(_inner_task), tasks, n_jobs=n_jobs, backend=backend):
        for a, v in zip(out, vals):
            a[r, test] = v
    return NestedCate(*out, folds=folds)
