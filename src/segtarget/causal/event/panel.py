"""The weekly household x week panel of a stacked study design, built in one DuckDB query.

One *unit* is one row of the (stacked) study design: a household in one target trial (``index_campaign``),
treated or control, with its own outcome window ``[outcome_start, outcome_end]`` (dates, inclusive). A
household can be a control in several trials, so it can own several units; the panel keeps both ids
(``unit`` for the unit fixed effect, ``household_id`` for clustering).

Weeks are counted from the trial start: relative week ``k`` covers the 7 days
``[outcome_start + 7k, outcome_start + 7k + 6]``. For every unit the panel has one row per week from
``-pre_weeks`` to the last *complete* week of its own outcome window:

- a week with no basket is a row with spend 0 and baskets 0 (zero, not missing);
- a pre-period week that would start before the first day of the data is left out (the data cannot say
  the household bought nothing there), so trials near the start of the data have fewer pre weeks;
- post-period weeks stop at the last week that fits entirely inside ``[outcome_start, outcome_end]`` and
  the data: a control whose window is cut short by its own later campaign (``truncated``) contributes only
  the weeks before that campaign, and a trailing partial week (fewer than 7 days) is dropped rather than
  compared with full weeks.
"""

from __future__ import annotations

import pandas as pd

from ...data.db import exact_sum
from ...errors import SegtargetError

UNIT_COLUMNS = ("household_id", "index_campaign", "treated", "outcome_start", "outcome_end")
PANEL_COLUMNS = ["unit", "household_id", "trial", "treated", "rel_week", "spend", "baskets"]


def design_units(data: pd.DataFrame, windows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Units of a study design with their own outcome windows.

    A stacked design (``campaign-trials``) carries ``outcome_start``/``outcome_end`` per unit; older designs
    (one window per index campaign) get them from ``windows`` (``start_date``, ``outcome_end``).
    """
    keep = [c for c in ("household_id", "index_campaign", "treated", "outcome_start", "outcome_end",
                        "outcome_weeks", "truncated") if c in data]
    units = data[keep].copy()
    if ("outcome_start" not in units or "outcome_end" not in units) and windows is not None:
        w = windows[["index_campaign", "start_date", "outcome_end"]].rename(columns={"start_date": "outcome_start"})
        units = units.drop(columns=[c for c in ("outcome_start", "outcome_end") if c in units])
        units = units.merge(w, on="index_campaign", how="left", validate="many_to_one")
    if "outcome_weeks" not in units and {"outcome_start", "outcome_end"} <= set(units):
        days = (pd.to_datetime(units["outcome_end"]) - pd.to_datetime(units["outcome_start"])).dt.days + 1
        units["outcome_weeks"] = days / 7
    return units.reset_index(drop=True)


def _check_units(units: pd.DataFrame, pre_weeks: int) -> None:
    missing = [c for c in UNIT_COLUMNS if c not in units]
    if missing:
        raise SegtargetError(f"event study units: missing column(s) {', '.join(missing)}; the study design must "
                             "give every unit its trial and outcome window")
    if pre_weeks < 1:
        raise SegtargetError(f"config event_study.pre_weeks={pre_weeks}: use at least 1 (the reference week -1)")


def build_panel(con, units: pd.DataFrame, pre_weeks: int) -> pd.DataFrame:
    """Household x week spend and baskets for every unit (module docstring), one row per unit and week.

    ``units`` needs :data:`UNIT_COLUMNS`; row ``i`` of ``units`` becomes ``unit == i`` in the panel, so
    per-unit attributes (segment, weights) can be attached by position afterwards.
    """
    _check_units(units, pre_weeks)
    u = pd.DataFrame({"unit": range(len(units)), "household_id": units["household_id"].to_numpy(),
                      "trial": units["index_campaign"].to_numpy(), "treated": units["treated"].to_numpy(),
                      "outcome_start": pd.to_datetime(units["outcome_start"]).to_numpy(),
                      "outcome_end": pd.to_datetime(units["outcome_end"]).to_numpy()})
    con.register("es_units", u)
    # grid: every (unit, week) the unit is observed in; spend: its baskets by relative week. One query.
    panel = con.execute(f"""
        WITH u AS (SELECT unit, household_id, trial, treated::INT AS treated,
                          CAST(outcome_start AS DATE) AS s, CAST(outcome_end AS DATE) AS e FROM es_units),
        span AS (SELECT min(date) AS d0, max(date) AS d1 FROM clean_transactions),
        grid AS (
            SELECT u.unit, unnest(range(
                greatest(-{int(pre_weeks)}, -CAST(floor(datediff('day', span.d0, u.s) / 7) AS BIGINT)),
                CAST(floor((datediff('day', u.s, least(u.e, span.d1)) + 1) / 7) AS BIGINT))) AS rel_week
            FROM u, span),
        spend AS (
            SELECT u.unit, CAST(floor(datediff('day', u.s, t.date) / 7) AS BIGINT) AS rel_week,
                   {exact_sum('t.sales_value')} AS spend, count(DISTINCT t.basket_id) AS baskets
            FROM u JOIN clean_transactions t ON t.household_id = u.household_id
                 AND t.date >= u.s - {7 * int(pre_weeks)} AND t.date <= u.e
            GROUP BY ALL)
        SELECT g.unit, u.household_id, u.trial, u.treated, g.rel_week,
               coalesce(spend.spend, 0)::DOUBLE AS spend, coalesce(spend.baskets, 0)::BIGINT AS baskets
        FROM grid g JOIN u USING (unit) LEFT JOIN spend USING (unit, rel_week)
        ORDER BY g.unit, g.rel_week""").df()
    con.unregister("es_units")
    return panel[PANEL_COLUMNS]
