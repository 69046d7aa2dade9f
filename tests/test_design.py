"""causal/design*.py: the campaign-trials rules on a hand-made source (tests/fixtures_trials.py), leakage,
the older designs, bad input."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from fixtures_trials import BASKETS, CONFIG, MEMBERS, write

from segtarget.causal.config import DesignConfig
from segtarget.causal.design.study import build_design
from segtarget.data import load_source
from segtarget.errors import SegtargetError

D = pd.Timestamp


def _cohort(tmp_path, name="src", cfg=None, **kw):
    tables = load_source(write(tmp_path / name, **kw), validate=False)
    return build_design(tables, cfg or DesignConfig(**CONFIG))


def _units(cohort):
    return {(r.household_id, r.index_campaign): r for r in cohort.data.itertuples()}


def test_treated_controls_eligibility_and_windows_by_hand(tmp_path):
    c = _cohort(tmp_path, cfg=DesignConfig(**CONFIG, truncation="rate"))
    u = _units(c)
    assert set(u) == {(1, 1), (2, 1), (3, 1), (6, 1), (2, 2), (3, 2), (6, 2)}
    assert {k for k, r in u.items() if r.treated} == {(1, 1), (2, 2)}
    assert {k for k, r in u.items() if r.truncated} == {(2, 1)}
    assert u[(2, 1)].outcome_end == D("2017-02-14").date() and u[(3, 1)].outcome_end == D("2017-02-19").date()
    assert u[(3, 2)].outcome_start == D("2017-02-15").date() and u[(3, 2)].outcome_end == D("2017-02-27").date()
    # rate mode: every money/count outcome per observed week, for everybody
    assert u[(2, 1)].outcome_weeks == pytest.approx(9 / 7)
    assert u[(2, 1)].purchase_amount == pytest.approx(7.0 / (9 / 7))
    assert u[(3, 1)].purchase_amount == pytest.approx(9.0 / 2) and u[(3, 2)].purchase_amount == pytest.approx(11 / (13 / 7))
    assert u[(2, 1)].coupon_discount == pytest.approx(0.5 / (9 / 7))
    assert u[(2, 2)].retailer_discount == pytest.approx(0.25 / (13 / 7))
    assert c.outcome_scale == "per week"
    w = c.windows.set_index("index_campaign")
    assert w.loc[1, "lookback_start"] == D("2017-01-09").date() and w.loc[2, "outcome_end"] == D("2017-02-27").date()
    counts = c.counts.set_index("index_campaign")
    assert counts.loc[1, "n_truncated_control"] == 1 and counts.loc[1, "n_control"] == 3


def test_drop_mode_removes_truncated_and_keeps_totals(tmp_path):
    c = _cohort(tmp_path)
    u = _units(c)
    assert (2, 1) not in u and (3, 1) in u and c.outcome_scale == "window total"
    assert u[(3, 1)].purchase_amount == 9.0 and u[(3, 1)].purchase_count == 1
    assert u[(2, 2)].purchase_amount == 30.0 and u[(6, 2)].purchase_amount == 0.0


def test_covariates_by_hand(tmp_path):
    u = _units(_cohort(tmp_path))
    # trial 1: look-back 4 weeks; h3 spent 8 on 01-25, i.e. in the last 4 weeks
    assert u[(3, 1)].pre_spend_week == pytest.approx(8 / 4) and u[(3, 1)].recent_spend_week == pytest.approx(2.0)
    # the whole 4-week look-back is "recent": nothing before it, so the trend is log((1 + 2) / (1 + 0))
    assert u[(3, 1)].spend_trend == pytest.approx(np.log(3.0)) and u[(3, 1)].log_spend_week == pytest.approx(np.log(3.0))
    assert u[(6, 1)].bc_campaigns_before == 1 and u[(3, 1)].bc_campaigns_before == 0
    assert u[(1, 1)].demo_missing == 0 and u[(1, 1)].age_band == 4 and u[(1, 1)].income_k == 50
    assert u[(1, 1)].married_missing == 1 and u[(3, 1)].demo_missing == 1 and u[(3, 1)].age_band == 0


def test_post_start_transactions_never_change_a_covariate(tmp_path):
    base = _cohort(tmp_path, "a")
    # every household spends a lot from trial 1's start on; trial 1 covariates must not move
    extra = [(h, 9000 + i, D("2017-02-06").date() + pd.Timedelta(days=i % 20), 999.0)
             for i, h in enumerate([1, 2, 3, 4, 5, 6] * 5)]
    moved = _cohort(tmp_path, "b", baskets=BASKETS + extra)
    cols = [*base.covariates, "pre_spend_week"]
    a = base.data[base.data.index_campaign == 1].set_index("household_id")[cols]
    b = moved.data[moved.data.index_campaign == 1].set_index("household_id").loc[a.index, cols]
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(base.data.purchase_amount.sum(), moved.data.purchase_amount.sum())


def test_control_pools(tmp_path):
    never = _units(_cohort(tmp_path, "n", cfg=DesignConfig(**CONFIG, control_pool="never", truncation="rate")))
    later = _units(_cohort(tmp_path, "l", cfg=DesignConfig(**CONFIG, control_pool="later", truncation="rate")))
    assert {k for k, r in never.items() if not r.treated} == {(3, 1), (6, 1), (3, 2), (6, 2)}
    assert {k for k, r in later.items() if not r.treated} == {(2, 1)}


def test_shifted_design_keeps_members_and_ends_before_the_real_start(tmp_path):
    c = _cohort(tmp_path, cfg=DesignConfig(**CONFIG, shift_weeks=1))
    u = _units(c)
    assert u[(1, 1)].treated == 1 and u[(1, 1)].outcome_start == D("2017-01-30").date()
    assert u[(1, 1)].outcome_end == D("2017-02-05").date() and u[(1, 1)].purchase_amount == 0.0


def test_trial_without_controls_is_skipped_with_a_reason(tmp_path):
    # with pool 'later' trial 2 has no control (no Type A campaign after A2); trial 1 keeps h2 as its control
    c = _cohort(tmp_path, cfg=DesignConfig(**CONFIG, control_pool="later", truncation="rate"))
    assert c.skipped.set_index("index_campaign").loc[2, "reason"].startswith("no eligible control")
    assert set(c.data.index_campaign) == {1} and list(c.windows.index_campaign) == [1]


def test_every_trial_skipped_is_one_line_error(tmp_path):
    members = [(h, 1) for h in range(1, 7)] + [(h, 2) for h in range(1, 7)]
    with pytest.raises(SegtargetError, match="campaigns/campaign_members") as err:
        _cohort(tmp_path, members=members, cfg=DesignConfig(**CONFIG, truncation="rate"))
    msg = str(err.value)
    assert "\n" not in msg and "campaign 1: no eligible control" in msg and "campaign 2: no eligible treated" in msg
    with pytest.raises(SegtargetError, match="after dropping truncated units"):
        _cohort(tmp_path / "drop", members=members)


def test_lookback_longer_than_data_names_the_key(tmp_path):
    with pytest.raises(SegtargetError, match="design.lookback_weeks"):
        _cohort(tmp_path, cfg=DesignConfig(**{**CONFIG, "lookback_weeks": 30}))


@pytest.mark.parametrize("key, value", [("truncation", "cut"), ("short_history", "maybe"), ("control_pool", "x"),
                                        ("design", "typeA")])
def test_bad_design_keys(tmp_path, key, value):
    with pytest.raises(SegtargetError, match=f"design.{key}"):
        _cohort(tmp_path, cfg=DesignConfig(**{**CONFIG, key: value}))


def test_short_history_run_or_skip(tmp_path):
    cfg = DesignConfig(**CONFIG)  # data start 01-03: trial 1 has 34 days of history, trial 2 43
    w = _cohort(tmp_path, "r", cfg=dataclasses.replace(cfg, lookback_weeks=6)).windows.set_index("index_campaign")
    assert bool(w.loc[1, "short_history"]) and w.loc[1, "lookback_days"] == 34
    assert not bool(w.loc[2, "short_history"])
    assert DesignConfig().short_history == "skip"  # the default: one look-back length for every trial
    skip = _cohort(tmp_path, "s", cfg=dataclasses.replace(cfg, lookback_weeks=6, short_history="skip"))
    assert set(skip.data.index_campaign) == {2} and "design.short_history=skip" in skip.skipped.reason.iloc[0]


def test_older_designs_still_run(small_source):
    tables = load_source(small_source, validate=False)
    for design in ("first-typeA", "campaign:8"):
        c = build_design(tables, DesignConfig(design=design))
        assert c.data.household_id.is_unique and 0 < c.data.treated.sum() < len(c.data)
    c = build_design(tables, DesignConfig(design="campaign:8", controls="not-yet-treated"))
    assert set(c.data.index_campaign) == {8} and not c.data.truncated.any()


def test_cohort_command_writes_the_unit_table(tmp_path):
    from typer.testing import CliRunner

    from segtarget.cli import app

    src = write(tmp_path / "src")
    sets = [a for k, v in CONFIG.items() for a in ("--set", f"design.{k}={v}")]
    out = tmp_path / "cohort.csv"
    res = CliRunner().invoke(app, ["cohort", "--data", src, *sets, "--set", "design.truncation=rate", "--out", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert len(df) == 7 and {"household_id", "index_campaign", "treated", "spend_trend", "purchase_amount",
                             "retailer_discount", "coupon_discount", "outcome_end", "truncated"} <= set(df.columns)
    bad = CliRunner().invoke(app, ["cohort", "--data", src, "--out", str(tmp_path / "c.txt")])
    assert bad.exit_code != 0 and "--out" in str(bad.exception or bad.output)


def test_design_section_and_cohort_table(tmp_path):
    from segtarget.causal.design.report import cohort_table, design_sections
    from segtarget.io import OutputDir

    c = _cohort(tmp_path, cfg=DesignConfig(**{**CONFIG, "lookback_weeks": 6}))
    sec, = design_sections(c, OutputDir(tmp_path / "out"))
    windows = pd.read_csv(tmp_path / "out" / "tables" / "design_windows.csv")
    assert {"index_campaign", "lookback_start", "start_date", "end_date", "outcome_end", "n_treated",
            "n_control", "n_truncated_control"} <= set(windows.columns)
    assert any("trial 1: only 34 days of look-back" in w for w in sec.warnings)
    assert "not yet treated" in sec.method_note
    e = np.linspace(0.01, 0.99, len(c.data))
    t = cohort_table(c, e)
    assert t["in_overlap"].tolist() == list((e >= 0.05) & (e <= 0.95)) and "outcome_weeks" in t


def test_money_is_summed_exactly_so_reruns_give_the_same_bits(small_source):
    """Parallel DOUBLE sums differ between runs in the last bits (a policy tree once turned 1e-15 in
    coupon_product_spend into different households); exact decimal sums land on the double nearest to a
    whole 1/100 cent, every time."""
    c = build_design(load_source(small_source, validate=False), DesignConfig())
    money = ["purchase_amount", "coupon_product_spend", "retailer_discount", "coupon_discount"]
    for col in money:
        v = c.data[col].to_numpy(float)
        assert len(v) and np.array_equal(np.round(v, 4), v), col


def test_arrays_hand_out_y_t_x_and_household_groups(tmp_path):
    c = _cohort(tmp_path, cfg=DesignConfig(**CONFIG, truncation="rate"))
    Y, T, X, groups = c.arrays("purchase_amount")
    d = c.data
    assert np.array_equal(Y, d["purchase_amount"].to_numpy(float)) and Y.dtype == float
    assert np.array_equal(T, d["treated"].to_numpy()) and set(T) == {0, 1}
    assert list(X.columns) == list(c.covariates) and len(X) == len(d)
    assert np.array_equal(groups, d["household_id"].to_numpy())  # household 2 and 3 are units of two trials
    with pytest.raises(SegtargetError, match="outcome 'sales': not an outcome of this cohort; choose one of "):
        c.arrays("sales")


def test_sample_households_keeps_whole_households_and_recounts(tmp_path):
    c = _cohort(tmp_path, cfg=DesignConfig(**CONFIG, truncation="rate"))
    half = c.sample_households(0.5, random_state=3)
    kept = set(half.data["household_id"])
    assert len(kept) == 2 and set(c.data.loc[c.data["household_id"].isin(kept), "index_campaign"]) >= set(
        half.data["index_campaign"])
    assert len(half.data) == c.data["household_id"].isin(kept).sum()  # every unit of a kept household
    assert list(half.counts.columns) == list(c.counts.columns)
    counts = half.counts.set_index("index_campaign")
    by_trial = half.data.groupby("index_campaign")["treated"]
    for trial, n_treated in by_trial.sum().items():
        assert counts.loc[trial, "n_treated"] == n_treated
        assert counts.loc[trial, "n_control"] == by_trial.size()[trial] - n_treated
    assert half.sample_households(1.0).data.equals(half.data)
    assert c.sample_households(0.5, random_state=3).data.equals(half.data)  # same seed, same households
    with pytest.raises(SegtargetError, match="fraction = 0: use a share of households in"):
        c.sample_households(0)
