"""The design gate: checks that can fail, a status the verdict reads, and the bracket of two assumptions."""

import numpy as np
import pandas as pd
import pytest

from segtarget.causal.config import AteConfig
from segtarget.causal.design import gate as g
from segtarget.causal.nuisance import crossfit_propensity, make_folds


def _atts(outcomes, T, X, seed=0):
    folds = make_folds(T, 3, seed, np.arange(len(T)))
    e = np.clip(crossfit_propensity(T, X, folds, seed)[0], 0.01, 0.99)
    return g._fit_atts(outcomes, T, X, folds, e, seed)


def _checks(rows):
    cols = ["check", "trial", "estimate", "ci_lower", "ci_upper", "detectable", "passed"]
    return pd.DataFrame(rows, columns=cols)


BRACKET = pd.DataFrame([{"trial": "pooled", "lagged_att": 40.0, "did_att": 5.0, "lagged_ci_lower": 30.0,
                         "lagged_ci_upper": 50.0, "did_ci_lower": -5.0, "did_ci_upper": 15.0,
                         "bracket_lower": -5.0, "bracket_upper": 50.0}])


def test_status_fails_names_the_trial_and_says_where_it_passes():
    t = _checks([(g.LOOKBACK_TEST, "pooled", 1.0, -0.5, 2.5, 2.0, True),
                 (g.LOOKBACK_TEST, "8", 3.0, 1.0, 5.0, 2.0, False),
                 (g.LOOKBACK_TEST, "13", 0.1, -2.0, 2.2, 2.0, True)])
    status, reasons = g._status(t, BRACKET, window=10.0)
    assert status == "failed"
    assert "trial 8 (+3.00 a week" in reasons[0] and "passes in trial 13" in reasons[0]


def test_a_pass_counts_only_with_the_power_to_find_a_bias_as_large_as_the_effect():
    weak = _checks([(g.LOOKBACK_TEST, "pooled", 0.1, -5.0, 5.2, 7.0, True)])
    assert g._status(weak, BRACKET, window=10.0)[0] == "underpowered"  # could detect $70, effect is $40
    strong = _checks([(g.LOOKBACK_TEST, "pooled", 0.1, -0.5, 0.7, 1.0, True)])
    assert g._status(strong, BRACKET, window=10.0) == ("passed", [])
    none = _checks([(g.LOOKBACK_TEST, "pooled", np.nan, np.nan, np.nan, np.nan, np.nan)])
    assert g._status(none, BRACKET, window=10.0)[0] == "not testable"


def test_a_placebo_that_is_a_covariate_in_disguise_fails_as_a_test():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    assert g._r2(4 * X[:, 0], X) == pytest.approx(1.0)  # spend before the start = 4 x a covariate
    assert g._r2(rng.normal(size=500), X) < 0.05
    est = g.Estimate(0.0, 1.0, 100, 400)  # a perfect "pass" ...
    row = g._check_row("placebo", "pooled", est, 0.05, r2=0.99, r2_max=0.9)
    assert row["passed"] is False and "covariate in disguise" in row["note"]  # ... that cannot count
    assert g._check_row("placebo", "pooled", est, 0.05, r2=0.5, r2_max=0.9)["passed"] is True
    assert g._check_row("placebo", "pooled", est, 0.05, r2=0.5, r2_max=0.9)["detectable"] == pytest.approx(2.8)


def _trial_data(rng, n, effect, trait_gap):
    """One trial: a trait u raises spend in every period and drives membership; X sees u with noise."""
    u = rng.normal(size=n)
    T = (rng.random(n) < 1 / (1 + np.exp(-u))).astype(int)
    x = u + rng.normal(size=n)  # the look-back measures the trait with noise
    pre = 50 + trait_gap * u + rng.normal(scale=5, size=n)
    y = 50 + trait_gap * u + effect * T + rng.normal(scale=5, size=n)
    return T, x[:, None], pre, y


def test_pooled_is_the_treated_weighted_average_of_trials_with_a_household_clustered_se():
    rng = np.random.default_rng(1)
    n = 600
    data = [_trial_data(rng, n, eff, trait_gap=0.0) for eff in (10.0, 30.0)]
    pool = g._Pooler(2 * n, np.r_[np.arange(n), np.arange(n)], np.r_[data[0][0], data[1][0]])  # same households
    ests = []
    for k, (T, X, pre, y) in enumerate(data):
        idx = np.arange(k * n, (k + 1) * n)
        atts = {name: (a, inf, np.ones(n, bool)) for name, (a, inf) in _atts({"y": y}, T, X).items()}
        ests.append((pool.add(k, idx, atts)["y"], T.sum()))
    pooled = pool.pooled("y")
    w = np.array([t for _, t in ests], float)
    assert pooled.estimate == pytest.approx(np.dot(w / w.sum(), [e.estimate for e, _ in ests]))
    assert pooled.n_treated == int(w.sum())
    assert ests[0][0].ci[0] < 10 < ests[0][0].ci[1] and ests[1][0].ci[0] < 30 < ests[1][0].ci[1]
    assert 0 < pooled.std_error < max(e.std_error for e, _ in ests)


