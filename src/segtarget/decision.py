"""The one decision path: from a unit table's ATE and CATE to the policy, the verdict and the A/B plan.

``segtarget run`` (:mod:`segtarget.pipeline`, on the study design's units) and ``segtarget causal``
(:mod:`segtarget.table_analysis`, on any unit table) both reach the policy stage through these functions,
with the same configuration: ``policy.cost`` (``--cost``; unset = an assumed $1.00 that the first screen
labels as such), ``policy.margin`` (``--margin``) and every other ``policy.*`` key.

1. :func:`policy_scores`: AIPW scores of the sales outcome and of the retailer-funded discount columns,
   averaged over as many cross-fitting splits as the ATE of the sales outcome used;
2. :func:`nested_cate`: the selected CATE model's nested out-of-fold CATE, so CATE rules and policy trees
   never choose for a fold from a CATE that saw it (``PolicyInputs``);
3. :func:`policy_inputs` -> :func:`~segtarget.policy.pipeline.compute_policy`: candidates, cross-fitted
   choice, verdict, A/B plan. :func:`decide` is the three in a row (the run caches 1 and 2 by key).

**The design gate on a unit table.** The gate (:mod:`segtarget.causal.design.gate`) needs each unit's
history before its look-back, which only the retail run has. A unit table gets :func:`unit_table_gate`:
status "not testable", so the verdict never contacts on it ("contact no one" needs the gate's bracket too):
it says "inconclusive: run this test" with the A/B plan. Given the same gate, both paths decide alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import Config

UNIT_TABLE_REASON = ("a unit table carries no history before its units' selection, so the design gate's backcast "
                     "placebo cannot check for selection on a trait the covariates miss")


@dataclass(frozen=True)
class Units:
    """The units one decision is made on, aligned row by row (index 0..n-1)."""

    data: pd.DataFrame  # one row per unit: the sales outcome, the discount columns, the pre-period column
    outcome: str  # the sales outcome the profit is built from (the run: purchase_amount)
    T: np.ndarray  # 0/1 treatment
    X: pd.DataFrame  # the ATE stage's covariates
    groups: np.ndarray  # cluster per unit (a household): folds never split one, CIs are clustered by it
    discounts: tuple[str, ...] = ()  # retailer-funded discount columns, scored as effects (policy/profit.py)
    pre: str | None = None  # pre-period column: CUPED of the A/B plan

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"units": len(self.T), "treated": int(np.sum(self.T)), "outcome": self.outcome,
                              "covariates": self.X.shape[1], "clusters": len(np.unique(self.groups)),
                              "discounts": ", ".join(self.discounts) or "none", "pre": self.pre or "none"}])


def make_units(data: pd.DataFrame, *, treatment: str, outcome: str, covariates, groups=None,
               cfg: Config, pre: str | None = None, require_discounts: bool = True) -> Units:
    """Units from a clean table. The discount columns are those ``policy.coupons_retailer_funded`` names; the
    study design always has them (``require_discounts``, a one-line error otherwise); a unit table uses
    those it has (none: the profit counts no caused discount, which the first screen's assumption says)."""
    from .policy.profit import check_discount_columns, discount_columns

    d = data.reset_index(drop=True)
    funded = cfg.policy.coupons_retailer_funded
    if require_discounts:
        check_discount_columns(d, funded)
    discounts = tuple(c for c in discount_columns(funded) if c in d.columns)
    return Units(data=d, outcome=outcome, T=d[treatment].to_numpy(int), X=d[list(covariates)].astype(float),
                 groups=np.arange(len(d)) if groups is None else np.asarray(groups), discounts=discounts, pre=pre)


def policy_scores(units: Units, ate_res, cfg: Config, seed: int):
    """AIPW scores of sales and of each discount column, averaged over the ATE's number of splits (the first
    split is the ATE's own). Not the cost or the margin: those only recombine the scores in the policy step."""
    from .policy.profit import averaged_scores

    d = units.data
    Y = {"sales": d[units.outcome].to_numpy(float)}
    Y.update({c: d[c].to_numpy(float) for c in units.discounts})
    # as many splits as the ATE of the sales outcome needed (it stops once further splits stop moving it)
    repeats = cfg.policy.score_repeats or int(ate_res.headline[units.outcome].get("splits", cfg.ate.crossfit_repeats))
    return averaged_scores(Y, units.T, units.X, {"sales": ate_res.nuisances[units.outcome]}, groups=units.groups,
                           repeats=repeats, n_folds=cfg.ate.folds, seed=seed, clip=(cfg.ate.clip, 1 - cfg.ate.clip))


def nested_cate(units: Units, cate_res, cfg: Config, seed: int):
    """The selected CATE model's nested out-of-fold CATE on the CATE's folds (causal/cate/nested.py). None when
    the CATE was fit on a sample of the units (scale path): the policy then uses the plain out-of-fold CATE."""
    from .causal.cate.nested import nested_oof_cate

    oof = cate_res.oof
    if len(oof) != len(units.T) or cate_res.selected not in cate_res.params:
        return None
    return nested_oof_cate(cate_res.selected, cate_res.params[cate_res.selected], seed,
                           units.data[units.outcome].to_numpy(float), units.T, units.X.to_numpy(float),
                           cate_res.nuisances.folds,
                           (oof["cate"].to_numpy(), oof["cate_lower"].to_numpy(), oof["cate_upper"].to_numpy()),
                           n_jobs=cfg.run.n_jobs, backend=cfg.run.parallel_backend)


def policy_inputs(units: Units, cate_res, scores, nested=None, gate=None, **extra):
    """PolicyInputs of the units; ``extra`` adds what only the retail run knows (segments, trial, cost data,
    contacts per week, eligible households: see steps.retail_policy_extras)."""
    from .policy.pipeline import PolicyInputs, ranking_inputs

    oof, d = cate_res.oof, units.data
    return PolicyInputs(
        household_id=units.groups, Y=d[units.outcome].to_numpy(float), T=units.T, X=units.X,
        cate=oof["cate"].to_numpy(), cate_lower=oof["cate_lower"].to_numpy(), cate_upper=oof["cate_upper"].to_numpy(),
        scores=scores, folds=cate_res.nuisances.folds, propensity=cate_res.nuisances.e_raw,
        **ranking_inputs(cate_res.ranking),
        pre_spend=None if units.pre is None else d[units.pre].to_numpy(float),
        cate_nested=None if nested is None else nested.cate,
        cate_lower_nested=None if nested is None else nested.lower,
        discount_outcomes=d[list(units.discounts)], gate=gate, **extra)


def decide(units: Units, ate_res, cate_res, cfg: Config, seed: int, gate=None, **extra):
    """Scores, nested CATE and the policy stage in a row (uncached): the PolicyResult."""
    from .policy.pipeline import compute_policy

    scores = policy_scores(units, ate_res, cfg, seed)
    nested = nested_cate(units, cate_res, cfg, seed)
    return compute_policy(policy_inputs(units, cate_res, scores, nested, gate, **extra), cfg.policy, seed=seed)


def unit_table_gate(reason: str = UNIT_TABLE_REASON):
    """The design gate of a unit table: not testable, for ``reason`` (module docstring)."""
    from .causal.design.gate import DesignGate

    bracket = pd.DataFrame(columns=["trial", "n_treated", "n", "lagged_att", "lagged_ci_lower", "lagged_ci_upper",
                                    "did_att", "did_ci_lower", "did_ci_upper", "bracket_lower", "bracket_upper"])
    checks = pd.DataFrame(columns=["check", "trial", "estimate", "ci_lower", "ci_upper", "passed"])
    return DesignGate(checks=checks, bracket=bracket, status="not testable", reasons=(reason,),
                      pattern="not testable (unit table)", pretrend_per_week=float("nan"), window_weeks=1.0)


def verdict_line(pol) -> str:
    """The CLI's last line from the policy result in memory: the verdict sentence the report opens with."""
    return "verdict: not available (no policy step)" if pol is None else f"verdict: {pol.verdict.sentence}"
