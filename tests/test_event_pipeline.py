"""causal/event/pipeline.py + report.py: the step writes its tables, figure and section, and says what it found."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import duckdb
import numpy as np
import pandas as pd
import pytest

from segtarget.causal.event.config import EventStudyConfig
from segtarget.causal.event.pipeline import run_event_study
from segtarget.causal.event.study import ES_COLUMNS
from segtarget.causal.event.triangulation import TRI_COLUMNS
from segtarget.errors import SegtargetError
from segtarget.io import OutputDir

START = date(2017, 4, 3)


def _world(spike: bool, n: int = 240, seed: int = 1):
    """Households buying once a week at random amounts; half treated; +$20/week after the start (or a
    pre-period spike of +$60 in weeks -3..-2 and no effect). The pre-trend test has its nominal size on such
    null data (5/100 rejections at 5%, benchmarks/RESULTS.md), so a fixed seed decides the no-spike case."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2017-01-02", "2017-06-25", freq="7D")
    hh = np.arange(1, n + 1)
    treated = (hh % 2 == 0).astype(int)
    rows = pd.DataFrame([(h, d) for h in hh for d in days], columns=["household_id", "date"])
    rows["basket_id"] = np.arange(len(rows))
    rel = (rows["date"] - pd.Timestamp(START)).dt.days // 7
    tr = treated[rows["household_id"] - 1] == 1
    rows["sales_value"] = rng.gamma(4, 15, len(rows))
    if spike:
        rows.loc[tr & rel.between(-3, -2), "sales_value"] += 60
    else:
        rows.loc[tr & (rel >= 0), "sales_value"] += 20
    rows["date"] = rows["date"].dt.date
    con = duckdb.connect()
    con.register("clean_transactions", rows)
    units = pd.DataFrame({"household_id": hh, "index_campaign": 7, "treated": treated, "outcome_start": START,
                          "outcome_end": START + timedelta(weeks=6, days=-1)})
    return SimpleNamespace(con=con), units


ATE = pd.DataFrame([{"outcome": "purchase_amount", "method": "naive", "estimand": "ATE", "estimate": 130.0,
                     "std_error": 20.0, "ci_lower": 90.8, "ci_upper": 169.2, "n": 240}])
HEAD = {"purchase_amount": {"method": "att", "estimand": "ATT", "estimate": 118.0, "std_error": 30.0,
                            "ci_lower": 59.2, "ci_upper": 176.8, "n": 240}}


def test_step_writes_tables_figure_and_section(tmp_path):
    tables, units = _world(spike=False)
    seg = np.where(units.household_id % 3 == 0, "A", "B")
    # a headline influence per unit (any centred values: the test rescales them to the headline's SE)
    dr_influence = np.random.default_rng(0).normal(0, 1, len(units))
    run, sections = run_event_study(tables, units, EventStudyConfig(pre_weeks=8, difference_draws=500),
                                    OutputDir(tmp_path), segment=seg, ate_table=ATE, ate_headline=HEAD,
                                    dr_influence=dr_influence, seed=3)
    es = pd.read_csv(tmp_path / "tables" / "event_study.csv")
    assert es.columns.tolist() == ES_COLUMNS
    assert set(es.level) == {"pooled", "overall", "trial", "segment"}
    assert sorted(es[es.term == "dynamic"].rel_week.astype(int)) == list(range(-8, 6))
    strata = pd.read_csv(tmp_path / "tables" / "event_study_strata.csv")
    assert strata.n_treated.sum() == units.treated.sum() and strata.weight.sum() == pytest.approx(1.0)
    tri = pd.read_csv(tmp_path / "tables" / "triangulation.csv")
    assert tri.columns.tolist() == TRI_COLUMNS and tri.method.tolist()[-1] == "difference"
    assert (tmp_path / "figures" / "event_study.png").stat().st_size > 10_000
    o = run.result.overall
    assert o["ci_lower"] <= 20 <= o["ci_upper"] and o["ci_lower"] > 0
    # the difference is DR minus the event study on the window-total scale (6 weeks), its SE at least the DR's
    d = run.difference
    assert d.estimate == pytest.approx(118.0 - 6 * o["estimate"]) and d.draws == 500 and d.households == 240
    assert d.std_error >= 0.9 * np.hypot(30.0, 6 * o["std_error"]) * 0.8  # independent here: SEs add in squares
    (section,) = sections
    assert section.headline["triangulation"] == run.sentence and "no detectable difference" in run.sentence
    assert not any("pre-trend" in w for w in section.warnings)
    assert "No detectable divergence" in section.blocks[0].html


def test_a_pre_period_spike_is_a_warning_and_a_verdict(tmp_path):
    tables, units = _world(spike=True)
    run, sections = run_event_study(tables, units, EventStudyConfig(pre_weeks=8), OutputDir(tmp_path))
    assert run.triangulation is None and run.sentence == ""
    assert not (tmp_path / "tables" / "triangulation.csv").exists()
    assert any("pre-trend test rejects" in w for w in sections[0].warnings)
    assert "already diverged" in sections[0].blocks[0].html


def test_bad_config_is_a_one_line_error():
    with pytest.raises(SegtargetError, match="event_study.outcome"):
        EventStudyConfig(outcome="visits")
    with pytest.raises(SegtargetError, match="event_study.pre_weeks"):
        EventStudyConfig(pre_weeks=0)
    with pytest.raises(SegtargetError, match="event_study.difference_draws"):
        EventStudyConfig(difference_draws=10)


def test_a_trial_left_out_is_named_in_the_triangulation(tmp_path):
    tables, units = _world(spike=False)
    small = units.head(24).assign(index_campaign=9, treated=lambda d: (d.index < 21).astype(int))
    run, sections = run_event_study(tables, pd.concat([units, small], ignore_index=True),
                                    EventStudyConfig(pre_weeks=8), OutputDir(tmp_path), ate_table=ATE,
                                    ate_headline=HEAD)
    assert run.result.skipped == ("trial 9: 21 treated, 3 controls (< event_study.min_units=10)",)
    assert "left out trial 9: 21 treated, 3 controls" in run.triangulation.loc[1, "note"]
    assert "event study: left out trial 9: 21 treated, 3 controls (< event_study.min_units=10)" in sections[0].warnings
    assert set(run.result.pooled.query("level == 'trial'").group) == {"7"}
