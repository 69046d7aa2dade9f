"""Shallow, readable policy trees (econml ``PolicyTree``), learned with nested cross-fitting.

Two reward definitions, both depth <= 3 (reward of not contacting = 0):

* **PolicyTree (CATE)**: reward of contacting unit i = m * cate_i - d_i - c, from the out-of-fold CATE.
* **PolicyTree (DR)**: reward = m * psi_sales_i - psi_disc_i - c, the doubly-robust profit score (the
  DRPolicyTree idea on the shared AIPW scores, so no second set of nuisances is fit).

Nested cross-fitting (for :mod:`.selection`): for every outer fold k the tree is fit on the other folds and
decides for fold k; and for every inner fold j != k a tree fit on the folds other than k and j decides for
fold j. Row k of the returned matrix holds those decisions, so when fold k is held out neither the choice
among candidates nor the tree itself has seen fold k. The rules shown are those of the same learner fit on
all units, i.e. the tree one would deploy.
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


def _fit_tree(X, rewards, depth, share, seed):
    min_leaf = _min_leaf(len(X), share)
    return _policy_tree(depth, min_leaf, seed).fit(X, np.column_stack([np.zeros(len(X)), rewards]))


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


def nested_tree_policy(name: str, X: pd.DataFrame, rewards, folds, *, depth: int = 2,
                       min_leaf_share: float = 0.05, seed: int = 0, full_rewards=None) -> TreePolicy:
    """(K, n) nested cross-fitted decisions of a PolicyTree on ``rewards`` plus its all-data rules.

    ``rewards`` is one per unit, or (K, n) with row k computed without fold k (a nested CATE): the trees of
    row k then learn from row k. The all-data tree learns from ``full_rewards`` (default: ``rewards``)."""
    Xa = np.asarray(X, dtype=float)
    rewards = np.asarray(rewards, float)
    folds = np.asarray(folds)
    ks = list(np.unique(folds))
    per_row = rewards if rewards.ndim == 2 else np.tile(rewards, (len(ks), 1))
    seeds = iter(task_seeds(seed, len(ks) ** 2 + 1))
    pi = np.zeros((len(ks), len(Xa)))
    for row, k in enumerate(ks):
        for j in ks:
            train = (folds != k) & (folds != j)
            test = folds == j
            model = _fit_tree(Xa[train], per_row[row][train], depth, min_leaf_share, next(seeds))
            pi[row, test] = model.predict(Xa[test]).astype(float)
    if full_rewards is None and rewards.ndim == 2:
        raise ValueError("nested_tree_policy: (K, n) rewards need full_rewards for the all-data tree")
    full_r = np.asarray(full_rewards, float) if full_rewards is not None else rewards
    full = _fit_tree(Xa, full_r, depth, min_leaf_share, next(seeds))
    names = [str(c) for c in X.columns] if hasattr(X, "columns") else [f"x{j}" for j in range(Xa.shape[1])]
    return TreePolicy(name=name, pi=pi, rules=tree_rules(full, Xa, names), depth=depth)
