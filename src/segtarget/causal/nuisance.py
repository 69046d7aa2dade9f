"""Cross-fitted nuisance models and doubly-robust scores: the shared currency of Track 2.

For every unit we need e(x) = P(T=1|x) and mu_t(x) = E[Y|T=t, x], each predicted by a model that never saw
that unit (K-fold cross-fitting, folds stratified by treatment). From them the AIPW pseudo-outcome

    psi_i = mu1(x_i) - mu0(x_i) + T_i (Y_i - mu1(x_i)) / e(x_i) - (1 - T_i)(Y_i - mu0(x_i)) / (1 - e(x_i))

has mean equal to the ATE and conditional mean equal to the CATE when either nuisance is right. AIPW, the
DR policy value, RATE, GATES and DR-based uplift curves all average these same scores (the grf pattern).

The propensity model is chosen between a standardised logistic regression and LightGBM by out-of-fold
log-loss; the loser's score is kept so the report can show the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..deprecation import renamed_keywords
from .learners import lgbm


@renamed_keywords(seed="random_state")
def make_folds(T: np.ndarray, n_folds: int, random_state: int, groups: np.ndarray | None = None) -> np.ndarray:
    """Fold id per unit, stratified by treatment so every fold has both arms.

    With ``groups`` (e.g. household ids of a stacked design where one household is a unit in several
    trials) every group lands in exactly one fold (StratifiedGroupKFold), so no model is evaluated on a
    household it was trained on. Without groups the split is the plain StratifiedKFold of before.
    """
    from sklearn.model_selection import StratifiedKFold

    from .folds import stratified_group_folds

    if groups is not None:  # StratifiedGroupKFold's folds, computed in linear time (folds.py)
        return stratified_group_folds(np.asarray(T), groups, n_folds, random_state)
    folds = np.empty(len(T), dtype=int)
    splits = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=random_state).split(np.zeros(len(T)), T)
    for k, (_, test) in enumerate(splits):
        folds[test] = k
    return folds


def propensity_candidates(seed: int) -> dict:
    """The two propensity learners compared by held-out log-loss."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "logistic": make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)),
        "lightgbm": lgbm("nuisance", "clf", seed),
    }


def outcome_model(seed: int):
    """Small, regularised LightGBM regressor for mu_t(x)."""
    return lgbm("nuisance", "reg", seed)


def _oof_predict(model_factory, X: np.ndarray, y: np.ndarray, folds: np.ndarray, proba: bool,
                 mask: np.ndarray | None = None, sample_weight: np.ndarray | None = None) -> np.ndarray:
    """Out-of-fold predictions: fold k's from a clone fit on the other folds (within ``mask``), the folds on
    threads (:func:`~segtarget.parallel.thread_map`): each fit is independent and seeded, so the numbers do not
    depend on the order."""
    from sklearn.base import clone

    from ..parallel import thread_map

    def fit_predict(k):
        train = folds != k
        if mask is not None:
            train &= mask
        kw = {} if sample_weight is None else {"sample_weight": sample_weight[train]}
        model = clone(model_factory).fit(X[train], y[train], **kw)
        test = folds == k
        return test, model.predict_proba(X[test])[:, 1] if proba else model.predict(X[test])

    out = np.empty(len(y), dtype=float)
    for test, pred in thread_map(fit_predict, list(np.unique(folds))):
        out[test] = pred
    return out


def crossfit_outcome(Y, T, X, folds: np.ndarray, seed: int, arm: int) -> np.ndarray:
    """Out-of-fold mu_arm(x) (fit on the units of that arm in the other folds)."""
    return _oof_predict(outcome_model(seed), np.asarray(X, float), np.asarray(Y, float), folds, proba=False,
                        mask=np.asarray(T) == arm)


def crossfit_control_outcome(Y, T, X, folds: np.ndarray, seed: int) -> np.ndarray:
    """Out-of-fold mu0(x) alone (fit on the controls of the other folds): all an ATT needs."""
    return crossfit_outcome(Y, T, X, folds, seed, arm=0)


