"""Targeting-policy and business parameters.

Money is in outcome units (dollars of ``sales_value``). Shares and rates are fractions in [0, 1]; top-k
levels are percentages. Construction turns an impossible value into a one-line
:class:`~segtarget.errors.SegtargetError` naming the ``policy.<key>`` to fix.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigCheck

# Dollars per mailed household (print + postage) when the user gives none: an assumption, stated as one.
DEFAULT_CONTACT_COST = 1.00



@dataclass(frozen=True)
class PolicyConfig:
    # Contact cost per household in dollars (print + postage; --cost of run and causal). Unset = an assumed $1.00
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
    # A/B plan: the planning effect, in sales dollars above the break-even including the caused discount
    # ((cost + caused discount) / margin); the plan shows the households it needs and the power at it. 0 = one
    # break-even more (a campaign that returns its cost and caused discount twice). The decision test is
    # sized for the headline estimate when that pays, else for this effect.
    mde: float = 0.0
    # Power of the A/B plan (its test is one-sided at verdict_alpha).
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

    def __post_init__(self):
        c = ConfigCheck("policy", self)
        if self.cost is not None:  # unset = the assumed default
            c.within("cost", "[0, inf)", 0.75)  # dollars per contacted household
        c.within("margin", "(0, 1]")
        c.within("score_repeats", "[0, inf)")
        c.each_within("top_k", "(0, 100]", nonempty=False)
        c.within("curve_step", "[1, 50]")
        c.each_within("risk_lambdas", "[0, 1]", nonempty=False)
        c.within("budget_households", "[0, inf)")  # 0 = no cap
        c.within("budget_spend", "[0, inf)")
        c.within("tree_depth", "[1, 3]")  # readable rules
        c.within("tree_min_leaf_share", "(0, 0.5)")
        lo, hi = self.overlap
        c.holds(0 < lo < hi < 1, "overlap", "two propensities with 0 < low < high < 1")
        c.one_of("value_population", ("overlap", "all"))
        c.within("concentration_share", "(0, 0.5)")
        c.within("verdict_alpha", "(0, 0.5)")
        c.each_within("sensitivity_margins", "(0, 1]")
        c.within("sensitivity_cost_steps", "[2, inf)")
        c.within("sensitivity_cost_max", "[0, inf)")  # 0 = twice the reference rule
        c.within("mde", "[0, inf)")  # 0 = one more break-even
        c.within("power", "[0.5, 1)")
        c.within("allocation", "(0, 1)")
        c.within("epsilon", "(0, 0.5]")
        c.within("rate_tolerance", "[0, 1)")


def validate_policy_config(cfg: PolicyConfig) -> None:
    """Re-run the construction checks (for a config changed in place with ``object.__setattr__``)."""
    cfg.__post_init__()


