"""segments/quarters.py, migration.py, migration_run.py and `segtarget migrate` on a synthetic source.

The source: 90 households over two quarters of 2017. Heavy buyers visit weekly with big baskets, light
buyers visit a few times with small ones; CHANGERS are heavy in Q1 and light in Q2. Migration must find
exactly them at risk, and the CLI must assign every household as the API does.
"""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fixtures_retail import write_canonical
from segtarget.cli import app
from segtarget.data import load_source
from segtarget.errors import SegtargetError
from segtarget.io import OutputDir
from segtarget.segments.migration import INACTIVE, migrate
from segtarget.segments.migration_run import run_migration
from segtarget.segments.model import SegmentModel
from segtarget.segments.quarters import calendar_quarters, quarterly_features

HEAVY, LIGHT = range(1, 46), range(46, 91)
CHANGERS = set(range(1, 13))
QUARTERS = [(date(2017, 1, 1), date(2017, 4, 1)), (date(2017, 4, 1), date(2017, 7, 1))]


def _lines(rng, hh: int, start: date, end: date, heavy: bool) -> list[tuple]:
    days = (end - start).days
    n_baskets = int(rng.integers(11, 14) if heavy else rng.integers(2, 4))
    rows = []
    for b, d in enumerate(sorted(rng.choice(days, n_baskets, replace=False))):
        for _ in range(int(rng.integers(8, 12) if heavy else rng.integers(1, 3))):
            rows.append((hh, hh * 1000 + start.month * 50 + b, int(rng.integers(100, 110)), 1,
                         start + timedelta(days=int(d)), 1200, 1.0, float(rng.uniform(3, 6)), 0.0, 0.0, 0.0))
    return rows


def write_source(root, quarters=QUARTERS, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for q, (start, end) in enumerate(quarters):
        for hh in [*HEAVY, *LIGHT]:
            rows += _lines(rng, hh, start, end, hh in HEAVY and not (q > 0 and hh in CHANGERS))
    # every quarter's first and last day carry a purchase so the span covers whole quarters
    tx = pd.DataFrame(rows, columns=["household_id", "basket_id", "product_id", "store_id", "date", "time_of_day",
                                     "quantity", "sales_value", "retail_disc", "coupon_disc", "coupon_match_disc"])
    edges = pd.DataFrame([(46, 9_000_001, 100, 1, quarters[0][0], 900, 1.0, 1.0, 0.0, 0.0, 0.0),
                          (46, 9_000_002, 100, 1, quarters[-1][1] - timedelta(days=1), 900, 1.0, 1.0, 0.0, 0.0, 0.0)],
                         columns=tx.columns)
    tx = pd.concat([tx, edges], ignore_index=True)
    tx["date"] = pd.to_datetime(tx["date"])
    products = pd.DataFrame({"product_id": range(100, 110), "department": ["GROCERY"] * 5 + ["PRODUCE"] * 5,
                             "brand": ["National"] * 10})
    return write_canonical(root, transactions=tx, products=products)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return f"tables:{write_source(tmp_path_factory.mktemp('mig') / 'src')}"


@pytest.fixture(scope="module")
def run(source, tmp_path_factory):
    by_q = quarterly_features(load_source(source), "synthetic")
    base = SegmentModel(n_factors=2, n_segments=2, random_state=3, n_init=3)
    out = OutputDir(tmp_path_factory.mktemp("mig-out"))
    res, model, section = run_migration(base, by_q, out, uncertain_ratio=0.8, n_boot=3, n_jobs=1, figures=True)
    return by_q, res, model, section, out


def test_calendar_quarters_need_whole_quarters():
    assert [q[0] for q in calendar_quarters(date(2017, 1, 1), date(2017, 12, 31))] == [
        "2017Q1", "2017Q2", "2017Q3", "2017Q4"]
    assert [q[0] for q in calendar_quarters(date(2017, 1, 4), date(2017, 8, 15))] == ["2017Q1", "2017Q2"]
    assert calendar_quarters(date(2017, 2, 1), date(2017, 4, 30)) == []


def test_changers_are_found_at_risk_and_nobody_else(run):
    by_q, res, model, *_ = run
    assert list(by_q) == ["2017Q1", "2017Q2"] and model.window_days == 91
    assert set(res.at_risk["household_id"]) == CHANGERS
    assert (res.at_risk["last_quarter_spend"] < res.at_risk["previous_quarter_spend"]).all()
    assert (res.at_risk["from_tier"] == "High").all()
    s = res.summary.iloc[0]
    assert s["moves"] == len(CHANGERS) and s["active_both"] == 90
    # transition counts add up to every household, and row shares to 1 per origin segment
    assert res.transitions["households"].sum() == 90
    np.testing.assert_allclose(res.transitions.groupby("from_segment")["row_share"].sum(), 1.0)
    moved = res.transitions[res.transitions["from_segment"] != res.transitions["to_segment"]]
    assert moved["revenue_moved"].sum() == pytest.approx(moved["revenue_from"].sum())


def test_section_and_tables_written(run):
    *_, section, out = run
    for name in ("migration_matrix", "migration_summary", "at_risk", "migration_assignments"):
        assert (out.root / "tables" / f"{name}.csv").is_file()
    assert (out.root / "figures" / "migration_flows.png").is_file()
    assert (out.root / "model_quarterly" / "segments.json").is_file()
    assert section.key == "migration" and section.headline["at_risk"] == len(CHANGERS)


def test_inactive_households_and_uncertain_flag(run):
    by_q, res, model, *_ = run
    q2 = by_q["2017Q2"]
    res2 = migrate(model, {"2017Q1": by_q["2017Q1"], "2017Q2": q2[q2["household_id"] != 5]}, uncertain_ratio=1.0)
    row = res2.at_risk.set_index("household_id").loc[5]
    assert row["to_segment"] == INACTIVE and row["last_quarter_spend"] == 0
    assert not res2.assignments["uncertain"].any()  # ratio < 1 for every household off the border
    d = model.centroid_distances(q2)
    assert (np.argmin(d, axis=1) == model.predict(q2)).all()


def test_cli_assigns_like_the_api(source, run, tmp_path):
    by_q, _, model, *_ = run
    model_dir = model.save(tmp_path / "model")
    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["migrate", "--model", str(model_dir), "--data", source, "--out", str(out),
                                      "--set", "segments.figures=false"])
    assert result.exit_code == 0, result.output
    cli = pd.read_csv(out / "tables" / "migration_assignments.csv")
    api = pd.concat([SegmentModel.load(model_dir).assign(f).assign(quarter=q) for q, f in by_q.items()])
    merged = cli.merge(api, on=["household_id", "quarter"], suffixes=("_cli", "_api"))
    assert len(merged) == len(cli) == len(api)
    assert (merged["segment_cli"] == merged["segment_api"]).all()
    assert set(pd.read_csv(out / "tables" / "at_risk.csv")["household_id"]) == CHANGERS


