"""Calendar quarters of a source and household features per quarter (input of ``migration.py``).

A quarter is used only if the data covers it (first transaction date <= quarter start + ``TOLERANCE_DAYS``
and last date >= quarter end - ``TOLERANCE_DAYS``): spend and visit counts over a part-quarter would look
like a fall in value. Features per quarter come from the feature stage's windowed query
(``compute_features(tables, start, end, reference_point="window_end")``), so recency is measured from
each quarter's last day.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from ..errors import SegtargetError

TOLERANCE_DAYS = 7
QUARTER_DAYS = 91  # nominal length, used to recognise a model fit on quarter-length windows


def calendar_quarters(first: date, last: date) -> list[tuple[str, date, date]]:
    """(label "2017Q1", start, end exclusive) of every calendar quarter the span [first, last] covers."""
    out = []
    q_start = date(first.year, 3 * ((first.month - 1) // 3) + 1, 1)
    while q_start <= last:
        m = q_start.month + 3
        q_end = date(q_start.year + (m > 12), (m - 1) % 12 + 1, 1)
        if first <= q_start + timedelta(days=TOLERANCE_DAYS) and last >= q_end - timedelta(days=1 + TOLERANCE_DAYS):
            out.append((f"{q_start.year}Q{(q_start.month - 1) // 3 + 1}", q_start, q_end))
        q_start = q_end
    return out


def quarterly_features(tables, source: str = "data") -> dict[str, pd.DataFrame]:
    """Quarter label -> household feature table (households with a purchase in that quarter)."""
    from ..data.db import first_row
    from ..features import compute_features

    first, last = first_row(tables.con, "SELECT min(date), max(date) FROM clean_transactions")
    if first is None:
        raise SegtargetError(f"{source}: no transactions; migration needs at least two calendar quarters of data")
    quarters = calendar_quarters(first, last)
    if len(quarters) < 2:
        raise SegtargetError(f"{source}: covers {len(quarters)} complete calendar quarter(s) ({first} to {last}); "
                             "segment migration needs at least two")
    out = {}
    for label, start, end in quarters:
        n = first_row(tables.con, "SELECT count(DISTINCT household_id) FROM clean_transactions WHERE date >= ? "
                      "AND date < ?", [start, end])[0]
        if not n:
            raise SegtargetError(f"{source}: quarter {label} ({start} to {end - timedelta(days=1)}) has no "
                                 "households with purchases; migration needs every quarter populated")
        out[label] = compute_features(tables, start=start, end=end, reference_point="window_end", exposure=False)
    return out


def stack_quarters(by_quarter: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """All household-quarter rows in one table with a unique row id (to fit a quarter-level model)."""
    frames = [df.assign(quarter=q) for q, df in by_quarter.items()]
    out = pd.concat(frames, ignore_index=True)
    out = out.rename(columns={"household_id": "source_household_id"})
    out.insert(0, "household_id", range(len(out)))
    return out


__all__ = ["calendar_quarters", "quarterly_features", "stack_quarters", "QUARTER_DAYS"]
