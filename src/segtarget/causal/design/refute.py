"""Refutations that can catch a bad study design, each a cheap re-run of the headline estimator.

A design is only as good as its control group. Three checks change the design, not the estimator, and ask
questions whose answer is known:

* **negative-control outcome**: every trial moved ``NEGATIVE_CONTROL_WEEKS`` (4) weeks earlier, same members
  and eligibility, covariates from before the moved start, outcome = spend in the 4 weeks before the real
  start. The campaign cannot have caused it: the effect must be ~0.
* **placebo start date**: the same with every trial moved ``PLACEBO_WEEKS`` (8) weeks earlier (outcome = the
  8 weeks before the real start). Must be ~0.
* **never-treated-only vs not-yet-treated-only controls**: the design re-run with only never-targeted
  controls and with only households targeted by a later campaign. If the two control pools give different
  answers, at least one is not comparable to the treated.

Each check uses the headline method of the main analysis (ATT, ATO or AIPW) with one cross-fitting split
(household-grouped folds, household-clustered SE), on ``purchase_amount``. A check "passes" when its 95% CI
covers zero (for the pools: the difference of the two estimates, whose SE is taken as sqrt(se1^2 + se2^2);
the pools share their treated, so the estimates are positively correlated and this SE is conservative).
A pass is absence of evidence at this sample size, not proof of a good design.

What a failure means (measured on planted campaigns with a zero effect, where the members are picked on
look-back spend and a spike in its last 4 weeks, see benchmarks/RESULTS.md "Design"): the main headline covers
zero, yet the negative-control and placebo outcomes show large "effects", because their outcome windows are
the very spend the retailer selected on and their covariates stop before it; and the two restricted pools
pull in opposite directions because each is selected on later targeting, i.e. on in-window spend. So these
checks detect selection on recent spend (which the main design must then adjust for) rather than prove bias
in the main estimate; the verdicts say so.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import SegtargetError
from ..ate import estimators
from ..config import AteConfig, DesignConfig
from ..nuisance import crossfit_nuisances, make_folds
from ...report.format import money

NEGATIVE_CONTROL_WEEKS = 4
PLACEBO_WEEKS = 8
OUTCOME = "purchase_amount"


@dataclass(frozen=True)
class DesignRefutations:
    """One row per check: check, estimate, std_error, ci_lower, ci_upper, n, passed, verdict."""

    table: pd.DataFrame

    def summary_frame(self) -> pd.DataFrame:
        return self.table.copy()


def headline_effect(cohort, method: str, cfg: AteConfig, seed: int, outcome: str = OUTCOME) -> estimators.AteEstimate:
    """The headline estimator on ``cohort`` with one household-grouped cross-fitting split."""
    d = cohort.data
    X = d[list(cohort.covariates)].to_numpy(float)
    X = X[:, X.std(axis=0) > 0]
    T, y, groups = d["treated"].to_numpy(int), d[outcome].to_numpy(float), d["household_id"].to_numpy()
    folds = make_folds(T, cfg.folds, seed, groups)
    nuis = crossfit_nuisances(y, T, X, random_state=seed, clip=(cfg.clip, 1 - cfg.clip), folds=folds)
    if method == "att":
        return estimators.att_dr(y, T, nuis, X, seed, groups)
    if method == "ato":
        return estimators.ato_dr(y, T, nuis, groups)
    return estimators.aipw(y, T, nuis, groups=groups)


def _row(check: str, est: estimators.AteEstimate | None, ok_text: str, bad_text: str, skipped: str = "",
         is_test: bool = True) -> dict:
    if est is None:
        return {"check": check, "estimate": np.nan, "std_error": np.nan, "ci_lower": np.nan, "ci_upper": np.nan,
                "n": 0, "passed": np.nan, "verdict": f"not run: {skipped}"}
    passed = bool(est.ci_lower <= 0 <= est.ci_upper)
    return {"check": check, "estimate": est.estimate, "std_error": est.std_error, "ci_lower": est.ci_lower,
            "ci_upper": est.ci_upper, "n": est.n, "passed": passed if is_test else np.nan,
            "verdict": (ok_text if passed else bad_text).format(est=money(est.estimate, 2, sign=True))}


def _try(tables, cfg: DesignConfig, method: str, ate_cfg: AteConfig, seed: int):
    try:
        return headline_effect(_build(tables, cfg), method, ate_cfg, seed), ""
    except SegtargetError as err:
        return None, str(err)


def _build(tables, cfg: DesignConfig):
    from .study import build_design

    return build_design(tables, cfg)


def refute_design(tables, design: DesignConfig, method: str, ate_cfg: AteConfig, seed: int) -> DesignRefutations:
    """Run the three checks of the module docstring (campaign-trials designs only)."""
    base = dataclasses.replace(design, design="campaign-trials")
    rows = []
    for check, weeks in (("negative-control outcome (spend in the 4 weeks before the start)", NEGATIVE_CONTROL_WEEKS),
                         ("placebo start date (every trial 8 weeks earlier)", PLACEBO_WEEKS)):
        est, why = _try(tables, dataclasses.replace(base, shift_weeks=weeks), method, ate_cfg, seed)
        rows.append(_row(check, est, "passes: no effect before the campaign started (CI covers 0)",
                         "fails: treated and controls already differed by {est} before the campaign, beyond "
                         "what the earlier covariates explain: either a confounder is missing or, as usual here, "
                         "the retailer picked on spend inside this very window. The main estimate adjusts for that "
                         "window (recent-trend covariates), this check cannot; compare with the event study",
                         why))
    pools = {p: _try(tables, dataclasses.replace(base, control_pool=p), method, ate_cfg, seed)
             for p in ("never", "later")}
    for p, label in (("never", "never-treated controls only"), ("later", "not-yet-treated controls only")):
        est, why = pools[p]
        rows.append(_row(label, est, "estimate with this control pool (see the comparison row)",
                         "estimate with this control pool (see the comparison row)", why, is_test=False))
    (e_n, _), (e_l, _) = pools["never"], pools["later"]
    if e_n is not None and e_l is not None:
        diff = e_n.estimate - e_l.estimate
        se = float(np.hypot(e_n.std_error, e_l.std_error))
        d = estimators.AteEstimate("pools", "difference", diff, se, min(e_n.n, e_l.n))
        rows.append(_row("never-treated minus not-yet-treated", d,
                         "passes: the two control pools agree (CI of the difference covers 0)",
                         "fails: the two control pools differ by {est}. Each restricted pool is chosen by "
                         "later targeting, which the retailer bases partly on spend inside this window, so each "
                         "is selected on the outcome; the main design keeps both (eligibility fixed at the start). "
                         "A large gap still says later targeting follows in-window spend"))
    else:
        rows.append(_row("never-treated minus not-yet-treated", None, "", "", "one of the pools has no trial"))
    table = pd.DataFrame(rows)
    return DesignRefutations(table=table)


def headline_truth(method: str, truth: np.ndarray, T: np.ndarray, e: np.ndarray | None = None) -> float:
    """The true value of a headline estimand from per-unit true effects: ATT = mean over the treated,
    ATO = e(1-e)-weighted mean (with the same cross-fitted e as the estimate), AIPW = mean over all units."""
    truth, T = np.asarray(truth, float), np.asarray(T, int)
    if method == "att":
        return float(truth[T == 1].mean())
    if method == "ato":
        h = np.asarray(e, float) * (1 - np.asarray(e, float))
        return float((h * truth).sum() / h.sum())
    return float(truth.mean())
