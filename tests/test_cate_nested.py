"""Nested out-of-fold CATE: row k is a function of the other folds' outcomes only."""

import numpy as np

from segtarget.causal.cate.config import CateConfig
from segtarget.causal.cate.nested import nested_oof_cate
from segtarget.causal.cate.zoo import default_params, oof_cate_many


def _data(seed=0, n=400):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    T = (rng.random(n) < 0.5).astype(int)
    Y = X[:, 0] + T * (1 + X[:, 1]) + rng.normal(size=n)
    folds = np.arange(n) % 4
    return Y, T, X, folds


def _nested(Y, T, X, folds):
    params = default_params("s", CateConfig(n_estimators=30))
    oof = oof_cate_many({"s": params}, Y, T, X, folds, 0)["s"]
    return oof, nested_oof_cate("s", params, 0, Y, T, X, folds, (oof.cate, oof.lower, oof.upper))


def test_row_k_never_sees_fold_k_outcomes():
    Y, T, X, folds = _data()
    oof, base = _nested(Y, T, X, folds)
    assert base.cate.shape == (4, len(Y))
    # the diagonal (fold k's own units in row k) is the ordinary out-of-fold CATE
    for k in range(4):
        np.testing.assert_array_equal(base.cate[k, folds == k], oof.cate[folds == k])
    noisy = Y.copy()
    noisy[folds == 2] += np.random.default_rng(1).normal(scale=50, size=(folds == 2).sum())
    _, moved = _nested(noisy, T, X, folds)
    np.testing.assert_array_equal(moved.cate[2], base.cate[2])  # row 2 is blind to fold 2
    for k in (0, 1, 3):  # every other row learned from fold 2 and moves with it
        assert not np.allclose(moved.cate[k, folds != k], base.cate[k, folds != k])
    # the ordinary out-of-fold CATE of the units outside fold 2 does move: that is the leak nesting removes
    oof_moved, _ = _nested(noisy, T, X, folds)
    assert not np.allclose(oof_moved.cate[folds != 2], oof.cate[folds != 2])