@dataclass(frozen=True)
class Nuisances:
    """Out-of-fold nuisance predictions for one (Y, T, X)."""

    e: np.ndarray  # propensity, clipped to `clip`
    e_raw: np.ndarray  # propensity before clipping (for diagnostics)
    mu0: np.ndarray
    mu1: np.ndarray
    folds: np.ndarray
    ps_model: str
    ps_logloss: dict[str, float] = field(default_factory=dict)
    clip: tuple[float, float] = (0.01, 0.99)

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"propensity_model": k, "oof_log_loss": v, "selected": k == self.ps_model}
             for k, v in self.ps_logloss.items()]
        )


def crossfit_propensity(T: np.ndarray, X: np.ndarray, folds: np.ndarray, seed: int,
                        candidates: tuple[str, ...] = ("logistic", "lightgbm")) -> tuple[np.ndarray, str, dict]:
    """Out-of-fold propensity from the candidate with the lowest out-of-fold log-loss."""
    from sklearn.metrics import log_loss

    models = propensity_candidates(seed)
    preds, losses = {}, {}
    for name in candidates:
        p = _oof_predict(models[name], X, T, folds, proba=True)
        preds[name] = p
        losses[name] = float(log_loss(T, np.clip(p, 1e-6, 1 - 1e-6)))
    best = min(losses, key=losses.get)
    return preds[best], best, losses


@renamed_keywords(seed="random_state")
def crossfit_nuisances(Y, T, X, *, n_folds: int = 5, random_state: int = 0,
                       clip: tuple[float, float] = (0.01, 0.99),
                       folds: np.ndarray | None = None, groups: np.ndarray | None = None,
                       propensity: tuple[np.ndarray, str, dict] | None = None) -> Nuisances:
    """Cross-fit e(x), mu0(x), mu1(x); every prediction comes from a model that did not see the unit.

    ``propensity`` = a previous :func:`crossfit_propensity` result on the same folds: e(x) depends only on
    (T, X, folds, random_state), so several outcomes share one propensity fit.
    """
    Y = np.asarray(Y, dtype=float)
    T = np.asarray(T, dtype=int)
    X = np.asarray(X, dtype=float)
    if folds is None:
        folds = make_folds(T, n_folds, random_state, groups)
    e_raw, ps_name, losses = propensity or crossfit_propensity(T, X, folds, random_state)
    mu0, mu1 = (crossfit_outcome(Y, T, X, folds, random_state, arm) for arm in (0, 1))
    e = np.clip(e_raw, clip[0], clip[1])
    return Nuisances(e=e, e_raw=e_raw, mu0=mu0, mu1=mu1, folds=folds, ps_model=ps_name,
                     ps_logloss=losses, clip=clip)


def odds_weighted_outcome(Y, T, X, nuis: Nuisances, *, target_arm: int, seed: int = 0) -> np.ndarray:
    """Cross-fitted outcome regression of the arm opposite ``target_arm``, weighted toward the target arm.

    For the ATT (target_arm=1) mu0 is fit on the controls with weights e/(1-e); for the ATC (target_arm=0)
    mu1 is fit on the treated with weights (1-e)/e. The fit then concentrates on the units that resemble
    the target population, where the DR correction needs it (the odds-weighted outcome regression of
    Sant'Anna & Zhao 2020's improved DR-ATT). Folds are those of ``nuis``; e is its cross-fitted propensity.
    """
    Y, T, X = np.asarray(Y, float), np.asarray(T, int), np.asarray(X, float)
    odds = nuis.e / (1 - nuis.e) if target_arm == 1 else (1 - nuis.e) / nuis.e
    return _oof_predict(outcome_model(seed), X, Y, nuis.folds, proba=False, mask=T != target_arm,
                        sample_weight=odds)


def dr_scores(Y, T, nuis: Nuisances) -> np.ndarray:
    """AIPW pseudo-outcome per unit (see module docstring)."""
    Y = np.asarray(Y, dtype=float)
    T = np.asarray(T, dtype=float)
    return (nuis.mu1 - nuis.mu0
            + T * (Y - nuis.mu1) / nuis.e
            - (1 - T) * (Y - nuis.mu0) / (1 - nuis.e))
