"""Profit and ROI against the share targeted, the cost x margin grid, and named business scenarios.

* **Curve**: for k = step, 2 step, ..., 100 % of households, contact the top k% by out-of-fold CATE and
  value the rule by DR (with a 95% CI band) and by plug-in. The optimum is the k with the largest DR profit.
* **Sensitivity grid**: for every (contact cost, margin) pair, contacting everyone and the "CATE > cost /
  margin" rule, valued by DR (95% CI) and plug-in. Costs are absolute dollars from 0 to
  ``policy.sensitivity_cost_max`` (default twice the reference's $12.73-style rule), so the grid shows
  where the answer flips whatever the true contact cost is.
* **Scenarios** (the reference's seven, made relative to the base economics so they move with the data):
  current; margin -5 / +5 points; cost +20% / -20%; worst (cost +20%, margin -5 points); best (cost -20%,
  margin +5 points). The reference used costs $15 and $10 around $12.73, i.e. about +-20%.

Every function takes the sales scores and, optionally, the discount scores ``disc`` (caused retailer-funded
discount per unit) and household ``groups`` for the standard errors; CATE rules threshold a
sales-equivalent score ``cate`` (sales CATE minus discount estimate / margin, see :mod:`.pipeline`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..deprecation import renamed_keywords
from .rules import threshold_policy, top_k_policy
from .value import policy_value


@renamed_keywords(clusters="groups")
def profit_curve(cate, psi, *, margin: float, cost: float, step: int = 5, disc=None, groups=None,
                 cate_disc=None) -> pd.DataFrame:
    """Top-k% policies from ``step``% to 100%, DR value with CI next to the plug-in value."""
    rows = []
    for pct in range(step, 101, step):
        pi = top_k_policy(cate, pct)
        dr = policy_value(pi, psi, margin=margin, cost=cost, disc=disc, groups=groups, method="dr")
        pl = policy_value(pi, cate, margin=margin, cost=cost, disc=cate_disc, method="plugin")
        rows.append({"pct": pct, "n_targeted": dr.n_targeted, "share": dr.share,
                     "incremental_revenue": dr.incremental_revenue, "profit": dr.profit,
                     "ci_lower": dr.ci_lower, "ci_upper": dr.ci_upper, "roi": dr.roi,
                     "roi_ci_lower": dr.roi_ci_lower, "roi_ci_upper": dr.roi_ci_upper,
                     "profit_plugin": pl.profit, "roi_plugin": pl.roi})
    df = pd.DataFrame(rows)
    df["optimum"] = False
    if len(df):
        df.loc[df["profit"].idxmax(), "optimum"] = True
    return df


def sensitivity_grid(cate, psi, *, costs, margins, disc=None, groups=None, cate_disc=None) -> pd.DataFrame:
    """Everyone and the "CATE > cost / margin" rule over the grid; DR profit (CI) and plug-in profit."""
    rows = []
    n = len(np.asarray(psi))
    for c in costs:
        for m in margins:
            be = c / m
            pi = threshold_policy(cate, be)
            dr = policy_value(pi, psi, margin=m, cost=c, disc=disc, groups=groups, method="dr")
            pl = policy_value(pi, cate, margin=m, cost=c, disc=cate_disc, method="plugin")
            ev = policy_value(np.ones(n), psi, margin=m, cost=c, disc=disc, groups=groups, method="dr")
            rows.append({"cost": float(c), "margin": m, "breakeven": be, "n_targeted": dr.n_targeted,
                         "profit": dr.profit, "ci_lower": dr.ci_lower, "ci_upper": dr.ci_upper,
                         "roi": dr.roi, "profit_plugin": pl.profit, "everyone_profit": ev.profit,
                         "everyone_ci_lower": ev.ci_lower, "everyone_ci_upper": ev.ci_upper})
    return pd.DataFrame(rows)


def grid_costs(cost: float, reference: float | None, max_cost: float = 0.0, steps: int = 9) -> np.ndarray:
    """Absolute contact costs from $0 to ``max_cost`` (0 = twice the reference rule, $25.46 without it).

    The run's own cost is added when it is not on the grid, so its row can be read off directly.
    """
    top = max_cost if max_cost > 0 else 2 * (reference if reference and reference > 0 else 12.73)
    grid = np.linspace(0.0, max(top, cost), steps)
    return np.unique(np.round(np.r_[grid, cost], 2))


def scenario_definitions(cost: float, margin: float) -> list[tuple[str, float, float]]:
    up, down = cost * 1.2, cost * 0.8
    lo_m, hi_m = max(margin - 0.05, 0.01), min(margin + 0.05, 1.0)
    return [("current", cost, margin),
            ("margin -5 pts", cost, lo_m), ("margin +5 pts", cost, hi_m),
            ("cost +20%", up, margin), ("cost -20%", down, margin),
            ("worst (cost +20%, margin -5 pts)", up, lo_m),
            ("best (cost -20%, margin +5 pts)", down, hi_m)]


def scenarios(cate, psi, *, cost: float, margin: float, disc=None, groups=None, cate_disc=None) -> pd.DataFrame:
    """The named scenarios, each with its break-even, targeted count and DR / plug-in profit."""
    rows = []
    for name, c, m in scenario_definitions(cost, margin):
        pi = threshold_policy(cate, c / m)
        dr = policy_value(pi, psi, margin=m, cost=c, disc=disc, groups=groups, method="dr")
        pl = policy_value(pi, cate, margin=m, cost=c, disc=cate_disc, method="plugin")
        rows.append({"scenario": name, "cost": c, "margin": m, "breakeven": c / m,
                     "n_targeted": dr.n_targeted, "profit": dr.profit, "ci_lower": dr.ci_lower,
                     "ci_upper": dr.ci_upper, "roi": dr.roi, "profit_plugin": pl.profit})
    return pd.DataFrame(rows)


def pivot_profit(grid: pd.DataFrame) -> pd.DataFrame:
    """DR profit as a cost (rows) x margin (columns) table for the heatmap."""
    return grid.pivot(index="cost", columns="margin", values="profit").sort_index()


def share_above(cate, threshold: float) -> float:
    cate = np.asarray(cate, float)
    return float((cate > threshold).mean()) if len(cate) else float("nan")
