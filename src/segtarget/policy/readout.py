"""Readout of a finished randomised experiment (``segtarget abtest``).

Estimates of the average effect of treatment on the outcome:

* **difference in means**: mean(Y | T=1) - mean(Y | T=0), Welch standard error
  sqrt(s1^2 / n1 + s0^2 / n0), CI and p-value from Student's t with Welch-Satterthwaite degrees of freedom.
* **CUPED**: the same contrast on Y' = Y - theta (X - mean X), X the pre-period covariate and
  theta = cov(Y, X) / var(X) pooled over both arms. Randomisation keeps it unbiased; it is more precise when
  X predicts Y. ``variance_reduction`` = 1 - var(Y') / var(Y).

Per segment the same estimates are computed on that segment's households. With a cost per contact c and a
margin m, the profit per contacted household is m * effect - c (CI: m * CI - c), its ROI is that divided
by c, and the total is that times the number of treated households in the experiment. Without a margin
the default ``policy.margin`` (0.30) is used.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import require
from .abdesign import cuped_adjust, cuped_theta
from .config import PolicyConfig


@dataclass(frozen=True)
class Estimate:
    method: str
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    p_value: float
    n_treatment: int
    n_control: int


def difference_in_means(y, t, method: str = "difference_in_means") -> Estimate:
    """Welch difference in means with a t-based 95% CI and two-sided p-value."""
    y, t = np.asarray(y, float), np.asarray(t).astype(int)
    y1, y0 = y[t == 1], y[t == 0]
    n1, n0 = len(y1), len(y0)
    if n1 < 2 or n0 < 2:
        return Estimate(method, float("nan"), float("nan"), float("nan"), float("nan"), float("nan"), n1, n0)
    v1, v0 = y1.var(ddof=1) / n1, y0.var(ddof=1) / n0
    diff, se = float(y1.mean() - y0.mean()), float(np.sqrt(v1 + v0))
    if se == 0:
        return Estimate(method, diff, 0.0, diff, diff, float("nan"), n1, n0)
    df = (v1 + v0) ** 2 / (v1 ** 2 / (n1 - 1) + v0 ** 2 / (n0 - 1))
    q = float(stats.t.ppf(0.975, df))
    p = float(2 * stats.t.sf(abs(diff / se), df))
    return Estimate(method, diff, se, diff - q * se, diff + q * se, p, n1, n0)


def _estimates(y: np.ndarray, t: np.ndarray, pre: np.ndarray | None) -> list[dict]:
    rows = [asdict(difference_in_means(y, t))]
    if pre is not None:
        theta = cuped_theta(y, pre)
        y_adj = cuped_adjust(y, pre, theta)
        est = asdict(difference_in_means(y_adj, t, "cuped"))
        vy = y.var(ddof=1)
        est.update(theta=theta, variance_reduction=1 - y_adj.var(ddof=1) / vy if vy > 0 else float("nan"))
        rows.append(est)
    return rows


@dataclass(frozen=True)
class Readout:
    """Overall estimates, per-segment estimates and profit of one experiment."""

    estimates: pd.DataFrame
    segments: pd.DataFrame | None
    profit: pd.DataFrame | None

    def summary_frame(self) -> pd.DataFrame:
        return self.estimates


def check_experiment(df: pd.DataFrame, *, treatment: str, outcome: str, pre: str | None = None,
                     segment: str | None = None, source: str = "input") -> pd.DataFrame:
    """Validate and normalise the experiment table; one-line errors name the file and column."""
    for col, opt in ((treatment, "--treatment"), (outcome, "--outcome"), (pre, "--pre"), (segment, "--segment")):
        if col is not None:
            require(col in df.columns, f"{source}: column '{col}' ({opt}) not found; available: "
                                       f"{', '.join(map(str, df.columns[:20]))}")
    require(len(df) > 0, f"{source}: the file has no rows")
    t = df[treatment]
    if t.dtype == bool:
        t = t.astype(int)
    t_num = pd.to_numeric(t, errors="coerce")
    require(t_num.notna().all() and t_num.isin([0, 1]).all(),
            f"{source}: treatment column '{treatment}' must be binary 0/1 (found e.g. {', '.join(map(str, pd.unique(t)[:3]))})")
    out = pd.DataFrame({"T": t_num.astype(int).to_numpy()})
    for col, name in ((outcome, "outcome"), (pre, "pre-period")):
        if col is None:
            continue
        vals = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        require(np.isfinite(vals).all(), f"{source}: {name} column '{col}' has missing, non-numeric or "
                                         f"infinite values ({int((~np.isfinite(vals)).sum())} rows); clean them first")
        out[name] = vals
    for arm, label in ((1, "treatment"), (0, "control")):
        require((out["T"] == arm).sum() >= 2, f"{source}: the {label} arm of '{treatment}' has fewer than "
                                              "2 households; both arms need at least 2")
    require(np.ptp(out["outcome"]) > 0, f"{source}: outcome column '{outcome}' is constant; nothing to estimate")
    if segment is not None:
        out["segment"] = df[segment].astype(str).to_numpy()
    return out


def readout(df: pd.DataFrame, *, treatment: str, outcome: str, pre: str | None = None,
            segment: str | None = None, cost: float | None = None, margin: float | None = None,
            source: str = "input") -> Readout:
    """Analyse a finished experiment (see module docstring)."""
    if cost is not None:
        require(cost > 0, f"--cost={cost}: the cost per contact must be > 0")
    if margin is not None:
        require(0 < margin <= 1, f"--margin={margin}: must be in (0, 1], e.g. 0.3")
    data = check_experiment(df, treatment=treatment, outcome=outcome, pre=pre, segment=segment, source=source)
    y, t = data["outcome"].to_numpy(), data["T"].to_numpy()
    x = data["pre-period"].to_numpy() if pre is not None else None
    est = pd.DataFrame(_estimates(y, t, x))
    seg_df = None
    if segment is not None:
        rows = []
        for s, g in data.groupby("segment", sort=True):
            gx = g["pre-period"].to_numpy() if pre is not None else None
            for r in _estimates(g["outcome"].to_numpy(), g["T"].to_numpy(), gx):
                rows.append({"segment": s, **r})
        seg_df = pd.DataFrame(rows)
    profit = None
    if cost is not None:
        m = PolicyConfig().margin if margin is None else margin
        n1 = int((t == 1).sum())
        profit = pd.DataFrame([{
            "method": r["method"], "cost": cost, "margin": m, "breakeven": cost / m,
            "profit_per_contact": m * r["estimate"] - cost, "ci_lower": m * r["ci_lower"] - cost,
            "ci_upper": m * r["ci_upper"] - cost, "roi": (m * r["estimate"] - cost) / cost,
            "n_contacted": n1, "total_profit": n1 * (m * r["estimate"] - cost)}
            for r in est.to_dict("records")])
    return Readout(estimates=est, segments=seg_df, profit=profit)
