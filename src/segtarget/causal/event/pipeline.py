"""The event-study step of `segtarget run`: panel (DuckDB) -> stacked DiD (pyfixest) -> triangulation; its report
sections are ``report.event_sections``.

:func:`compute_event_study` (in memory; :func:`run_event_study` also writes) depends only on a units table (``panel.design_units``), so it works with any study design
that gives each unit its trial and outcome window (stacked or one window per trial).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ...io import OutputDir
from ...report.section import Section
from .config import EventStudyConfig
from .difference import DesignDifference, difference_test, dr_contributions
from .report import event_sections
from .study import EventStudy, EventStudyResult
from .panel import build_panel, design_units
from .triangulation import (ES_OUTCOME, scale_factor, treated_window_weeks, triangulation_sentence,
                            triangulation_table)


@dataclass(frozen=True)
class EventStudyRun:
    """What the step hands on: the event study, the triangulation table and its summary sentence."""

    result: EventStudyResult
    triangulation: pd.DataFrame | None
    sentence: str
    panel_rows: int
    difference: DesignDifference | None = None  # doubly robust minus event study, household bootstrap

    def summary_frame(self) -> pd.DataFrame:
        return self.result.summary_frame()


def run_event_study(tables, units: pd.DataFrame, cfg: EventStudyConfig, out: OutputDir, *,
                    segment: pd.Series | None = None, ate_table: pd.DataFrame | None = None,
                    ate_headline: dict | None = None, dr_influence=None, seed: int = 0,
                    outcome_scale: str = "window total") -> tuple[EventStudyRun, list[Section]]:
    """:func:`compute_event_study`, then write its table and figure and return the report sections."""
    run = compute_event_study(tables, units, cfg, segment=segment, ate_table=ate_table, ate_headline=ate_headline,
                              dr_influence=dr_influence, seed=seed, outcome_scale=outcome_scale)
    return run, event_sections(run, out, cfg=cfg)


def compute_event_study(tables, units: pd.DataFrame, cfg: EventStudyConfig, *, segment: pd.Series | None = None,
                        ate_table: pd.DataFrame | None = None, ate_headline: dict | None = None,
                        dr_influence=None, seed: int = 0, outcome_scale: str = "window total") -> EventStudyRun:
    """Event study over ``units`` (household_id, index_campaign, treated, outcome_start, outcome_end[,
    outcome_weeks]); ``segment`` = one pre-period segment label per row of ``units``; ``ate_table`` and
    ``ate_headline`` (the ATE stage's table and headline dict by outcome) switch the triangulation on;
    ``dr_influence`` (the headline's influence per row of ``units``, ``ate.estimators.headline_influence``) adds
    the tested difference of the two designs (``difference.py``; ``seed`` draws its bootstrap)."""
    units = design_units(units)
    panel = build_panel(tables.con, units, cfg.pre_weeks)
    seg = None if segment is None else pd.Series(pd.Series(segment).to_numpy(), index=range(len(units)))
    res = EventStudy(outcome=cfg.outcome, min_units=cfg.min_units, level_strata=cfg.level_strata,
                     recent_strata=cfg.recent_strata).fit(panel, segment=seg).result_
    tri, sentence, diff = None, "", None
    outcome = ES_OUTCOME[cfg.outcome]
    if ate_table is not None and ate_headline is not None and outcome in ate_headline:
        head, weeks = ate_headline[outcome], treated_window_weeks(units)
        if dr_influence is not None:
            factor = scale_factor(outcome_scale, weeks)
            diff = difference_test(head["estimate"],
                                   dr_contributions(dr_influence, units["household_id"], head["std_error"]),
                                   res.overall["estimate"] * factor, res.influence * factor,
                                   draws=cfg.difference_draws, seed=seed,
                                   method="household bootstrap, linearised: the headline's influence on its first "
                                          "cross-fitting split (rescaled to its SE) and the event study's "
                                          "household score contributions")
        # the comparison is only "same trials" if the event study kept every trial: name the ones it left out
        skipped = "; ".join(f"left out {s}" for s in res.skipped if "segment" not in s)
        tri = triangulation_table(ate_table, head, res.overall, outcome=outcome, treated_weeks=weeks,
                                  outcome_scale=outcome_scale, es_note=skipped, pretrend_p=res.pretrend["p_value"],
                                  difference=diff)
        sentence = triangulation_sentence(tri, outcome, res.pretrend["p_value"])
    return EventStudyRun(result=res, triangulation=tri, sentence=sentence, panel_rows=len(panel), difference=diff)
