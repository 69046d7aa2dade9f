"""The migration step: a quarter-level model with Track 1's settings and the quarterly assignment (its report
section is ``report.migration_sections``).

Why a quarter-level model: spend, visits and product counts over three months are about a quarter of the
yearly values Track 1 is fit on, so a yearly model would put almost every household-quarter in a low-value
segment. ``quarter_model`` therefore refits Track 1's *settings* (features, transform, NMF rank, number of
segments, seed) on all household-quarter rows pooled, names the segments by the same rules, and measures
its own bootstrap reassignment rates (the noise benchmark of ``migration.py``). A model already fit on
quarter-length windows (``window_days`` about 91, e.g. ``OUT/model_quarterly``) is used as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..io import OutputDir
from ..report.section import Section
from .migration import MigrationResult, migrate
from .model import SegmentModel
from .quarters import QUARTER_DAYS, stack_quarters


@dataclass(frozen=True)
class MigrationRun:
    """The migration step: the result and the quarter-level model, or why it was skipped."""

    result: MigrationResult | None
    model: SegmentModel | None
    skipped: str = ""


def is_quarter_model(model: SegmentModel) -> bool:
    return abs(int(getattr(model, "window_days", 0)) - QUARTER_DAYS) <= 10


def quarter_model(base: SegmentModel, by_quarter: dict[str, pd.DataFrame], *, n_boot: int, n_jobs: int = -1,
                  backend: str = "joblib") -> SegmentModel:
    """``base``'s settings refit on pooled household-quarter rows, with bootstrap reassignment rates."""
    from .featureset import feature_matrix
    from .stability import bootstrap_stability

    rows = stack_quarters(by_quarter)
    model = SegmentModel(tuple(base.features), base.n_factors, base.n_segments, base.random_state, base.n_init,
                         base.max_iter, base.revenue_feature, scale_threshold=base.scale_threshold,
                         scaling=base.scaling, skew_threshold=base.skew_threshold,
                         window_days=QUARTER_DAYS).fit(rows)
    if n_boot > 0:
        W = model.scores_[list(model.factors_["factor"])].to_numpy()
        stab = bootstrap_stability(feature_matrix(rows, model.features), W, model.labels_, model.spec_,
                                   n_factors=model.n_factors, n_segments=model.n_segments, n_boot=n_boot,
                                   random_state=model.random_state + 1, kmeans_only=False, n_jobs=n_jobs,
                                   backend=backend)
        model.summary_["reassignment_rate"] = stab.segment_reassignment(model.labels_)
        model.summary_["jaccard_mean"] = stab.segment_frame()["jaccard_mean"].to_numpy()
    return model


def compute_migration(base: SegmentModel, by_quarter: dict[str, pd.DataFrame], *, uncertain_ratio: float,
                      n_boot: int, n_jobs: int = -1, backend: str = "joblib") -> tuple[MigrationResult, SegmentModel]:
    """Quarter-level model (unless ``base`` is one) and the migration between quarters, in memory."""
    model = base if is_quarter_model(base) else quarter_model(base, by_quarter, n_boot=n_boot, n_jobs=n_jobs,
                                                               backend=backend)
    return migrate(model, by_quarter, uncertain_ratio), model


def run_migration(base: SegmentModel, by_quarter: dict[str, pd.DataFrame], out: OutputDir, *, uncertain_ratio: float,
                  n_boot: int, n_jobs: int = -1, backend: str = "joblib", figures: bool = True
                  ) -> tuple[MigrationResult, SegmentModel, list[Section]]:
    """:func:`compute_migration`, then :func:`~segtarget.segments.report.migration_sections`."""
    from .report import migration_sections

    res, model = compute_migration(base, by_quarter, uncertain_ratio=uncertain_ratio, n_boot=n_boot, n_jobs=n_jobs,
                                   backend=backend)
    return res, model, migration_sections(MigrationRun(res, model), out, figures=figures)


__all__ = ["MigrationRun", "compute_migration", "run_migration", "quarter_model", "is_quarter_model"]
