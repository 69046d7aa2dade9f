"""Targeting-policy and business parameters.

Money is in outcome units (dollars of ``sales_value``). Shares and rates are fractions in [0, 1]; top-k
levels are percentages. :func:`validate_policy_config` turns an impossible value into a one-line
:class:`~segtarget.errors.SegtargetError` naming the ``policy.<key>`` to fix.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import require

COST_RULES = ("index_campaign", "reference")


@dataclass(frozen=True)
class PolicyConfig:
    # Cost per contacted household; 0 = derive it from the data with `cost_rule`.
    cost: float = 0.0
    # Gross margin on incremental sales (an assumption; the sensitivity grid shows what it changes).
    margin: float = 0.30
    # How a derived cost is computed: "index_campaign" = mean realised coupon discount of the index
    # campaign per targeted household (zeros included); "reference" = the seed's $12.73 rule (mean
    # two-year TypeA-pool coupon discount among households that ever used one). See policy/economics.py.
    cost_rule: str = "index_campaign"
    # Fixed cost per contact added to a derived cost (printing, postage); 0 = coupon discount only.
    contact_cost: float = 0.0
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
    # Learn PolicyTree / DRPolicyTree policies (cross-fitted on the given folds).
    trees: bool = True
    # Depth of the policy trees (at most 3, so the rules stay readable).
    tree_depth: int = 2
    # Smallest leaf of a policy tree, as a share of the training households.
    tree_min_leaf_share: float = 0.05
    # Propensity band that counts as "in overlap" (both arms plausible).
    overlap: tuple[float, float] = (0.1, 0.9)
    # Households on which policies are valued and chosen: "all" (the whole cohort) or "overlap" (only
    # propensities inside `overlap`, where AIPW weights are bounded; the answer is then about them only).
    value_population: str = "all"
    # Margins of the cost x margin sensitivity grid.
    sensitivity_margins: tuple[float, ...] = (0.20, 0.25, 0.30, 0.35, 0.40)
    # Costs of the sensitivity grid as multiples of the base cost per contact.
    sensitivity_cost_factors: tuple[float, ...] = (0.5, 0.75, 1.0, 1.25, 1.5)
    # Minimum detectable effect of the A/B design in outcome units; 0 = the break-even CATE.
    mde: float = 0.0
    # Two-sided significance level and power of the A/B design.
    alpha: float = 0.05
    power: float = 0.80
    # Share of the A/B test households assigned to treatment.
    allocation: float = 0.5
    # Exploration rate: every household is treated with probability >= epsilon and left out with
    # probability >= epsilon in the epsilon-greedy assignment.
    epsilon: float = 0.10
    # Segment actions: a model-recommended rate within this many points of the current rate is "Maintain".
    rate_tolerance: float = 0.10


def validate_policy_config(cfg: PolicyConfig) -> None:
    """Reject values no analysis can use, naming the key."""
    require(cfg.cost >= 0, f"policy.cost={cfg.cost}: must be >= 0 (0 derives it from the data)")
    require(0 < cfg.margin <= 1, f"policy.margin={cfg.margin}: must be in (0, 1], e.g. 0.30")
    require(cfg.cost_rule in COST_RULES,
            f"policy.cost_rule={cfg.cost_rule!r}: use one of {', '.join(COST_RULES)}")
    require(cfg.contact_cost >= 0, f"policy.contact_cost={cfg.contact_cost}: must be >= 0")
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
    require(len(cfg.sensitivity_cost_factors) > 0 and all(f > 0 for f in cfg.sensitivity_cost_factors),
            "policy.sensitivity_cost_factors: need at least one positive factor")
    require(cfg.mde >= 0, f"policy.mde={cfg.mde}: must be >= 0 (0 = break-even CATE)")
    require(0 < cfg.alpha < 0.5, f"policy.alpha={cfg.alpha}: must be in (0, 0.5), e.g. 0.05")
    require(0.5 <= cfg.power < 1, f"policy.power={cfg.power}: must be in [0.5, 1), e.g. 0.8")
    require(0 < cfg.allocation < 1, f"policy.allocation={cfg.allocation}: must be in (0, 1), e.g. 0.5")
    require(0 < cfg.epsilon <= 0.5, f"policy.epsilon={cfg.epsilon}: must be in (0, 0.5], e.g. 0.1")
    require(0 <= cfg.rate_tolerance < 1, "policy.rate_tolerance: must be in [0, 1)")
