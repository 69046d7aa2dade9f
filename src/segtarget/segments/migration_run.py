"""The migration step: a quarter-level model with Track 1's settings, quarterly assignment, report section.

Why a quarter-level model: spend, visits and product counts over three months are about a quarter of the
yearly values Track 1 is fit on, so a yearly model would put almost every household-quarter in a low-value
segment. ``quarter_model`` therefore refits Track 1's *settings* (features, transform, NMF rank, number of
segments, seed) on all household-quarter rows pooled, names the segments by the same rules, and measures
its own bootstrap reassignment rates (the noise benchmark of ``migration.py``). A model already fit on
quarter-length windows (``window_days`` about 91, e.g. ``OUT/model_quarterly``) is used as it is.
"""

from __future__ import annotations

import html

import pandas as pd

from ..io import OutputDir
from ..report.section import Figure, Section, Table, Text
from .migration import INACTIVE, MigrationResult, migrate
from .model import SegmentModel
from .quarters import QUARTER_DAYS, stack_quarters

METHOD = (
    "Every household with a purchase in a calendar quarter gets that quarter's features (recency measured from "
    "the quarter's last day) and is assigned with a segmentation fit at quarter level: Track 1's features, "
    "transform, NMF rank and number of segments refit on all household-quarters, because three months of "
    "spend are not comparable with a model fit on a year. The transition matrix counts households by segment in "
    "one quarter and the next ('(no purchase)' = no purchase that quarter); revenue moved is the earlier-quarter "
    "spend of households that changed segment. A household is uncertain when its distance to the nearest "
    "centroid is at least the configured share of its distance to the second nearest (it sits near a border). "
    "Expected noise moves: what the bootstrap reassignment rate of each segment (border uncertainty of the "
    "model) would move with no change in behaviour. At risk: households whose segment's value tier fell in the "
    "last quarter, or who stopped buying from a High/Medium segment."
)


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
        stab = bootstrap_stability(feature_matrix(rows, model.features), W, model.labels_,
                                   n_factors=model.n_factors, n_segments=model.n_segments, n_boot=n_boot,
                                   random_state=model.random_state + 1, n_init=model.n_init, max_iter=model.max_iter,
                                   kmeans_only=False, n_jobs=n_jobs, backend=backend, minibatch=model.minibatch_,
                                   transform=model.scaling, skew_threshold=model.skew_threshold)
        model.summary_["reassignment_rate"] = stab.segment_reassignment(model.labels_)
        model.summary_["jaccard_mean"] = stab.segment_frame()["jaccard_mean"].to_numpy()
    return model


def _pct(x: float) -> str:
    return "n/a" if pd.isna(x) else f"{x:.0%}"


def migration_section(res: MigrationResult, model: SegmentModel, out: OutputDir, figures: bool = True) -> Section:
    """Write the migration tables (and flow figure) and return the report section."""
    from .plots_migration import flows

    order = list(model.names_.sort_values("segment")["name"]) + [INACTIVE]
    last = res.summary.iloc[-1]
    n_risk, n_risk_unc = len(res.at_risk), int(res.at_risk["uncertain"].sum()) if len(res.at_risk) else 0
    text = (f"<p>{len(res.summary) + 1} quarters. From {last['from_quarter']} to {last['to_quarter']}: "
            f"{int(last['moves']):,} of {int(last['active_both']):,} households active in both quarters changed "
            f"segment ({_pct(last['move_share'])}); {_pct(last['uncertain_share_of_moves'])} of these moves involve "
            f"a household near a segment border, and border uncertainty alone would produce about "
            f"{last['expected_noise_moves']:,.0f} moves ({_pct(last['noise_share'])} of those observed). "
            f"{n_risk:,} households are at risk (value tier fell or stopped buying; {n_risk_unc:,} of them "
            f"uncertain).</p>")
    matrix = res.matrix(last["from_quarter"]).reindex(index=order, columns=order, fill_value=0).reset_index()
    blocks = [
        Text(text),
        Table(name="migration_summary", df=res.summary.round(4), caption="Moves per quarter pair and the noise benchmark.",
              csv=out.table("migration_summary", res.summary)),
        Table(name="migration_matrix_last", df=matrix,
              caption=f"Households by segment, {last['from_quarter']} (rows) to {last['to_quarter']} (columns).",
              csv=out.table("migration_matrix_last", matrix)),
        Table(name="migration_matrix", df=res.transitions.round(4), max_rows=40,
              caption="All transitions: households, row share and revenue moved, per quarter pair.",
              csv=out.table("migration_matrix", res.transitions)),
        Table(name="at_risk", df=res.at_risk.round(2), max_rows=20,
              caption="At risk: value tier fell in the last quarter (largest previous spend first).",
              csv=out.table("at_risk", res.at_risk)),
    ]
    out.table("migration_assignments", res.assignments)
    if figures:
        blocks.insert(1, Figure(name="migration_flows", path=out.figure("migration_flows", flows(res.transitions, order)),
                                caption="Households per segment by quarter and the flows between them."))
    warnings = []
    if pd.notna(last["noise_share"]) and last["noise_share"] >= 0.5:
        warnings.append(f"Half or more of the moves {html.escape(str(last['from_quarter']))}→"
                        f"{html.escape(str(last['to_quarter']))} could be assignment noise; act on moves of "
                        "households that are not flagged uncertain.")
    return Section(key="migration", title="Track 1: segment migration by quarter", method_note=METHOD,
                   blocks=blocks, warnings=warnings,
                   headline={"moves_share_last": float(last["move_share"]), "at_risk": n_risk,
                             "facts": [(f"Changed segment {last['from_quarter']}→{last['to_quarter']}",
                                        f"{_pct(last['move_share'])} of active households "
                                        f"({_pct(last['uncertain_share_of_moves'])} of moves near a border)"),
                                       ("Households at risk", f"{n_risk:,}")]})


def compute_migration(base: SegmentModel, by_quarter: dict[str, pd.DataFrame], *, uncertain_ratio: float,
                      n_boot: int, n_jobs: int = -1, backend: str = "joblib") -> tuple[MigrationResult, SegmentModel]:
    """Quarter-level model (unless ``base`` is one) and the migration between quarters, in memory."""
    model = base if is_quarter_model(base) else quarter_model(base, by_quarter, n_boot=n_boot, n_jobs=n_jobs,
                                                               backend=backend)
    return migrate(model, by_quarter, uncertain_ratio), model


def migration_report(res: MigrationResult, model: SegmentModel, out: OutputDir, figures: bool = True) -> Section:
    """Save the quarter-level model under ``model_quarterly/``, write the tables and figure, return the section."""
    model.save(out.root / "model_quarterly")
    return migration_section(res, model, out, figures)


def run_migration(base: SegmentModel, by_quarter: dict[str, pd.DataFrame], out: OutputDir, *, uncertain_ratio: float,
                  n_boot: int, n_jobs: int = -1, backend: str = "joblib", figures: bool = True
                  ) -> tuple[MigrationResult, SegmentModel, Section]:
    """:func:`compute_migration`, then :func:`migration_report`."""
    res, model = compute_migration(base, by_quarter, uncertain_ratio=uncertain_ratio, n_boot=n_boot, n_jobs=n_jobs,
                                   backend=backend)
    return res, model, migration_report(res, model, out, figures)


__all__ = ["compute_migration", "migration_report", "run_migration", "quarter_model", "migration_section",
           "is_quarter_model"]
