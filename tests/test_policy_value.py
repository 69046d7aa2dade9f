import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import LinearRegression

from segtarget.policy.value import POLICY_COLUMNS, clustered_total, policy_value, value_frame

MARGIN, COST = 0.3, 4.0


def _randomised(n: int, seed: int):
    """Randomised trial (e = 0.5) with tau(x) = 10 + 20 x0; AIPW scores from cross-fitted linear outcomes."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    tau = 10 + 20 * X[:, 0]
    T = rng.binomial(1, 0.5, n)
    Y = 50 + 10 * X[:, 1] + 5 * X[:, 0] + tau * T + rng.normal(0, 20, n)
    folds = rng.integers(0, 5, n)
    mu0, mu1 = np.empty(n), np.empty(n)
    for k in range(5):
        tr, te = folds != k, folds == k
        mu0[te] = LinearRegression().fit(X[tr & (T == 0)], Y[tr & (T == 0)]).predict(X[te])
        mu1[te] = LinearRegression().fit(X[tr & (T == 1)], Y[tr & (T == 1)]).predict(X[te])
    psi = mu1 - mu0 + T * (Y - mu1) / 0.5 - (1 - T) * (Y - mu0) / 0.5
    return X, tau, psi


def _true_value(n: int) -> float:
    """n * E[1{x0 > 0} (m tau(x) - c)] for x0 ~ N(0, 1)."""
    per_unit = 0.5 * (MARGIN * 10 - COST) + MARGIN * 20 * stats.norm.pdf(0)
    return n * per_unit


def test_dr_value_covers_the_true_value_in_a_randomised_simulation():
    n, hits = 600, 0
    reps = 40
    for seed in range(reps):
        X, _, psi = _randomised(n, seed)
        v = policy_value((X[:, 0] > 0).astype(float), psi, margin=MARGIN, cost=COST)
        hits += v.ci_lower <= _true_value(n) <= v.ci_upper
    assert hits / reps >= 0.85  # nominal 95%; 40 reps leave room for noise but not for a wrong SE


def test_biased_plugin_value_misses_while_dr_does_not():
    n = 2000
    X, tau, psi = _randomised(n, 123)
    pi = (X[:, 0] > 0).astype(float)
    dr = policy_value(pi, psi, margin=MARGIN, cost=COST, method="dr")
    plugin = policy_value(pi, tau + 30.0, margin=MARGIN, cost=COST, method="plugin")  # optimistic model
    assert dr.ci_lower <= _true_value(n) <= dr.ci_upper
    assert not (plugin.ci_lower <= _true_value(n) <= plugin.ci_upper)


def test_value_definitions_by_hand():
    pi = np.array([1, 0, 1, 1.0])
    s = np.array([10.0, 100.0, -5.0, 30.0])
    v = policy_value(pi, s, margin=0.5, cost=2.0, name="p")
    assert v.n_targeted == 3 and v.share == 0.75
    assert v.incremental_revenue == pytest.approx(35.0)
    assert v.profit == pytest.approx(0.5 * 35 - 2 * 3)
    assert v.roi == pytest.approx(v.profit / 6.0)
    contrib = pi * (0.5 * s - 2.0)
    assert v.profit_se == pytest.approx(np.sqrt(4) * contrib.std(ddof=1))
    assert v.roi_ci_lower == pytest.approx(v.ci_lower / 6.0)


def test_no_one_has_zero_profit_and_undefined_roi():
    v = policy_value(np.zeros(5), np.arange(5.0), margin=0.3, cost=1.0)
    assert v.profit == 0 and v.ci_lower == 0 and np.isnan(v.roi)


def test_value_frame_has_policy_csv_columns_first_and_both_methods():
    df = value_frame({"a": np.ones(4), "b": np.zeros(4)}, np.arange(4.0), np.ones(4), margin=0.3, cost=1.0)
    assert list(df.columns[:len(POLICY_COLUMNS)]) == POLICY_COLUMNS
    assert sorted(df["method"].unique()) == ["dr", "plugin"] and len(df) == 4


def test_clustered_se_counts_households_not_rows():
    """Duplicating every unit (a household in two trials) must not shrink the SE."""
    rng = np.random.default_rng(0)
    c = rng.normal(5, 20, 300)
    total, se = clustered_total(c)
    total2, se2 = clustered_total(np.r_[c, c], np.r_[np.arange(300), np.arange(300)])
    _, naive = clustered_total(np.r_[c, c])
    assert total2 == pytest.approx(2 * total) and se2 == pytest.approx(2 * se)
    assert naive < se2 / 1.3  # treating the copies as independent would understate it by sqrt(2)


def test_discount_enters_profit_and_roi_only_when_cost_is_material():
    pi = np.ones(4)
    s = np.array([10.0, 20.0, 30.0, 40.0])
    d = np.array([1.0, 1.0, 2.0, 0.0])
    v = policy_value(pi, s, disc=d, margin=0.5, cost=2.0)
    assert v.profit == pytest.approx(0.5 * 100 - 4 - 8)
    assert v.roi == pytest.approx(v.profit / (8 + 4))
    tiny = policy_value(pi, s, margin=0.5, cost=0.05)  # $0.05 a contact: no ROI worth printing
    assert np.isnan(tiny.roi) and tiny.profit == pytest.approx(50 - 0.2)


def test_alpha_sets_the_level_and_the_p_value_is_two_sided():
    pi = np.array([1, 0, 1, 1.0, 1.0])
    s = np.array([10.0, 100.0, -5.0, 30.0, 12.0])
    hh = np.array([1, 1, 2, 3, 4])
    v = policy_value(pi, s, margin=0.5, cost=2.0, groups=hh)
    v90 = policy_value(pi, s, margin=0.5, cost=2.0, groups=hh, alpha=0.10)
    assert v.alpha == 0.05 and v90.alpha == 0.10
    assert v90.ci_upper == pytest.approx(v.profit + stats.norm.ppf(0.95) * v.profit_se) and v90.ci_upper < v.ci_upper
    assert v.p_value == pytest.approx(2 * stats.norm.sf(abs(v.profit) / v.profit_se)) == v90.p_value
    row = v90.summary_frame().iloc[0]
    assert row["p_value"] == pytest.approx(v.p_value) and row["alpha"] == 0.10
    with pytest.warns(DeprecationWarning, match="use groups="):  # the old keyword still works
        assert policy_value(pi, s, margin=0.5, cost=2.0, clusters=hh) == v
    # policy.csv keeps its columns whatever the level: alpha is the caller's choice, not a column
    df = value_frame({"a": pi}, s, s, margin=0.5, cost=2.0, groups=hh, alpha=0.10)
    assert "alpha" not in df.columns and df["ci_upper"].iloc[0] == pytest.approx(v90.ci_upper)
