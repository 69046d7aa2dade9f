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
from a rule that did not see unit i. Its standard error is clustered by household (``groups``): with cluster
sums S_g of the per-unit contributions, var(total) = G/(G-1) sum_g (S_g - mean S)^2 (one cluster per unit when
household ids are unique, which is the usual sqrt(n) sd formula). The profit's (1 - ``alpha``) interval is
profit -/+ z SE (z the two-sided normal quantile, 1.96 at the default 0.05) and its p-value of "profit = 0"
is two-sided by the same normal approximation, 2 (1 - Phi(|profit| / SE)).

**Plug-in value** (``method="plugin"``): ``s_i`` is the model's own CATE (``d_i`` its discount estimate);
it assumes the CATE model is right and is shown beside the DR value only to make the gap visible.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ..deprecation import renamed_keywords
from ..stats import check_alpha, two_sided_p, z_value

MATERIAL_COST = 0.10  # dollars of campaign cost per contacted unit below which an ROI is not reported
MATERIAL_SHARE = 0.05  # campaign cost below this share of the incremental margin: ROI not reported
POLICY_COLUMNS = ["policy", "n_targeted", "share", "incremental_revenue", "profit", "roi", "ci_lower",
                  "ci_upper", "method"]


@dataclass(frozen=True)
class PolicyValue:
    """Value of one policy under one method; ``ci_lower``/``ci_upper`` bound the profit at level 1 - ``alpha``
    and ``p_value`` is the two-sided normal-approximation p-value of "profit = 0" (module docstring)."""

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
    alpha: float = 0.05

    @property
    def p_value(self) -> float:
        return two_sided_p(self.profit, self.profit_se)

    def as_row(self) -> dict:
        """The ``policy.csv`` row: every field but the level ``alpha`` (the table's caller chose it)."""
        row = asdict(self)
        del row["alpha"]
        return row

    def summary_frame(self) -> pd.DataFrame:
        """This value as a one-row table: ``policy.csv`` columns first, then the p-value and ``alpha``."""
        row = {**asdict(self), "p_value": self.p_value}
        return pd.DataFrame([row])[POLICY_COLUMNS + [k for k in row if k not in POLICY_COLUMNS]]


def clustered_total(contrib, groups=None) -> tuple[float, float]:
    """(sum, cluster-robust standard error of the sum); see the module docstring."""
    c = np.asarray(contrib, float)
    if groups is None:
        sums = c
    else:
        sums = pd.Series(c).groupby(np.asarray(groups)).sum().to_numpy()
    g = len(sums)
    if g < 2:
        return float(c.sum()), float("nan")
    return float(c.sum()), float(np.sqrt(g / (g - 1) * ((sums - sums.mean()) ** 2).sum()))


@renamed_keywords(clusters="groups")
def policy_value(pi, sales, *, margin: float, cost: float, disc=None, groups=None, method: str = "dr",
                 name: str = "policy", alpha: float = 0.05) -> PolicyValue:
    """Incremental sales, profit and ROI of contacting with probability ``pi`` (see module docstring);
    ``groups``: household id per unit (clustered SEs); ``alpha``: the level of the intervals."""
    pi = np.asarray(pi, dtype=float)
    s = np.asarray(sales, dtype=float)
    d = np.zeros(len(s)) if disc is None else np.asarray(disc, float)
    n = len(pi)
    n_t = float(pi.sum())
    incr, incr_se = clustered_total(pi * s, groups)
    profit, se = clustered_total(pi * (margin * s - d - cost), groups)
    z = z_value(check_alpha(alpha))
    lo, hi = profit - z * se, profit + z * se
    spend = cost * n_t + float((pi * d).sum())
    if n_t > 0 and spend >= MATERIAL_COST * n_t and spend >= MATERIAL_SHARE * abs(margin * incr):
        roi, roi_lo, roi_hi = profit / spend, lo / spend, hi / spend
    else:
        roi = roi_lo = roi_hi = float("nan")
    return PolicyValue(policy=name, n_targeted=int(round(n_t)), share=n_t / n if n else float("nan"),
                       incremental_revenue=incr, profit=profit, roi=roi, ci_lower=lo,
                       ci_upper=hi, method=method, incremental_se=incr_se, profit_se=se,
                       roi_ci_lower=roi_lo, roi_ci_upper=roi_hi, alpha=alpha)


@renamed_keywords(clusters="groups")
def value_frame(policies: dict[str, np.ndarray], psi, cate, *, margin: float, cost: float, psi_disc=None,
                cate_disc=None, groups=None, alpha: float = 0.05) -> pd.DataFrame:
    """One DR row and one plug-in row per policy; the ``policy.csv`` columns first, then the extras
    (profit intervals at level 1 - ``alpha``)."""
    rows = []
    kw = dict(groups=groups, margin=margin, cost=cost, alpha=alpha)
    for name, pi in policies.items():
        rows.append(policy_value(pi, psi, disc=psi_disc, method="dr", name=name, **kw).as_row())
        rows.append(policy_value(pi, cate, disc=cate_disc, method="plugin", name=name, **kw).as_row())
    df = pd.DataFrame(rows)
    return df[POLICY_COLUMNS + [c for c in df.columns if c not in POLICY_COLUMNS]]
