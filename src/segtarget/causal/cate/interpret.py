"""Interpreting the selected CATE model: SHAP importance and a shallow tree of readable rules.

Importance. A LightGBM surrogate is fit to the selected model's out-of-fold CATE and explained with exact
TreeSHAP (LightGBM ``pred_contrib``), the same way for every learner in the zoo. ``mean_abs_shap`` is the
average absolute contribution of a feature to a household's CATE (outcome units); ``direction`` is the
correlation between the feature's value and its contribution (+1: higher values raise the effect). The
surrogate's R^2 says how much of the CATE the explanation covers.

Rules. EconML's ``SingleTreeCateInterpreter`` fits a depth-``tree_depth`` regression tree to the same CATE.
Each leaf is reported with its rule, size, the model's mean CATE and, as an honesty check, the
doubly-robust estimate of the leaf's effect (mean AIPW score, SE sd/sqrt(n)). The tree is chosen on the
CATE, not on the scores, so the DR check is not used to draw the splits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...stats import Z95
from ..learners import lgbm


def shap_importance(X: pd.DataFrame, cate, seed: int = 0) -> tuple[pd.DataFrame, float]:
    """Mean |SHAP| per feature of a surrogate of the CATE, and the surrogate's R^2."""
    c = np.asarray(cate, float)
    Xn = X.to_numpy(float)
    sur = lgbm("surrogate", "reg", seed).fit(Xn, c)
    contrib = sur.predict(Xn, pred_contrib=True)[:, :-1]
    pred = sur.predict(Xn)
    r2 = float(1 - np.sum((c - pred) ** 2) / np.sum((c - c.mean()) ** 2)) if np.std(c) > 0 else float("nan")
    mas = np.abs(contrib).mean(axis=0)
    direction = []
    for j in range(Xn.shape[1]):
        a, b = Xn[:, j], contrib[:, j]
        direction.append(float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else 0.0)
    total = mas.sum()
    df = pd.DataFrame({"feature": X.columns, "mean_abs_shap": mas,
                       "share": mas / total if total > 0 else 0.0, "direction": direction})
    return df.sort_values("mean_abs_shap", ascending=False, ignore_index=True), r2


class _GivenCate:
    """Adapter so EconML's interpreter explains a fixed CATE vector (the out-of-fold predictions)."""

    def __init__(self, cate: np.ndarray):
        self.cate = cate

    def const_marginal_effect(self, X):
        if len(X) != len(self.cate):
            raise ValueError("the interpreter must be given the rows the CATE was computed for")
        return self.cate.reshape(-1, 1)


def _fmt(v: float) -> str:
    return f"{v:,.4g}"


def _leaf_rules(tree, names: list[str]) -> dict[int, str]:
    t = tree.tree_
    rules: dict[int, str] = {}

    def walk(node: int, conds: list[str]):
        if t.children_left[node] < 0:
            rules[node] = " and ".join(conds) if conds else "all households"
            return
        f, thr = names[t.feature[node]], t.threshold[node]
        walk(t.children_left[node], conds + [f"{f} <= {_fmt(thr)}"])
        walk(t.children_right[node], conds + [f"{f} > {_fmt(thr)}"])

    walk(0, [])
    return rules


def cate_tree_rules(X: pd.DataFrame, cate, scores, *, depth: int = 2, min_leaf: float = 0.05,
                    seed: int = 0) -> pd.DataFrame:
    """Leaves of a shallow CATE tree with rule, size, mean CATE and DR effect with 95% CI."""
    from econml.cate_interpreter import SingleTreeCateInterpreter

    c = np.asarray(cate, float)
    g = np.asarray(scores, float)
    Xn = X.to_numpy(float)
    leaf = max(int(np.ceil(min_leaf * len(c))), 2)
    interp = SingleTreeCateInterpreter(max_depth=depth, min_samples_leaf=leaf, random_state=seed)
    interp.interpret(_GivenCate(c), Xn)
    tree = interp.tree_model_
    rules = _leaf_rules(tree, list(X.columns))
    leaves = tree.apply(Xn)
    rows = []
    for node, rule in rules.items():
        m = leaves == node
        if not m.any():
            continue
        se = float(g[m].std(ddof=1) / np.sqrt(m.sum())) if m.sum() > 1 else float("nan")
        rows.append({"leaf": int(node), "rule": rule, "n": int(m.sum()), "share": float(m.mean()),
                     "mean_cate": float(c[m].mean()), "dr_effect": float(g[m].mean()), "dr_se": se,
                     "dr_lower": float(g[m].mean()) - Z95 * se, "dr_upper": float(g[m].mean()) + Z95 * se})
    return pd.DataFrame(rows).sort_values("mean_cate", ascending=False, ignore_index=True)
