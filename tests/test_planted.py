"""Planted campaigns: the planted dollars equal the stated truth, selection follows past behaviour."""

import numpy as np
import pytest

from segtarget.causal.validation.planted import PlantSpec, plant_campaigns, true_effects
from segtarget.data import load_source
from segtarget.errors import SegtargetError


def _totals(tables):
    return tables.con.execute("SELECT sum(sales_value), sum(coupon_match_disc), count(*) "
                              "FROM clean_transactions").fetchone()


@pytest.fixture(scope="module")
def planted_uniform():
    tables = load_source("completejourney", validate=False)
    before = _totals(tables)
    planted = plant_campaigns(tables, PlantSpec(effect="uniform", lift=0.2, discount_rate=0.05, seed=3))
    return planted, before, _totals(tables)


def test_added_dollars_equal_the_truth_of_the_treated(planted_uniform):
    planted, before, after = planted_uniform
    units = planted.eligible.rename(columns={"campaign_id": "index_campaign"})
    truth = true_effects(planted, units)
    treated = units["treated"].to_numpy() == 1
    assert after[2] == before[2]  # no line added or dropped
    assert after[0] - before[0] == pytest.approx(truth.loc[treated, "tau_sales"].sum(), rel=1e-9)
    assert after[1] - before[1] == pytest.approx(truth.loc[treated, "tau_retailer_discount"].sum(), rel=1e-9)
    # Controls' potential effects are positive too: the truth covers both arms.
    assert truth.loc[~treated, "tau_sales"].mean() > 0


def test_members_replace_type_a_and_follow_past_spend(planted_uniform):
    planted, _, _ = planted_uniform
    con = planted.tables.con
    members = con.execute("""SELECT m.household_id, m.campaign_id FROM campaign_members m
                             JOIN campaigns c USING (campaign_id) WHERE c.campaign_type = 'A'""").df()
    assert len(members) == int(planted.eligible["treated"].sum())
    assert members["household_id"].is_unique  # at most one Type A membership per household
    e = planted.eligible
    assert e.loc[e.treated == 1, "level"].mean() > e.loc[e.treated == 0, "level"].mean() + 0.3
    assert e.loc[e.treated == 1, "spike"].mean() > e.loc[e.treated == 0, "spike"].mean() + 0.2
    assert abs(e["propensity"].mean() - planted.spec.share) < 0.01


def test_no_effect_leaves_the_data_unchanged():
    tables = load_source("completejourney", validate=False)
    before = _totals(tables)
    planted = plant_campaigns(tables, PlantSpec(effect="none", seed=3))
    assert _totals(tables)[:2] == pytest.approx(before[:2])
    units = planted.eligible.rename(columns={"campaign_id": "index_campaign"}).head(50)
    tau = true_effects(planted, units)["tau_sales"]
    assert len(tau) == 50 and (tau == 0).all()


def test_heterogeneous_lift_falls_with_spend_level_and_windows_truncate():
    tables = load_source("completejourney", validate=False)
    planted = plant_campaigns(tables, PlantSpec(effect="heterogeneous", lift=0.2, seed=1))
    e = planted.eligible
    assert np.corrcoef(e["level"], e["lift"])[0, 1] < -0.9
    assert (e["lift"] < 0).any() and (e["lift"] > 0.2).any()
    units = e.rename(columns={"campaign_id": "index_campaign"})[["household_id", "index_campaign"]].head(20)
    short = units.assign(outcome_end=planted.eligible["start_date"].head(20))  # a one-day window
    full, cut = true_effects(planted, units), true_effects(planted, short)
    assert len(cut) == len(full) == 20 and (cut["base_sales"] <= full["base_sales"] + 1e-9).all()


def test_same_seed_same_members_and_bad_spec():
    a = plant_campaigns(load_source("completejourney", validate=False), PlantSpec(seed=5)).members
    b = plant_campaigns(load_source("completejourney", validate=False), PlantSpec(seed=5)).members
    assert a.reset_index(drop=True).equals(b.reset_index(drop=True))
    with pytest.raises(SegtargetError, match="PlantSpec.effect"):
        PlantSpec(effect="big")
    with pytest.raises(SegtargetError, match="PlantSpec.share"):
        PlantSpec(share=1.5)
