"""The decision on a planted campaign with no effect (real transactions, members picked by a rule on past spend).

Slow (a study design and cross-fitted nuisances on the embedded data). The goal it guards is the worst defect
the product can have: a confident verdict ("target", "contact everyone") where the campaign did nothing.
"""

import pytest

from segtarget.causal.validation.planted import PlantSpec, plant_campaigns
from segtarget.policy.config import PolicyConfig
from segtarget.policy.regimes import run_regime

pytestmark = pytest.mark.slow


def test_no_effect_regime_never_gets_a_confident_verdict(tmp_path):
    from segtarget.data import load_source

    planted = plant_campaigns(load_source("completejourney", validate=False),
                              PlantSpec(effect="none", seed=0, lift=0.3, discount_rate=0.02))
    res = run_regime(planted, cfg=PolicyConfig(cost=10.0, trees=False), out=tmp_path, seed=0, repeats=1)
    assert res.verdict in ("inconclusive: run this test", "contact no one")
    assert res.oracle == 0 and res.everyone_truth < 0
