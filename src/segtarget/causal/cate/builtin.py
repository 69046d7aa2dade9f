"""The built-in CATE learners: seven EconML estimators with small LightGBM nuisances.

Every learner is three plain functions that ``registry.py`` puts in one table row: its defaults
(``cfg -> params``), its builder (``params, seed -> unfitted EconML estimator``) and its Optuna search space
(``trial, cfg -> params``). Models (tau(x) = E[Y(1) - Y(0) | X = x]):

- ``s``: S-learner, one regressor mu(x, t); tau(x) = mu(x, 1) - mu(x, 0).
- ``t``: T-learner, one regressor per arm; tau(x) = mu1(x) - mu0(x).
- ``x``: X-learner (Kuenzel et al. 2019): arm models, imputed effects regressed on x, blended by e(x).
- ``dr``: DR-learner (Kennedy 2020): AIPW pseudo-outcomes regressed on x.
- ``r``: R-learner (Nie & Wager 2021) as EconML ``NonParamDML``: residual-on-residual with a
  nonparametric final model.
- ``linear_dml``: ``LinearDML``: tau(x) linear in x, analytic confidence intervals.
- ``causal_forest``: honest ``CausalForestDML`` (grf port) with bootstrap-of-little-bags intervals.

Params are a dict of groups (``base``, ``propensity``, ``final``, ``forest``) plus ``inner_cv``. Search-space
parameter names follow the groups (``num_leaves`` for ``base``, ``final_num_leaves`` for ``final``) so the
tuner can enqueue the defaults as its first trial (see ``tuning._flat``).
"""

from __future__ import annotations

from typing import Any

from ..learners import LGBM_PRESETS


# ---- defaults (cfg is a CateConfig; not imported here so config.py can read the registry) -------------------

def meta_defaults(cfg) -> dict[str, Any]:
    """S and T: one LightGBM base learner (the presets say why it is shaped as it is: causal/learners.py)."""
    return {"base": dict(n_estimators=cfg.n_estimators, **LGBM_PRESETS["cate_base"]), "inner_cv": cfg.inner_cv}


def propensity_defaults(cfg) -> dict[str, Any]:
    """Learners that also model e(x): the smooth propensity preset."""
    return {**meta_defaults(cfg), "propensity": dict(LGBM_PRESETS["cate_propensity"])}


def final_defaults(cfg) -> dict[str, Any]:
    """DR and R: a separate final (CATE) stage, regularised on its own."""
    return {**propensity_defaults(cfg), "final": dict(n_estimators=cfg.n_estimators, **LGBM_PRESETS["cate_final"])}


def forest_defaults(cfg) -> dict[str, Any]:
    # Sub-samples of 30% and half the features per split keep 200 honest trees at ~1 s for 2,000 units
    # (grf uses 50%); on the semi-synthetic data this cost no accuracy against econml's defaults.
    return {**propensity_defaults(cfg), "forest": dict(
        n_estimators=cfg.forest_trees, min_samples_leaf=cfg.forest_min_leaf, max_samples=0.3, max_features=0.5,
        max_depth=None, min_impurity_decrease=0.0, min_balancedness_tol=0.45)}


# ---- builders ----------------------------------------------------------------------------------------------

def _lgbm(kind: str, p: dict[str, Any], seed: int):
    from ..learners import lgbm_estimator

    return lgbm_estimator(kind, {**p, "subsample_freq": 1}, seed)


def _reg(params: dict, seed: int):
    return _lgbm("reg", params["base"], seed)


def _clf(params: dict, seed: int):
    return _lgbm("clf", params.get("propensity", params["base"]), seed)


def build_s(params: dict, seed: int):
    from econml.metalearners import SLearner

    return SLearner(overall_model=_reg(params, seed))


def build_t(params: dict, seed: int):
    from econml.metalearners import TLearner

    return TLearner(models=_reg(params, seed))


def build_x(params: dict, seed: int):
    from econml.metalearners import XLearner

    # Imputed effects are far less noisy than DR pseudo-outcomes: the base learner fits them.
    return XLearner(models=_reg(params, seed), cate_models=_lgbm("reg", params["base"], seed + 1),
                    propensity_model=_clf(params, seed))


