"""Covariates of a study unit, all measured strictly before its trial start S (dates < S).

* the household features (``features.REDUCED_FEATURES`` + exposure rates when promotions exist) over the
  look-back [lookback_start, S), recency measured from S - 1 day; ``active_in_lookback`` = any basket there;
  a unit with no look-back basket gets zeros and recency = the look-back length;
* recent trend: ``recent_spend_week`` and ``recent_baskets_week`` (per week over the last ``RECENT_WEEKS``
  weeks before S) and ``spend_trend`` / ``basket_trend`` = log((1 + recent per-week value) / (1 + per-week
  value over the rest of the look-back)) (the retailer picks on recent spend; a spike just before S shows up
  here; logs because spend is skewed and a spike is relative to the household's own level);
  ``log_spend_week`` = log(1 + look-back spend per week);
* earlier Type B/C exposure: ``bc_campaigns_before`` = number of Type B/C campaigns the household belongs to
  that started before S;
* demographics when the source has a households table: ``age_band`` (1 = 19-24 ... 6 = 65+),
  ``income_k`` (lower bound of the income band, $1000s), ``household_size_n``, ``kids_n``, ``homeowner``,
  ``married``, each 0 when unknown, with ``demo_missing`` (no demographic record) and
  ``homeowner_missing`` / ``married_missing`` (record without that field);
* ``pre_spend_week``: look-back spend per week (the CUPED covariate; not in the covariate list itself).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...data.db import exact_sum, view_exists
from ...errors import SegtargetError
from ...features import REDUCED_FEATURES, compute_features

RECENT_WEEKS = 4
TREND = ("recent_spend_week", "recent_baskets_week", "spend_trend", "basket_trend", "log_spend_week")
DEMOGRAPHICS = ("age_band", "income_k", "household_size_n", "kids_n", "homeowner", "married", "demo_missing",
                "homeowner_missing", "married_missing")
KEY = ["household_id", "index_campaign"]


def _lookback_features(tables, ids: pd.Series, start, end, days: int) -> pd.DataFrame:
    try:
        f = compute_features(tables, start=start, end=end, households=ids, reference_point="window_end",
                             exposure=tables.has("promotions"))
    except SegtargetError:
        f = pd.DataFrame(columns=["household_id"])
    f = pd.DataFrame({"household_id": ids.to_numpy()}).merge(f, on="household_id", how="left")
    f["active_in_lookback"] = f["frequency"].notna().astype(int)
    # No basket in the look-back: zero activity, and the last purchase is at least the look-back ago.
    for col in ("recency", "days_between_purchases_avg"):
        f[col] = f[col].fillna(days)
    f["recency_weeks"] = f["recency_weeks"].fillna(days // 7)
    return f.fillna(0)


def _trend(con) -> pd.DataFrame:
    """Recent vs earlier look-back activity per unit (``design_cov_units`` registered by the caller)."""
    df = con.execute(f"""
        SELECT u.household_id, u.index_campaign, u.lookback_days,
               coalesce({exact_sum('t.sales_value', f't.date >= u.start_date - INTERVAL {7 * RECENT_WEEKS} DAY')},
                        0) AS recent_spend,
               coalesce({exact_sum('t.sales_value')}, 0) AS all_spend,
               count(DISTINCT t.basket_id) FILTER (WHERE t.date >= u.start_date - INTERVAL {7 * RECENT_WEEKS} DAY)
                   AS recent_baskets,
               count(DISTINCT t.basket_id) AS all_baskets
        FROM design_cov_units u LEFT JOIN clean_transactions t ON t.household_id = u.household_id
             AND t.date >= u.lookback_start AND t.date < u.start_date
        GROUP BY ALL""").df()
    recent_w = np.minimum(RECENT_WEEKS, df["lookback_days"] / 7)
    rest_w = np.maximum(df["lookback_days"] / 7 - recent_w, 1.0)
    out = df[KEY].copy()
    out["recent_spend_week"] = df["recent_spend"] / recent_w
    out["recent_baskets_week"] = df["recent_baskets"] / recent_w
    out["spend_trend"] = np.log1p(out["recent_spend_week"]) - np.log1p((df["all_spend"] - df["recent_spend"]) / rest_w)
    out["basket_trend"] = (np.log1p(out["recent_baskets_week"])
                           - np.log1p((df["all_baskets"] - df["recent_baskets"]) / rest_w))
    out["log_spend_week"] = np.log1p(df["all_spend"].clip(lower=0) / (df["lookback_days"] / 7))
    return out


def _bc_exposure(con) -> pd.DataFrame:
    return con.execute("""
        SELECT u.household_id, u.index_campaign, count(DISTINCT c.campaign_id) AS bc_campaigns_before
        FROM design_cov_units u LEFT JOIN campaign_members m ON m.household_id = u.household_id
        LEFT JOIN campaigns c ON c.campaign_id = m.campaign_id AND c.campaign_type IN ('B', 'C')
             AND c.start_date < u.start_date
        GROUP BY ALL""").df()


def _demographics(con) -> pd.DataFrame | None:
    if not view_exists(con, "households"):
        return None
    cols = {r[0] for r in con.execute("DESCRIBE households").fetchall()}
    need = {"age", "income", "home_ownership", "marital_status", "household_size"}
    if not need <= cols:
        return None
    kids = "kids_count" if "kids_count" in cols else "NULL"
    d = con.execute(f"""SELECT household_id, CAST(age AS VARCHAR) AS age, CAST(income AS VARCHAR) AS income,
        CAST(home_ownership AS VARCHAR) AS home, CAST(marital_status AS VARCHAR) AS marital,
        CAST(household_size AS VARCHAR) AS size, CAST({kids} AS VARCHAR) AS kids FROM households""").df()
    lead_num = lambda s: pd.to_numeric(s.str.extract(r"(\d+)")[0], errors="coerce")  # noqa: E731
    ages = ["19-24", "25-34", "35-44", "45-54", "55-64", "65+"]
    out = pd.DataFrame({"household_id": d["household_id"]})
    out["age_band"] = d["age"].map({a: i + 1 for i, a in enumerate(ages)})
    out["income_k"] = np.where(d["income"].str.startswith("Under", na=False), 0, lead_num(d["income"]))
    out["household_size_n"] = lead_num(d["size"])
    out["kids_n"] = lead_num(d["kids"])
    out["homeowner_missing"] = d["home"].isna().astype(int)
    out["homeowner"] = d["home"].str.contains("Homeowner", na=False).astype(int)
    out["married_missing"] = d["marital"].isna().astype(int)
    out["married"] = (d["marital"] == "Married").astype(int)
    out["demo_missing"] = 0
    return out.drop_duplicates("household_id")


def unit_covariates(tables, units: pd.DataFrame, w: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """(one row per unit: KEY + covariates + pre_spend_week, the covariate names)."""
    con = tables.con
    frames = []
    for row in w.itertuples():
        ids = units.loc[units.index_campaign == row.index_campaign, "household_id"]
        if ids.empty:
            continue
        f = _lookback_features(tables, ids, row.lookback_start, row.start_date, int(row.lookback_days))
        f["index_campaign"] = row.index_campaign
        f["pre_spend_week"] = f["monetary_sales"] / (row.lookback_days / 7)
        frames.append(f)
    cov = pd.concat(frames, ignore_index=True)
    names = list(REDUCED_FEATURES) + ["active_in_lookback"]
    names += [c for c in ("display_exposure_rate", "mailer_exposure_rate") if c in cov.columns]
    con.register("design_cov_units", units[KEY].merge(w[["index_campaign", "lookback_start", "start_date",
                                                         "lookback_days"]], on="index_campaign"))
    cov = cov.merge(_trend(con), on=KEY, how="left")
    names += list(TREND)
    if view_exists(con, "campaign_members"):
        cov = cov.merge(_bc_exposure(con), on=KEY, how="left")
        names.append("bc_campaigns_before")
    demo = _demographics(con)
    if demo is not None:
        cov = cov.merge(demo, on="household_id", how="left")
        cov["demo_missing"] = cov["demo_missing"].fillna(1).astype(int)
        for c in ("homeowner_missing", "married_missing"):
            cov[c] = np.where(cov["demo_missing"] == 1, 1, cov[c].fillna(1)).astype(int)
        cov[list(DEMOGRAPHICS)] = cov[list(DEMOGRAPHICS)].fillna(0)
        names += list(DEMOGRAPHICS)
    return cov, names


def trial_dummies(data: pd.DataFrame) -> list[str]:
    """Trial fixed effects: one 0/1 column per index campaign but the first (added to ``data`` in place)."""
    names = []
    for cid in sorted(data.index_campaign.unique())[1:]:
        data[f"index_{cid}"] = (data.index_campaign == cid).astype(int)
        names.append(f"index_{cid}")
    return names


def covariates_at(tables, start, lookback_days: int, households=None) -> pd.DataFrame:
    """The design's covariates for ``households`` (default: everyone with a look-back basket) as if a trial
    started on ``start`` (e.g. the day after the data end, to score the next campaign). Trial dummies are 0."""
    from datetime import timedelta

    start = pd.Timestamp(start).date()
    lb = start - timedelta(days=int(lookback_days))
    if households is None:
        households = tables.con.execute("SELECT DISTINCT household_id FROM clean_transactions WHERE date >= ? "
                                        "AND date < ? ORDER BY 1", [lb, start]).df()["household_id"]
    units = pd.DataFrame({"household_id": np.asarray(households), "index_campaign": -1})
    w = pd.DataFrame([{"index_campaign": -1, "lookback_start": lb, "start_date": start,
                       "lookback_days": int(lookback_days)}])
    cov, _ = unit_covariates(tables, units, w)
    return cov
