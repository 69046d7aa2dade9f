"""Propensity model comparison and calibration.

The propensity e(x) = P(T=1 | x) is cross-fitted in ``causal/nuisance.py``: K folds stratified by treatment,
two candidates (a logistic regression on standardised covariates and a small LightGBM), the one with the
lower out-of-fold log-loss wins. This module re-runs both candidates on the *same* folds and seed so the
report can show why one was chosen and whether its probabilities can be read as probabilities:

* log-loss and Brier score of the out-of-fold predictions (lower is better);
* AUC: how well e(x) separates the arms (0.5 = randomised, near 1 = positivity trouble);
* calibration: units binned by predicted e; per bin the mean prediction against the observed treated
  share, with a binomial 95% interval; ECE = bin-size-weighted mean |observed - predicted|.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..nuisance import crossfit_propensity


def calibration_bins(T: np.ndarray, e: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Reliability table: quantile bins of ``e`` with mean prediction, observed share and its 95% CI.

    Quantile bins (not equal-width) keep every bin populated when e(x) piles up near 0 or 1.
    """
    T = np.asarray(T, dtype=float)
    e = np.asarray(e, dtype=float)
    edges = np.unique(np.quantile(e, np.linspace(0, 1, n_bins + 1)))
    idx = np.clip(np.searchsorted(edges, e, side="right") - 1, 0, max(len(edges) - 2, 0))
    rows = []
    for b in np.unique(idx):
        m = idx == b
        n = int(m.sum())
        obs = float(T[m].mean())
        half = 1.96 * np.sqrt(max(obs * (1 - obs), 1.0 / n) / n)
        rows.append({"bin": int(b), "n": n, "mean_predicted": float(e[m].mean()), "observed_share": obs,
                     "ci_lower": max(obs - half, 0.0), "ci_upper": min(obs + half, 1.0)})
    return pd.DataFrame(rows)


def expected_calibration_error(table: pd.DataFrame) -> float:
    """Bin-size-weighted mean |observed share - mean prediction| of a :func:`calibration_bins` table."""
    w = table["n"] / table["n"].sum()
    return float((w * (table["observed_share"] - table["mean_predicted"]).abs()).sum())


@dataclass(frozen=True)
class PropensityComparison:
    """Out-of-fold scores of every propensity candidate on shared folds."""

    predictions: dict[str, np.ndarray]
    scores: pd.DataFrame  # one row per candidate: log_loss, brier, auc, ece, selected
    calibration: pd.DataFrame  # long table: model + calibration_bins columns
    selected: str

    def summary_frame(self) -> pd.DataFrame:
        return self.scores.copy()


def compare_propensity(T: np.ndarray, X: np.ndarray, folds: np.ndarray, seed: int,
                       n_bins: int = 10,
                       candidates: tuple[str, ...] = ("logistic", "lightgbm")) -> PropensityComparison:
    """Cross-fit each candidate on ``folds`` and score it; the lowest out-of-fold log-loss is selected.

    Uses the same learners, folds and seed as :func:`~segtarget.causal.nuisance.crossfit_nuisances`, so the
    selection here matches the propensity stored in the run's ``Nuisances``.
    """
    from sklearn.metrics import brier_score_loss, roc_auc_score

    T = np.asarray(T, dtype=int)
    X = np.asarray(X, dtype=float)
    preds: dict[str, np.ndarray] = {}
    rows, calib = [], []
    for name in candidates:
        p, _, losses = crossfit_propensity(T, X, folds, seed, candidates=(name,))
        preds[name] = p
        table = calibration_bins(T, p, n_bins)
        calib.append(table.assign(model=name))
        rows.append({"model": name, "log_loss": losses[name],
                     "brier": float(brier_score_loss(T, p)),
                     "auc": float(roc_auc_score(T, p)),
                     "ece": expected_calibration_error(table)})
    scores = pd.DataFrame(rows)
    selected = str(scores.loc[scores["log_loss"].idxmin(), "model"])
    scores["selected"] = scores["model"] == selected
    return PropensityComparison(predictions=preds, scores=scores,
                                calibration=pd.concat(calib, ignore_index=True), selected=selected)
