"""Track 2b parameters: CATE model zoo, tuning, evaluation, refutation, interpretation.

The defaults are sized so that the whole CATE stage (7 models x 5 folds, evaluation, 45 refutation refits,
interpretation and figures) runs in about 30 s per outcome on 2 cores for ~2,000 households. The
reference's budget (100 Optuna trials per model) is reachable with ``n_trials = 100`` and a larger
``tune_timeout``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import ConfigCheck
from .registry import BUILTIN_NAMES, check_models


@dataclass(frozen=True)
class CateConfig:
    # Learners in the zoo (causal/cate/registry.py): the built-in s, t, x, dr, r (NonParamDML), linear_dml,
    # causal_forest, or any learner added with register_learner (docs/architecture.md).
    models: tuple[str, ...] = BUILTIN_NAMES
    # Outer folds for out-of-fold CATE; the nuisances' fold ids are reused when they are passed in.
    folds: int = 5
    # Internal cross-fitting folds of the DR / DML learners (inside each outer training set).
    inner_cv: int = 2
    # LightGBM trees for every nuisance and meta-learner base model (small on purpose: speed).
    n_estimators: int = 200
    # CausalForestDML trees (rounded up to a multiple of 4, the BLB sub-forest size) and minimum leaf size.
    forest_trees: int = 200
    forest_min_leaf: int = 20
    # Optuna TPE trials per model and outcome (0 = keep the defaults; the reference used 100).
    n_trials: int = 0
    # Wall-clock limit per model and outcome for tuning, in seconds (stops the study early).
    tune_timeout: float = 60.0
    # Tuning loss on held-out rows: "dr" (squared error to the AIPW score) or "r" (Robinson R-loss).
    tune_loss: str = "dr"
    # How many of the outer folds serve as held-out validation folds during tuning (1 fit per fold/trial).
    tune_folds: int = 2
    # Add the mean of the 3 best models (by held-out DR loss) as a candidate "ensemble" model.
    ensemble: bool = False
    # Bootstrap replicates for the RATE / TOC confidence intervals.
    n_boot: int = 200
    # Household splits of the ranking test (cate/ranking.py): the selected learner is refit on a random half of
    # the households S times and its AUTOC judged on the other half; p = 2 x median of the S p-values.
    # Each split costs one fit of the selected learner on half of the units.
    ranking_splits: int = 10
    # Groups for GATES (5 = CATE quintiles).
    n_groups: int = 5
    # Refutation refits of the selected model.
    n_placebo: int = 20
    n_random_cause: int = 10
    n_subset: int = 10
    subset_min: float = 0.5  # subset sizes are spread evenly over [subset_min, subset_max] of the units
    subset_max: float = 0.8
    n_dummy: int = 5
    # Above this many units the zoo, model comparison, selection and refutations are fitted on a stratified
    # sample (treatment arm x outcome quintile) and the selected model scores every other unit; the report says so.
    # Equal to sample_size, so the stage's cost grows with the units up to it and stays flat above (no jump).
    sample_threshold: int = 20_000
    # Units in that stratified sample.
    sample_size: int = 20_000
    # Shallow CATE tree for readable rules: depth and minimum leaf share of the units.
    tree_depth: int = 2
    tree_min_leaf: float = 0.05

    def __post_init__(self):
        c = ConfigCheck("cate", self)
        check_models(self.models)
        for name in ("folds", "inner_cv"):
            c.within(name, "[2, inf)")
        for name in ("n_estimators", "forest_trees", "forest_min_leaf", "sample_threshold", "sample_size",
                     "tree_depth", "ranking_splits"):
            c.within(name, "[1, inf)")
        # tune_timeout: any number (<= 0 means no time limit, see tuning.py)
        for name in ("n_trials", "n_boot", "n_placebo", "n_random_cause", "n_subset", "n_dummy"):
            c.within(name, "[0, inf)")
        c.one_of("tune_loss", ("dr", "r"))
        c.within("tune_folds", f"[1, {self.folds}]", min(2, self.folds))
        c.within("n_groups", "[2, inf)")
        c.within("subset_min", "(0, 1)")
        c.within("subset_max", "(0, 1)")
        c.holds(self.subset_min <= self.subset_max, "subset_min", f"<= cate.subset_max ({self.subset_max})")
        c.within("tree_min_leaf", "(0, 0.5)")
