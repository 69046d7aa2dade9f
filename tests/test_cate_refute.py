"""Refutation refits and the pass/fail table."""

import numpy as np
import pytest

from segtarget.causal.cate.config import CateConfig
from segtarget.causal.nuisance import crossfit_nuisances, dr_scores
from segtarget.causal.cate.refute import (RefitOutcome, _strata_permutation, half_split, refit_tasks, refutation_table,
                                     run_refutations)
from segtarget.causal.cate.zoo import default_params


def test_strata_permutation_keeps_arm_sizes_per_decile():
    rng = np.random.default_rng(0)
    e = rng.uniform(size=1000)
    T = rng.binomial(1, e)
    P = _strata_permutation(T, e, rng)
    strata = np.searchsorted(np.quantile(e, np.linspace(0.1, 0.9, 9)), e, side="right")
    for s in np.unique(strata):
        assert P[strata == s].sum() == T[strata == s].sum()
    assert not np.array_equal(P, T)


def test_half_split_is_stratified():
    T = np.array([1] * 30 + [0] * 20)
    rows = half_split(T, np.random.default_rng(1))
    assert T[rows].sum() == 15 and (1 - T[rows]).sum() == 10


def test_half_split_by_household_never_puts_one_household_on_both_sides():
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(200), rng.integers(1, 4, size=200))  # 1-3 trials per household
    T = (rng.random(len(groups)) < 0.3).astype(int)
    rows = half_split(T, np.random.default_rng(1), groups)
    inside = set(groups[rows])
    assert inside and not inside & set(np.delete(groups, rows))
    assert 0.4 < len(inside) / 200 < 0.6 and 0 < T[rows].sum() < T.sum()
    # the split by unit (no groups) would cut households in two on this layout
    unit_rows = half_split(T, np.random.default_rng(1))
    assert set(groups[unit_rows]) & set(np.delete(groups, unit_rows))


def _outcome(kind, cate):
    return RefitOutcome(kind, np.asarray(cate, float), None)


def test_table_pass_and_fail_by_hand():
    scores = np.array([0.0, 2.0, 4.0, 6.0])  # SE = sd / 2 = 1.29
    full = np.array([1.0, 2.0, 4.0, 5.0])  # ATE 3, sd 1.58
    outs = [_outcome("final", full)]
    outs += [_outcome("placebo", [0.1, -0.1, 0.2, -0.2]) for _ in range(20)]
    outs += [_outcome("random_cause", full + 0.1) for _ in range(3)]
    outs += [_outcome("subset", full[::-1]) for _ in range(3)]  # reversed ranking
    outs += [_outcome("dummy", [2.0, 2.0, 2.0, 2.0])]
    t = refutation_table(outs, scores).set_index("test")
    se = np.std(scores, ddof=1) / 2
    assert t.loc["placebo treatment: effect", "passed"]
    assert t.loc["placebo treatment: heterogeneity", "statistic"] == pytest.approx(1 / 21)
    assert t.loc["placebo treatment: heterogeneity", "passed"]
    assert t.loc["random common cause", "statistic"] == pytest.approx(0.1 / se)
    assert not t.loc["data subset: ranking", "passed"]
    assert t.loc["data subset: ranking", "statistic"] == pytest.approx(-1.0)
    assert t.loc["dummy outcome", "statistic"] == pytest.approx(2.0 / se)
    assert not t.loc["dummy outcome", "passed"]
    assert "fragile" in t.loc["data subset: ranking", "meaning"]


def test_run_refutations_counts_and_final_model():
    rng = np.random.default_rng(0)
    n = 400
    X = rng.normal(size=(n, 3))
    T = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
    Y = X[:, 0] + T * 2 * (X[:, 1] > 0) + rng.normal(size=n)
    cfg = CateConfig()
    nuis = crossfit_nuisances(Y, T, X, n_folds=3, seed=0)
    tasks = refit_tasks("linear_dml", default_params("linear_dml", cfg), 0, Y, T, X, nuis=nuis, cfg=cfg)
    assert len(tasks) == 1 + 20 + 10 + 10 + 5
    final, table, runs = run_refutations("linear_dml", default_params("linear_dml", cfg), 0, Y, T, X, nuis=nuis,
                                         scores=dr_scores(Y, T, nuis), cfg=cfg, n_jobs=1)
    assert list(table["n_runs"]) == [20, 20, 10, 10, 5]
    assert runs["kind"].value_counts().to_dict() == {"placebo": 20, "random_cause": 10, "subset": 10, "dummy": 5,
                                                     "final": 1}
    assert final.effect(X).shape == (n,)
    # an orthogonalised learner on a real effect modifier: heterogeneity, placebo and dummy tests pass
    t = table.set_index("test")
    assert t.loc["placebo treatment: heterogeneity", "passed"]
    assert t.loc["placebo treatment: effect", "passed"]