def test_the_bracket_covers_the_truth_when_only_did_is_right():
    """Under a persistent trait the look-back-adjusted end is biased up, the DiD end is right, the bracket
    holds the truth, and breakdown() says how far trends may depart before the DiD end reaches a threshold."""
    rng = np.random.default_rng(2)
    T, X, pre, y = _trial_data(rng, 4000, effect=0.0, trait_gap=20.0)
    parts = {"y": y, "pre": pre, "pre_total": pre, "backcast": np.full(len(T), np.nan)}
    atts, _ = g._trial(parts, T, X, np.ones((len(T), 1)), np.arange(len(T)), 0, AteConfig(), (0.1, 0.9))
    assert 0.9 < atts["lagged"][2].mean() < 1  # units without a comparable unit in the other arm are left out
    assert atts["did"][2].all()  # the DiD end's own propensity (no covariate) leaves everyone in
    lag, did = (g.Estimate(a, g.clustered_se(i, None), int(T.sum()), len(T)) for a, i, _ in (atts["lagged"],
                                                                                             atts["did"]))
    assert lag.ci[0] > 0  # the adjusted estimate alone says "effect" where there is none
    assert did.ci[0] < 0 < did.ci[1]
    assert min(lag.ci[0], did.ci[0]) < 0 < max(lag.ci[1], did.ci[1])
    bracket = pd.DataFrame([{"trial": "pooled", "did_att": 100.0, "did_ci_lower": 60.0, "did_ci_upper": 140.0,
                             "lagged_att": 0, "lagged_ci_lower": 0, "lagged_ci_upper": 0}])
    dg = g.DesignGate(checks=pd.DataFrame(), bracket=bracket, status="failed", reasons=(), pattern="",
                      pretrend_per_week=-2.0, window_weeks=10.0)
    assert dg.breakdown(20.0) == pytest.approx(2.0)  # (60 - 20) / (|-2| x 10)
    assert dg.breakdown(70.0) == 0.0


def test_a_pass_bounds_the_bias_and_widens_the_reported_interval():
    """The 10x both-null regime passed the gate with a look-back CI of [5, 22] against 0: a pass widens the
    lagged end by what the pooled backcast cannot rule out, (|gap| + 1.96 SE) a week x the window's weeks."""
    checks = pd.DataFrame([{"check": g.LOOKBACK_TEST, "trial": "pooled", "estimate": -0.5, "std_error": 0.4},
                           {"check": g.LOOKBACK_TEST, "trial": 8, "estimate": 9.0, "std_error": 3.0},
                           {"check": g.TREND_TEST, "trial": "pooled", "estimate": 4.0, "std_error": 0.3}])
    bracket = pd.DataFrame([{"trial": "pooled", "lagged_ci_lower": 5.0, "lagged_ci_upper": 22.0,
                             "bracket_lower": -3.0, "bracket_upper": 22.0}])
    kw = dict(checks=checks, bracket=bracket, reasons=(), pattern="", pretrend_per_week=0.0, window_weeks=10.0)
    passed = g.DesignGate(status="passed", **kw)
    assert passed.bias_terms == pytest.approx((5.0, 4.0))
    assert passed.bias_bound == pytest.approx(5.0 + 1.959964 * 4.0, rel=1e-5)
    se = 17.0 / (2 * 1.959964)  # the lagged CI's SE; the two uncertainties add in quadrature, the shift linearly
    half = 5.0 + 1.959964 * np.hypot(se, 4.0)
    assert passed.interval == pytest.approx((13.5 - half, 13.5 + half), rel=1e-5)
    assert passed.interval[0] < 0 < passed.interval[1]
    assert g.DesignGate(status="failed", **kw).interval == (-3.0, 22.0)
    assert np.isnan(g.DesignGate(status="passed", **{**kw, "checks": checks.iloc[1:]}).bias_bound)


def test_did_covariates_leave_out_spend_levels():
    cov = ["monetary_sales", "frequency", "share_fresh", "private_label_ratio", "age_band", "index_13",
           "recent_spend_week", "log_spend_week", "bc_campaigns_before"]
    assert g.did_covariates(cov) == ["share_fresh", "private_label_ratio", "age_band", "index_13",
                                     "bc_campaigns_before"]


@pytest.mark.slow
def test_a_persistent_trait_is_flagged_on_the_real_transactions():
    """Planted no-effect campaigns whose members were picked on a persistent trait (seed 0 of the trait-null
    regime of benchmarks/bench_evidence.py): the backcast placebo sees the trait and the gate fails, with a
    placebo that is a test (R^2 below the limit) and a row per trial."""
    from segtarget.causal.config import AteConfig, DesignConfig
    from segtarget.causal.design.study import build_design
    from segtarget.causal.validation.planted import PlantSpec, plant_campaigns
    from segtarget.data import load_source

    spec = PlantSpec(effect="none", trait_sd=0.35, trait_selection=1.0, selection=0.0, spike_selection=0.0,
                     real_typea="relabel", seed=0, discount_rate=0.02)
    tables = plant_campaigns(load_source("completejourney", validate=False), spec).tables
    cohort = build_design(tables, DesignConfig())
    dg = g.compute_gate(tables, cohort, DesignConfig(), AteConfig(), seed=0)
    look = dg.checks[(dg.checks["check"] == g.LOOKBACK_TEST) & (dg.checks["trial"] == "pooled")].iloc[0]
    assert dg.status == "failed" and look["estimate"] > 0 and look["r2_on_covariates"] < 0.9
    assert "fails in pooled" in dg.reasons[0] and not dg.passed
    assert set(dg.checks["trial"]) >= {"pooled", "8", "13", "18"}


def test_a_trial_the_test_could_not_check_keeps_the_gate_from_passing():
    strong = _checks([(g.LOOKBACK_TEST, "pooled", 0.1, -0.5, 0.7, 1.0, True),
                      (g.LOOKBACK_TEST, "8", 0.1, -0.5, 0.7, 1.0, True)])
    two = pd.concat([BRACKET.assign(n_treated=100),
                     BRACKET.assign(trial="8", n_treated=60), BRACKET.assign(trial="27", n_treated=40)])
    status, reasons = g._status(strong, two, window=10.0)
    assert status == "not testable" and "trial 27 (40% of the treated)" in reasons[0]
    assert g._status(strong, two[two["trial"] != "27"], window=10.0)[0] == "passed"
