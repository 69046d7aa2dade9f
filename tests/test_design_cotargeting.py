"""causal/design/cotargeting.py: B/C exposure by hand on the trials fixture, the exclusion, the sentence, and a
planted case where co-targeting has its own effect (the full estimate carries it, the sensitivity row not)."""

import re

import numpy as np
import pandas as pd
import pytest
from fixtures_trials import CAMPAIGNS, CONFIG, MEMBERS, write

from segtarget.causal.ate.estimators import AteEstimate
from segtarget.causal.config import AteConfig, DesignConfig
from segtarget.causal.design import cotargeting as cot
from segtarget.causal.design.report import cotargeting_sections
from segtarget.causal.design.study import Cohort, build_design
from segtarget.data import load_source
from segtarget.io import OutputDir

D = pd.Timestamp
# Trial 1 window [02-06, 02-19] (units 1 treated; 3, 6 controls), trial 2 [02-15, 02-27] (2 treated; 3, 6).
EXTRA_CAMPAIGNS = [(4, "C", D("2017-02-10").date(), D("2017-02-25").date()),  # in trial 1; before/active in 2
                   (5, "B", D("2017-02-20").date(), D("2017-03-10").date()),  # after trial 1; in trial 2
                   (6, "C", D("2017-02-12").date(), D("2017-02-14").date()),  # in trial 1
                   (7, "B", D("2017-02-06").date(), D("2017-02-08").date())]  # starts on trial 1's start
EXTRA_MEMBERS = [(1, 4), (3, 4), (2, 5), (1, 5), (1, 6), (6, 7)]


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    src = write(tmp_path_factory.mktemp("cot"), campaigns=CAMPAIGNS + EXTRA_CAMPAIGNS, members=MEMBERS + EXTRA_MEMBERS)
    tables = load_source(src, validate=False)
    return tables, build_design(tables, DesignConfig(**CONFIG))


def test_exposure_and_shares_by_hand(fixture):
    tables, cohort = fixture
    exp = cot.unit_exposure(tables, cohort).set_index(["index_campaign", "household_id"])
    assert sorted(exp.index) == [(1, 1), (1, 3), (1, 6), (2, 2), (2, 3), (2, 6)]
    # Type A memberships never count; a B/C start on the first day of the window is inside it, not before
    assert exp["n_bc_in_window"].to_dict() == {(1, 1): 2, (1, 3): 1, (1, 6): 1, (2, 2): 1, (2, 3): 0, (2, 6): 0}
    assert exp["bc_before_4w"].to_dict() == {(1, 1): False, (1, 3): False, (1, 6): True, (2, 2): False,
                                             (2, 3): True, (2, 6): True}
    assert exp["bc_active_at_start"].to_dict() == {(1, 1): False, (1, 3): False, (1, 6): True, (2, 2): False,
                                                   (2, 3): True, (2, 6): True}
    t = cot.cotargeting_table(tables, cohort).set_index(["trial", "arm"])
    cols = ["n", "share_bc_in_window", "share_bc_before_4w", "share_bc_active_at_start", "mean_bc_in_window"]
    assert t.loc[("1", "treated"), cols].tolist() == [1, 1.0, 0.0, 0.0, 2.0]
    assert t.loc[("1", "control"), cols].tolist() == [2, 1.0, 0.5, 0.5, 1.0]
    assert t.loc[("2", "control"), cols].tolist() == [2, 0.0, 1.0, 1.0, 0.0]
    assert t.loc[(cot.POOLED, "treated"), cols].tolist() == [2, 1.0, 0.0, 0.0, 1.5]
    assert t.loc[(cot.POOLED, "control"), cols].tolist() == [4, 0.5, 0.75, 0.75, 0.5]


def _fake(est=1.0):
    return AteEstimate("att", "ATT (effect on the treated)", est, 0.5, 10)


