"""Held-out losses, best-linear-predictor calibration test and GATES, all from doubly-robust scores.

Every function takes held-out CATE predictions tau_hat (out-of-fold) and the AIPW scores Gamma computed
from cross-fitted nuisances, so nothing is scored on rows a model was fit on.

DR loss        mean_i (Gamma_i - tau_hat_i)^2. Because E[Gamma | x] = tau(x) and the prediction is
               independent of unit i's noise, its expectation is E[(tau - tau_hat)^2] + a constant shared by
               all models: differences between models estimate differences in squared CATE error (PEHE^2).
R loss         mean_i ((Y_i - m(x_i)) - (T_i - e(x_i)) tau_hat_i)^2 with m = e mu1 + (1 - e) mu0
               (Nie & Wager). R-score = 1 - Rloss(tau_hat) / Rloss(constant ATE): share of the R-loss a
               heterogeneous model removes relative to a constant effect (EconML's ``RScorer`` convention).
BLP            OLS of Gamma on [1, tau_hat - mean(tau_hat)] with HC1 errors (Chernozhukov, Demirer, Duflo
               & Fernandez-Val; EconML ``DRTester.evaluate_blp``). beta_0 = ATE; beta_1 = 1 for perfectly
               calibrated CATEs, 0 when they carry no information about the true effects. The test of
               beta_1 = 0 is the heterogeneity (calibration) test.
GATES          group average treatment effects: units split into ``n_groups`` quantile groups of tau_hat;
               GATE_g = mean(Gamma) in group g with SE sd/sqrt(n_g); top-minus-bottom difference with the
               SE of two independent means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...stats import Z95


def dr_loss(scores, cate) -> tuple[float, float]:
    """Mean held-out DR loss and its standard error."""
    d = (np.asarray(scores, float) - np.asarray(cate, float)) ** 2
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


def dr_loss_difference(scores, cate_a, cate_b) -> tuple[float, float]:
    """Paired difference DRloss(a) - DRloss(b) and its SE (negative: a is closer to the truth)."""
    g = np.asarray(scores, float)
    d = (g - np.asarray(cate_a, float)) ** 2 - (g - np.asarray(cate_b, float)) ** 2
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


def r_loss(Y, T, e, mu0, mu1, cate) -> float:
    """Robinson / Nie-Wager R-loss with cross-fitted nuisances (see module docstring)."""
    Y, T, e = np.asarray(Y, float), np.asarray(T, float), np.asarray(e, float)
    m = e * np.asarray(mu1, float) + (1 - e) * np.asarray(mu0, float)
    return float(np.mean(((Y - m) - (T - e) * np.asarray(cate, float)) ** 2))


def r_score(Y, T, e, mu0, mu1, cate, ate: float) -> float:
    """1 - Rloss(cate) / Rloss(constant ate)."""
    base = r_loss(Y, T, e, mu0, mu1, np.full(len(np.asarray(Y)), ate))
    return float(1 - r_loss(Y, T, e, mu0, mu1, cate) / base) if base > 0 else float("nan")


@dataclass(frozen=True)
class BLPResult:
    """Best linear predictor of the effect given the CATE (beta_0 = ATE, beta_1 = calibration slope)."""

    ate: float
    ate_se: float
    slope: float
    slope_se: float
    slope_lower: float
    slope_upper: float
    p_value: float  # two-sided test of slope = 0

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([
            {"term": "ATE (beta_0)", "estimate": self.ate, "se": self.ate_se,
             "ci_lower": self.ate - Z95 * self.ate_se, "ci_upper": self.ate + Z95 * self.ate_se},
            {"term": "CATE slope (beta_1)", "estimate": self.slope, "se": self.slope_se,
             "ci_lower": self.slope_lower, "ci_upper": self.slope_upper, "p_value": self.p_value},
        ])


def blp_test(scores, cate) -> BLPResult:
    """OLS of Gamma on [1, cate - mean(cate)] with HC1 standard errors."""
    from scipy.stats import norm

    g = np.asarray(scores, float)
    c = np.asarray(cate, float)
    n = len(g)
    ate, ate_se = float(g.mean()), float(g.std(ddof=1) / np.sqrt(n))
    cc = c - c.mean()
    if not np.isfinite(cc).all() or np.std(cc) < 1e-12 * (1 + np.abs(c).max()):
        return BLPResult(ate, ate_se, float("nan"), float("nan"), float("nan"), float("nan"), 1.0)
    Xd = np.column_stack([np.ones(n), cc])
    xtx_inv = np.linalg.inv(Xd.T @ Xd)
    beta = xtx_inv @ Xd.T @ g
    resid = g - Xd @ beta
    meat = (Xd * resid[:, None] ** 2).T @ Xd
    V = xtx_inv @ meat @ xtx_inv * n / (n - 2)
    se = np.sqrt(np.diag(V))
    p = float(2 * norm.sf(abs(beta[1] / se[1]))) if se[1] > 0 else float("nan")
    return BLPResult(float(beta[0]), float(se[0]), float(beta[1]), float(se[1]),
                     float(beta[1] - Z95 * se[1]), float(beta[1] + Z95 * se[1]), p)


def gates(scores, cate, n_groups: int = 5) -> pd.DataFrame:
    """GATES by CATE quantile group (1 = lowest predicted effect), with 95% CIs."""
    g = np.asarray(scores, float)
    c = np.asarray(cate, float)
    ranks = np.argsort(np.argsort(c, kind="mergesort"), kind="mergesort")
    group = (ranks * n_groups // len(c)) + 1
    rows = []
    for k in range(1, n_groups + 1):
        m = group == k
        gk = g[m]
        se = float(gk.std(ddof=1) / np.sqrt(m.sum())) if m.sum() > 1 else float("nan")
        rows.append({"group": k, "n": int(m.sum()), "cate_mean": float(c[m].mean()), "gate": float(gk.mean()),
                     "se": se, "ci_lower": float(gk.mean()) - Z95 * se,
                     "ci_upper": float(gk.mean()) + Z95 * se})
    return pd.DataFrame(rows)


def gates_top_minus_bottom(table: pd.DataFrame) -> tuple[float, float]:
    """Difference of the top and bottom GATE and its SE (independent groups)."""
    top, bot = table.iloc[-1], table.iloc[0]
    return float(top["gate"] - bot["gate"]), float(np.hypot(top["se"], bot["se"]))
