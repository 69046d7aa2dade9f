"""Honest (doubly robust, held-out) and plug-in value of a targeting policy.

A policy assigns each unit a contact probability ``pi_i`` in [0, 1]. With margin ``m``, contact cost ``c``
(print + postage) and per-unit effect scores on sales ``s_i`` and on the retailer-funded discount ``d_i``:

* incremental sales    = sum_i pi_i s_i,
* caused discount      = sum_i pi_i d_i (discount the retailer pays because of the contacts),
* profit               = sum_i pi_i (m s_i - d_i - c),
* campaign cost        = c sum_i pi_i + caused discount,
* ROI                  = profit / campaign cost, reported only when the campaign cost is material: at
  least ``MATERIAL_COST`` dollars per contacted unit and at least ``MATERIAL_SHARE`` of the incremental
  margin (m x incremental sales). Otherwise NaN: a ratio over a near-zero cost says nothing.

**DR value** (``method="dr"``): ``s_i``, ``d_i`` are AIPW scores from cross-fitted nuisances and pi_i comes
from a rule that did not see unit i. Its standard error is clustered by household: with cluster sums
S_g of the per-unit contributions, var(total) = G/(G-1) sum_g (S_g - mean S)^2 (one cluster per unit when
household ids are unique, which is the usual sqrt(n) sd formula).

**Plug-in value** (``method="plugin"``): ``s_i`` is the model's own CATE (``d_i`` its discount estimate);
it assumes the CATE model is right and is shown beside the DR value only to make the gap visible.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ..stats import Z95

MATERIAL_COST = 0.10  # dollars of campaign cost per contacted unit below which an ROI is not reported
MATERIAL_SHARE = 0.05  # campaign cost below this share of the incremental margin: ROI not reported
POLICY_COLUMNS = ["policy", "n_targeted", "share", "incremental_revenue", "profit", "roi", "ci_lower",
                  "ci_upper", "method"]


@dataclass(frozen=True)
class PolicyValue:
    """Value of one policy under one method; ``ci_lower``/``ci_upper`` bound the profit."""

    policy: str
    n_targeted: int
    share: float
    incremental_revenue: float
    profit: float
    roi: float
    ci_lower: float
    ci_upper: float
    method: str
    incremental_se: float
    profit_se: float
    roi_ci_lower: float
    roi_ci_upper: float


def clustered_total(contrib, clusters=None) -> tuple[float, float]:
    """(sum, cluster-robust standard error of the sum); see the module docstring."""
    c = np.asarray(contrib, float)
    if clusters is None:
        sums = c
    else:
        sums = pd.Series(c).groupby(np.asarray(clusters)).sum().to_numpy()
    g = len(sums)
    if g < 2:
        return float(c.sum()), float("nan")
    return float(c.sum()), float(np.sqrt(g / (g - 1) * ((sums - sums.mean()) ** 2).sum()))


def policy_value(pi, sales, *, margin: float, cost: float, disc=None, clusters=None, method: str = "dr",
                 name: str = "policy") -> PolicyValue:
    """Incremental sales, profit and ROI of contacting with probability ``pi`` (see module docstring)."""
    pi = np.asarray(pi, dtype=float)
    s = np.asarray(sales, dtype=float)
    d = np.zeros(len(s)) if disc is None else np.asarray(disc, float)
    n = len(pi)
    n_t = float(pi.sum())
    incr, incr_se = clustered_total(pi * s, clusters)
    profit, se = clustered_total(pi * (margin * s - d - cost), clusters)
    lo, hi = profit - Z95 * se, profit + Z95 * se
    spend = cost * n_t + float((pi * d).sum())
    if n_t > 0 and spend >= MATERIAL_COST * n_t and spend >= MATERIAL_SHARE * abs(margin * incr):
        roi, roi_lo, roi_hi = profit / spend, lo / spend, hi / spend
    else:
        roi = roi_lo = roi_hi = float("nan")
    return PolicyValue(policy=name, n_targeted=int(round(n_t)), share=n_t / n if n else float("nan"),
                       incremental_revenue=incr, profit=profit, roi=roi, ci_lower=lo,
                       ci_upper=hi, method=method, incremental_se=incr_se, profit_se=se,
                       roi_ci_lower=roi_lo, roi_ci_upper=roi_hi)


def value_frame(policies: dict[str, np.ndarray], psi, cate, *, margin: float, cost: float, psi_disc=None,
                cate_disc=None, clusters=None) -> pd.DataFrame:
    """One DR row and one plug-in row per policy; the ``policy.csv`` columns first, then the extras."""
    rows = []
    for name, pi in policies.items():
        rows.append(asdict(policy_value(pi, psi, disc=psi_disc, clusters=clusters, margin=margin, cost=cost,
                                        method="dr", name=name)))
        rows.append(asdict(policy_value(pi, cate, disc=cate_disc, clusters=clusters, margin=margin, cost=cost,
                                        method="plugin", name=name)))
    df = pd.DataFrame(rows)
    return df[POLICY_COLUMNS + [c for c in df.columns if c not in POLICY_COLUMNS]]
