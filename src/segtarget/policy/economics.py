"""What a contact costs, what an extra dollar of sales earns, and the break-even CATE.

Definitions (money in outcome units):

* **cost per contacted household** ``c`` - configured (``policy.cost > 0``) or derived from the data:

  - rule ``index_campaign`` (default): the mean, over *all* households the index campaign targeted, of
    the coupon discount they realised on that campaign's coupon products inside the outcome window
    (``index_campaign_coupon_disc``). Households that never redeemed count as zero: the discount is what
    contacting a household costs on average, and most contacted households redeem nothing. Plus
    ``policy.contact_cost`` (printing, postage) if set.
  - rule ``reference`` (shown for comparison, the seed's $12.73): among households that ever used a coupon
    on any TypeA campaign's coupon products (any week), the mean of that two-year total
    (``ever_typeA_pool_coupon_disc > 0``). It is a per-redeemer, two-year figure applied to every
    contact, so it overstates the cost of one contact.

  Either derived cost carries a 95% CI from the standard error of the mean over its households.
* **margin** ``m`` - the share of an incremental sales dollar that is profit (assumed; default 0.30).
* **break-even CATE** = ``c / m``: a household is worth contacting when its expected incremental sales
  exceed this. Its CI is the cost CI divided by the margin (the margin is a fixed assumption).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import SegtargetError, require
from .config import PolicyConfig

COST_COLUMNS = ("household_id", "treated", "index_campaign_coupon_disc", "ever_typeA_pool_coupon_disc")
# The study design names the index-campaign discount ``coupon_disc_index``; both spellings are accepted.
ALIASES = {"coupon_disc_index": "index_campaign_coupon_disc"}
REQUIRED = COST_COLUMNS[:3]
_Z = 1.959963984540054


@dataclass(frozen=True)
class CostEstimate:
    """A per-contact cost from one rule, with the households it averages over."""

    rule: str
    cost: float
    se: float
    ci_lower: float
    ci_upper: float
    n_households: int
    description: str


@dataclass(frozen=True)
class Economics:
    """Cost, margin and break-even used by every policy, plus the alternative cost rules for comparison."""

    cost: float
    margin: float
    breakeven: float
    cost_rule: str
    cost_ci: tuple[float, float]
    breakeven_ci: tuple[float, float]
    alternatives: tuple[CostEstimate, ...] = ()

    def summary_frame(self) -> pd.DataFrame:
        rows = [{"quantity": "cost per contact", "value": self.cost, "ci_lower": self.cost_ci[0],
                 "ci_upper": self.cost_ci[1], "rule": self.cost_rule},
                {"quantity": "margin", "value": self.margin, "ci_lower": self.margin,
                 "ci_upper": self.margin, "rule": "assumption (policy.margin)"},
                {"quantity": "break-even CATE", "value": self.breakeven, "ci_lower": self.breakeven_ci[0],
                 "ci_upper": self.breakeven_ci[1], "rule": "cost / margin"}]
        for alt in self.alternatives:
            rows.append({"quantity": f"cost per contact ({alt.rule} rule)", "value": alt.cost,
                         "ci_lower": alt.ci_lower, "ci_upper": alt.ci_upper, "rule": alt.description})
        return pd.DataFrame(rows)


def _mean_ci(values: np.ndarray) -> tuple[float, float, float, float]:
    n = len(values)
    mean = float(values.mean())
    se = float(values.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return mean, se, mean - _Z * se, mean + _Z * se


def check_cost_data(cost_data: pd.DataFrame) -> pd.DataFrame:
    """Validate the per-household cost table handed over by the study design.

    ``ever_typeA_pool_coupon_disc`` is optional; without it the reference rule is not shown.
    """
    df = cost_data.rename(columns={k: v for k, v in ALIASES.items() if v not in cost_data.columns})
    missing = [c for c in REQUIRED if c not in df.columns]
    require(not missing, f"cost data: missing column(s) {', '.join(missing)}; the study design must "
                         f"provide {', '.join(REQUIRED)}")
    df = df.loc[:, [c for c in COST_COLUMNS if c in df.columns]].copy()
    for col in COST_COLUMNS[2:]:
        if col not in df.columns:
            continue
        vals = pd.to_numeric(df[col], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        require(np.isfinite(vals).all() and (vals >= 0).all(),
                f"cost data column {col}: values must be finite and >= 0 (coupon discounts are positive)")
        df[col] = vals
    treated = pd.to_numeric(df["treated"], errors="coerce")
    require(treated.isin([0, 1]).all(), "cost data column treated: must be 0/1")
    df["treated"] = treated.astype(int)
    return df


def index_campaign_cost(cost_data: pd.DataFrame, contact_cost: float = 0.0) -> CostEstimate:
    """Mean realised index-campaign coupon discount per targeted household (zeros included)."""
    df = check_cost_data(cost_data)
    vals = df.loc[df["treated"] == 1, "index_campaign_coupon_disc"].to_numpy(dtype=float)
    require(len(vals) > 1, "cost data: fewer than 2 treated households; set policy.cost explicitly")
    mean, se, lo, hi = _mean_ci(vals)
    return CostEstimate(
        "index_campaign", mean + contact_cost, se, lo + contact_cost, hi + contact_cost, len(vals),
        f"mean index-campaign coupon discount over {len(vals)} targeted households"
        + (f" + {contact_cost:g} contact cost" if contact_cost else ""))


def reference_cost(cost_data: pd.DataFrame) -> CostEstimate:
    """The seed's rule: mean two-year TypeA-pool coupon discount among households that ever used one."""
    df = check_cost_data(cost_data)
    require("ever_typeA_pool_coupon_disc" in df.columns,
            "policy.cost_rule=reference needs the cost data column ever_typeA_pool_coupon_disc "
            "(see policy.cost_data.cost_table)")
    vals = df["ever_typeA_pool_coupon_disc"].to_numpy(dtype=float)
    vals = vals[vals > 0]
    require(len(vals) > 1, "cost data: fewer than 2 households used a TypeA coupon; set policy.cost")
    mean, se, lo, hi = _mean_ci(vals)
    return CostEstimate("reference", mean, se, lo, hi, len(vals),
                        f"seed rule: mean two-year TypeA-pool coupon discount of {len(vals)} coupon users")


