"""The ranking test: median adjustment, household splits, valued population, null and signal behaviour."""

import numpy as np
import pytest

from segtarget.causal.cate.config import CateConfig
from segtarget.causal.cate.ranking import (combine_splits, household_splits, median_p, population_label, ranking_test,
                                           valued_mask)
from segtarget.causal.cate.zoo import default_params


def test_median_adjustment_formula():
    assert median_p([0.01, 0.02, 0.30]) == pytest.approx(0.04)  # 2 x 0.02
    assert median_p([0.01, 0.02, 0.03, 0.50]) == pytest.approx(0.05)  # even S: 2 x mean of the middle two
    assert median_p([0.4, 0.6, 0.9]) == 1.0  # capped at 1
    assert median_p([np.nan, 0.01, 0.03]) == pytest.approx(0.04)  # a split without a p-value is left out
    assert np.isnan(median_p([np.nan]))


def _households(n_hh=300, seed=0):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_hh), rng.integers(1, 4, size=n_hh))  # 1-3 trials per household
    T = (rng.random(len(groups)) < 0.35).astype(int)
    return T, groups


def test_splits_never_put_a_household_on_both_sides():
    T, groups = _households()
    splits = household_splits(T, groups, 4, seed=5)
    assert len(splits) == 4
    for train in splits:
        test = np.setdiff1d(np.arange(len(T)), train)
        assert not set(groups[train]) & set(groups[test])
        assert 0.4 < len(np.unique(groups[train])) / 300 < 0.6
    assert not np.array_equal(splits[0], splits[1])  # S different halves
    assert all(np.array_equal(a, b) for a, b in zip(splits, household_splits(T, groups, 4, seed=5)))


def test_valued_mask():
    e = np.array([0.05, 0.1, 0.5, 0.9, 0.95])
    assert valued_mask(e, (0.1, 0.9)).tolist() == [False, True, True, True, False]
    assert valued_mask(e, None).all()
    assert population_label((0.1, 0.9)) == "propensity in [0.1, 0.9]"


def test_only_valued_units_are_ranked():
    # Outside the band the scores follow the priorities exactly (as huge IPW-weighted scores can); inside they
    # are pure noise. The test on the valued units must not see the outside signal.
    rng = np.random.default_rng(0)
    n = 900
    pri = rng.normal(size=n)
    e = np.where(np.arange(n) % 4 == 0, 0.02, 0.5)
    g = np.where(e < 0.1, 50 * pri, rng.normal(size=n))
    held = [np.arange(n)[s::3] for s in range(3)]
    cates = [pri[h] for h in held]
    every = combine_splits(g, held, cates, n_boot=100)
    valued = combine_splits(g, held, cates, valued=valued_mask(e, (0.1, 0.9)), n_boot=100,
                            population="propensity in [0.1, 0.9]")
    assert every.p_value < 0.01
    assert valued.p_value > 0.05
    assert (valued.splits["n_test"] == [int((e[h] >= 0.1).sum()) for h in held]).all()
    assert "median of 3 household-split p-values ×2" in valued.description


def _dgp(seed, tau_fn, n_hh=400):
    """Households of 1-3 units sharing a household shock; scores = true effect + heteroskedastic noise."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_hh), rng.integers(1, 4, size=n_hh))
    n = len(groups)
    X = rng.normal(size=(n, 3))
    T = (rng.random(n) < 0.4).astype(int)
    shock = rng.normal(scale=2.0, size=n_hh)[groups]
    g = tau_fn(X) + shock + rng.normal(size=n) * (1 + np.abs(X[:, 0]))
    return X, T, g, groups


def _linear_test(X, T, g, groups, n_splits=5, seed=0):
    """The test with a cheap learner: least squares of the score on X, fit on the training households."""
    held, cates = [], []
    for train in household_splits(T, groups, n_splits, seed):
        test = np.setdiff1d(np.arange(len(g)), train)
        A = np.column_stack([np.ones(len(train)), X[train]])
        beta = np.linalg.lstsq(A, g[train], rcond=None)[0]
        held.append(test)
        cates.append(np.column_stack([np.ones(len(test)), X[test]]) @ beta)
    return combine_splits(g, held, cates, groups=groups, n_boot=100, seed=seed)


def test_no_heterogeneity_rarely_rejects():
    p = [_linear_test(*_dgp(s, lambda X: np.full(len(X), 1.0)), seed=s).p_value for s in range(12)]
    assert np.mean(np.array(p) < 0.05) <= 1 / 12
    assert np.median(p) > 0.3  # 2 x median of roughly uniform p-values


def test_strong_heterogeneity_rejects():
    for s in range(3):
        rt = _linear_test(*_dgp(s, lambda X: 4.0 * X[:, 1]), seed=s)
        assert rt.p_value < 0.01 and rt.lower > 0 and rt.estimate > 0


def test_ranking_test_refits_the_zoo_learner_per_split():
    T, groups = _households(200, seed=2)
    rng = np.random.default_rng(2)
    n = len(T)
    X = rng.normal(size=(n, 3))
    Y = X[:, 0] + T * 3 * (X[:, 1] > 0) + rng.normal(size=n)
    e = np.where(X[:, 2] > 1.5, 0.95, 0.4)
    scores = Y * (T / 0.4 - (1 - T) / 0.6)
    rt = ranking_test("linear_dml", default_params("linear_dml", CateConfig(n_estimators=50)), Y, T, X, scores,
                      propensity=e, overlap=(0.1, 0.9), groups=groups, n_splits=3, n_boot=50, seed=0)
    assert rt.n_splits == 3 and rt.population == "propensity in [0.1, 0.9]"
    valued = e <= 0.9
    # every split ranks only held-out valued units: at most the valued count, about half of it
    assert (rt.splits["n_test"] < valued.sum()).all() and (rt.splits["n_test"] > 0.3 * valued.sum()).all()
    assert rt.p_value == pytest.approx(min(1.0, 2 * np.median(rt.splits["p_value"])))
    assert rt.estimate > 0 and rt.p_value < 0.05