def _cli_error(args, out):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", "from segtarget.cli import main; main()", *args],
                          capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert not out.exists()
    return proc.stderr


def test_bad_inputs_one_line_exit_2_nothing_written(source, run, tmp_path):
    import json

    _, _, model, *_ = run
    good = model.save(tmp_path / "good")
    other = model.save(tmp_path / "other")
    meta = json.loads((other / "segments.json").read_text())
    (other / "segments.json").write_text(json.dumps(meta | {"feature_definitions": "0000"}))
    old = model.save(tmp_path / "old")
    (old / "segments.json").write_text(json.dumps(meta | {"format": 1}))
    out = tmp_path / "never"
    assert "other feature definitions" in _cli_error(["migrate", "--model", str(other), "--data", source, "--out", str(out)], out)
    assert "format 1" in _cli_error(["migrate", "--model", str(old), "--data", source, "--out", str(out)], out)
    one_q = write_source(tmp_path / "one", quarters=QUARTERS[:1])
    err = _cli_error(["migrate", "--model", str(good), "--data", f"tables:{one_q}", "--out", str(out)], out)
    assert "1 complete calendar quarter" in err
    gap = write_source(tmp_path / "gap", quarters=[QUARTERS[0], (date(2017, 7, 1), date(2017, 10, 1))])
    err = _cli_error(["migrate", "--model", str(good), "--data", f"tables:{gap}", "--out", str(out)], out)
    assert "quarter 2017Q2" in err and "no households" in err
    with pytest.raises(SegtargetError, match="at least two"):
        migrate(model, {"2017Q1": pd.DataFrame()})


def test_pipeline_step_skips_with_a_warning_on_one_quarter(run, tmp_path):
    from types import SimpleNamespace

    from segtarget.config import Config
    from segtarget.steps import compute_migration_step, migration_report

    _, _, model, *_ = run
    tables = load_source(f"tables:{write_source(tmp_path / 'one', quarters=QUARTERS[:1])}")
    step = compute_migration_step(tables, SimpleNamespace(model=model), Config())
    section = migration_report(step, Config(), OutputDir(tmp_path / "out"))
    assert section.key == "migration" and "skipped" in section.warnings[0] and "1 complete calendar quarter" in section.warnings[0]
    assert not (tmp_path / "out" / "tables").exists()