def make_economics(cfg: PolicyConfig, cost_data: pd.DataFrame | None = None) -> Economics:
    """Economics from the config, deriving the cost from ``cost_data`` when ``policy.cost`` is 0."""
    alternatives: list[CostEstimate] = []
    if cost_data is not None:
        alternatives = [index_campaign_cost(cost_data, cfg.contact_cost)]
        if "ever_typeA_pool_coupon_disc" in cost_data.columns or cfg.cost_rule == "reference":
            alternatives.append(reference_cost(cost_data))
    if cfg.cost > 0:
        cost, rule, ci = float(cfg.cost), "configured (policy.cost)", (float(cfg.cost), float(cfg.cost))
    else:
        if cost_data is None:
            raise SegtargetError("policy.cost=0 asks to derive the cost from the data, but no cost data was "
                                 "provided; set policy.cost (e.g. policy.cost=5)")
        chosen = next(a for a in alternatives if a.rule == cfg.cost_rule)
        cost, rule, ci = chosen.cost, f"{chosen.rule}: {chosen.description}", (chosen.ci_lower, chosen.ci_upper)
        alternatives = [a for a in alternatives if a.rule != cfg.cost_rule]
        require(cost > 0, f"policy.cost_rule={cfg.cost_rule}: the derived cost per contact is 0 "
                          "(no coupon discount in the data); set policy.cost explicitly")
    m = float(cfg.margin)
    return Economics(cost=cost, margin=m, breakeven=cost / m, cost_rule=rule, cost_ci=ci,
                     breakeven_ci=(ci[0] / m, ci[1] / m), alternatives=tuple(alternatives))
