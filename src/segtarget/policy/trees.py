"""Shallow, readable policy trees (econml), learned with cross-fitting so their value is honest.

Two learners, both of depth <= 3:

* **PolicyTree** on CATE rewards: the reward of contacting household i is m * cate_i - c (0 for not
  contacting). It approximates the "CATE > break-even" rule with a few readable splits.
* **DRPolicyTree** on the profit outcome m * Y - c * T: econml fits its own doubly-robust nuisances, so the
  tree chooses the arm with the larger DR profit per leaf, without trusting any CATE model.

Cross-fitting: for every fold k the tree is fit on the households of the other folds and decides for the
households of fold k, so each decision comes from a tree that never saw that household (the reference fit,
tuned and scored its trees on the same 486 households). The rules shown are those of the same learner fit
on all households, i.e. the tree one would deploy; its value is estimated by the cross-fitted decisions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..parallel import task_seeds


@dataclass(frozen=True)
class TreePolicy:
    """Cross-fitted decisions of a policy-tree learner and the rules of its all-data tree."""

    name: str
    pi: np.ndarray
    rules: pd.DataFrame  # rule, decision, n_households
    depth: int

    def summary_frame(self) -> pd.DataFrame:
        return self.rules.copy()

    def rules_text(self) -> str:
        return "\n".join(f"{r.rule} → {r.decision} ({r.n_households} households)"
                         for r in self.rules.itertuples())


def _min_leaf(n_train: int, share: float) -> int:
    return max(5, int(share * n_train))


def _policy_tree(depth: int, min_leaf: int, seed: int):
    from econml.policy import PolicyTree

    return PolicyTree(max_depth=depth, min_samples_leaf=min_leaf, min_samples_split=2 * min_leaf,
                      honest=True, random_state=seed)


def _dr_policy_tree(depth: int, min_leaf: int, seed: int):
    from econml.policy import DRPolicyTree
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..causal.nuisance import outcome_model

    return DRPolicyTree(
        model_regression=outcome_model(seed),
        model_propensity=make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)),
        cv=3, max_depth=depth, min_samples_leaf=min_leaf, min_samples_split=2 * min_leaf,
        max_features=None, honest=True, min_propensity=0.01, random_state=seed)


def _fit_tree(kind: str, X, Y, T, cate, margin, cost, depth, share, seed):
    min_leaf = _min_leaf(len(X), share)
    if kind == "PolicyTree":
        rewards = np.column_stack([np.zeros(len(X)), margin * cate - cost])
        return _policy_tree(depth, min_leaf, seed).fit(X, rewards)
    tree = _dr_policy_tree(depth, min_leaf, seed)
    return tree.fit(margin * Y - cost * T, T, X=X)


def _inner_tree(model):
    return getattr(model, "policy_model_", model).tree_


def tree_rules(model, X: np.ndarray, feature_names: list[str]) -> pd.DataFrame:
    """One row per decision region: the splits leading to it, its decision and its size on ``X``.

    Sibling subtrees that reach the same decision everywhere are merged, so a rule is only as long as the
    decision needs.
    """
    tree = _inner_tree(model)
    leaf_of = tree.apply(np.asarray(X, dtype=np.float64))

    def walk(node: int, conds: list[str]) -> list[dict]:
        left, right = tree.children_left[node], tree.children_right[node]
        if left < 0:
            decision = "contact" if int(np.argmax(tree.value[node, :, 0])) == 1 else "do not contact"
            return [{"rule": " and ".join(conds) or "all households", "decision": decision,
                     "n_households": int((leaf_of == node).sum())}]
        name, thr = feature_names[tree.feature[node]], tree.threshold[node]
        rows = walk(left, conds + [f"{name} ≤ {thr:.4g}"]) + walk(right, conds + [f"{name} > {thr:.4g}"])
        if len({r["decision"] for r in rows}) == 1:
            return [{"rule": " and ".join(conds) or "all households", "decision": rows[0]["decision"],
                     "n_households": sum(r["n_households"] for r in rows)}]
        return rows

    return pd.DataFrame(walk(0, []), columns=["rule", "decision", "n_households"])


def crossfit_tree_policy(kind: str, X: pd.DataFrame, Y, T, cate, folds, *, margin: float, cost: float,
                         depth: int = 2, min_leaf_share: float = 0.05, seed: int = 0) -> TreePolicy:
    """Cross-fitted decisions of ``kind`` ("PolicyTree" or "DRPolicyTree") plus its all-data rules."""
    Xa = np.asarray(X, dtype=float)
    Y, T, cate = (np.asarray(a, dtype=float) for a in (Y, T, cate))
    Ti = T.astype(int)
    folds = np.asarray(folds)
    ks = np.unique(folds)
    seeds = task_seeds(seed, len(ks) + 1)
    pi = np.zeros(len(Xa))
    for k, s in zip(ks, seeds):
        train, test = folds != k, folds == k
        model = _fit_tree(kind, Xa[train], Y[train], Ti[train], cate[train], margin, cost, depth,
                          min_leaf_share, s)
        pi[test] = model.predict(Xa[test]).astype(float)
    full = _fit_tree(kind, Xa, Y, Ti, cate, margin, cost, depth, min_leaf_share, seeds[-1])
    names = [str(c) for c in X.columns] if hasattr(X, "columns") else [f"x{j}" for j in range(Xa.shape[1])]
    return TreePolicy(name=kind, pi=pi, rules=tree_rules(full, Xa, names), depth=depth)
