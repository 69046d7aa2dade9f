"""Targeting rules computed from an out-of-fold CATE and its interval.

Every rule returns ``pi``: the probability of contacting each household (0/1 except current practice).
Because the CATE and its bounds are out-of-fold, a threshold on them is a rule that did not see the unit it
decides for, so the DR value in :mod:`segtarget.policy.value` is honest for all of them.

Definitions (``be`` = break-even CATE = cost / margin):

* ``CATE > break-even``: contact when the point estimate pays for the contact.
* ``CATE > 0``: contact whenever the campaign is predicted to raise sales at all (ignores cost).
* ``top k%``: the round(n k / 100) households with the largest CATE (ties broken by row order).
* ``conservative``: contact only when the lower 95% bound exceeds break-even (and the point does too, so
  it is a subset of ``CATE > break-even`` even for intervals that do not contain their point). A missing
  bound never qualifies; when the CATE model gives no intervals at all, the interval rules are left out.
* ``risk-adjusted lambda``: contact when the certainty equivalent CE = (1 - lambda) cate + lambda lower
  exceeds break-even (and the point does); lambda = 0 is ``CATE > break-even``, lambda = 1 conservative.
* ``budget``: the ``CATE > break-even`` households, best first, up to a cap on households and/or on
  contact spend (cap = floor(spend / cost)).
* ``current practice``: treat with the estimated propensity e(x), i.e. contact the kind of households the
  retailer contacts now, at the rate it contacts them; its expected size equals the number treated.
* ``everyone`` / ``no one``.
"""

from __future__ import annotations

import numpy as np

from .config import PolicyConfig
from .economics import Economics


def threshold_policy(cate, threshold: float) -> np.ndarray:
    return (np.asarray(cate, float) > threshold).astype(float)


def top_k_policy(cate, pct: float) -> np.ndarray:
    """Contact the round(n * pct / 100) households with the largest CATE."""
    cate = np.asarray(cate, float)
    k = int(round(len(cate) * pct / 100.0))
    order = np.argsort(-cate, kind="stable")
    pi = np.zeros(len(cate))
    pi[order[:k]] = 1.0
    return pi


def risk_adjusted_policy(cate, lower, lam: float, breakeven: float) -> np.ndarray:
    cate, lower = np.asarray(cate, float), np.asarray(lower, float)
    ce = (1.0 - lam) * cate + lam * lower
    return ((ce > breakeven) & (cate > breakeven)).astype(float)


def conservative_policy(cate, lower, breakeven: float) -> np.ndarray:
    return risk_adjusted_policy(cate, lower, 1.0, breakeven)


def budget_cap(cost: float, max_households: int = 0, max_spend: float = 0.0) -> int | None:
    """Largest number of contacts allowed by the caps (None = no cap)."""
    caps = []
    if max_households > 0:
        caps.append(int(max_households))
    if max_spend > 0:
        caps.append(int(np.floor(max_spend / cost)))
    return min(caps) if caps else None


def budget_policy(cate, breakeven: float, cap: int) -> np.ndarray:
    """The best ``cap`` households among those with CATE above break-even."""
    cate = np.asarray(cate, float)
    order = np.argsort(-cate, kind="stable")
    chosen = order[: max(cap, 0)]
    chosen = chosen[cate[chosen] > breakeven]
    pi = np.zeros(len(cate))
    pi[chosen] = 1.0
    return pi


def standard_policies(cate, lower, propensity, econ: Economics,
                      cfg: PolicyConfig) -> dict[str, tuple[np.ndarray, str]]:
    """All CATE-based rules and baselines: name -> (pi, one-line description)."""
    be = econ.breakeven
    n = len(cate)
    out: dict[str, tuple[np.ndarray, str]] = {
        "CATE > break-even": (threshold_policy(cate, be), f"contact if CATE > {be:.2f}"),
        "CATE > 0": (threshold_policy(cate, 0.0), "contact if CATE > 0 (ignores cost)"),
    }
    for k in cfg.top_k:
        out[f"top {k:g}%"] = (top_k_policy(cate, k), f"the {k:g}% of households with the largest CATE")
    if np.isfinite(np.asarray(lower, float)).any():  # models without intervals cannot be conservative
        out["conservative"] = (conservative_policy(cate, lower, be), f"contact if CATE lower 95% bound > {be:.2f}")
        for lam in cfg.risk_lambdas:
            out[f"risk-adjusted λ={lam:g}"] = (
                risk_adjusted_policy(cate, lower, lam, be),
                f"contact if {1 - lam:g}·CATE + {lam:g}·lower > {be:.2f}")
    cap = budget_cap(econ.cost, cfg.budget_households, cfg.budget_spend)
    if cap is not None:
        out[f"budget ≤ {cap} households"] = (
            budget_policy(cate, be, cap), f"best {cap} households with CATE > {be:.2f} (budget cap)")
    out["current practice"] = (np.clip(np.asarray(propensity, float), 0, 1),
                               "contact with the current propensity e(x) (who is treated today)")
    out["everyone"] = (np.ones(n), "contact every household")
    out["no one"] = (np.zeros(n), "contact nobody")
    return out
