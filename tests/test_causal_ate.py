"""ATE family: hand computations on a small table, split aggregation, and a randomised simulation."""

import numpy as np
import pytest

from segtarget.causal.ate import estimators
from segtarget.causal.nuisance import Nuisances, crossfit_nuisances

Y = np.array([3.0, 5.0, 2.0, 8.0, 1.0, 4.0])
T = np.array([1, 1, 1, 0, 0, 0])
E = np.array([0.8, 0.5, 0.4, 0.6, 0.2, 0.3])
MU0 = np.array([2.0, 3.0, 1.0, 6.0, 1.5, 3.5])
MU1 = np.array([3.5, 4.0, 2.5, 7.0, 2.0, 5.0])
NUIS = Nuisances(e=E, e_raw=E, mu0=MU0, mu1=MU1, folds=np.zeros(6, int), ps_model="logistic")


def test_ipw_hajek_by_hand():
    w1 = [1 / 0.8, 1 / 0.5, 1 / 0.4]
    w0 = [1 / 0.4, 1 / 0.8, 1 / 0.7]
    m1 = (3 * w1[0] + 5 * w1[1] + 2 * w1[2]) / sum(w1)
    m0 = (8 * w0[0] + 1 * w0[1] + 4 * w0[2]) / sum(w0)
    assert estimators.ipw_hajek(Y, T, E).estimate == pytest.approx(m1 - m0)


def test_aipw_by_hand():
    psi = [3.5 - 2 + (3 - 3.5) / 0.8, 4 - 3 + (5 - 4) / 0.5, 2.5 - 1 + (2 - 2.5) / 0.4,
           7 - 6 - (8 - 6) / 0.4, 2 - 1.5 - (1 - 1.5) / 0.8, 5 - 3.5 - (4 - 3.5) / 0.7]
    est = estimators.aipw(Y, T, NUIS)
    assert est.estimate == pytest.approx(np.mean(psi))
    assert est.std_error == pytest.approx(np.std(psi, ddof=1) / np.sqrt(6))
    assert est.ci_lower == pytest.approx(est.estimate - 1.959963984540054 * est.std_error)


def test_estimate_takes_alpha_and_reports_a_two_sided_p_value():
    from scipy.stats import norm

    from segtarget.errors import SegtargetError

    est = estimators.AteEstimate("aipw", "ATE", 2.0, 1.0, 100)
    assert est.p_value == pytest.approx(2 * (1 - norm.cdf(2.0)))
    assert estimators.AteEstimate("aipw", "ATE", -2.0, 1.0, 100).p_value == pytest.approx(est.p_value)
    assert np.isnan(estimators.AteEstimate("aipw", "ATE", 2.0, 0.0, 100).p_value)
    ci90 = est.with_alpha(0.10)
    assert ci90.ci_upper == pytest.approx(2.0 + norm.ppf(0.95)) and ci90.ci_lower > est.ci_lower
    assert ci90.p_value == est.p_value  # the p-value does not depend on the interval's level
    row = ci90.summary_frame().iloc[0]
    assert row["alpha"] == 0.10 and row["p_value"] == pytest.approx(est.p_value) and row["ci_upper"] == ci90.ci_upper
    assert estimators.aipw(Y, T, NUIS, alpha=0.2).alpha == 0.2
    frame = estimators.estimates_frame([est, ci90], "sales")
    assert list(frame["p_value"]) == [est.p_value] * 2 and frame["ci_upper"].iloc[1] == ci90.ci_upper
    with pytest.raises(SegtargetError, match="alpha = 1.5: use a level in"):
        estimators.AteEstimate("aipw", "ATE", 2.0, 1.0, 100, alpha=1.5)


def test_ato_by_hand():
    h = E * (1 - E)
    treated = sum(h[i] * (MU1[i] - MU0[i]) for i in range(6))
    resid = (1 - 0.8) * (3 - 3.5) + (1 - 0.5) * (5 - 4) + (1 - 0.4) * (2 - 2.5) \
        - (0.6 * (8 - 6) + 0.2 * (1 - 1.5) + 0.3 * (4 - 3.5))
    expected = (treated + resid) / h.sum()
    assert estimators.ato_dr(Y, T, NUIS).estimate == pytest.approx(expected)


def test_att_and_atc_by_hand():
    r0 = Y - MU0
    w = np.array([0, 0, 0, 0.6 / 0.4, 0.2 / 0.8, 0.3 / 0.7])
    att = r0[:3].mean() - (w * r0).sum() / w.sum()
    assert estimators.att_dr(Y, T, NUIS).estimate == pytest.approx(att)
    r1 = Y - MU1
    v = np.array([0.2 / 0.8, 0.5 / 0.5, 0.6 / 0.4, 0, 0, 0])
    atc = (v * r1).sum() / v.sum() - r1[3:].mean()
    assert estimators.atc_dr(Y, T, NUIS).estimate == pytest.approx(atc)


def test_headline_influence_is_each_estimators_own():
    """The design-difference test resamples the headline's influence: it must be the estimator's own (same
    estimate, and its clustered SE the reported SE) for every headline method."""
    groups = np.array([1, 1, 2, 3, 3, 4])
    for method, fn in (("aipw", estimators.aipw), ("att", estimators.att_dr), ("atc", estimators.atc_dr),
                       ("ato", estimators.ato_dr)):
        est, infl = estimators.headline_influence(method, Y, T, NUIS)
        row = fn(Y, T, NUIS, groups=groups)
        assert est == pytest.approx(row.estimate) and len(infl) == 6
        assert estimators.clustered_se(infl, groups) == pytest.approx(row.std_error)
    with pytest.raises(ValueError, match="aipw_trim"):
        estimators.headline_influence("aipw_trim", Y, T, NUIS)


def test_naive_and_trim():
    assert estimators.naive(Y, T).estimate == pytest.approx(10 / 3 - 13 / 3)
    rows = estimators.aipw_trimming(Y, T, NUIS, [0.25], min_n=2)
    assert rows[0].n == 4 and rows[0].trim == 0.25  # e = 0.2 and 0.8 are dropped


def test_median_over_splits_adds_split_spread():
    runs = [[estimators.AteEstimate("aipw", "ATE", v, 1.0, 10, alpha=0.1)] for v in (1.0, 2.0, 4.0)]
    (agg,) = estimators.median_over_splits(runs)
    assert agg.estimate == 2.0 and agg.alpha == 0.1
    assert agg.std_error == pytest.approx(np.sqrt(np.median([1 + 1, 1 + 0, 1 + 4])))


def test_randomised_simulation_recovers_true_ate():
    rng = np.random.default_rng(3)
    n = 800
    X = rng.normal(size=(n, 3))
    T = rng.binomial(1, 0.5, n)
    Y = 1 + X[:, 0] + 0.5 * X[:, 1] + 2.0 * T + rng.normal(size=n)
    nuis = crossfit_nuisances(Y, T, X, n_folds=3, random_state=0)
    for est in estimators.weighting_family(Y, T, X, nuis):
        assert est.ci_lower < 2.0 < est.ci_upper, est
        assert est.std_error < 0.25