def build_dr(params: dict, seed: int):
    from econml.dr import DRLearner

    return DRLearner(model_propensity=_clf(params, seed), model_regression=_reg(params, seed),
                     model_final=_lgbm("reg", params["final"], seed), min_propensity=0.01,
                     cv=int(params.get("inner_cv", 2)), random_state=seed)


def build_r(params: dict, seed: int):
    from econml.dml import NonParamDML

    return NonParamDML(model_y=_reg(params, seed), model_t=_clf(params, seed),
                       model_final=_lgbm("reg", params["final"], seed), discrete_treatment=True,
                       cv=int(params.get("inner_cv", 2)), random_state=seed)


def build_linear_dml(params: dict, seed: int):
    from econml.dml import LinearDML

    return LinearDML(model_y=_reg(params, seed), model_t=_clf(params, seed), discrete_treatment=True,
                     cv=int(params.get("inner_cv", 2)), random_state=seed)


def build_causal_forest(params: dict, seed: int):
    from econml.dml import CausalForestDML

    f = dict(params["forest"])
    f["n_estimators"] = int(-(-int(f["n_estimators"]) // 4) * 4)  # BLB needs a multiple of subforest_size
    f["max_samples"] = min(float(f["max_samples"]), 0.5)  # BLB inference requires <= 0.5
    return CausalForestDML(model_y=_reg(params, seed), model_t=_clf(params, seed), discrete_treatment=True,
                           cv=int(params.get("inner_cv", 2)), honest=True, inference=True, subforest_size=4,
                           n_jobs=1, random_state=seed, **f)


# ---- Optuna search spaces (the defaults' groups that are not searched are kept) ---------------------------

def _boosting_space(trial, prefix: str, trees: tuple[int, int], leaves: tuple[int, int],
                    child: tuple[int, int], reg_lambda: tuple[float, float]) -> dict[str, Any]:
    """A LightGBM group's searched keys, each Optuna parameter named ``prefix + key`` (log scales)."""
    return dict(
        n_estimators=trial.suggest_int(f"{prefix}n_estimators", *trees, log=True),
        learning_rate=trial.suggest_float(f"{prefix}learning_rate", 0.01, 0.2, log=True),
        num_leaves=trial.suggest_int(f"{prefix}num_leaves", *leaves, log=True),
        min_child_samples=trial.suggest_int(f"{prefix}min_child_samples", *child, log=True),
        reg_lambda=trial.suggest_float(f"{prefix}reg_lambda", *reg_lambda, log=True))


def base_space(trial) -> dict[str, Any]:
    """Every built-in learner: the LightGBM base learner (row and column sampling searched too)."""
    return {"base": dict(_boosting_space(trial, "", (50, 400), (4, 48), (5, 100), (1e-3, 10.0)),
                         subsample=trial.suggest_float("subsample", 0.5, 1.0),
                         colsample_bytree=trial.suggest_float("colsample_bytree", 0.5, 1.0))}


def searched(defaults, *groups):
    """A search space: the learner's ``defaults`` with the ``groups`` (e.g. :func:`base_space`) searched."""
    def space(trial, cfg) -> dict[str, Any]:
        params = defaults(cfg)
        for group in groups:
            params.update(group(trial))
        return params
    return space


def final_space(trial) -> dict[str, Any]:
    """DR and R: the final (CATE) stage."""
    return {"final": dict(_boosting_space(trial, "final_", (30, 300), (2, 31), (10, 200), (0.1, 50.0)),
                          subsample=0.8, colsample_bytree=0.8)}


def forest_space(trial) -> dict[str, Any]:
    """The causal forest's trees."""
    return {"forest": dict(
        n_estimators=trial.suggest_int("forest_n_estimators", 100, 800, step=4),
        min_samples_leaf=trial.suggest_int("forest_min_samples_leaf", 5, 100, log=True),
        max_samples=trial.suggest_float("forest_max_samples", 0.2, 0.5),
        max_features=trial.suggest_float("forest_max_features", 0.3, 1.0),
        max_depth=trial.suggest_categorical("forest_max_depth", [None, 6, 10, 15, 20]),
        min_impurity_decrease=0.0,
        min_balancedness_tol=trial.suggest_float("forest_min_balancedness_tol", 0.3, 0.5),
    )}
