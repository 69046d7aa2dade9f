"""Panel event study parameters (issue 11 item 3)."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import SegtargetError


@dataclass(frozen=True)
class EventStudyConfig:
    """Panel event study: a weekly household x week panel around each target trial."""

    enabled: bool = True  # run the event-study step (panel, stacked DiD, triangulation) in `segtarget run`
    pre_weeks: int = 12  # weeks before each trial start in the panel (fewer when the data starts later)
    outcome: str = "spend"  # weekly outcome: spend (sum of sales_value, $) | baskets (distinct baskets)
    min_units: int = 10  # a trial (or trial x segment cell) needs this many treated and this many controls
    # Compare treated and controls only within equal-count bins of their mean weekly outcome over the pre weeks
    # (per trial): removes the regression-to-the-mean bias of selection on past spend; 1 = plain stacked DiD.
    level_strata: int = 10
    # Further bins on the last 4 pre weeks within each level bin (selection on a recent spike); 1 = off. Makes
    # the pre-trend test partly mechanical (units are matched on pre-period weeks), so it is off by default.
    recent_strata: int = 1

    def __post_init__(self):
        if self.outcome not in ("spend", "baskets"):
            raise SegtargetError(f"config event_study.outcome={self.outcome!r}: use spend or baskets")
        if self.pre_weeks < 1:
            raise SegtargetError(f"config event_study.pre_weeks={self.pre_weeks}: use at least 1 (reference week -1)")
        if self.level_strata < 1 or self.recent_strata < 1:
            raise SegtargetError("config event_study.level_strata / recent_strata: use 1 (off) or more bins")
        if self.min_units < 1:
            raise SegtargetError(f"config event_study.min_units={self.min_units}: use at least 1")
