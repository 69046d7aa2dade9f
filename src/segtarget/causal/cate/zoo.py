"""The CATE model zoo: seven EconML learners behind one small estimator, with out-of-fold prediction.

Models (tau(x) = E[Y(1) - Y(0) | X = x]; all nuisances are small LightGBM models):

- ``s``: S-learner, one regressor mu(x, t); tau(x) = mu(x, 1) - mu(x, 0).
- ``t``: T-learner, one regressor per arm; tau(x) = mu1(x) - mu0(x).
- ``x``: X-learner (Kuenzel et al. 2019): arm models, imputed effects regressed on x, blended by e(x).
- ``dr``: DR-learner (Kennedy 2020): AIPW pseudo-outcomes regressed on x.
- ``r``: R-learner (Nie & Wager 2021) as EconML ``NonParamDML``: residual-on-residual with a
  nonparametric final model.
- ``linear_dml``: ``LinearDML``: tau(x) linear in x, analytic confidence intervals.
- ``causal_forest``: honest ``CausalForestDML`` (grf port) with bootstrap-of-little-bags intervals.

Only ``linear_dml`` and ``causal_forest`` give per-unit intervals; the others report NaN bounds rather than
a made-up band.

"Out-of-fold" means: for each outer fold k the learner (including its own internal cross-fitting) is fit
on the other folds and predicts fold k, so no unit's CATE comes from a model that saw it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ...deprecation import renamed_keywords
from ...errors import SegtargetError
from ...threads import single_threaded
from ..learners import LGBM_PRESETS
from .config import MODEL_NAMES, CateConfig, check_models  # noqa: F401  (re-exported)

LABELS = {
    "s": "S-learner", "t": "T-learner", "x": "X-learner", "dr": "DR-learner", "r": "R-learner",
    "linear_dml": "LinearDML", "causal_forest": "CausalForestDML", "ensemble": "Ensemble",
}
WITH_INTERVALS = frozenset({"linear_dml", "causal_forest"})
# Models with a separate final (CATE) stage whose regulariser is tuned on its own.
WITH_FINAL = frozenset({"dr", "r"})


def model_seed(seed: int, name: str) -> int:
    """Per-model seed that does not change when other models are added or removed."""
    return int(np.random.SeedSequence([seed, MODEL_NAMES.index(name) if name in MODEL_NAMES else 99])
               .generate_state(1)[0] % (2**31 - 1))


def default_params(name: str, cfg: CateConfig) -> dict[str, Any]:
    """Small, regularised defaults: fast enough for 7 models x 5 folds in seconds."""
    # The presets say why each learner is shaped as it is (causal/learners.py).
    base = dict(n_estimators=cfg.n_estimators, **LGBM_PRESETS["cate_base"])
    params: dict[str, Any] = {"base": base, "inner_cv": cfg.inner_cv}
    if name not in ("s", "t"):
        params["propensity"] = dict(LGBM_PRESETS["cate_propensity"])
    if name in WITH_FINAL:
        params["final"] = dict(n_estimators=cfg.n_estimators, **LGBM_PRESETS["cate_final"])
    if name == "causal_forest":
        # Sub-samples of 30% and half the features per split keep 200 honest trees at ~1 s for 2,000 units
        # (grf uses 50%); on the semi-synthetic data this cost no accuracy against econml's defaults.
        params["forest"] = dict(n_estimators=cfg.forest_trees, min_samples_leaf=cfg.forest_min_leaf,
                                max_samples=0.3, max_features=0.5, max_depth=None, min_impurity_decrease=0.0,
                                min_balancedness_tol=0.45)
    return params


def _lgbm(kind: str, p: dict[str, Any], seed: int):
    from ..learners import lgbm_estimator

    return lgbm_estimator(kind, {**p, "subsample_freq": 1}, seed)


def make_estimator(name: str, params: dict[str, Any], seed: int):
    """The unfitted EconML estimator for ``name`` with ``params`` (see :func:`default_params`)."""
    from econml.dml import CausalForestDML, LinearDML, NonParamDML
    from econml.dr import DRLearner
    from econml.metalearners import SLearner, TLearner, XLearner

    reg = _lgbm("reg", params["base"], seed)
    clf = _lgbm("clf", params.get("propensity", params["base"]), seed)
    cv = int(params.get("inner_cv", 2))
    if name == "s":
        return SLearner(overall_model=reg)
    if name == "t":
        return TLearner(models=reg)
    if name == "x":
        # Imputed effects are far less noisy than DR pseudo-outcomes: the base learner fits them.
        return XLearner(models=reg, cate_models=_lgbm("reg", params["base"], seed + 1), propensity_model=clf)
    if name == "dr":
        return DRLearner(model_propensity=clf, model_regression=reg, model_final=_lgbm("reg", params["final"], seed),
                         min_propensity=0.01, cv=cv, random_state=seed)
    if name == "r":
        return NonParamDML(model_y=reg, model_t=clf, model_final=_lgbm("reg", params["final"], seed),
                           discrete_treatment=True, cv=cv, random_state=seed)
    if name == "linear_dml":
        return LinearDML(model_y=reg, model_t=clf, discrete_treatment=True, cv=cv, random_state=seed)
    if name == "causal_forest":
        f = dict(params["forest"])
        f["n_estimators"] = int(-(-int(f["n_estimators"]) // 4) * 4)  # BLB needs a multiple of subforest_size
        f["max_samples"] = min(float(f["max_samples"]), 0.5)  # BLB inference requires <= 0.5
        return CausalForestDML(model_y=reg, model_t=clf, discrete_treatment=True, cv=cv, honest=True,
                               inference=True, subforest_size=4, n_jobs=1, random_state=seed, **f)
    raise SegtargetError(f"config cate.models: unknown model '{name}'; choose from {', '.join(MODEL_NAMES)}")


# The learners whose EconML ``fit`` takes controls ``W`` (nuisance-only covariates: they enter e(x, w) and
# mu(x, w) but tau depends on X alone). The meta-learners (s, t, x) have no such slot.
WITH_CONTROLS = frozenset({"dr", "r", "linear_dml", "causal_forest"})


class _CateEstimator(BaseEstimator):
    """The EconML read-out shared by every zoo model: ``effect`` gives tau(x), ``effect_interval`` its
    bounds, and ``predict`` is ``effect`` so the models also read like scikit-learn regressors. Being a
    scikit-learn ``BaseEstimator`` (parameters only in ``__init__``, fitted state ending in ``_``), a model
    works with ``sklearn.base.clone``, ``get_params`` and ``set_params``."""

    def const_marginal_effect(self, X) -> np.ndarray:
        return self.effect(X)

    def predict(self, X) -> np.ndarray:
        """The CATE of every row of ``X`` (same as :meth:`effect`)."""
        return self.effect(X)

    def _remember_features(self, X) -> None:
        self.n_features_in_ = np.asarray(X).shape[1]
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)


def _controls(name: str, W, n: int) -> dict:
    """``{"W": array}`` for EconML's ``fit`` when ``name`` uses controls, ``{}`` without W, else a one-line error."""
    if W is None:
        return {}
    if name not in WITH_CONTROLS:
        raise SegtargetError(f"CateModel('{name}').fit: W is not used by the {LABELS.get(name, name)}; add those "
                             f"columns to X or choose one of {', '.join(sorted(WITH_CONTROLS))}")
    W = np.asarray(W, float)
    if W.ndim != 2 or len(W) != n:
        raise SegtargetError(f"CateModel('{name}').fit: W has shape {W.shape}; pass a 2-D array with one row per "
                             f"unit ({n})")
    return {"W": W}


