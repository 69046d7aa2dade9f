"""Panel event study parameters (issue 11 item 3)."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import ConfigCheck


@dataclass(frozen=True)
class EventStudyConfig:
    """Panel event study: a weekly household x week panel around each target trial."""

    enabled: bool = True  # run the event-study step (panel, stacked DiD, triangulation) in `segtarget run`
    pre_weeks: int = 12  # weeks before each trial start in the panel (fewer when the data starts later)
    outcome: str = "spend"  # weekly outcome: spend (sum of sales_value, $) | baskets (distinct baskets)
    min_units: int = 10  # a trial (or trial x segment cell) needs this many treated and this many controls
    # Compare treated and controls only within equal-count bins of their mean weekly outcome over the pre weeks
    # (per trial), one DiD per bin weighted by its treated units: removes the regression-to-the-mean bias of
    # selection on past spend, but adds one when treated and controls differ in lasting level (Daw & Hatfield
    # 2018); 1 = plain stacked DiD.
    level_strata: int = 10
    # Further bins on the last 4 pre weeks within each level bin (selection on a recent spike); 1 = off. Makes
    # the pre-trend test partly mechanical (units are matched on pre-period weeks), so it is off by default.
    recent_strata: int = 1
    # Household-bootstrap draws of the test "doubly-robust headline minus event-study ATT" (event/difference.py).
    difference_draws: int = 2000

    def __post_init__(self):
        c = ConfigCheck("event_study", self)
        c.within("pre_weeks", "[1, inf)")  # the reference week -1 is a pre week
        c.one_of("outcome", ("spend", "baskets"))
        c.within("min_units", "[1, inf)")
        c.within("level_strata", "[1, inf)")  # 1 = off
        c.within("recent_strata", "[1, inf)")
        c.within("difference_draws", "[100, inf)")  # fewer draws make the SE itself noisy
