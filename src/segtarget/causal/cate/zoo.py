"""The CATE model zoo: the registered learners behind one small estimator, with out-of-fold prediction.

The learners (seven EconML estimators built in, plus any added with ``register_learner``) are rows of
``registry.py``; this module fits whichever ``cate.models`` names. Learners without per-unit intervals
report NaN bounds rather than a made-up band.

"Out-of-fold" means: for each outer fold k the learner (including its own internal cross-fitting) is fit
on the other folds and predicts fold k, so no unit's CATE comes from a model that saw it.
"""

from __future__ import annotations

import hashlib
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
from .config import CateConfig
from .registry import BUILTIN_NAMES, LABELS, carrying_learners, check_models, get_learner  # noqa: F401 (re-exported)

MODEL_NAMES = BUILTIN_NAMES  # the built-in learners (st.CATE_MODELS); registry.learner_names() has every one


def model_seed(seed: int, name: str) -> int:
    """Per-model seed from the learner's name (a stable hash, not its position in any list), so adding,
    removing or reordering learners leaves every other learner's numbers as they were."""
    word = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    return int(np.random.SeedSequence([seed, word]).generate_state(1)[0] % (2**31 - 1))


def default_params(name: str, cfg: CateConfig) -> dict[str, Any]:
    """The learner's default parameters (small and regularised for the built-ins: see ``builtin.py``)."""
    return get_learner(name).defaults(cfg)


def make_estimator(name: str, params: dict[str, Any], seed: int):
    """The unfitted estimator of learner ``name`` with ``params`` (see :func:`default_params`)."""
    return get_learner(name).build(params, seed)


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
        if not get_learner(self.name).intervals:
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
    tasks.sort(key=lambda t: -get_learner(t[0]).cost)
    return assemble_oof(parallel_map(carrying_learners(_fit_predict_task), tasks, n_jobs=n_jobs, backend=backend),
                        len(Y), alpha)
