"""Optuna tuning on a held-out loss: never worse than the defaults, never scored on its training rows."""

import numpy as np

from segtarget.causal.cate.config import CateConfig
from segtarget.causal.nuisance import crossfit_nuisances, dr_scores
from segtarget.causal.cate.tuning import held_out_loss, tune_models
from segtarget.causal.cate.zoo import default_params


def _data(n=300):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    T = rng.binomial(1, 0.5, n)
    Y = X[:, 0] + T * X[:, 1] + rng.normal(size=n)
    nuis = crossfit_nuisances(Y, T, X, n_folds=3, seed=0)
    return Y, T, X, nuis


def test_tuning_keeps_defaults_as_first_trial_and_improves_or_ties():
    Y, T, X, nuis = _data()
    cfg = CateConfig(n_trials=4, tune_timeout=0, tune_folds=1, n_estimators=50)
    res = tune_models(("t",), Y, T, X, scores=dr_scores(Y, T, nuis), nuis=nuis, cfg=cfg, seed=0, n_jobs=1)["t"]
    assert res.n_trials == 4 and len(res.history) == 4
    assert res.best_loss <= res.default_loss
    assert res.history["loss"].iloc[0] == res.default_loss
    again = tune_models(("t",), Y, T, X, scores=dr_scores(Y, T, nuis), nuis=nuis, cfg=cfg, seed=0, n_jobs=1)["t"]
    assert again.history["loss"].tolist() == res.history["loss"].tolist()


def test_held_out_loss_only_uses_the_tuning_fold():
    Y, T, X, nuis = _data()
    g = dr_scores(Y, T, nuis)
    data = {"Y": Y, "T": T, "X": X, "folds": nuis.folds, "scores": g, "e": nuis.e, "mu0": nuis.mu0, "mu1": nuis.mu1}
    params = default_params("t", CateConfig(n_estimators=50))
    base = held_out_loss("t", params, 0, data, "dr", tune_folds=1)
    # scores outside fold 0 are never used to score fold-0 predictions
    data2 = dict(data, scores=np.where(nuis.folds == 0, g, 1e6))
    assert held_out_loss("t", params, 0, data2, "dr", tune_folds=1) == base
    assert np.isfinite(held_out_loss("t", params, 0, data, "r", tune_folds=1))
