"""Honest (doubly robust, held-out) and plug-in value of a targeting policy.

A policy assigns each household a treatment probability ``pi_i`` in [0, 1] (0/1 for deterministic rules).
With margin ``m``, cost per contact ``c`` and per-household scores ``s_i``:

* incremental revenue = sum_i pi_i * s_i (extra sales caused by the contacts),
* profit             = m * incremental revenue - c * sum_i pi_i,
* ROI                = profit / (c * sum_i pi_i) (net return per dollar of contact cost; undefined when
  nobody is contacted).

**DR value** (``method="dr"``): ``s_i`` is the AIPW score psi_i from cross-fitted nuisances, and pi_i must
come from a rule that did not see unit i (an out-of-fold CATE threshold, or a tree cross-fitted on the
other folds). Then mean_i pi_i (m psi_i - c) is an unbiased estimate of the per-household value, and the
total is that mean times the number of households. Its standard error comes from the per-unit
contributions: se(total) = sqrt(n) * sd_i(pi_i (m psi_i - c)). The 95% CI is +-1.96 se; the ROI CI divides
the profit CI by the (fixed) contact spend.

**Plug-in value** (``method="plugin"``): ``s_i`` is the model's own CATE, as the reference reported. It
assumes the CATE model is exactly right; its CI reflects only which households happen to be in the
sample, not model error, so it is shown next to the DR value only to make the gap visible.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

_Z = 1.959963984540054
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


def _total_se(contrib: np.ndarray) -> float:
    n = len(contrib)
    return float(np.sqrt(n) * contrib.std(ddof=1)) if n > 1 else float("nan")


def policy_value(pi, scores, *, margin: float, cost: float, method: str = "dr",
                 name: str = "policy") -> PolicyValue:
    """Incremental revenue, profit and ROI of treating with probability ``pi`` (see module docstring)."""
    pi = np.asarray(pi, dtype=float)
    s = np.asarray(scores, dtype=float)
    n = len(pi)
    n_t = float(pi.sum())
    incr = pi * s
    contrib = pi * (margin * s - cost)
    profit = float(contrib.sum())
    se = _total_se(contrib)
    lo, hi = profit - _Z * se, profit + _Z * se
    spend = cost * n_t
    if spend > 0:
        roi, roi_lo, roi_hi = profit / spend, lo / spend, hi / spend
    else:
        roi = roi_lo = roi_hi = float("nan")
    return PolicyValue(policy=name, n_targeted=int(round(n_t)), share=n_t / n if n else float("nan"),
                       incremental_revenue=float(incr.sum()), profit=profit, roi=roi, ci_lower=lo,
                       ci_upper=hi, method=method, incremental_se=_total_se(incr), profit_se=se,
                       roi_ci_lower=roi_lo, roi_ci_upper=roi_hi)


def value_frame(policies: dict[str, np.ndarray], psi, cate, *, margin: float, cost: float) -> pd.DataFrame:
    """One DR row and one plug-in row per policy; the ``policy.csv`` columns first, then the extras."""
    rows = []
    for name, pi in policies.items():
        rows.append(asdict(policy_value(pi, psi, margin=margin, cost=cost, method="dr", name=name)))
        rows.append(asdict(policy_value(pi, cate, margin=margin, cost=cost, method="plugin", name=name)))
    df = pd.DataFrame(rows)
    return df[POLICY_COLUMNS + [c for c in df.columns if c not in POLICY_COLUMNS]]


def profit_difference(pi_a, pi_b, psi, *, margin: float, cost: float) -> tuple[float, float, float, float]:
    """DR profit of policy a minus policy b on the same households: (difference, se, ci_lower, ci_upper).

    The paired per-unit contributions (pi_a - pi_b)(m psi - c) give the standard error, so the shared
    noise of the two policies cancels.
    """
    d = (np.asarray(pi_a, float) - np.asarray(pi_b, float)) * (margin * np.asarray(psi, float) - cost)
    diff, se = float(d.sum()), _total_se(d)
    return diff, se, diff - _Z * se, diff + _Z * se
