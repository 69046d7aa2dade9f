"""Small frames of the policy stage: concentration of the DR sums, the per-unit assignments, key results.

* **Concentration**: for each policy, the share of the sum of absolute per-unit profit contributions
  |pi_i r_i| carried by the top ``share`` (1%) of units, and the policy's value with those units removed.
  A large share means a few extreme inverse-propensity weights decide the number.
* **Assignments** (``policy_assignments.csv``): one row per (unit, policy) on the study cohort with the
  decision each unit gets when its own fold is held out; units outside the valued population get no
  decision (``contact`` empty, ``in_population`` false): the target list says "test first" for them.
* **Key results** (``key_results.csv``): the first screen's numbers, every row carrying the verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import Z95


def oof_mean(values, folds) -> np.ndarray:
    """Per unit, the mean of ``values`` over the other folds (what a rule may know without the unit's fold)."""
    values, folds = np.asarray(values, float), np.asarray(folds)
    out = np.empty(len(values))
    for k in np.unique(folds):
        out[folds == k] = values[folds != k].mean()
    return out


def concentration(policies: dict, r, clusters, *, share: float = 0.01) -> pd.DataFrame:
    """Top-``share`` units' share of |contributions| and the value without them, per policy."""
    from .value import clustered_total

    r = np.asarray(r, float)
    rows = []
    for name, pi in policies.items():
        c = np.asarray(pi, float) * r
        k = max(1, int(round(share * len(c))))
        top = np.argsort(-np.abs(c), kind="stable")[:k]
        keep = np.ones(len(c), bool)
        keep[top] = False
        denom = np.abs(c).sum()
        value_wo, se_wo = clustered_total(c[keep], np.asarray(clusters)[keep])
        rows.append({"policy": name, "n_top": k, "top_share": float(np.abs(c[top]).sum() / denom) if denom else 0.0,
                     "value": float(c.sum()), "value_without_top": value_wo,
                     "without_top_ci_lower": value_wo - Z95 * se_wo,
                     "without_top_ci_upper": value_wo + Z95 * se_wo})
    return pd.DataFrame(rows)


def assignments_frame(household_id, index_campaign, mask, held: dict, recommended: str) -> pd.DataFrame:
    """Long table household_id, index_campaign, policy, contact, recommended, in_population."""
    hh = np.asarray(household_id)
    ic = np.full(len(hh), -1) if index_campaign is None else np.asarray(index_campaign)
    mask = np.asarray(mask, bool)
    frames = []
    for name, pi in held.items():
        contact = pd.array([pd.NA] * len(hh), dtype="Int64")
        contact[mask] = (np.asarray(pi, float) > 0.5).astype(int)
        frames.append(pd.DataFrame({"household_id": hh, "index_campaign": ic, "policy": name, "contact": contact,
                                    "recommended": name == recommended, "in_population": mask}))
    return pd.concat(frames, ignore_index=True)


def key_results_frame(h: dict) -> pd.DataFrame:
    """The first screen's key results (DR, held-out, household-clustered CIs), one verdict for all rows."""
    held = "doubly robust; chosen on K-1 folds, valued on the held-out fold"
    rows = [
        {"scenario": "Contact every household", "n_targeted": h["everyone_n"], "share": 1.0,
         "profit": h["everyone_profit"], "ci_lower": h["everyone_ci"][0], "ci_upper": h["everyone_ci"][1],
         "roi": h["everyone_roi"], "roi_ci_lower": h["everyone_roi_ci"][0], "roi_ci_upper": h["everyone_roi_ci"][1],
         "method": "doubly robust, all valued units"},
        {"scenario": f"Rule chosen on K−1 folds: {h['recommended_policy']}", "n_targeted": h["recommended_n"],
         "share": h["recommended_share"], "profit": h["recommended_profit"], "ci_lower": h["recommended_ci"][0],
         "ci_upper": h["recommended_ci"][1], "roi": h["recommended_roi"], "roi_ci_lower": h["recommended_roi_ci"][0],
         "roi_ci_upper": h["recommended_roi_ci"][1], "method": held},
        {"scenario": "Gain of the chosen rule over the best uniform action", "n_targeted": np.nan, "share": np.nan,
         "profit": h["gain"], "ci_lower": h["gain_ci"][0], "ci_upper": h["gain_ci"][1], "roi": np.nan,
         "roi_ci_lower": np.nan, "roi_ci_upper": np.nan,
         "method": held},
    ]
    df = pd.DataFrame(rows)
    # Only the row whose action the verdict names is marked (highlighted on the first screen): the rule chosen
    # on K-1 folds is a candidate, not a recommendation, unless the verdict is "target this group".
    df["follows_verdict"] = [h["verdict"] == "contact everyone", h["verdict"] == "target this group", False]
    df.insert(0, "verdict", h["verdict"])
    df["verdict_sentence"] = h["verdict_sentence"]
    df["assumption"] = h["assumption"]
    df["n_evaluated"] = h["n_evaluated"]
    # the ranking test behind "target this group" (rule 1 of the verdict) and how its p-value was formed
    df["ranking_p_one_sided"] = h["rate_p_one_sided"]
    df["ranking_test"] = h.get("rate_test", "")
    # the design gate the verdict read, and the bracket (profit per contact) it quotes when the gate is in doubt
    bracket = h.get("bracket_profit") or (float("nan"), float("nan"))
    df["gate_status"] = h.get("gate_status", "not run")
    df["bracket_profit_lower"], df["bracket_profit_upper"] = bracket
    # a passed gate still bounds the bias: the sales bias per unit every confident verdict had to clear
    df["gate_bias_bound_sales"] = h.get("gate_bias_bound_sales", float("nan"))
    return df
