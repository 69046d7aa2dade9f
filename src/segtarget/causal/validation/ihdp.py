"""IHDP benchmark (Hill 2011, response surface B as shipped with EconML): known CATE on real covariates.

747 children, 25 covariates, ~19% treated. Each replication draws new surface coefficients and noise
(``econml.data.dgps.ihdp_surface_B(random_state=r)``). We run the zoo exactly as on campaign data
(cross-fitted nuisances, out-of-fold CATE, the DR-based selection rule) and score every model and the
selected one by out-of-fold sqrt(PEHE) = sqrt(mean((tau_hat - tau)^2)). Published anchors (Shalit et al.
2017, out-of-sample IHDP): BART 2.3, causal forest 3.8.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..cate.config import CateConfig
from ..nuisance import crossfit_nuisances, dr_scores


def load_ihdp(replication: int) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, np.ndarray]:
    """(Y, T, X, true CATE) of one IHDP surface-B replication."""
    from econml.data.dgps import ihdp_surface_B

    Y, T, X, tau = ihdp_surface_B(random_state=replication)
    Xdf = pd.DataFrame(np.asarray(X, float), columns=[f"x{j + 1}" for j in range(np.asarray(X).shape[1])])
    return np.asarray(Y, float).ravel(), np.asarray(T, int).ravel(), Xdf, np.asarray(tau, float).ravel()


def ihdp_replication(replication: int, cfg: CateConfig, seed: int = 0, n_jobs: int = 1) -> pd.DataFrame:
    """One replication: per model sqrt(PEHE), ATE bias, DR loss and whether the rule selected it."""
    from ..cate.pipeline import evaluate_zoo, fit_zoo

    Y, T, X, tau = load_ihdp(replication)
    nuis = crossfit_nuisances(Y, T, X.to_numpy(float), n_folds=cfg.folds, random_state=seed)
    scores = dr_scores(Y, T, nuis)
    oof, _, _ = fit_zoo(Y, T, X, nuis=nuis, scores=scores, cfg=cfg, seed=seed, n_jobs=n_jobs)
    cates = {m: o.cate for m, o in oof.items()}
    table, *_ , selected, _ = evaluate_zoo(cates, Y=Y, T=T, scores=scores, nuis=nuis, cfg=cfg, seed=seed)
    rows = []
    for m, c in cates.items():
        rows.append({"replication": replication, "model": m, "sqrt_pehe": float(np.sqrt(np.mean((c - tau) ** 2))),
                     "ate_bias": float(c.mean() - tau.mean()),
                     "dr_loss": float(table.set_index("model").loc[m, "dr_loss"]), "selected": m == selected})
    return pd.DataFrame(rows)


def ihdp_benchmark(n_reps: int = 5, cfg: CateConfig | None = None, seed: int = 0, n_jobs: int = -1) -> pd.DataFrame:
    """``n_reps`` replications (0 .. n_reps-1); bootstrap replicates are skipped (selection does not use them)."""
    cfg = dataclasses.replace(cfg or CateConfig(), n_boot=0)
    return pd.concat([ihdp_replication(r, cfg, seed, n_jobs) for r in range(n_reps)], ignore_index=True)


def ihdp_summary(results: pd.DataFrame) -> pd.DataFrame:
    """Mean sqrt(PEHE) per model and for the selected model across replications."""
    per_model = results.groupby("model")["sqrt_pehe"].mean().rename("mean_sqrt_pehe").reset_index()
    sel = results[results["selected"]]
    chosen = pd.DataFrame([{"model": "selected (" + ", ".join(sel["model"]) + ")",
                            "mean_sqrt_pehe": float(sel["sqrt_pehe"].mean())}])
    return pd.concat([per_model.sort_values("mean_sqrt_pehe"), chosen], ignore_index=True)
