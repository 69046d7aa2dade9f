"""Estimation on a stacked design: household-grouped folds, household-clustered SEs, trial-stratified naive."""

import numpy as np
import pytest

from segtarget.causal.ate import estimators
from segtarget.causal.nuisance import Nuisances, make_folds


def _stacked(n_households=300, seed=0):
    rng = np.random.default_rng(seed)
    hh = np.repeat(np.arange(n_households), rng.integers(1, 4, n_households))
    T = rng.binomial(1, 0.3, len(hh))
    return hh, T, rng


def test_grouped_folds_never_split_a_household_and_keep_both_arms():
    hh, T, _ = _stacked()
    folds = make_folds(T, 5, seed=3, groups=hh)
    per_household = {h: set(folds[hh == h]) for h in np.unique(hh)}
    assert all(len(f) == 1 for f in per_household.values())
    assert all(0 < T[folds == k].mean() < 1 for k in range(5))
    # ungrouped behaviour unchanged: the same StratifiedKFold split as before
    from sklearn.model_selection import StratifiedKFold

    plain = make_folds(T, 5, seed=3)
    for k, (_, test) in enumerate(StratifiedKFold(5, shuffle=True, random_state=3).split(np.zeros(len(T)), T)):
        assert (plain[test] == k).all()


def test_clustered_se_by_hand():
    infl = np.array([1.0, 3.0, -2.0, 0.0, -2.0])
    groups = np.array([7, 7, 8, 9, 9])
    # centred IF (mean 0): [1, 3, -2, 0, -2]; group sums 4, -2, -2; G = 3
    expected = np.sqrt(3 / 2 * (16 + 4 + 4)) / 5
    assert estimators.clustered_se(infl, groups) == pytest.approx(expected)
    # groups of one = the unclustered formula
    assert estimators.clustered_se(infl, np.arange(5)) == pytest.approx(np.std(infl, ddof=1) / np.sqrt(5))


def test_clustering_widens_the_se_when_a_household_repeats():
    # every household appears 3 times with the same outcome: the unclustered SE is too small by ~sqrt(3)
    rng = np.random.default_rng(1)
    y1 = rng.normal(size=200)
    t1 = rng.binomial(1, 0.5, 200)
    Y, T, hh = np.repeat(y1, 3), np.repeat(t1, 3), np.repeat(np.arange(200), 3)
    nuis = Nuisances(e=np.full(600, 0.5), e_raw=np.full(600, 0.5), mu0=np.zeros(600), mu1=np.zeros(600),
                     folds=np.zeros(600, int), ps_model="x")
    plain, clustered = estimators.aipw(Y, T, nuis), estimators.aipw(Y, T, nuis, groups=hh)
    assert clustered.estimate == plain.estimate
    assert clustered.std_error / plain.std_error == pytest.approx(np.sqrt(3), rel=0.02)


def test_naive_is_stratified_by_trial():
    # trial 1: treated +10 over its controls; trial 2: +0; pooling without strata mixes trial levels
    Y = np.array([110.0, 100, 100, 100, 5, 5, 5, 5])
    T = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    strata = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    est = estimators.naive(Y, T, groups=np.arange(8), strata=strata)
    assert est.estimate == pytest.approx(0.5 * 10 + 0.5 * 0)
    assert "within trial" in est.estimand
    assert estimators.naive(Y, T).estimate == pytest.approx(125 / 4 - 305 / 4)


def test_splits_stop_when_the_headline_does_not_move():
    from segtarget.causal.ate.pipeline import splits_agree

    def run(att, other):
        return [estimators.AteEstimate("att", "ATT", att, 10.0, 100), estimators.AteEstimate("ipw", "ATE", other, 10.0, 100)]

    assert splits_agree([run(5.0, 0.0), run(9.0, 90.0)], "att", 0.25)  # half-range 2 <= 2.5; ipw ignored
    assert not splits_agree([run(5.0, 0.0), run(11.0, 0.0)], "att", 0.25)  # half-range 3 > 2.5
