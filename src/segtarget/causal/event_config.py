"""Panel event study parameters (issue 11 item 3)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventStudyConfig:
    """Panel event study: a weekly household x week panel around each target trial."""

    enabled: bool = True  # run the event-study step (panel, stacked DiD, triangulation) in `segtarget run`
    pre_weeks: int = 12  # weeks before each trial start in the panel (fewer when the data starts later)
    outcome: str = "spend"  # weekly outcome: spend (sum of sales_value, $) | baskets (distinct baskets)
    min_units: int = 10  # a trial (or trial x segment cell) needs this many treated and this many controls
