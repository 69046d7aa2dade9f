"""causal/design_refute.py and the design judged on planted campaigns (causal/planted.py): the headline CI
must cover the known truth, zero included, and the refutations must pass when the design is right."""

import numpy as np
import pytest

from segtarget.causal.config import AteConfig, DesignConfig
from segtarget.causal.design.study import build_design
from segtarget.causal.design.refute import headline_effect, headline_truth, refute_design
from segtarget.causal.validation.planted import PlantSpec, plant_campaigns, true_effects
from segtarget.data import load_source


@pytest.mark.parametrize("effect", ["none", "uniform"])
def test_headline_ci_covers_the_planted_truth(small_source, effect):
    planted = plant_campaigns(load_source(small_source, validate=False), PlantSpec(effect=effect, seed=1))
    cohort = build_design(planted.tables, DesignConfig())
    est = headline_effect(cohort, "att", AteConfig(), seed=0)
    tau = true_effects(planted, cohort.data)["tau_sales"].to_numpy()
    truth = headline_truth("att", tau, cohort.data["treated"].to_numpy())
    assert est.ci_lower <= truth <= est.ci_upper, (est, truth)
    if effect == "none":
        assert truth == 0.0
    else:
        assert truth > 0


def test_headline_truth_per_estimand():
    tau, T, e = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 1, 0, 0]), np.array([0.5, 0.9, 0.5, 0.1])
    assert headline_truth("att", tau, T) == 1.5 and headline_truth("aipw", tau, T) == 2.5
    assert headline_truth("ato", tau, T, e) == pytest.approx((0.25 * 1 + 0.09 * 2 + 0.25 * 3 + 0.09 * 4) / 0.68)


def test_refutations_pass_on_a_planted_null(small_source):
    planted = plant_campaigns(load_source(small_source, validate=False), PlantSpec(effect="none", seed=2))
    table = refute_design(planted.tables, DesignConfig(), "att", AteConfig(), seed=0).table
    assert len(table) == 5 and table["verdict"].str.len().gt(0).all()
    ran = table.dropna(subset=["estimate"])
    assert {"negative-control outcome (spend in the 4 weeks before the start)",
            "never-treated minus not-yet-treated"} <= set(ran["check"])
    # the placebo/negative-control rows are real estimates with household-clustered CIs
    assert (ran["ci_upper"] > ran["ci_lower"]).all()
    # selection on the spend of the 4 weeks before the start makes the pre-start checks flag it (see the module)
    assert not ran.loc[ran.check.str.startswith("negative"), "passed"].iloc[0]
