"""The CATE learner registry: one row per learner, read by the config check, the zoo, tuning and the report.

A learner is a :class:`Learner`: its key in ``cate.models``, a label, a builder, its default parameters,
whether it gives per-unit intervals, an optional Optuna search space and a relative fit cost. The seven
built-in rows are :data:`BUILTIN` (their functions are in ``builtin.py``); a learner defined anywhere else
is added with :func:`register_learner` and can then be named in ``cate.models``:

>>> register_learner(Learner("ridge_t", "Ridge T-learner", build=my_builder, defaults=lambda cfg: {}))
>>> CateConfig(models=("t", "ridge_t"))

The table lives in the process that registered the learner; :func:`carrying_learners` takes the registered
rows along to parallel workers (which import segtarget afresh and know only the built-ins).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

from ...errors import SegtargetError
from ...registry import Registry
from . import builtin as b


@dataclass(frozen=True)
class Learner:
    """One CATE learner of the zoo.

    ``build(params, seed)`` returns an unfitted estimator with EconML's interface: ``fit(Y, T, X=X)`` and
    ``effect(X)`` (an array of CATEs), plus ``effect_interval(X, alpha=)`` when ``intervals`` is true.
    ``defaults(cfg)`` gives the parameters ``build`` receives unless tuning found better ones (``cfg`` is
    the :class:`~segtarget.causal.cate.config.CateConfig`).
    """

    name: str  # the key written in cate.models: lower-case letters, digits and _ (also a column suffix)
    label: str  # shown in tables, figures and the report
    build: Callable[[dict, int], Any]  # (params, seed) -> unfitted estimator
    defaults: Callable[[Any], dict]  # CateConfig -> params
    intervals: bool = False  # the estimator's effect_interval is a real (1 - alpha) interval (else NaN bounds)
    # (optuna trial, CateConfig) -> params; None: the learner is not tuned (its defaults are used). Name each
    # suggested value after its place in params ("alpha" for params["alpha"], "num_leaves" for
    # params["base"]["num_leaves"], "final_num_leaves" for params["final"]["num_leaves"]) so the tuner can
    # try the defaults first.
    search_space: Callable[[Any, Any], dict] | None = None
    cost: int = 0  # relative fit time: costlier learners are scheduled first, so a pool does not end on one

    def __post_init__(self):
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(self.name)) or self.name == ENSEMBLE:
            raise SegtargetError(f"CATE learner name {self.name!r}: use lower-case letters, digits and _ "
                                 f"(and not '{ENSEMBLE}', the zoo's own mean of the best learners)")
        for key in ("build", "defaults"):
            if not callable(getattr(self, key)):
                raise SegtargetError(f"CATE learner '{self.name}': {key} must be a function")


ENSEMBLE = "ensemble"  # reserved: the mean of the lowest-loss learners (zoo.EnsembleCateModel)


def _searched(defaults, *groups):
    return b.searched(defaults, b.base_space, *groups)


BUILTIN = (
    Learner("s", "S-learner", b.build_s, b.meta_defaults, search_space=_searched(b.meta_defaults)),
    Learner("t", "T-learner", b.build_t, b.meta_defaults, search_space=_searched(b.meta_defaults)),
    Learner("x", "X-learner", b.build_x, b.propensity_defaults, search_space=_searched(b.propensity_defaults),
            cost=1),
    Learner("dr", "DR-learner", b.build_dr, b.final_defaults, cost=2,
            search_space=_searched(b.final_defaults, b.final_space)),
    Learner("r", "R-learner", b.build_r, b.final_defaults, cost=2,
            search_space=_searched(b.final_defaults, b.final_space)),
    Learner("linear_dml", "LinearDML", b.build_linear_dml, b.propensity_defaults, intervals=True, cost=1,
            search_space=_searched(b.propensity_defaults)),
    Learner("causal_forest", "CausalForestDML", b.build_causal_forest, b.forest_defaults, intervals=True,
            cost=3, search_space=_searched(b.forest_defaults, b.forest_space)),
)
BUILTIN_NAMES = tuple(learner.name for learner in BUILTIN)  # the default cate.models

_REGISTRY = Registry("CATE learner", Learner, BUILTIN, "register_learner")


def register_learner(learner: Learner, *, replace: bool = False) -> Learner:
    """Add ``learner`` so ``cate.models`` may name it; returns it. A name already in the table is refused
    unless ``replace`` (built-in learners are never replaced)."""
    return _REGISTRY.register(learner, replace=replace)


def unregister_learner(name: str) -> None:
    """Remove a learner added with :func:`register_learner` (built-ins stay)."""
    _REGISTRY.unregister(name)


def learner_names() -> tuple[str, ...]:
    """Every registered learner's key: the built-ins first, then the registered ones in order."""
    return tuple(_REGISTRY.rows)


def get_learner(name: str) -> Learner:
    """The row of ``name``; an unknown name is a config error naming ``cate.models``."""
    try:
        return _REGISTRY.rows[name]
    except (KeyError, TypeError):
        raise SegtargetError(f"config cate.models: unknown model '{name}'; choose from "
                             f"{', '.join(_REGISTRY.rows)} (or register it with register_learner)") from None


def has_intervals(name: str) -> bool:
    """Whether ``name``'s CATEs come with per-unit intervals (never for the ensemble or an unknown name)."""
    return name in _REGISTRY.rows and _REGISTRY.rows[name].intervals


def check_models(models: tuple[str, ...]) -> tuple[str, ...]:
    """Validate ``cate.models`` against the registry; duplicates are dropped, order kept."""
    if not models:
        raise SegtargetError("config cate.models: empty; list at least one of " + ", ".join(_REGISTRY.rows))
    for m in models:
        get_learner(m)
    return tuple(dict.fromkeys(models))


def cache_token(models) -> str:
    """Part of the CATE step's cache key: registered learners run code the package hash does not cover."""
    return _REGISTRY.cache_token(models)


class _Labels(Mapping):
    """Live read-only ``name -> label`` of every registered learner plus the ensemble."""

    def _table(self) -> dict[str, str]:
        return {**{n: learner.label for n, learner in _REGISTRY.rows.items()}, ENSEMBLE: "Ensemble"}

    def __getitem__(self, name: str) -> str:
        return self._table()[name]

    def __iter__(self):
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


LABELS: Mapping[str, str] = _Labels()


class _Carrying:
    """``func`` that first registers ``learners`` in the process it runs in (a fresh worker knows only the
    built-ins). Picklable: the learners travel with the task (cloudpickle takes functions defined in a
    script by value)."""

    def __init__(self, func, learners: tuple[Learner, ...]):
        self.func, self.learners = func, learners

    def __call__(self, item):
        for learner in self.learners:
            _REGISTRY.rows.setdefault(learner.name, learner)
        return self.func(item)


def carrying_learners(func):
    """``func`` ready for ``parallel_map``: with the registered (non built-in) learners if there are any."""
    added = _REGISTRY.added()
    return _Carrying(func, added) if added else func
