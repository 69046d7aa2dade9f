"""causal/folds.py: the linear-time StratifiedGroupKFold gives scikit-learn's folds exactly."""

import numpy as np
import pytest
from sklearn.model_selection import StratifiedGroupKFold

from segtarget.causal.folds import stratified_group_folds
from segtarget.causal.nuisance import make_folds


def _sklearn_folds(y, groups, k, seed):
    out = np.empty(len(y), int)
    cv = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    for i, (_, test) in enumerate(cv.split(np.zeros(len(y)), y, groups=groups)):
        out[test] = i
    return out


@pytest.mark.parametrize("case", range(12))
def test_same_folds_as_scikit_learn(case):
    rng = np.random.default_rng(case)
    n = int(rng.integers(40, 500))
    groups = rng.integers(0, max(8, int(n * rng.uniform(0.3, 1.0))), n)
    y = rng.integers(0, 3, n) if case % 4 == 0 else (rng.random(n) < rng.uniform(0.05, 0.6)).astype(int)
    k, seed = int(rng.integers(2, 7)), int(rng.integers(0, 10**6))
    np.testing.assert_array_equal(stratified_group_folds(y, groups, k, seed), _sklearn_folds(y, groups, k, seed))


def test_households_stay_together_and_make_folds_uses_it():
    rng = np.random.default_rng(1)
    groups = rng.integers(0, 300, 1000)
    T = (rng.random(1000) < 0.3).astype(int)
    folds = make_folds(T, 5, 7, groups)
    assert max(len(set(folds[groups == g])) for g in np.unique(groups)) == 1
    np.testing.assert_array_equal(folds, _sklearn_folds(T, groups, 5, 7))


def test_too_many_folds_fails_like_scikit_learn():
    with pytest.raises(ValueError, match="number of groups"):
        stratified_group_folds(np.array([0, 1, 0, 1, 0, 1]), np.array([1, 1, 1, 2, 2, 2]), 3, 0)
