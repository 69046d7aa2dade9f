"""Refutation tests of the *selected* CATE model (same learner, same hyperparameters, all units).

Every refit changes one thing and checks that the model reacts the way a valid model must. "ATE" below is
the mean CATE of a refit over all units; SE is the doubly-robust standard error of the real ATE,
sd(Gamma) / sqrt(n), the yardstick for "small".

placebo (effect)        T replaced by a permutation of T within propensity deciles (keeps the confounding
                        pattern, removes any real effect); ``n_placebo`` draws. Statistic |mean placebo ATE|
                        / SE; passes below 1.
placebo (heterogeneity) Permutation p-value (1 + #{sd of placebo CATE >= sd of real CATE}) / (1 + draws);
                        passes below 0.05: the real treatment must show more CATE spread than every fake one.
random common cause     An independent N(0, 1) column is added to X; ``n_random_cause`` refits. Statistic
                        mean |ATE_new - ATE| / SE; passes below 1 (the estimate stays within its own SE).
data subset             Refits on random subsets of 50-80% of the units (``n_subset``), predicting all units.
                        Statistic: median Spearman correlation of the subset CATE with the full-data CATE;
                        passes at 0.6 or more (the ranking used for targeting is stable).
dummy outcome           Y replaced by m(x) + permuted residuals, m(x) = e mu1 + (1 - e) mu0 from the
                        cross-fitted nuisances: still depends on X (so still confounded) but the true effect
                        is exactly 0; ``n_dummy`` draws. Statistic |mean dummy ATE| / SE; passes below 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...threads import single_threaded
from .config import CateConfig
from .registry import carrying_learners
from .zoo import build_model


@dataclass(frozen=True)
class RefitOutcome:
    kind: str
    cate: np.ndarray  # CATE of the refit on all units
    model: object | None  # only kept for the "final" refit


@single_threaded
def _refit_task(task) -> RefitOutcome:
    kind, name, params, seed, Y, T, X, rows, X_pred = task
    model = build_model(name, params, seed).fit(Y[rows], T[rows], X=X[rows])
    cate = model.effect(X_pred)
    return RefitOutcome(kind, cate, model if kind == "final" else None)


def _strata_permutation(T: np.ndarray, e: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    strata = np.searchsorted(np.quantile(e, np.linspace(0.1, 0.9, 9)), e, side="right")
    out = T.copy()
    for s in np.unique(strata):
        idx = np.flatnonzero(strata == s)
        out[idx] = T[rng.permutation(idx)]
    return out


def half_split(T: np.ndarray, rng: np.random.Generator, groups: np.ndarray | None = None) -> np.ndarray:
    """Sorted indices of a random half of the units, stratified by treatment.

    With ``groups`` (household ids of a stacked design, where a household can be a unit in several trials)
    whole households are drawn - half of those with a treated unit and half of the others - so no household
    sits on both sides and the held-out half really is unseen by the model fit on the other.
    """
    if groups is None:
        rows = [rng.choice(np.flatnonzero(T == a), size=int((T == a).sum()) // 2, replace=False) for a in (0, 1)]
        return np.sort(np.concatenate(rows))
    groups = np.asarray(groups)
    ever = pd.Series(np.asarray(T, int)).groupby(groups).max()
    picked = [rng.choice(ids, size=len(ids) // 2, replace=False)
              for ids in (ever.index[ever == 0].to_numpy(), ever.index[ever == 1].to_numpy())]
    return np.flatnonzero(np.isin(groups, np.concatenate(picked)))


def refit_tasks(name: str, params: dict, seed: int, Y, T, X, *, nuis, cfg: CateConfig) -> list[tuple]:
    """The final refit and every refutation refit (the ranking test's refits are in :mod:`ranking`)."""
    Y = np.asarray(Y, float)
    T = np.asarray(T, int)
    X = np.asarray(X, float)
    n = len(Y)
    rng = np.random.default_rng([seed, 7919])
    allrows = np.arange(n)
    tasks = [("final", name, params, seed, Y, T, X, allrows, X)]
    for _ in range(cfg.n_placebo):
        tasks.append(("placebo", name, params, seed, Y, _strata_permutation(T, nuis.e, rng), X, allrows, X))
    for _ in range(cfg.n_random_cause):
        Xa = np.column_stack([X, rng.standard_normal(n)])
        tasks.append(("random_cause", name, params, seed, Y, T, Xa, allrows, Xa))
    fracs = np.linspace(cfg.subset_min, cfg.subset_max, cfg.n_subset) if cfg.n_subset > 1 else [cfg.subset_max]
    for f in fracs[: cfg.n_subset]:
        rows = np.sort(rng.choice(n, size=max(int(round(f * n)), 20), replace=False))
        tasks.append(("subset", name, params, seed, Y, T, X, rows, X))
    m = nuis.e * nuis.mu1 + (1 - nuis.e) * nuis.mu0
    for _ in range(cfg.n_dummy):
        tasks.append(("dummy", name, params, seed, m + rng.permutation(Y - m), T, X, allrows, X))
    return tasks


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(spearmanr(a, b)[0])


def refutation_table(outcomes: list[RefitOutcome], scores) -> pd.DataFrame:
    """Summarise refits into one row per test (see the module docstring for statistics and thresholds)."""
    g = np.asarray(scores, float)
    se = float(g.std(ddof=1) / np.sqrt(len(g)))
    full = next(o.cate for o in outcomes if o.kind == "final")
    ate, sd = float(full.mean()), float(full.std())
    by = {k: [o.cate for o in outcomes if o.kind == k] for k in ("placebo", "random_cause", "subset", "dummy")}
    rows = []

    def add(test, stat, thr, passed, runs, refuted, meaning_ok, meaning_bad, actual):
        rows.append({"test": test, "statistic": stat, "threshold": thr, "passed": bool(passed), "n_runs": runs,
                     "actual": actual, "refuted_mean": float(np.mean(refuted)) if len(refuted) else np.nan,
                     "refuted_sd": float(np.std(refuted, ddof=1)) if len(refuted) > 1 else np.nan,
                     "meaning": meaning_ok if passed else meaning_bad})

    if by["placebo"]:
        p_ates = [c.mean() for c in by["placebo"]]
        z = abs(np.mean(p_ates)) / se
        add("placebo treatment: effect", z, "< 1 (|mean placebo ATE| / SE)", z < 1, len(p_ates), p_ates,
            "With a fake treatment the estimated average effect vanishes, as it should.",
            "A fake treatment still produces an average effect: the adjustment for who was targeted is off.",
            ate)
        p_sds = np.array([c.std() for c in by["placebo"]])
        pval = (1 + np.sum(p_sds >= sd)) / (1 + len(p_sds))
        add("placebo treatment: heterogeneity", pval, "< 0.05 (permutation p-value of the CATE spread)",
            pval < 0.05, len(p_sds), p_sds,
            "The real treatment shows more CATE spread than every fake treatment: the heterogeneity is not noise.",
            "Fake treatments produce as much CATE spread as the real one: the household-level differences "
            "may be noise.", sd)
    if by["random_cause"]:
        shifts = [abs(c.mean() - ate) for c in by["random_cause"]]
        z = float(np.mean(shifts)) / se
        add("random common cause", z, "< 1 (mean |ATE shift| / SE)", z < 1, len(shifts),
            [c.mean() for c in by["random_cause"]],
            "Adding an irrelevant random covariate barely moves the estimate.",
            "An irrelevant random covariate moves the estimate noticeably: the model is unstable.", ate)
    if by["subset"]:
        rhos = [_spearman(c, full) for c in by["subset"]]
        med = float(np.nanmedian(rhos)) if np.isfinite(rhos).any() else float("nan")
        add("data subset: ranking", med, ">= 0.6 (median Spearman, subset vs full CATE)",
            np.isfinite(med) and med >= 0.6, len(rhos), [c.mean() for c in by["subset"]],
            "Refitting on 50-80% of the households gives a similar ranking of households.",
            "Refitting on 50-80% of the households reorders them: targeting by this ranking is fragile.", ate)
    if by["dummy"]:
        d_ates = [c.mean() for c in by["dummy"]]
        z = abs(np.mean(d_ates)) / se
        add("dummy outcome", z, "< 1 (|mean dummy ATE| / SE)", z < 1, len(d_ates), d_ates,
            "On an outcome the treatment cannot affect, the estimated effect is about zero.",
            "The model finds an effect on an outcome the treatment cannot affect: confounding is not removed.",
            ate)
    return pd.DataFrame(rows)


def run_refutations(name: str, params: dict, seed: int, Y, T, X, *, nuis, scores, cfg: CateConfig,
                    n_jobs: int = 1, backend: str = "joblib"
                    ) -> tuple[object, pd.DataFrame, pd.DataFrame]:
    """Refit the selected model on all units and run every refutation.

    ``seed`` is the run seed (per-model seeds are derived from it). Returns (final model, one-row-per-test
    table, one-row-per-refit table with each refit's ATE and CATE spread).
    """
    from ...parallel import parallel_map

    tasks = refit_tasks(name, params, seed, Y, T, X, nuis=nuis, cfg=cfg)
    outs = parallel_map(carrying_learners(_refit_task), tasks, n_jobs=n_jobs, backend=backend)
    final = next(o.model for o in outs if o.kind == "final")
    full = next(o.cate for o in outs if o.kind == "final")
    runs = pd.DataFrame([{"kind": o.kind, "ate": float(o.cate.mean()), "cate_sd": float(o.cate.std()),
                          "spearman_vs_full": _spearman(o.cate, full) if o.kind == "subset" else np.nan}
                         for o in outs])
    return final, refutation_table(outs, scores), runs
