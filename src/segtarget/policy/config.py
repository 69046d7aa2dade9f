"""Targeting-policy and business parameters.

Money is in outcome units (dollars of ``sales_value``). Shares and rates are fractions in [0, 1]; top-k
levels are percentages. :func:`validate_policy_config` turns an impossible value into a one-line
:class:`~segtarget.errors.SegtargetError` naming the ``policy.<key>`` to fix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import require

# Dollars per mailed household (print + postage) when the user gives none: an assumption, stated as one.
DEFAULT_CONTACT_COST = 1.00



@dataclass(frozen=True)
class PolicyConfig:
    # Contact cost per household in dollars (print + postage; the CLI's --cost). Unset = an assumed $1.00
    # that the report's first screen labels as an assumption; any value given (even 1.00) is labelled as
    # given. The coupon discount is NOT part of it (it is an estimated effect, see policy/profit.py).
    cost: float | None = None
    # Gross margin on incremental sales (an assumption; the sensitivity grid shows what it changes).
    margin: float = 0.30
    # Whether the retailer pays manufacturer coupons too: true adds coupon_discount (Σ coupon_disc) to the
    # retailer-funded discount; false counts only retailer_discount (Σ coupon_match_disc).
    coupons_retailer_funded: bool = False
    # Independent cross-fitting splits whose AIPW scores are averaged per unit; 0 = as many as the ATE of
    # the primary outcome used (ate.crossfit_repeats at most; fewer once extra splits stop moving it).
    score_repeats: int = 0
    # Top-k% policies shown in the comparison table.
    top_k: tuple[int, ...] = (10, 20, 30, 40, 50)
    # Step of the profit/ROI-vs-share curve, in percent of households.
    curve_step: int = 5
    # lambda values of the risk-adjusted policy CE = (1 - lambda) * cate + lambda * lower.
    risk_lambdas: tuple[float, ...] = (0.3, 0.5, 0.7)
    # Budget-constrained policy: at most this many households (0 = no household cap).
    budget_households: int = 0
    # Budget-constrained policy: at most this much contact spend (0 = no spend cap).
    budget_spend: float = 0.0
    # Learn PolicyTree policies on CATE and on DR rewards (nested cross-fitted on the folds).
    trees: bool = True
    # Depth of the policy trees (at most 3, so the rules stay readable).
    tree_depth: int = 2
    # Smallest leaf of a policy tree, as a share of the training households.
    tree_min_leaf_share: float = 0.05
    # Propensity band that counts as "in overlap" (both arms plausible).
    overlap: tuple[float, float] = (0.1, 0.9)
    # Units on which policies are chosen and valued: "overlap" (propensity inside `overlap`, where AIPW
    # weights are bounded; households outside get "test first") or "all" (the whole cohort).
    value_population: str = "overlap"
    # Share of units whose contributions the concentration diagnostic reports (the top 1% by |contribution|).
    concentration_share: float = 0.01
    # One-sided level of the evidence gates of the verdict (ranking test and profit CIs).
    verdict_alpha: float = 0.05
    # Margins of the cost x margin sensitivity grid.
    sensitivity_margins: tuple[float, ...] = (0.20, 0.25, 0.30, 0.35, 0.40)
    # Number of contact costs of the cost x margin grid, evenly spaced from $0 to `sensitivity_cost_max`.
    sensitivity_cost_steps: int = 9
    # Largest contact cost of the grid in dollars; 0 = twice the reference's $12.73-style rule (or $25.46
    # when the data cannot compute that rule).
    sensitivity_cost_max: float = 0.0
    # A/B test: one-sided test of "sales effect > break-even (cost / margin)". Its power is computed at the
    # effect break-even + `mde`; 0 = break-even + max(break-even, estimated mean effect - break-even).
    mde: float = 0.0
    # Two-sided significance level of the per-population A/B table (the decision test uses verdict_alpha).
    alpha: float = 0.05
    # Power of the A/B designs (decision test and per-population table).
    power: float = 0.80
    # Share of the A/B test households assigned to treatment.
    allocation: float = 0.5
    # Exploration rate: every household is treated with probability >= epsilon and left out with
    # probability >= epsilon in the epsilon-greedy assignment.
    epsilon: float = 0.10
    # Segment actions: a model-recommended rate within this many points of the current rate is "Maintain".
    rate_tolerance: float = 0.10

    @property
    def contact_cost(self) -> float:
        """The contact cost in dollars: the given one, else the assumed default."""
        return DEFAULT_CONTACT_COST if self.cost is None else float(self.cost)


def validate_policy_config(cfg: PolicyConfig) -> None:
    """Reject values no analysis can use, naming the key."""
    require(cfg.cost is None or (np.isfinite(cfg.cost) and cfg.cost >= 0),
            f"--cost / policy.cost={cfg.cost}: must be a number >= 0 (dollars per contacted household)")
    require(np.isfinite(cfg.margin) and 0 < cfg.margin <= 1,
            f"--margin / policy.margin={cfg.margin}: must be in (0, 1], e.g. 0.30")
    require(cfg.score_repeats >= 0, f"policy.score_repeats={cfg.score_repeats}: must be >= 0")
    require(0 < cfg.concentration_share < 0.5, "policy.concentration_share: must be in (0, 0.5)")
    require(0 < cfg.verdict_alpha < 0.5, f"policy.verdict_alpha={cfg.verdict_alpha}: must be in (0, 0.5)")
    require(all(0 < k <= 100 for k in cfg.top_k), "policy.top_k: every level must be in (0, 100]")
    require(1 <= cfg.curve_step <= 50, f"policy.curve_step={cfg.curve_step}: use 1..50 (percent)")
    require(all(0 <= lam <= 1 for lam in cfg.risk_lambdas), "policy.risk_lambdas: values must be in [0, 1]")
    require(cfg.budget_households >= 0, "policy.budget_households: must be >= 0 (0 = no cap)")
    require(cfg.budget_spend >= 0, "policy.budget_spend: must be >= 0 (0 = no cap)")
    require(1 <= cfg.tree_depth <= 3, f"policy.tree_depth={cfg.tree_depth}: use 1, 2 or 3 (readable rules)")
    require(0 < cfg.tree_min_leaf_share < 0.5, "policy.tree_min_leaf_share: must be in (0, 0.5)")
    require(cfg.value_population in ("all", "overlap"),
            f"policy.value_population={cfg.value_population!r}: use 'all' or 'overlap'")
    lo, hi = cfg.overlap
    require(0 < lo < hi < 1, f"policy.overlap={cfg.overlap}: need 0 < low < high < 1, e.g. [0.1, 0.9]")
    require(len(cfg.sensitivity_margins) > 0 and all(0 < m <= 1 for m in cfg.sensitivity_margins),
            "policy.sensitivity_margins: need at least one margin in (0, 1]")
    require(cfg.sensitivity_cost_steps >= 2, "policy.sensitivity_cost_steps: need at least 2")
    require(cfg.sensitivity_cost_max >= 0, "policy.sensitivity_cost_max: must be >= 0 (0 = twice the reference rule)")
    require(cfg.mde >= 0, f"policy.mde={cfg.mde}: must be >= 0 (0 = the break-even effect)")
    require(0 < cfg.alpha < 0.5, f"policy.alpha={cfg.alpha}: must be in (0, 0.5), e.g. 0.05")
    require(0.5 <= cfg.power < 1, f"policy.power={cfg.power}: must be in [0.5, 1), e.g. 0.8")
    require(0 < cfg.allocation < 1, f"policy.allocation={cfg.allocation}: must be in (0, 1), e.g. 0.5")
    require(0 < cfg.epsilon <= 0.5, f"policy.epsilon={cfg.epsilon}: must be in (0, 0.5], e.g. 0.1")
    require(0 <= cfg.rate_tolerance < 1, "policy.rate_tolerance: must be in [0, 1)")
