"""Panel event study parameters (issue 11 item 3)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SegtargetError


@dataclass(frozen=True)
class EventStudyConfig:
    """Panel event study: a weekly household x week panel around each target trial."""

    enabled: bool = True  # run the event-study step (panel, stacked DiD, triangulation) in `segtarget run`
    pre_weeks: int = 12  # weeks before each trial start in the panel (fewer when the data starts later)
    outcome: str = "spend"  # weekly outcome: spend (sum of sales_value, $) | baskets (distinct baskets)
    min_units: int = 10  # a trial (or trial x segment cell) needs this many treated and this many controls

    def __post_init__(self):
        if self.outcome not in ("spend", "baskets"):
            raise SegtargetError(f"config event_study.outcome={self.outcome!r}: use spend or baskets")
        if self.pre_weeks < 1:
            raise SegtargetError(f"config event_study.pre_weeks={self.pre_weeks}: use at least 1 (reference week -1)")
        if self.min_units < 1:
            raise SegtargetError(f"config event_study.min_units={self.min_units}: use at least 1")
