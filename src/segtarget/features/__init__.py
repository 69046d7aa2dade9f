"""Household features computed by SQL in DuckDB for any as-of window [start, end).

>>> from segtarget.data import load_source
>>> feats = compute_features(load_source("completejourney"), end="2017-05-08")
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Iterable

import pandas as pd

from ..errors import SegtargetError
from .definitions import (EXPOSURE_NAMES, FEATURE_NAMES, REDUCED_FEATURES, describe)
from .sql import PROMOTION_KEYS_SQL, feature_sql


def _as_date(value, name: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError):
        raise SegtargetError(f"parameter {name}={value!r} is not a date; use YYYY-MM-DD") from None


def window_clause(start=None, end=None, households: Iterable[int] | None = None, alias: str = "t") -> str:
    """SQL predicate for lines in [start, end) and, optionally, a household subset."""
    parts = []
    if start is not None:
        parts.append(f"{alias}.date >= DATE '{start}'")
    if end is not None:
        parts.append(f"{alias}.date < DATE '{end}'")
    if households is not None:
        ids = sorted({int(h) for h in households})
        if not ids:
            raise SegtargetError("compute_features: the household subset is empty")
        parts.append(f"{alias}.household_id IN ({', '.join(map(str, ids))})")
    return " AND ".join(parts) or "TRUE"


def feature_window(start=None, end=None, households: Iterable[int] | None = None,
                   reference_point: str = "data") -> tuple[str, tuple[str, str] | None, date | None, date | None]:
    """Validate a window and return (line filter SQL, reference-point SQL pair, start, end)."""
    start_d, end_d = _as_date(start, "start"), _as_date(end, "end")
    if start_d and end_d and end_d <= start_d:
        raise SegtargetError(f"parameter end={end} must be after start={start}")
    if reference_point not in ("data", "window_end"):
        raise SegtargetError(f"parameter reference_point={reference_point!r}: use 'data' or 'window_end'")
    ref_sql = None
    if reference_point == "window_end":
        if end_d is None:
            raise SegtargetError("reference_point='window_end' needs an end date")
        from ..data.schema import day_sql, week_sql

        last = f"DATE '{end_d - timedelta(days=1)}'"
        ref_sql = (day_sql(last), week_sql(last))
    return window_clause(start_d, end_d, households), ref_sql, start_d, end_d


def feature_columns(df: pd.DataFrame, *, exposure: bool, auxiliary: bool, start_d=None, end_d=None) -> pd.DataFrame:
    """The output columns in dictionary order; an empty result is a user error naming the window."""
    if df.empty:
        raise SegtargetError(f"no usable transactions in the window [{start_d or 'start'}, {end_d or 'end'}): "
                             "every line lies outside it or was dropped (quantity <= 0, negative or non-finite "
                             "sales_value, missing ids); widen --start/--end or fix the transactions")
    keep = ["household_id", *FEATURE_NAMES]
    if auxiliary:
        keep += ["tenure", "tenure_weeks"]
    if exposure:
        keep += list(EXPOSURE_NAMES)
    return df[keep].reset_index(drop=True)


def compute_features(tables, *, start=None, end=None, households: Iterable[int] | None = None,
                     reference_point: str = "data", exposure: bool | None = None,
                     fill_missing: bool = True, auxiliary: bool = False) -> pd.DataFrame:
    """One row per household with a clean line in [start, end): household_id + every feature.

    ``reference_point="data"`` measures recency and tenure from the last day present in the window
    (the reference's convention); ``"window_end"`` measures from ``end - 1 day`` so every household of a
    study is measured from the same date. ``exposure=None`` adds exposure features when promotions exist.
    """
    where, ref_sql, start_d, end_d = feature_window(start, end, households, reference_point)
    if exposure is None:
        exposure = tables.has("promotions")
    elif exposure and not tables.has("promotions"):
        raise SegtargetError("exposure features need a promotions table; the source has none (set exposure=false)")
    if exposure:
        # Promotions are large (20.9M rows embedded): reduce them once per connection to the keys that
        # occur in the transactions, de-duplicated (highest display code; mailer if any row has one).
        tables.con.execute(PROMOTION_KEYS_SQL)
    sql = feature_sql(where=where, reference_point=ref_sql, exposure=exposure, fill_missing=fill_missing)
    return feature_columns(tables.con.execute(sql).df(), exposure=exposure, auxiliary=auxiliary,
                           start_d=start_d, end_d=end_d)


__all__ = ["compute_features", "feature_window", "feature_columns", "describe", "FEATURE_NAMES", "EXPOSURE_NAMES", "REDUCED_FEATURES", "window_clause"]
