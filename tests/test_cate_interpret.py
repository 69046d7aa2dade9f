"""SHAP importance and CATE-tree rules recover a known driver."""

import numpy as np
import pandas as pd

from segtarget.causal.cate.interpret import cate_tree_rules, shap_importance


def _data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(600, 3)), columns=["spend", "visits", "noise"])
    cate = np.where(X["spend"] > 0.5, -20.0, 30.0) + 0.1 * X["visits"]
    scores = cate + rng.normal(0, 5, 600)
    return X, cate.to_numpy(), scores.to_numpy()


def test_shap_ranks_the_driver_first():
    X, cate, _ = _data()
    imp, r2 = shap_importance(X, cate)
    assert imp["feature"].iloc[0] == "spend"
    assert imp["direction"].iloc[0] < 0  # higher spend lowers the effect
    assert r2 > 0.95
    assert abs(imp["share"].sum() - 1) < 1e-9


def test_tree_rules_find_the_split_and_dr_check_agrees():
    X, cate, scores = _data()
    rules = cate_tree_rules(X, cate, scores, depth=1)
    assert len(rules) == 2
    top, bottom = rules.iloc[0], rules.iloc[1]
    assert top["rule"].startswith("spend <= ") and bottom["rule"].startswith("spend > ")
    assert abs(float(top["rule"].split("<= ")[1]) - 0.5) < 0.05
    assert abs(top["mean_cate"] - 30) < 1 and abs(bottom["mean_cate"] + 20) < 1
    assert top["dr_lower"] < top["mean_cate"] < top["dr_upper"]
    assert rules["n"].sum() == len(X)
