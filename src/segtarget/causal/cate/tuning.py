"""Honest hyperparameter tuning of the CATE models with Optuna (TPE).

Objective: a held-out loss. For each of the first ``tune_folds`` outer folds the candidate is fit on the
other folds and predicts that fold; the loss is computed on those predictions only, so no candidate is
scored on rows it was fit on (the reference scored Optuna trials in-sample). Loss choices:

- ``"dr"``: mean (Gamma - tau_hat)^2 with the shared AIPW scores Gamma (see :mod:`calibration`).
- ``"r"``: Robinson R-loss with the shared cross-fitted nuisances.

The default parameters are evaluated as the first trial, so tuning never returns something that scored
worse than the defaults on its own objective. One study per model; studies run in parallel processes.
Budget: ``n_trials`` per model, stopped early after ``tune_timeout`` seconds (``<= 0``: no time limit; a
time limit makes the number of trials, hence the numbers, depend on machine speed).

Because the tuning folds are later part of the out-of-fold evaluation, the evaluation of a tuned model is
slightly optimistic on those folds; with the default ``tune_folds = 2`` of 5 the effect is small and the
same for every tuned model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .calibration import r_loss
from .config import CateConfig
from .registry import carrying_learners, get_learner
from .zoo import _fit_predict_task, default_params, model_seed, oof_tasks


@dataclass(frozen=True)
class TuningResult:
    """Best parameters of one model's study and its trial history."""

    model: str
    params: dict
    default_loss: float
    best_loss: float
    n_trials: int
    seconds: float
    history: pd.DataFrame  # trial, loss

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"model": self.model, "n_trials": self.n_trials, "default_loss": self.default_loss,
                              "best_loss": self.best_loss, "seconds": self.seconds}])


def suggest_params(name: str, trial, cfg: CateConfig) -> dict[str, Any]:
    """The learner's search space (``Learner.search_space`` in the registry); its defaults if it has none."""
    learner = get_learner(name)
    return learner.search_space(trial, cfg) if learner.search_space else learner.defaults(cfg)


def _flat(params: dict) -> dict:
    """Optuna's flat names for a parameter dict (to enqueue the defaults): a top-level value keeps its name; in a
    group, ``key`` for "base" and ``group_key`` for the others (names the search space does not suggest are
    ignored by Optuna)."""
    flat = {}
    for group, values in params.items():
        if isinstance(values, dict):
            flat.update({(k if group == "base" else f"{group}_{k}"): v for k, v in values.items()})
        else:
            flat[group] = values
    return flat


def held_out_loss(name: str, params: dict, seed: int, data: dict, loss: str, tune_folds: int) -> float:
    """Fit on the other folds, predict each tuning fold, score the loss on the predicted rows only."""
    folds = data["folds"]
    which = np.unique(folds)[:tune_folds]
    tasks = oof_tasks(name, params, seed, data["Y"], data["T"], data["X"], folds, which=which)
    idx, pred = [], []
    for task in tasks:
        _, test, cate, _, _, _ = _fit_predict_task(task)
        idx.append(test)
        pred.append(cate)
    i = np.concatenate(idx)
    c = np.concatenate(pred)
    if not np.isfinite(c).all():
        return float("inf")
    if loss == "r":
        return r_loss(data["Y"][i], data["T"][i], data["e"][i], data["mu0"][i], data["mu1"][i], c)
    return float(np.mean((data["scores"][i] - c) ** 2))


def tune_model(name: str, data: dict, cfg: CateConfig, seed: int) -> TuningResult:
    """One TPE study for ``name`` on the held-out loss (see the module docstring)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    mseed = model_seed(seed, name)
    t0 = time.perf_counter()
    defaults = default_params(name, cfg)
    sampler = optuna.samplers.TPESampler(seed=mseed)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.enqueue_trial(_flat(defaults), skip_if_exists=True)

    def objective(trial):
        params = suggest_params(name, trial, cfg)
        trial.set_user_attr("params", params)
        try:
            return held_out_loss(name, params, mseed, data, cfg.tune_loss, cfg.tune_folds)
        except (ValueError, np.linalg.LinAlgError):
            return float("inf")

    timeout = cfg.tune_timeout if cfg.tune_timeout > 0 else None
    # A learner without a search space has nothing to try beyond its defaults.
    n_trials = cfg.n_trials if get_learner(name).search_space else min(cfg.n_trials, 1)
    study.optimize(objective, n_trials=n_trials, timeout=timeout)
    done = [t for t in study.trials if t.value is not None]
    best = min(done, key=lambda t: (t.value, t.number))
    history = pd.DataFrame({"model": name, "trial": [t.number for t in done], "loss": [t.value for t in done]})
    return TuningResult(name, best.user_attrs["params"], float(done[0].value), float(best.value), len(done),
                        time.perf_counter() - t0, history)


def _tune_task(args) -> TuningResult:
    name, data, cfg, seed = args
    return tune_model(name, data, cfg, seed)


def tune_models(names, Y, T, X, *, scores, nuis, cfg: CateConfig, seed: int, n_jobs: int = 1,
                backend: str = "joblib") -> dict[str, TuningResult]:
    """Tune every model in ``names`` (one study per model, studies in parallel)."""
    from ...parallel import parallel_map

    data = {"Y": np.asarray(Y, float), "T": np.asarray(T, int), "X": np.asarray(X, float), "folds": nuis.folds,
            "scores": np.asarray(scores, float), "e": nuis.e, "mu0": nuis.mu0, "mu1": nuis.mu1}
    results = parallel_map(carrying_learners(_tune_task), [(n, data, cfg, seed) for n in names], n_jobs=n_jobs,
                           backend=backend)
    return {r.model: r for r in results}
