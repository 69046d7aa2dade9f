"""The CATE stage above ``cate.sample_threshold`` units: fit on a stratified sample, score every unit.

Definitions
-----------
- **sample**: ``cate.sample_size`` units drawn by :func:`segtarget.scale.stratified_sample` within strata
  of treatment arm x outcome quintile (:func:`segtarget.scale.outcome_strata`), seeded by the run seed.
  The zoo (tuning, out-of-fold CATE), the model comparison, the selection, the refutations, the
  ranking test and the interpretation all run on the sample, on the sampled units' own out-of-fold
  nuisances and DR scores (no refit of the nuisances).
- **scoring**: the selected model refit on the whole sample (``final_model``) predicts the CATE of every
  unit outside the sample; sampled units keep their out-of-fold CATE. Both are predictions from models
  that did not see the unit. ``oof["in_sample"]`` says which is which; the per-model ``cate_<model>``
  columns exist for sampled units only (NaN elsewhere).
- The nuisances and DR scores of ``CateResult`` cover every unit (they come from the cross-fitted
  nuisances), so the ATE, the policy values and GATE-style averages downstream use all units.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ...scale import ScalePlan, outcome_strata, stratified_sample
from ..nuisance import Nuisances
from .zoo import effect_with_interval


def sample_rows(Y: np.ndarray, T: np.ndarray, plan: ScalePlan, seed: int) -> np.ndarray | None:
    """Sorted positions of the stratified sample, or None when ``plan`` is below the threshold."""
    if not plan.large:
        return None
    strata = pd.DataFrame({"stratum": outcome_strata(T, Y)})
    return np.asarray(stratified_sample(strata, "stratum", plan.cate_sample, seed), dtype=int)


def subset_nuisances(nuis: Nuisances, rows: np.ndarray) -> Nuisances:
    """The same cross-fitted nuisances restricted to ``rows`` (fold ids kept)."""
    return dataclasses.replace(nuis, e=nuis.e[rows], e_raw=nuis.e_raw[rows], mu0=nuis.mu0[rows],
                               mu1=nuis.mu1[rows], folds=nuis.folds[rows])


def score_everyone(sample_frame: pd.DataFrame, rows: np.ndarray, final_model, X: np.ndarray) -> pd.DataFrame:
    """The out-of-fold frame of the sample, extended to every row of ``X`` by ``final_model`` (see module doc)."""
    n = len(X)
    full = sample_frame.set_axis(rows).reindex(np.arange(n))
    inside = np.zeros(n, dtype=bool)
    inside[rows] = True
    rest = np.flatnonzero(~inside)
    if len(rest):
        cate, lower, upper = effect_with_interval(final_model, X[rest])
        full.loc[rest, "cate"], full.loc[rest, "cate_lower"], full.loc[rest, "cate_upper"] = cate, lower, upper
    full["model"] = sample_frame["model"].iloc[0]
    full["in_sample"] = inside
    return full


def scale_warning(outcome: str, plan: ScalePlan) -> str:
    """The warning string of a sampled fit (kept free of the word the refutation section filters on)."""
    n, k = plan.n_households, plan.cate_sample
    return (f"{outcome}: {n:,} households is above cate.sample_threshold = {plan.threshold:,}, so the CATE "
            f"models were fitted, compared and selected on a stratified sample of {k:,} (treatment x outcome "
            f"quintile); the other {n - k:,} households are scored by the selected model fitted on that "
            "sample (column in_sample of cate.csv).")


__all__ = ["sample_rows", "subset_nuisances", "score_everyone", "scale_warning"]
