"""Scaled data: plan arithmetic, exact 1x reproduction, campaign consistency, determinism, CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segtarget.data import load_source
from segtarget.errors import SegtargetError
from segtarget.synth import household_plan, synthesize

N_SMALL = 150  # households in the written fixtures: < 0.1 s of DuckDB work each


@pytest.fixture(scope="module")
def small_source(tmp_path_factory):
    """150 real households of the embedded data as a canonical `tables:` folder (replicate 0 only)."""
    out = tmp_path_factory.mktemp("synth") / "src"
    synthesize(out, N_SMALL, seed=3, promotions=False)
    return out


def test_plan_covers_every_source_household_once_per_replicate():
    plan = household_plan(np.arange(1, 11), 25, seed=0, max_shift_days=3)
    assert len(plan) == 25 and plan["household_id"].is_unique
    assert plan.groupby("replicate").size().tolist() == [10, 10, 5]
    for r in (0, 1):
        assert sorted(plan.loc[plan.replicate == r, "source_id"]) == list(range(1, 11))
    first = plan[plan.replicate == 0]
    assert (first["shift_days"] == 0).all() and (first["household_id"] == first["source_id"]).all()
    later = plan[plan.replicate > 0]
    assert later["shift_days"].between(-3, 3).all() and later["shift_days"].nunique() > 1
    assert (later["household_id"] == later["replicate"] * 100 + later["source_id"]).all()


def test_plan_is_deterministic_and_seed_dependent():
    a, b = household_plan(np.arange(50), 120, seed=1), household_plan(np.arange(50), 120, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert not household_plan(np.arange(50), 120, seed=2).equals(a)


def test_plan_rejects_bad_parameters():
    with pytest.raises(SegtargetError, match="--households"):
        household_plan(np.arange(5), 0, seed=0)
    with pytest.raises(SegtargetError, match="--max-shift-days"):
        household_plan(np.arange(5), 3, seed=0, max_shift_days=-1)


def test_replicate_zero_reproduces_the_source_lines(small_source):
    syn = load_source(f"tables:{small_source}", validate=False)
    cj = load_source("completejourney", validate=False)
    ids = [r[0] for r in syn.con.execute("SELECT DISTINCT household_id FROM transactions").fetchall()]
    assert len(ids) == N_SMALL
    cols = "household_id, basket_id, product_id, date, quantity, sales_value, coupon_disc"
    q = f"SELECT {cols} FROM transactions WHERE household_id IN ({', '.join(map(str, ids))}) ORDER BY ALL"
    pd.testing.assert_frame_equal(syn.con.execute(q).df(), cj.con.execute(q).df(), check_dtype=False)


def test_scaled_copy_keeps_campaigns_consistent(small_source, tmp_path):
    res = synthesize(tmp_path / "x3", 3 * N_SMALL, source=f"tables:{small_source}", seed=5,
                     chunk_households=200, promotions=False)
    assert (res.households, res.replicates, res.parts) == (450, 3, 3)
    con = load_source(f"tables:{tmp_path / 'x3'}").con
    q = lambda sql: con.execute(sql).fetchall()
    assert q("SELECT count(DISTINCT household_id) FROM transactions")[0][0] == 450
    assert q("SELECT count(*) FROM transactions")[0][0] == res.lines
    # each clone has as many lines as its source, and each clone of a member is a member of the same campaigns
    per = con.execute("SELECT household_id % 10000 AS src, count(*) AS n FROM transactions GROUP BY ALL").df()
    assert (per.groupby("src")["n"].nunique() == 1).all()
    m = con.execute("SELECT household_id // 10000 AS rep, household_id % 10000 AS src, campaign_id "
                    "FROM campaign_members").df()
    sets = m.groupby(["src", "rep"])["campaign_id"].apply(frozenset).unstack()
    assert len(sets) > 0 and (sets.nunique(axis=1) == 1).all()
    outside = q("""SELECT count(*) FROM redemptions r JOIN campaigns c USING (campaign_id)
                   WHERE r.date < c.start_date OR r.date > c.end_date""")[0][0]
    assert outside == 0
    assert q("SELECT count(*) FROM redemptions")[0][0] == 3 * load_source(
        f"tables:{small_source}").con.execute("SELECT count(*) FROM redemptions").fetchall()[0][0]


def test_same_seed_same_data(small_source, tmp_path):
    def lines(path, seed):
        synthesize(path, 200, source=f"tables:{small_source}", seed=seed, promotions=False)
        return load_source(f"tables:{path}").con.execute(
            "SELECT household_id, basket_id, date, sales_value FROM transactions ORDER BY ALL").df()

    a, b = lines(tmp_path / "a", 7), lines(tmp_path / "b", 7)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(lines(tmp_path / "c", 8))


def test_cli_writes_a_loadable_folder(small_source, tmp_path):
    from typer.testing import CliRunner

    from segtarget.cli import app

    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["synth", "--households", "40", "--out", str(out),
                                      "--source", f"tables:{small_source}", "--no-promotions"])
    assert result.exit_code == 0, result.output
    assert load_source(f"tables:{out}").overview()["households"].iloc[0] == 40
