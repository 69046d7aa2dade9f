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
from .zoo import WITH_FINAL, _fit_predict_task, default_params, model_seed, oof_tasks


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
    """Search space per model (LightGBM bases; final stage and forest where the model has them)."""
    params = default_params(name, cfg)
    params["base"] = dict(
        n_estimators=trial.suggest_int("n_estimators", 50, 400, log=True),
        learning_rate=trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
        num_leaves=trial.suggest_int("num_leaves", 4, 48, log=True),
        min_child_samples=trial.suggest_int("min_child_samples", 5, 100, log=True),
        reg_lambda=trial.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
        subsample=trial.suggest_float("subsample", 0.5, 1.0),
        colsample_bytree=trial.suggest_float("colsample_bytree", 0.5, 1.0),
    )
    if name in WITH_FINAL:
        params["final"] = dict(
            n_estimators=trial.suggest_int("final_n_estimators", 30, 300, log=True),
            learning_rate=trial.suggest_float("final_learning_rate", 0.01, 0.2, log=True),
            num_leaves=trial.suggest_int("final_num_leaves", 2, 31, log=True),
            min_child_samples=trial.suggest_int("final_min_child_samples", 10, 200, log=True),
            reg_lambda=trial.suggest_float("final_reg_lambda", 0.1, 50.0, log=True),
            subsample=0.8, colsample_bytree=0.8,
        )
    if name == "causal_forest":
        params["forest"] = dict(
            n_estimators=trial.suggest_int("forest_n_estimators", 100, 800, step=4),
            min_samples_leaf=trial.suggest_int("forest_min_samples_leaf", 5, 100, log=True),
            max_samples=trial.suggest_float("forest_max_samples", 0.2, 0.5),
            max_features=trial.suggest_float("forest_max_features", 0.3, 1.0),
            max_depth=trial.suggest_categorical("forest_max_depth", [None, 6, 10, 15, 20]),
            min_impurity_decrease=0.0,
            min_balancedness_tol=trial.suggest_float("forest_min_balancedness_tol", 0.3, 0.5),
        )
    return params


def _flat(params: dict) -> dict:
    """Optuna's flat names for a nested parameter dict (to enqueue the defaults)."""
    flat = dict(params["base"])
    for k, v in params.get("final", {}).items():
        if k not in ("subsample", "colsample_bytree"):
            flat[f"final_{k}"] = v
    for k, v in params.get("forest", {}).items():
        if k not in ("min_impurity_decrease",):
            flat[f"forest_{k}"] = v
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
    study.optimize(objective, n_trials=cfg.n_trials, timeout=timeout)
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
    results = parallel_map(_tune_task, [(n, data, cfg, seed) for n in names], n_jobs=n_jobs, backend=backend)
    return {r.model: r for r in results}
