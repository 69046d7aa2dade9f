"""Track 2b parameters: CATE model zoo, tuning, evaluation, refutation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CateConfig:
    models: tuple[str, ...] = ("s", "t", "x", "dr", "r", "linear_dml", "causal_forest")
    folds: int = 5
    n_trials: int = 0
    n_placebo: int = 20
    n_random_cause: int = 10
    n_subset: int = 10
