"""The ranking test of the selected CATE model: repeated household splits, median-adjusted p-value.

Question: does the model rank the *valued* households better than random (H0: AUTOC <= 0, one-sided)?

For every split s = 1..S (``cate.ranking_splits``):

1. Split the households in half at random, half of the ever-treated and half of the others
   (:func:`refute.half_split`): no household is on both sides.
2. Refit the selected learner, with its selected hyperparameters, on the training half only.
3. Rank the held-out half's *valued* units (propensity inside ``policy.overlap``, the units the policies are
   valued on; all units when no band is given) by that CATE and compute their AUTOC against the AIPW scores
   (:mod:`rate`). Its standard error is a bootstrap over households (a household that is a unit in several
   trials is drawn whole); one-sided p_s = P(N(0, 1) > AUTOC_s / SE_s).

The splits are combined as in Chernozhukov, Demirer, Duflo & Fernández-Val ("Generic machine learning
inference on heterogeneous treatment effects in randomized experiments", the variational median p-value):
p = min(1, 2 x median_s p_s), valid at its level whatever the dependence between the splits (if
2 x median <= alpha, at least half of the p_s are <= alpha/2, and by Markov's inequality that happens with
probability <= alpha). The estimate is the median of the AUTOC_s; the interval is the median of the per-split
lower and upper bounds at level 1 - alpha/2, a 1 - alpha (95%) interval by the same argument.

One split (the previous test) made the verdict hinge on the luck of a single coin toss; the median of S
splits removes that and the factor 2 pays for it.

What is *not* held out: the choice of the learner and, with ``cate.n_trials`` > 0, its hyperparameters were
made on all units, the held-out half included. The refit on the training half keeps the ranking itself
honest; the remaining leak is a discrete choice among the zoo's models by DR loss (not by AUTOC, see
:mod:`selection`). The planted benchmarks (benchmarks/regimes.py) fix the learner in advance and
have no such leak.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .rate import evaluate_ranking
from .refute import half_split
from .registry import carrying_learners

# Per-split intervals at level 1 - alpha/2 so the median interval is a 1 - alpha (95%) one.
Z_SPLIT = 2.241402727604947  # norm.ppf(1 - 0.025 / 2)


@dataclass(frozen=True)
class RankingTest:
    """The ranking test's per-split results and their median combination (see the module docstring)."""

    splits: pd.DataFrame  # one row per split: split, n_test, n_test_households, autoc, se, lower, upper, p_value
    estimate: float  # median of the per-split AUTOCs
    se: float  # median of the per-split standard errors (descriptive)
    lower: float  # median of the per-split 97.5% bounds: a 95% interval
    upper: float
    p_value: float  # min(1, 2 x median of the per-split one-sided p-values)
    population: str  # which held-out units were ranked, e.g. "propensity in [0.1, 0.9]"

    @property
    def n_splits(self) -> int:
        return len(self.splits)

    @property
    def description(self) -> str:
        """How the p-value was formed, for report text and key_results.csv."""
        return (f"AUTOC of the selected model on held-out households ({self.population}); one-sided p = "
                f"median of {self.n_splits} household-split p-values ×2")

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"target": "AUTOC", "estimate": self.estimate, "se": self.se, "ci_lower": self.lower,
                              "ci_upper": self.upper, "p_value_one_sided": self.p_value,
                              "n_splits": self.n_splits, "population": self.population}])


def median_p(p_values) -> float:
    """Chernozhukov et al.'s median adjustment: min(1, 2 x median), NaN if no split gave a p-value."""
    p = np.asarray(p_values, float)
    p = p[np.isfinite(p)]
    return float(min(1.0, 2.0 * np.median(p))) if len(p) else float("nan")


def household_splits(T, groups, n_splits: int, seed: int) -> list[np.ndarray]:
    """Training rows of ``n_splits`` random household halves (stratified by ever-treated), reproducible."""
    T = np.asarray(T, int)
    groups = np.arange(len(T)) if groups is None else np.asarray(groups)
    return [half_split(T, np.random.default_rng([seed, 7919, s]), groups) for s in range(n_splits)]


def valued_mask(propensity, overlap: tuple[float, float] | None) -> np.ndarray:
    """Units the policies are valued on: propensity inside ``overlap`` (every unit when it is None)."""
    e = np.asarray(propensity, float)
    return np.ones(len(e), bool) if overlap is None else (e >= overlap[0]) & (e <= overlap[1])


def combine_splits(scores, held: list[np.ndarray], cates: list[np.ndarray], *, groups=None, valued=None,
                   n_boot: int = 200, seed: int = 0, population: str = "all units") -> RankingTest:
    """Per-split AUTOC of ``cates[s]`` (predicted for the rows ``held[s]``) on the valued held-out units, with a
    household bootstrap, and the median combination."""
    from scipy.stats import norm

    g = np.asarray(scores, float)
    groups = np.arange(len(g)) if groups is None else np.asarray(groups)
    valued = np.ones(len(g), bool) if valued is None else np.asarray(valued, bool)
    rows = []
    for s, (h, c) in enumerate(zip(held, cates)):
        keep = valued[h]
        h, c = h[keep], np.asarray(c, float)[keep]
        est = se = p = float("nan")
        if len(h) >= 2:
            a = evaluate_ranking(g[h], c, n_boot=n_boot, random_state=seed + s, grid=10, groups=groups[h]).autoc
            est, se = a.estimate, a.se
            p = float(norm.sf(est / se)) if se > 0 else float("nan")
        rows.append({"split": s + 1, "n_test": len(h), "n_test_households": len(np.unique(groups[h])),
                     "autoc": est, "se": se, "lower": est - Z_SPLIT * se, "upper": est + Z_SPLIT * se,
                     "p_value": p})
    df = pd.DataFrame(rows)
    med = (lambda col: float(np.nanmedian(df[col])) if df[col].notna().any() else float("nan"))
    return RankingTest(splits=df, estimate=med("autoc"), se=med("se"), lower=med("lower"), upper=med("upper"),
                       p_value=median_p(df["p_value"]), population=population)


def population_label(overlap: tuple[float, float] | None) -> str:
    return "all units" if overlap is None else f"propensity in [{overlap[0]:g}, {overlap[1]:g}]"


def ranking_test(name: str, params: dict, Y, T, X, scores, *, propensity, overlap: tuple[float, float] | None,
                 groups=None, n_splits: int = 10, n_boot: int = 200, seed: int = 0, n_jobs: int = 1,
                 backend: str = "joblib") -> RankingTest:
    """The whole test for the zoo learner ``name`` with ``params`` (module docstring). ``seed`` is the run seed:
    the learner gets the same seed as its other refits, the splits their own streams."""
    from ...parallel import parallel_map
    from .refute import _refit_task

    Y, T, X = np.asarray(Y, float), np.asarray(T, int), np.asarray(X, float)
    train = household_splits(T, groups, n_splits, seed)
    held = [np.setdiff1d(np.arange(len(Y)), r) for r in train]
    tasks = [("ranking", name, params, seed, Y, T, X, r, X[h]) for r, h in zip(train, held)]
    outs = parallel_map(carrying_learners(_refit_task), tasks, n_jobs=n_jobs, backend=backend)
    return combine_splits(scores, held, [o.cate for o in outs], groups=groups,
                          valued=valued_mask(propensity, overlap), n_boot=n_boot, seed=seed,
                          population=population_label(overlap))

