"""Named LightGBM parameter sets of the causal stage, so every learner is referenced by what it is for.

``nuisance``: the cross-fitted propensity (lightgbm candidate) and outcome models mu_t(x) that every
estimate shares. ``cate_base``: the CATE zoo's outcome/base learners (plus ``n_estimators`` from
``cate.n_estimators``): many shallow trees with small leaves, as the treated arm can be small (IHDP: ~110
units per fold). ``cate_propensity``: the zoo's propensity, smooth on purpose: inverse-propensity terms
explode when a flexible classifier pushes e(x) to 0 or 1 (on IHDP this alone took the DR-learner's
sqrt(PEHE) from 8.4 to 3.1). ``cate_final``: final stages regress noisy pseudo-outcomes, so fewer, shallower
trees and larger leaves. ``surrogate``: the tree fitted to the selected CATE for SHAP importance.
"""

from __future__ import annotations

from typing import Any

LGBM_PRESETS: dict[str, dict[str, Any]] = {
    "nuisance": dict(n_estimators=200, learning_rate=0.03, num_leaves=15, min_child_samples=20, subsample=0.8,
                     subsample_freq=1, colsample_bytree=0.8, reg_lambda=1.0),
    "cate_base": dict(learning_rate=0.05, num_leaves=7, min_child_samples=10, subsample=0.8, colsample_bytree=0.8,
                      reg_lambda=1.0),
    "cate_propensity": dict(n_estimators=100, learning_rate=0.05, num_leaves=7, min_child_samples=40, subsample=0.8,
                            colsample_bytree=0.8, reg_lambda=1.0),
    "cate_final": dict(learning_rate=0.03, num_leaves=7, min_child_samples=40, subsample=0.8, colsample_bytree=0.8,
                       reg_lambda=5.0),
    "surrogate": dict(n_estimators=200, learning_rate=0.05, num_leaves=15, min_child_samples=20),
}


# LightGBM otherwise times row-wise against column-wise histogram building on every fit and keeps the faster:
# under load the choice can flip, and with it the last bits of the sums and now and then a split, so the same
# seed stopped giving the same numbers. Fixing the layout (and the deterministic flag) removes the timing.
FIXED_LAYOUT = dict(force_col_wise=True, deterministic=True)


def lgbm_estimator(kind: str, params: dict[str, Any], seed: int):
    """An unfitted single-threaded, silent, timing-independent LightGBM ``kind`` ("clf" or "reg")."""
    from lightgbm import LGBMClassifier, LGBMRegressor

    cls = LGBMClassifier if kind == "clf" else LGBMRegressor
    return cls(**params, **FIXED_LAYOUT, random_state=seed, n_jobs=1, verbose=-1)


def lgbm(preset: str, kind: str, seed: int):
    """:func:`lgbm_estimator` with the named preset."""
    return lgbm_estimator(kind, LGBM_PRESETS[preset], seed)
