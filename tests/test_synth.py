"""Scaled data: plan arithmetic, exact 1x reproduction, distinct resampled households, re-drawn campaign
memberships, marginals, determinism, bad input, CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segtarget.data import load_source
from segtarget.errors import SegtargetError
from segtarget.synth import SynthConfig, household_plan, synthesize

N_SMALL = 150  # households in the written fixtures: < 0.1 s of DuckDB work each


@pytest.fixture(scope="module")
def small_source(tmp_path_factory):
    """150 real households of the embedded data as a canonical `tables:` folder (replicate 0 only)."""
    out = tmp_path_factory.mktemp("synth") / "src"
    synthesize(out, N_SMALL, seed=3, promotions=False)
    return out


@pytest.fixture(scope="module")
def doubled(small_source, tmp_path_factory):
    """2x the small source: replicate 0 (the source) and one resampled copy of every household."""
    out = tmp_path_factory.mktemp("synth") / "x2"
    synthesize(out, 2 * N_SMALL, source=f"tables:{small_source}", seed=5, promotions=False)
    return load_source(f"tables:{out}"), pd.read_parquet(out / "synth_plan.parquet")


def weekly_spend(con) -> pd.Series:
    """Per household: its weekly sales vector as one string (identical strings = identical histories)."""
    df = con.execute("""SELECT household_id, string_agg(week || ':' || round(s, 2), ',' ORDER BY week) AS v
                        FROM (SELECT household_id, week, sum(sales_value) AS s FROM transactions GROUP BY ALL)
                        GROUP BY household_id""").df()
    return df.set_index("household_id")["v"]


def test_plan_covers_every_source_household_once_per_replicate():
    plan = household_plan(np.arange(1, 11), 25, seed=0)
    assert len(plan) == 25 and plan["household_id"].is_unique
    assert plan.groupby("replicate").size().tolist() == [10, 10, 5]
    for r in (0, 1):
        assert sorted(plan.loc[plan.replicate == r, "source_id"]) == list(range(1, 11))
    first = plan[plan.replicate == 0]
    assert (first["household_id"] == first["source_id"]).all()
    later = plan[plan.replicate > 0]
    assert (later["household_id"] == later["replicate"] * 100 + later["source_id"]).all()


def test_plan_is_deterministic_and_seed_dependent():
    a, b = household_plan(np.arange(50), 120, seed=1), household_plan(np.arange(50), 120, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert not household_plan(np.arange(50), 120, seed=2).equals(a)


@pytest.mark.parametrize("kwargs, key", [({"week_window": -1}, "--week-window"),
                                         ({"household_noise": -0.1}, "--household-noise"),
                                         ({"basket_noise": 2.0}, "--basket-noise"),
                                         ({"chunk_households": 0}, "--chunk-households")])
def test_bad_parameters_are_one_line_errors(kwargs, key):
    with pytest.raises(SegtargetError, match=key) as err:
        SynthConfig(**kwargs)
    assert "\n" not in str(err.value)
    with pytest.raises(SegtargetError, match="--households"):
        household_plan(np.arange(5), 0, seed=0)


def test_replicate_zero_reproduces_the_source_lines(small_source):
    syn = load_source(f"tables:{small_source}", validate=False)
    cj = load_source("completejourney", validate=False)
    ids = [r[0] for r in syn.con.execute("SELECT DISTINCT household_id FROM transactions").fetchall()]
    assert len(ids) == N_SMALL
    cols = "household_id, basket_id, product_id, date, quantity, sales_value, coupon_disc"
    q = f"SELECT {cols} FROM transactions WHERE household_id IN ({', '.join(map(str, ids))}) ORDER BY ALL"
    pd.testing.assert_frame_equal(syn.con.execute(q).df(), cj.con.execute(q).df(), check_dtype=False)


def test_resampled_households_are_distinct(doubled):
    con = doubled[0].con
    assert con.execute("SELECT count(DISTINCT household_id) FROM transactions").fetchall()[0][0] == 2 * N_SMALL
    spend = weekly_spend(con)
    assert spend.is_unique  # no two households share a weekly spend vector, copies and sources alike
    # nor a basket-level history (the products and amounts of every basket, wherever it was dated)
    baskets = con.execute("""SELECT household_id, md5(string_agg(b, '|' ORDER BY b)) AS h FROM (
        SELECT household_id, date || string_agg(product_id || '@' || sales_value, ',' ORDER BY ALL) AS b
        FROM transactions GROUP BY household_id, basket_id, date) GROUP BY household_id""").df()
    assert baskets["h"].is_unique
    # baskets stay whole and get new ids: no basket id is shared between households
    shared = con.execute("""SELECT count(*) FROM (SELECT basket_id FROM transactions GROUP BY basket_id
                            HAVING count(DISTINCT household_id) > 1)""").fetchall()[0][0]
    assert shared == 0


def test_without_resampling_and_noise_copies_are_clones(small_source, tmp_path):
    """The distinctness check can fail: week window 0 and no noise give exact clones of the source."""
    synthesize(tmp_path / "c", 2 * N_SMALL, source=f"tables:{small_source}", seed=5, promotions=False,
               config=SynthConfig(week_window=0, household_noise=0, basket_noise=0))
    con = load_source(f"tables:{tmp_path / 'c'}").con
    assert not weekly_spend(con).is_unique


def test_resampled_dates_stay_in_the_source_span(doubled):
    con = doubled[0].con
    spans = con.execute("""SELECT household_id % 10000 AS src, household_id // 10000 AS rep,
                           min(date) AS first, max(date) AS last FROM transactions GROUP BY ALL""").df()
    wide = spans.pivot(index="src", columns="rep")
    # the first and last slots keep their own week: first and last purchase stay within that week
    assert ((wide[("first", 1)] - wide[("first", 0)]).dt.days.abs() <= 6).all()
    assert ((wide[("last", 1)] - wide[("last", 0)]).dt.days.abs() <= 6).all()


def test_memberships_are_redrawn_not_cloned(doubled):
    con, plan = doubled[0].con, doubled[1]
    m = con.execute("SELECT household_id, campaign_id FROM campaign_members").df().merge(plan, on="household_id")
    sets = m.groupby(["source_id", "replicate"])["campaign_id"].apply(frozenset).unstack()
    members = sets[0].dropna().index  # source households with at least one real membership
    same = sum(sets.loc[s, 0] == sets.loc[s].get(1) for s in members)
    assert len(members) > 30 and same / len(members) < 0.5
    # about as many memberships as the source (rates per spend decile are kept)
    per_rep = m.groupby("replicate").size()
    assert abs(per_rep[1] / per_rep[0] - 1) < 0.25
    # redemptions only for members of the redeemed campaign
    orphans = con.execute("""SELECT count(*) FROM redemptions r WHERE r.household_id >= 10000 AND NOT EXISTS
        (SELECT 1 FROM campaign_members m WHERE m.household_id = r.household_id
         AND m.campaign_id = r.campaign_id)""").fetchall()[0][0]
    assert orphans == 0
    outside = con.execute("""SELECT count(*) FROM redemptions r JOIN campaigns c USING (campaign_id)
                             WHERE r.date < c.start_date OR r.date > c.end_date""").fetchall()[0][0]
    assert outside == 0


def test_marginals_stay_close_to_the_source(doubled):
    from segtarget.features import compute_features
    from segtarget.features.compare import compare_marginals

    tables, plan = doubled
    feats = compute_features(tables, exposure=False).merge(plan, on="household_id")
    cmp = compare_marginals(feats[feats.replicate == 0], feats[feats.replicate == 1]).summary_frame()
    row = cmp.set_index("feature").loc["monetary_sales"]
    assert abs(row["mean_rel_diff"]) < 0.10
    assert cmp.set_index("feature").loc[["frequency", "monetary_sales", "weeks_with_purchase"], "ks"].max() < 0.2


def test_same_seed_same_data(small_source, tmp_path):
    def lines(path, seed, chunk=25_000):
        synthesize(path, 2 * N_SMALL, source=f"tables:{small_source}", seed=seed, promotions=False,
                   config=SynthConfig(chunk_households=chunk))
        con = load_source(f"tables:{path}").con
        return (con.execute("SELECT household_id, basket_id, date, sales_value FROM transactions ORDER BY ALL").df(),
                con.execute("SELECT * FROM campaign_members ORDER BY ALL").df())

    a, b = lines(tmp_path / "a", 7), lines(tmp_path / "b", 7, chunk=70)  # b in 5 parts: chunking changes nothing
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    c = lines(tmp_path / "c", 8)
    assert not a[0].equals(c[0]) and not a[1].equals(c[1])


def test_cli_writes_a_loadable_folder_and_the_comparison(small_source, tmp_path):
    from typer.testing import CliRunner

    from segtarget.cli import app

    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["synth", "--households", "200", "--out", str(out),
                                      "--source", f"tables:{small_source}", "--no-promotions"])
    assert result.exit_code == 0, result.output
    assert load_source(f"tables:{out}").overview()["households"].iloc[0] == 200
    cmp = pd.read_csv(out / "synth_comparison.csv")
    assert len(cmp) == 33 and {"ks", "source_q50", "synthetic_q90", "mean_rel_diff"} <= set(cmp.columns)
    bad = CliRunner().invoke(app, ["synth", "--households", "20", "--out", str(tmp_path / "bad"),
                                   "--source", f"tables:{small_source}", "--week-window", "-1"])
    assert isinstance(bad.exception, SegtargetError) and "--week-window" in str(bad.exception)
