"""causal/panel.py: the weekly panel checked by hand on a tiny fixture (zero weeks, truncation, data start)."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from segtarget.causal.event.panel import build_panel, design_units
from segtarget.errors import SegtargetError

# Data run 2017-01-02 (a Monday) .. 2017-03-31. Trial 1 starts 02-06 (35 days of data before it: 5 pre weeks);
# trial 2 starts 02-20 (49 days: 7 pre weeks).
LINES = [  # household_id, basket_id, date, sales_value
    (2, 10, date(2017, 1, 2), 3.0),     # hh 2: week -5 of trial 1, week -7 of trial 2 (first day of the data)
    (1, 1, date(2017, 1, 30), 10.0),    # hh 1, trial 1 week -1: two lines of one basket
    (1, 1, date(2017, 1, 30), 5.0),
    (1, 2, date(2017, 2, 7), 20.0),     # week 0
    (1, 3, date(2017, 2, 25), 7.0),     # week 2 (last day of the window is 02-26)
    (1, 4, date(2017, 2, 27), 100.0),   # after hh 1's window: not in the panel
    (2, 11, date(2017, 2, 14), 50.0),   # trial 1: week 1, a partial week of the truncated window (dropped);
                                        # trial 2: week -1
    (9, 99, date(2017, 3, 31), 1.0),    # another household: only sets the end of the data
]
UNITS = pd.DataFrame({
    "household_id": [1, 2, 2], "index_campaign": [1, 1, 2], "treated": [1, 0, 1],
    "outcome_start": [date(2017, 2, 6), date(2017, 2, 6), date(2017, 2, 20)],
    # hh 2 is a control of trial 1 until the day before its own campaign (trial 2) starts: 11 days = 1 full week
    "outcome_end": [date(2017, 2, 26), date(2017, 2, 16), date(2017, 3, 12)],
})


@pytest.fixture()
def con():
    c = duckdb.connect()
    c.execute("CREATE TABLE clean_transactions (household_id BIGINT, basket_id BIGINT, date DATE, "
              "sales_value DOUBLE)")
    c.executemany("INSERT INTO clean_transactions VALUES (?, ?, ?, ?)", LINES)
    return c


def _weeks(panel, unit):
    p = panel[panel.unit == unit]
    return dict(zip(p.rel_week, zip(p.spend, p.baskets)))


def test_panel_by_hand(con):
    panel = build_panel(con, UNITS, pre_weeks=12)
    # treated hh 1 in trial 1: 5 pre weeks (data start), 3 full post weeks; empty weeks are zeros
    assert _weeks(panel, 0) == {-5: (0, 0), -4: (0, 0), -3: (0, 0), -2: (0, 0), -1: (15, 1), 0: (20, 1),
                                1: (0, 0), 2: (7, 1)}
    # truncated control hh 2 in trial 1: only week 0 after the start; the $50 of the partial week 1 is dropped
    assert _weeks(panel, 1) == {-5: (3, 1), -4: (0, 0), -3: (0, 0), -2: (0, 0), -1: (0, 0), 0: (0, 0)}
    # the same household as a treated unit of trial 2: 7 pre weeks, 3 post weeks (02-20 .. 03-12)
    w = _weeks(panel, 2)
    assert sorted(w) == list(range(-7, 3)) and w[-7] == (3, 1) and w[-1] == (50, 1) and sum(s for s, _ in
                                                                                            w.values()) == 53
    assert panel.groupby("unit").household_id.first().tolist() == [1, 2, 2]
    assert panel.groupby("unit").trial.first().tolist() == [1, 1, 2]
    assert not panel.isna().any().any()


def test_pre_weeks_limit_and_bad_input(con):
    panel = build_panel(con, UNITS, pre_weeks=2)
    assert panel.groupby("unit").rel_week.min().tolist() == [-2, -2, -2]
    with pytest.raises(SegtargetError, match="event_study.pre_weeks"):
        build_panel(con, UNITS, pre_weeks=0)
    with pytest.raises(SegtargetError, match="outcome_end"):
        build_panel(con, UNITS.drop(columns="outcome_end"), pre_weeks=4)


def test_design_units_takes_windows_when_the_design_has_one_window_per_trial():
    data = UNITS[["household_id", "index_campaign", "treated"]]
    windows = pd.DataFrame({"index_campaign": [1, 2], "start_date": [date(2017, 2, 6), date(2017, 2, 20)],
                            "outcome_end": [date(2017, 2, 26), date(2017, 3, 12)]})
    units = design_units(data, windows)
    assert units.outcome_start.tolist() == [date(2017, 2, 6)] * 2 + [date(2017, 2, 20)]
    assert units.outcome_weeks.tolist() == [3.0, 3.0, 3.0]
    stacked = design_units(UNITS, windows)  # per-unit windows win over the trial's window
    assert stacked.outcome_end.tolist() == UNITS.outcome_end.tolist()
