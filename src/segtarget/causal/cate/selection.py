"""Model comparison table and the (doubly-robust) selection rule.

Every number in the table is computed on out-of-fold CATE predictions against AIPW scores from
cross-fitted nuisances (see :mod:`calibration`, :mod:`rate`, :mod:`uplift` for the definitions).

Selection rule (``select_model``):
1. Rank models by held-out DR loss, which estimates each model's squared CATE error up to a shared constant.
2. Candidates are the best model and every model whose DR loss exceeds the best by less than one paired
   standard error (the noise in the comparison; a "one-standard-error rule").
3. If some candidate's CATEs are less than half as dispersed (standard deviation) as the best model's,
   pick the least dispersed of those: when the data cannot tell the models' accuracy apart, a materially
   more conservative heterogeneity claim is less likely to be noise. Otherwise keep the lowest-loss model.
   (Tie-breaking on AUTOC picked noisy learners whose ranking happened to score well, and always taking
   the flattest tied model gave up a better causal forest for a slightly flatter S-learner on the
   semi-synthetic data: see docs/cate.md.)
The optional ensemble (mean CATE of the three models with the lowest DR loss) competes like any model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calibration import blp_test, dr_loss, dr_loss_difference, gates, gates_top_minus_bottom, r_score
from .rate import RankingEvaluation, evaluate_ranking
from .registry import LABELS, has_intervals
from .uplift import dr_uplift_summary, naive_binned_uplift


def evaluate_model(name: str, cate: np.ndarray, *, Y, T, scores, nuis, n_boot: int, n_groups: int,
                   seed: int) -> tuple[dict, RankingEvaluation, pd.DataFrame]:
    """All held-out metrics of one model's CATE: one table row, its RATE results and its GATES table."""
    loss, loss_se = dr_loss(scores, cate)
    ev = evaluate_ranking(scores, cate, n_boot=n_boot, random_state=seed)
    blp = blp_test(scores, cate)
    gt = gates(scores, cate, n_groups)
    tmb, tmb_se = gates_top_minus_bottom(gt)
    naive, _ = naive_binned_uplift(Y, T, cate)
    row = {
        "model": name, "label": LABELS.get(name, name),
        "cate_mean": float(np.mean(cate)), "cate_sd": float(np.std(cate)),
        "dr_loss": loss, "dr_loss_se": loss_se,
        "r_score": r_score(Y, T, nuis.e, nuis.mu0, nuis.mu1, cate, float(np.mean(scores))),
        "autoc": ev.autoc.estimate, "autoc_lower": ev.autoc.lower, "autoc_upper": ev.autoc.upper,
        "autoc_p": ev.autoc.p_value,
        "qini": ev.qini.estimate, "qini_lower": ev.qini.lower, "qini_upper": ev.qini.upper, "qini_p": ev.qini.p_value,
        "blp_slope": blp.slope, "blp_lower": blp.slope_lower, "blp_upper": blp.slope_upper, "blp_p": blp.p_value,
        "gates_top_minus_bottom": tmb, "gates_tmb_se": tmb_se,
        **dr_uplift_summary(scores, cate), **naive,
        "has_intervals": has_intervals(name),
    }
    return row, ev, gt


def add_loss_differences(table: pd.DataFrame, oof: dict[str, np.ndarray], scores) -> pd.DataFrame:
    """Paired DR-loss difference (and SE) of every model against the lowest-loss model."""
    best = table.loc[table["dr_loss"].idxmin(), "model"]
    diffs = [dr_loss_difference(scores, oof[m], oof[best]) for m in table["model"]]
    out = table.copy()
    out["dr_loss_vs_best"] = [d for d, _ in diffs]
    out["dr_loss_vs_best_se"] = [s for _, s in diffs]
    return out


def select_model(table: pd.DataFrame) -> tuple[str, str]:
    """Apply the rule in the module docstring; returns (model, reason in plain words)."""
    best = table.loc[table["dr_loss"].idxmin()]
    near = table[(table["dr_loss_vs_best"] <= table["dr_loss_vs_best_se"]) | (table["model"] == best["model"])]
    flatter = near[near["cate_sd"] < 0.5 * best["cate_sd"]]
    pick = flatter.loc[flatter["cate_sd"].idxmin()] if len(flatter) else best
    others = [LABELS.get(m, m) for m in near["model"] if m != pick["model"]]
    if pick["model"] == best["model"] and not others:
        reason = (f"{pick['label']} has the lowest held-out DR loss ({pick['dr_loss']:.4g}); no other model is "
                  f"within one standard error of it.")
    elif pick["model"] == best["model"]:
        reason = (f"{pick['label']} has the lowest held-out DR loss ({pick['dr_loss']:.4g}); the models within one "
                  f"standard error of it ({', '.join(others)}) are not materially less dispersed.")
    else:
        tied = ", ".join(others) if others else "none"
        reason = (f"{pick['label']} is within one standard error of the lowest held-out DR loss "
                  f"({best['label']}: {best['dr_loss']:.4g}) and its CATEs are less than half as dispersed "
                  f"(sd {pick['cate_sd']:.3g} vs {best['cate_sd']:.3g}); statistically tied: {tied}.")
    return str(pick["model"]), reason


def ensemble_members(table: pd.DataFrame, k: int = 3) -> list[str]:
    """The ``k`` models with the lowest held-out DR loss."""
    return list(table.sort_values("dr_loss")["model"].head(k))
