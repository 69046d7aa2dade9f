"""What a contact costs, what an extra dollar of sales earns, and the break-even effect.

Definitions (money in campaign-window dollars):

* **contact cost** ``c``: print + postage per contacted household, ``policy.cost`` (the CLI's ``--cost``).
  Its default, ``DEFAULT_CONTACT_COST``, is an assumption (a mailed coupon booklet) that the report's
  first screen states together with the one line that changes it.
* **retailer-funded discount**: not a constant here. The discount the retailer pays because of a campaign
  is an estimated *effect* (AIPW scores of ``retailer_discount``, plus ``coupon_discount`` when
  ``policy.coupons_retailer_funded``); see :mod:`.profit`.
* **margin** ``m``: the share of an incremental sales dollar that is profit (assumed; default 0.30).
* **break-even sales effect** = ``c / m``: the extra sales per contact that pay for the contact (before any
  caused discount).

Two cost rules derived from the data are shown for comparison only (they mixed the coupon discount into
the contact cost): ``index_campaign`` (mean realised index-campaign coupon discount per targeted household)
and ``reference`` (the seed's $12.73-style rule: mean two-year TypeA-pool coupon discount among households
that ever used one). The reference rule also sets the range of the cost x margin grid (0 to twice it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import require
from ..stats import Z95
from .config import PolicyConfig
from ..report.format import money

COST_COLUMNS = ("household_id", "treated", "index_campaign_coupon_disc", "ever_typeA_pool_coupon_disc")
# The study design names the index-campaign discount ``coupon_disc_index``; both spellings are accepted.
ALIASES = {"coupon_disc_index": "index_campaign_coupon_disc"}
REQUIRED = COST_COLUMNS[:3]


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
    """Contact cost, margin and break-even used by every policy, plus the data-derived rules for comparison."""

    cost: float
    margin: float
    breakeven: float
    cost_source: str  # "--cost / policy.cost" or "default assumption"
    discount: tuple[str, ...] = ("retailer_discount",)  # cohort columns making up the retailer-funded discount
    alternatives: tuple[CostEstimate, ...] = ()

    @property
    def cost_rule(self) -> str:
        return self.cost_source

    @property
    def is_default_cost(self) -> bool:
        return self.cost_source == "default assumption"

    @property
    def reference_cost(self) -> float | None:
        return next((a.cost for a in self.alternatives if a.rule == "reference"), None)

    def assumption_line(self) -> str:
        """The cost assumption in one sentence, with the one line that changes it."""
        what = ("an assumed default (print + postage of a mailed coupon booklet)" if self.is_default_cost
                else "as given")
        return (f"Contact cost {money(self.cost, 2)} per household, {what}; margin {self.margin:.0%} of incremental "
                f"sales; retailer-funded discount = "
                f"{' + '.join(self.discount) + ' (estimated as an effect)' if self.discount else 'none in the data'}. "
                "Change it with --cost 0.75 --margin 0.25 (segtarget run or causal; policy.cost, policy.margin)")

    def summary_frame(self) -> pd.DataFrame:
        rows = [{"quantity": "contact cost per household", "value": self.cost, "ci_lower": self.cost,
                 "ci_upper": self.cost, "rule": self.cost_source},
                {"quantity": "margin", "value": self.margin, "ci_lower": self.margin,
                 "ci_upper": self.margin, "rule": "assumption (policy.margin, --margin)"},
                {"quantity": "break-even sales effect", "value": self.breakeven, "ci_lower": self.breakeven,
                 "ci_upper": self.breakeven, "rule": "cost / margin"}]
        for alt in self.alternatives:
            rows.append({"quantity": f"for comparison: {alt.rule} rule", "value": alt.cost,
                         "ci_lower": alt.ci_lower, "ci_upper": alt.ci_upper, "rule": alt.description})
        return pd.DataFrame(rows)


def _mean_ci(values: np.ndarray) -> tuple[float, float, float, float]:
    n = len(values)
    mean = float(values.mean())
    se = float(values.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return mean, se, mean - Z95 * se, mean + Z95 * se


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


def index_campaign_cost(cost_data: pd.DataFrame) -> CostEstimate:
    """Mean realised index-campaign coupon discount per targeted household (zeros included)."""
    df = check_cost_data(cost_data)
    vals = df.loc[df["treated"] == 1, "index_campaign_coupon_disc"].to_numpy(dtype=float)
    require(len(vals) > 1, "cost data: fewer than 2 treated households; set policy.cost explicitly")
    mean, se, lo, hi = _mean_ci(vals)
    return CostEstimate(
        "index_campaign", mean, se, lo, hi, len(vals),
        f"mean index-campaign coupon discount over {len(vals)} targeted households")


def reference_cost(cost_data: pd.DataFrame) -> CostEstimate:
    """The seed's rule: mean two-year TypeA-pool coupon discount among households that ever used one."""
    df = check_cost_data(cost_data)
    require("ever_typeA_pool_coupon_disc" in df.columns,
            "the reference cost rule needs the cost data column ever_typeA_pool_coupon_disc "
            "(see policy.cost_data.cost_table)")
    vals = df["ever_typeA_pool_coupon_disc"].to_numpy(dtype=float)
    vals = vals[vals > 0]
    require(len(vals) > 1, "cost data: fewer than 2 households used a TypeA coupon; set policy.cost")
    mean, se, lo, hi = _mean_ci(vals)
    return CostEstimate("reference", mean, se, lo, hi, len(vals),
                        f"seed rule: mean two-year TypeA-pool coupon discount of {len(vals)} coupon users")


def make_economics(cfg: PolicyConfig, cost_data: pd.DataFrame | None = None) -> Economics:
    """Economics from the config; the data-derived cost rules are computed for comparison when possible."""
    from .profit import discount_columns

    alternatives: list[CostEstimate] = []
    if cost_data is not None:
        df = check_cost_data(cost_data)
        if (df["treated"] == 1).sum() > 1:
            alternatives.append(index_campaign_cost(df))
        if "ever_typeA_pool_coupon_disc" in df.columns and (df["ever_typeA_pool_coupon_disc"] > 0).sum() > 1:
            alternatives.append(reference_cost(df))
    m, c = float(cfg.margin), cfg.contact_cost
    return Economics(cost=c, margin=m, breakeven=c / m,
                     cost_source="default assumption" if cfg.cost is None else "--cost / policy.cost",
                     discount=discount_columns(cfg.coupons_retailer_funded), alternatives=tuple(alternatives))
