"""The DR-based selection rule: one-standard-error set, then the least dispersed CATE."""

import pandas as pd

from segtarget.causal.cate.selection import ensemble_members, select_model


def _table(rows):
    return pd.DataFrame(rows, columns=["model", "label", "dr_loss", "dr_loss_vs_best", "dr_loss_vs_best_se",
                                       "cate_sd"])


def test_clear_winner_is_selected():
    t = _table([["t", "T-learner", 10.0, 0.0, 0.0, 5.0], ["s", "S-learner", 12.0, 2.0, 0.5, 1.0]])
    model, reason = select_model(t)
    assert model == "t"
    assert "lowest held-out DR loss" in reason and "no other model" in reason


def test_ties_within_one_se_prefer_a_materially_flatter_cate():
    t = _table([["t", "T-learner", 10.0, 0.0, 0.0, 5.0], ["s", "S-learner", 10.4, 0.4, 0.5, 1.0],
                ["x", "X-learner", 11.0, 1.0, 0.5, 0.5]])
    model, reason = select_model(t)
    assert model == "s"  # x is flatter but not within one SE
    assert "T-learner" in reason and "less than half as dispersed" in reason


def test_ties_keep_the_best_model_unless_a_tied_one_is_much_flatter():
    t = _table([["causal_forest", "CausalForestDML", 10.0, 0.0, 0.0, 30.0],
                ["s", "S-learner", 10.1, 0.1, 0.5, 26.0]])
    model, reason = select_model(t)
    assert model == "causal_forest"
    assert "not materially less dispersed" in reason


def test_ensemble_members_are_lowest_loss():
    t = pd.DataFrame({"model": list("abcd"), "dr_loss": [4.0, 1.0, 3.0, 2.0]})
    assert ensemble_members(t) == ["b", "d", "c"]
