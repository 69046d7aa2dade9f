"""The built-in learners' functions: the defaults are a point of each search space, so tuning tries them first."""

from __future__ import annotations

import optuna
import pytest

from segtarget.causal.cate.config import CateConfig
from segtarget.causal.cate.registry import BUILTIN
from segtarget.causal.cate.tuning import _flat


@pytest.mark.parametrize("learner", BUILTIN, ids=lambda learner: learner.name)
def test_defaults_are_a_point_of_the_search_space(learner):
    cfg = CateConfig()
    defaults = learner.defaults(cfg)
    # FixedTrial raises if the space suggests a name _flat did not produce (the enqueued defaults would miss it)
    assert learner.search_space(optuna.trial.FixedTrial(_flat(defaults)), cfg) == defaults


def test_config_reaches_the_defaults():
    cfg = CateConfig(n_estimators=37, forest_trees=44, forest_min_leaf=9, inner_cv=3)
    by_name = {learner.name: learner.defaults(cfg) for learner in BUILTIN}
    assert {p["base"]["n_estimators"] for p in by_name.values()} == {37}
    assert {p["inner_cv"] for p in by_name.values()} == {3}
    assert by_name["dr"]["final"]["n_estimators"] == 37 and "final" not in by_name["x"]
    assert by_name["causal_forest"]["forest"]["n_estimators"] == 44
    assert "propensity" not in by_name["s"] and "propensity" in by_name["linear_dml"]