def test_the_sentence_quotes_the_table_and_prices_the_extra_campaigns(fixture, tmp_path):
    tables, cohort = fixture
    table = cot.cotargeting_table(tables, cohort)
    sens = pd.DataFrame([cot._est_row("all units (headline design)", _fake(), cohort.data, cohort.data.iloc[:0])])
    res = cot.Cotargeting(table=table, sensitivity=sens, method="att")
    text = res.sentence()
    shares = [float(v) / 100 for v in re.findall(r"([\d.]+)% ", text)]
    pooled = table[table.trial == cot.POOLED].set_index("arm")
    assert shares == [pooled.loc["treated", "share_bc_in_window"], pooled.loc["control", "share_bc_in_window"],
                      pooled.loc["treated", "share_bc_before_4w"], pooled.loc["control", "share_bc_before_4w"]]
    assert "the bundle" in text and "so nothing subtracts it" in text
    assert res.gap == pytest.approx(0.5) and res.material and res.extra_bc_per_treated == pytest.approx(1.0)
    assert "that is $0.75 per treated household" in res.sentence(contact_cost=0.75)
    sec, = cotargeting_sections(res, OutputDir(tmp_path), contact_cost=0.75)
    assert (tmp_path / "tables" / "cotargeting.csv").is_file()
    assert (tmp_path / "tables" / "cotargeting_sensitivity.csv").is_file()
    assert sec.warnings == [f"co-targeting: {res.sentence(0.75)}"]
    # equal shares in both arms: nothing on the first screen
    same = table.assign(share_bc_in_window=0.1, mean_bc_in_window=0.1)
    quiet = cot.Cotargeting(table=same, sensitivity=sens, method="att")
    assert not quiet.material and cotargeting_sections(quiet, OutputDir(tmp_path / "q"))[0].warnings == []


def _planted(n=3000, seed=0):
    """Mailer alone +2; a B/C campaign (40% of treated, 10% of controls, at random given the arm) +20 more."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    T = rng.binomial(1, 1 / (1 + np.exp(-(x[:, 0] - 1))))
    C = rng.binomial(1, np.where(T == 1, 0.4, 0.1)).astype(bool)
    y = 10 + 5 * x[:, 0] + 2 * x[:, 1] + 2 * T + 20 * C + rng.normal(scale=3, size=n)
    data = pd.DataFrame({"household_id": np.arange(n), "index_campaign": 1, "treated": T, "x1": x[:, 0],
                         "x2": x[:, 1], "purchase_amount": y})
    cohort = Cohort(data=data, covariates=("x1", "x2"), outcomes=("purchase_amount",), windows=pd.DataFrame(),
                    counts=pd.DataFrame(), design="campaign-trials", lookback_days=28)
    return cohort, C, 2 + 20 * (C[T == 1].mean() - C[T == 0].mean())


def test_the_full_estimate_carries_the_bc_effect_and_the_sensitivity_row_does_not():
    cohort, C, bundle = _planted()
    s = cot.sensitivity_without(cohort, C, "att", AteConfig(), seed=0).set_index("sample")
    full, rest = s.iloc[0], s.iloc[1]
    assert full["ci_lower"] <= bundle <= full["ci_upper"] and not full["ci_lower"] <= 2 <= full["ci_upper"]
    assert rest["ci_lower"] <= 2 <= rest["ci_upper"] and not rest["ci_lower"] <= bundle <= rest["ci_upper"]
    T = cohort.data["treated"].to_numpy()
    assert (rest["dropped_treated"], rest["dropped_control"]) == ((C & (T == 1)).sum(), (C & (T == 0)).sum())
    assert (rest["n_treated"], rest["n_control"]) == ((~C & (T == 1)).sum(), (~C & (T == 0)).sum())


def test_the_sensitivity_drops_exactly_the_cotargeted_units(monkeypatch):
    cohort, C, _ = _planted(n=200)
    seen = []
    monkeypatch.setattr(cot, "headline_effect", lambda c, *a, **k: seen.append(c.data["household_id"]) or _fake())
    s = cot.sensitivity_without(cohort, C, "att", AteConfig(), seed=0)
    assert len(s) == 2 and len(seen) == 2
    assert seen[0].tolist() == list(range(200)) and seen[1].tolist() == np.flatnonzero(~C).tolist()
    # an arm emptied by the exclusion: only the full row
    only = cot.sensitivity_without(cohort, cohort.data["treated"].to_numpy() == 1, "att", AteConfig(), seed=0)
    assert len(only) == 1