class CateModel(_CateEstimator):
    """One zoo learner with the EconML interface: ``fit(Y, T, X=, W=)``, ``effect(X)``, ``effect_interval(X, alpha)``.

    ``name`` is one of ``MODEL_NAMES``; ``params`` its parameters (None: :func:`default_params` of the default
    :class:`CateConfig`); ``random_state`` seeds every random step (same seed, same numbers). ``W`` (controls
    that adjust the nuisances but not tau) is used by ``dr``, ``r``, ``linear_dml`` and ``causal_forest``; the
    meta-learners reject it with one line rather than drop it. ``effect`` and ``predict`` return the CATE as an
    array; ``effect_interval`` returns ``(lower, upper)``, the (1 - alpha) interval where the learner has one
    (``linear_dml``, ``causal_forest``) and NaN otherwise. Fitted: ``estimator_`` (the EconML estimator),
    ``n_features_in_`` (and ``feature_names_in_`` when X is a DataFrame).
    """

    def __init__(self, name: str = "t", params: dict | None = None, random_state: int = 0):
        self.name = name
        self.params = params
        self.random_state = random_state

    def fit(self, Y, T, *, X, W=None):
        import warnings

        controls = _controls(self.name, W, len(np.asarray(Y)))
        params = self.params if self.params is not None else default_params(self.name, CateConfig())
        estimator = make_estimator(self.name, params, self.random_state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator.fit(np.asarray(Y, float), np.asarray(T, int), X=np.asarray(X, float), **controls)
        self.estimator_ = estimator
        self._remember_features(X)
        return self

    def effect(self, X) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return np.asarray(self.estimator_.effect(np.asarray(X, float)), float).ravel()

    def effect_interval(self, X, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
        check_is_fitted(self, "estimator_")
        n = np.asarray(X).shape[0]
        if self.name not in WITH_INTERVALS:
            return np.full(n, np.nan), np.full(n, np.nan)
        lo, hi = self.estimator_.effect_interval(np.asarray(X, float), alpha=alpha)
        return np.asarray(lo, float).ravel(), np.asarray(hi, float).ravel()


class EnsembleCateModel(_CateEstimator):
    """Unweighted mean of zoo models; no per-unit interval (the members' intervals do not combine).

    ``members`` is a tuple of (model name, params); each member uses its own per-model seed. ``W`` goes to
    every member (so every member must use controls, see :class:`CateModel`). Fitted: ``models_``.
    """

    def __init__(self, members: tuple = (), random_state: int = 0):
        self.members = members
        self.random_state = random_state

    def fit(self, Y, T, *, X, W=None):
        self.models_ = [CateModel(n, p, model_seed(self.random_state, n)).fit(Y, T, X=X, W=W) for n, p in self.members]
        self._remember_features(X)
        return self

    def effect(self, X) -> np.ndarray:
        check_is_fitted(self, "models_")
        return np.mean([m.effect(X) for m in self.models_], axis=0)

    def effect_interval(self, X, alpha: float = 0.05):
        check_is_fitted(self, "models_")
        n = np.asarray(X).shape[0]
        return np.full(n, np.nan), np.full(n, np.nan)


def effect_with_interval(model, X, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(cate, lower, upper)`` of a fitted zoo model: the three columns every CATE table carries."""
    lower, upper = model.effect_interval(X, alpha)
    return model.effect(X), lower, upper


def build_model(name: str, params: dict, seed: int):
    """Unfitted model as used for the final refit: a zoo learner with its per-model seed, or the ensemble
    (``params = {"members": ((name, params), ...)}``)."""
    if name == "ensemble":
        return EnsembleCateModel(tuple(params["members"]), seed)
    return CateModel(name, params, model_seed(seed, name))


@dataclass(frozen=True)
class OOFPrediction:
    """Out-of-fold CATE of one model: every entry predicted by a model fit without that unit; ``lower`` and
    ``upper`` bound its (1 - ``alpha``) interval where the learner has one."""

    name: str
    cate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    seconds: float  # CPU seconds of fit + predict, summed over folds
    alpha: float = 0.05

    def summary_frame(self) -> pd.DataFrame:
        """One row per unit: the out-of-fold CATE and its interval bounds (NaN where the model has none)."""
        return pd.DataFrame({"cate": self.cate, "cate_lower": self.lower, "cate_upper": self.upper})


@single_threaded
def _fit_predict_task(task: tuple) -> tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    name, params, seed, Y, T, X, train, test, alpha = task
    t0 = time.process_time()
    model = CateModel(name, params, seed).fit(Y[train], T[train], X=X[train])
    cate, lo, hi = effect_with_interval(model, X[test], alpha)
    return name, test, cate, lo, hi, time.process_time() - t0


def oof_tasks(name: str, params: dict, seed: int, Y, T, X, folds: np.ndarray, which=None,
              alpha: float = 0.05) -> list[tuple]:
    """One (fit on other folds, predict this fold) task per fold; ``which`` restricts the folds."""
    ks = np.unique(folds) if which is None else which
    return [(name, params, seed, Y, T, X, np.flatnonzero(folds != k), np.flatnonzero(folds == k), alpha)
            for k in ks]


def assemble_oof(results: list[tuple], n: int, alpha: float = 0.05) -> dict[str, OOFPrediction]:
    """Collect task results (any order, any model) into one :class:`OOFPrediction` per model."""
    acc: dict[str, list] = {}
    for name, test, cate, lo, hi, sec in results:
        if name not in acc:
            acc[name] = [np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan), 0.0]
        a = acc[name]
        a[0][test], a[1][test], a[2][test] = cate, lo, hi
        a[3] += sec
    return {k: OOFPrediction(k, v[0], v[1], v[2], v[3], alpha) for k, v in acc.items()}


@renamed_keywords(seed="random_state")
def oof_cate_many(specs: dict[str, dict], Y, T, X, folds: np.ndarray, random_state: int, *, n_jobs: int = 1,
                  backend: str = "joblib", alpha: float = 0.05) -> dict[str, OOFPrediction]:
    """Out-of-fold CATE for several models at once, with (1 - ``alpha``) intervals where a learner has them; all
    (model, fold) fits run in one parallel batch."""
    from ...parallel import parallel_map
    from ...stats import check_alpha

    alpha = check_alpha(alpha)
    Y = np.asarray(Y, float)
    T = np.asarray(T, int)
    X = np.asarray(X, float)
    tasks = [t for name, params in specs.items()
             for t in oof_tasks(name, params, model_seed(random_state, name), Y, T, X, folds, alpha=alpha)]
    # Slow learners first so the parallel pool does not end on one long task.
    order = {"causal_forest": 0, "dr": 1, "r": 1, "linear_dml": 2, "x": 2}
    tasks.sort(key=lambda t: order.get(t[0], 3))
    return assemble_oof(parallel_map(_fit_predict_task, tasks, n_jobs=n_jobs, backend=backend), len(Y), alpha)
