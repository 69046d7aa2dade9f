"""Double machine learning ATE (econml ``LinearDML``) and its sensitivity to unobserved confounding.

Model: the partially linear model Y = theta T + g(X) + eps, E[T | X] = e(X). econml residualises Y and T on
X with cross-fitted learners (our LightGBM outcome model; the propensity learner the run selected) and
regresses residual on residual; with a constant effect (X=None, all covariates as controls W) theta is a
variance-weighted ATE, so it can differ from AIPW when effects are heterogeneous and overlap is uneven.

Sensitivity (Chernozhukov, Cinelli, Newey, Sharma & Syrgkanis 2022, as implemented in econml):
* robustness value RV: the share of residual variation of *both* T and Y that an omitted confounder would
  have to explain to make the 95% CI include 0 (0 if it already does; higher = more robust);
* sensitivity interval: the 95% bounds on theta if a confounder explains 5% of the residual variance of T
  and of Y (econml defaults c_y = c_t = 0.05, rho = 1).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ...deprecation import renamed_keywords
from .estimators import ESTIMANDS, AteEstimate, clustered_se, trim_mask
from ..nuisance import make_folds, outcome_model, propensity_candidates


@dataclass(frozen=True)
class DmlSensitivity:
    robustness_value: float
    sensitivity_lower: float
    sensitivity_upper: float
    c_y: float = 0.05
    c_t: float = 0.05


def _fit_linear_dml(Y, T, X, *, ps_model: str, n_folds: int, seed: int, groups=None):
    from econml.dml import LinearDML

    folds = make_folds(np.asarray(T, int), n_folds, seed, groups)
    splits = [(np.nonzero(folds != k)[0], np.nonzero(folds == k)[0]) for k in range(n_folds)]
    est = LinearDML(model_y=outcome_model(seed), model_t=propensity_candidates(seed)[ps_model],
                    discrete_treatment=True, cv=splits, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(np.asarray(Y, float), np.asarray(T, int), X=None, W=np.asarray(X, float),
                cache_values=groups is not None)
    return est


def _estimate(est, n: int, trim: float, method: str, estimand: str, groups=None) -> AteEstimate:
    inf = est.ate_inference()
    theta = float(np.ravel(inf.mean_point)[0])
    se = float(np.ravel(inf.stderr_mean)[0])
    if groups is not None:
        # Household-clustered SE from the cross-fitted residuals: theta solves sum t~ (y~ - theta t~) = 0,
        # so IF_i = t~_i (y~_i - theta t~_i) / mean(t~^2), summed within household.
        y_res, t_res = (np.ravel(r) for r in est.residuals_[:2])
        se = clustered_se(t_res * (y_res - theta * t_res) / np.mean(t_res ** 2), groups)
    return AteEstimate(method, estimand, theta, se, n, trim)


@renamed_keywords(seed="random_state")
def dml_ate(Y, T, X, *, ps_model: str, n_folds: int, random_state: int,
            groups=None) -> tuple[AteEstimate, DmlSensitivity]:
    """LinearDML on the full sample, with its robustness value and sensitivity interval."""
    est = _fit_linear_dml(Y, T, X, ps_model=ps_model, n_folds=n_folds, seed=random_state, groups=groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rv = float(est.robustness_value(null_hypothesis=0, alpha=0.05))
        lo, hi = est.sensitivity_interval(alpha=0.05, c_y=0.05, c_t=0.05)
    sens = DmlSensitivity(rv, float(np.ravel(lo)[0]), float(np.ravel(hi)[0]))
    return _estimate(est, len(Y), 0.0, "dml", ESTIMANDS["dml"], groups), sens


def dml_trimming(Y, T, X, e_raw, trims, *, ps_model: str, n_folds: int, seed: int,
                 min_n: int = 100, groups=None) -> list[AteEstimate]:
    """LinearDML re-fitted on units with full-sample e in [t, 1-t] (t > 0); the selection uses the
    full-sample propensity, the DML nuisances are re-fitted inside the trimmed sample."""
    Y, T, X = np.asarray(Y, float), np.asarray(T, int), np.asarray(X, float)
    out = []
    for t in trims:
        if t <= 0:
            continue
        m = trim_mask(e_raw, t)
        n1 = int(T[m].sum())
        if m.sum() < min_n or min(n1, int(m.sum()) - n1) < 2 * n_folds:
            continue
        g = None if groups is None else np.asarray(groups)[m]
        est = _fit_linear_dml(Y[m], T[m], X[m], ps_model=ps_model, n_folds=n_folds, seed=seed, groups=g)
        out.append(_estimate(est, int(m.sum()), float(t), "dml_trim",
                             f"ATE of units with e in [{t:.3g}, {1 - t:.3g}] (partially linear)", g))
    return out
