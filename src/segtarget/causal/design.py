"""Campaign study designs: one row per household with treatment, index campaign, covariates, outcomes.

Two designs (data_mapping.md §4):

``first-typeA`` (default; the reference's stacked design)
    Treated = households targeted by a Type A campaign; the index campaign is their first one.
    Controls = households never targeted by a Type A campaign, each attached to the first Type A window
    in which it shops. Optionally drop controls targeted by any campaign during their outcome window.
``campaign:ID``
    Treated = targeted by campaign ID with no earlier Type A campaign. Controls (``strict``) = not
    targeted by any campaign that started on or before ID's end date; (``loose``) = not targeted by ID
    and never by an earlier Type A campaign.

Windows, per index campaign with start S and end E (dates, inclusive):
    covariates from the look-back [S - L, S), the same length L for every unit (default: the longest
    window every index campaign has, i.e. S_first - data start), with recency measured from S - 1 day;
    outcomes over [S, min(E + post_weeks, next Type A start - 1 day, data end)].
This fixes the reference's non-comparable pre-periods (§11): cumulative features cover the same span for
treated and controls.

Outcomes: ``purchase_amount`` (Σ sales_value), ``purchase_count`` (baskets), ``coupon_product_spend``
(Σ sales_value on the index campaign's coupon products) and ``redeemed`` (any redemption of an index
campaign coupon; descriptive, controls cannot redeem). ``coupon_disc_index`` (Σ coupon_disc on those
products in the window) feeds the cost-per-contact rule; ``pre_spend_week`` (look-back spend per week) is the
CUPED covariate. ``retailer_discount`` (Σ coupon_match_disc) and ``coupon_discount`` (Σ coupon_disc) over the
outcome window feed the policy's profit outcome (window totals, like the other outcomes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from ..data.db import first_row, view_exists
from ..errors import SegtargetError
from ..features import EXPOSURE_NAMES, REDUCED_FEATURES, compute_features
from .config import DesignConfig

OUTCOMES = ("purchase_amount", "purchase_count", "coupon_product_spend", "redeemed")


@dataclass(frozen=True)
class Cohort:
    """The unit-level table of a study design and what it is made of."""

    data: pd.DataFrame
    covariates: tuple[str, ...]
    outcomes: tuple[str, ...]
    windows: pd.DataFrame
    counts: pd.DataFrame
    design: str
    lookback_days: int

    def summary_frame(self) -> pd.DataFrame:
        return self.windows.merge(self.counts, on="index_campaign", how="left")


def _typea(con) -> pd.DataFrame:
    if not all(view_exists(con, v) for v in ("campaigns", "campaign_members")):
        raise SegtargetError("the causal design needs campaigns and campaign_members tables; the source has none")
    camps = con.execute("SELECT campaign_id, start_date, end_date FROM campaigns WHERE campaign_type = 'A' "
                        "ORDER BY start_date, campaign_id").df()
    if camps.empty:
        raise SegtargetError("the source has no Type A campaign; use design campaign:ID with an existing campaign id")
    return camps


def _windows(con, camps: pd.DataFrame, post_weeks: int, lookback_days: int) -> tuple[pd.DataFrame, int]:
    data_start, data_end = first_row(con, "SELECT min(date), max(date) FROM clean_transactions")
    w = camps.copy()
    w["start_date"] = pd.to_datetime(w["start_date"]).dt.date
    w["end_date"] = pd.to_datetime(w["end_date"]).dt.date
    nxt = list(w["start_date"].iloc[1:]) + [None]
    ends = []
    for end, n in zip(w["end_date"], nxt):
        e = end + timedelta(weeks=post_weeks)
        if n is not None:
            e = min(e, n - timedelta(days=1))
        ends.append(min(e, data_end))
    w["outcome_end"] = ends
    shared = int(min((s - data_start).days for s in w["start_date"]))
    L = lookback_days or shared
    if L <= 0:
        raise SegtargetError("the first campaign starts on the first day of the data: there is no pre-period; "
                             "choose a later campaign or bring earlier transactions")
    w["lookback_start"] = [s - timedelta(days=L) for s in w["start_date"]]
    w = w.rename(columns={"campaign_id": "index_campaign"})
    w = w[w["start_date"] <= data_end]
    return w[["index_campaign", "lookback_start", "start_date", "end_date", "outcome_end"]], L


def _register(con, name: str, df: pd.DataFrame) -> None:
    con.register(name, df)


def _first_typea_units(con, w: pd.DataFrame, cfg: DesignConfig) -> pd.DataFrame:
    _register(con, "design_windows", w)
    treated = con.execute("""
        SELECT household_id, arg_min(index_campaign, start_date) AS index_campaign, 1 AS treated
        FROM campaign_members m JOIN design_windows d ON m.campaign_id = d.index_campaign
        GROUP BY household_id""").df()
    controls = con.execute("""
        WITH never AS (SELECT DISTINCT household_id FROM clean_transactions
                       WHERE household_id NOT IN (SELECT m.household_id FROM campaign_members m
                                                  JOIN campaigns c USING (campaign_id) WHERE c.campaign_type = 'A'))
        SELECT t.household_id, arg_min(d.index_campaign, d.start_date) AS index_campaign, 0 AS treated
        FROM clean_transactions t JOIN never USING (household_id)
        JOIN design_windows d ON t.date BETWEEN d.start_date AND d.end_date
        GROUP BY t.household_id""").df()
    units = pd.concat([treated, controls], ignore_index=True)
    if cfg.exclude_contaminated_controls:
        _register(con, "design_units", units)
        hit = con.execute("""
            SELECT DISTINCT u.household_id FROM design_units u JOIN design_windows d USING (index_campaign)
            JOIN campaign_members m ON m.household_id = u.household_id JOIN campaigns c ON c.campaign_id = m.campaign_id
            WHERE u.treated = 0 AND c.start_date <= d.outcome_end AND c.end_date >= d.start_date""").df()
        units = units[~((units.treated == 0) & units.household_id.isin(hit.household_id))]
    if cfg.require_activity:
        first_start = w["start_date"].min()
        active = con.execute(f"""SELECT household_id FROM clean_transactions GROUP BY household_id
            HAVING min(date) < DATE '{first_start}' AND max(date) >= DATE '{first_start}'""").df()
        units = units[units.household_id.isin(active.household_id)]
    return units


def _single_campaign_units(con, campaign_id: int, w: pd.DataFrame, cfg: DesignConfig) -> pd.DataFrame:
    row = first_row(con, "SELECT campaign_id, start_date, end_date FROM campaigns WHERE campaign_id = ?",
                    [campaign_id])
    if row is None:
        ids = [r[0] for r in con.execute("SELECT campaign_id FROM campaigns ORDER BY 1").fetchall()]
        raise SegtargetError(f"design campaign:{campaign_id}: no such campaign; known ids: {ids}")
    _, start, end = row
    earlier_a = f"""SELECT m.household_id FROM campaign_members m JOIN campaigns c USING (campaign_id)
                    WHERE c.campaign_type = 'A' AND c.start_date < DATE '{start}'"""
    treated = con.execute(f"""SELECT DISTINCT household_id, {campaign_id} AS index_campaign, 1 AS treated
        FROM campaign_members WHERE campaign_id = {campaign_id} AND household_id NOT IN ({earlier_a})""").df()
    if cfg.controls == "strict":
        excluded = f"""SELECT m.household_id FROM campaign_members m JOIN campaigns c USING (campaign_id)
                       WHERE c.start_date <= DATE '{end}'"""
    elif cfg.controls == "loose":
        excluded = f"SELECT household_id FROM campaign_members WHERE campaign_id = {campaign_id} UNION {earlier_a}"
    else:
        raise SegtargetError(f"config design.controls={cfg.controls!r}: use 'strict' or 'loose'")
    controls = con.execute(f"""SELECT DISTINCT household_id, {campaign_id} AS index_campaign, 0 AS treated
        FROM clean_transactions WHERE date < DATE '{start}' AND household_id NOT IN ({excluded})""").df()
    units = pd.concat([treated, controls], ignore_index=True)
    if cfg.require_activity:
        active = con.execute(f"SELECT DISTINCT household_id FROM clean_transactions WHERE date < DATE '{start}'").df()
        units = units[units.household_id.isin(active.household_id)]
    return units


def _outcomes(con, units: pd.DataFrame, w: pd.DataFrame) -> pd.DataFrame:
    _register(con, "design_units", units[["household_id", "index_campaign"]])
    _register(con, "design_windows", w)
    has_coupons = view_exists(con, "coupons")
    coupon_join = ("LEFT JOIN (SELECT DISTINCT campaign_id, product_id FROM coupons) cp "
                   "ON cp.campaign_id = u.index_campaign AND cp.product_id = t.product_id") if has_coupons else \
        "LEFT JOIN (SELECT NULL::BIGINT AS campaign_id, NULL::BIGINT AS product_id) cp ON FALSE"
    out = con.execute(f"""
        SELECT u.household_id,
               coalesce(sum(t.sales_value), 0) AS purchase_amount,
               count(DISTINCT t.basket_id) AS purchase_count,
               coalesce(sum(t.sales_value) FILTER (WHERE cp.product_id IS NOT NULL), 0) AS coupon_product_spend,
               coalesce(sum(t.coupon_disc) FILTER (WHERE cp.product_id IS NOT NULL), 0) AS coupon_disc_index,
               coalesce(sum(t.coupon_match_disc), 0) AS retailer_discount,
               coalesce(sum(t.coupon_disc), 0) AS coupon_discount
        FROM design_units u JOIN design_windows d USING (index_campaign)
        LEFT JOIN clean_transactions t ON t.household_id = u.household_id
             AND t.date BETWEEN d.start_date AND d.outcome_end
        {coupon_join}
        GROUP BY u.household_id""").df()
    has_red = view_exists(con, "redemptions")
    if has_red:
        red = con.execute("""SELECT DISTINCT r.household_id, 1 AS redeemed FROM redemptions r
            JOIN design_units u ON r.household_id = u.household_id AND r.campaign_id = u.index_campaign""").df()
        out = out.merge(red, on="household_id", how="left")
    else:
        out["redeemed"] = 0
    out["redeemed"] = out["redeemed"].fillna(0).astype(int)
    return out


def _covariates(tables, units: pd.DataFrame, w: pd.DataFrame, L: int) -> pd.DataFrame:
    """Look-back features per index campaign; households with no look-back basket get explicit zeros."""
    exposure = tables.has("promotions")
    frames = []
    for row in w.itertuples():
        ids = units.loc[units.index_campaign == row.index_campaign, "household_id"]
        if ids.empty:
            continue
        try:
            f = compute_features(tables, start=row.lookback_start, end=row.start_date, households=ids,
                                 reference_point="window_end", exposure=exposure)
        except SegtargetError:
            f = pd.DataFrame(columns=["household_id"])
        f = pd.DataFrame({"household_id": ids.to_numpy()}).merge(f, on="household_id", how="left")
        f["active_in_lookback"] = f["frequency"].notna().astype(int)
        # No basket in the look-back: zero activity, and the last purchase is at least L days ago.
        for col in ("recency", "days_between_purchases_avg"):
            f[col] = f[col].fillna(L)
        f["recency_weeks"] = f["recency_weeks"].fillna(L // 7)
        frames.append(f.fillna(0))
    return pd.concat(frames, ignore_index=True)


def build_design(tables, cfg: DesignConfig) -> Cohort:
    """Build the unit-level study table for ``cfg.design`` from canonical tables."""
    con = tables.con
    camps = _typea(con) if cfg.design == "first-typeA" or cfg.design.startswith("campaign:") else None
    if cfg.design == "first-typeA":
        w, L = _windows(con, camps, cfg.post_weeks, cfg.lookback_days)
        units = _first_typea_units(con, w, cfg)
    elif cfg.design.startswith("campaign:"):
        try:
            cid = int(cfg.design.split(":", 1)[1])
        except ValueError:
            raise SegtargetError(f"config design.design={cfg.design!r}: write campaign:ID with a numeric id") from None
        one = con.execute("SELECT campaign_id, start_date, end_date FROM campaigns WHERE campaign_id = ?", [cid]).df()
        units = _single_campaign_units(con, cid, one, cfg)
        later_a = camps[pd.to_datetime(camps.start_date) > pd.to_datetime(one.start_date.iloc[0])]
        w, L = _windows(con, pd.concat([one, later_a.head(1)]), cfg.post_weeks, cfg.lookback_days)
        w = w[w.index_campaign == cid]
    else:
        raise SegtargetError(f"config design.design={cfg.design!r}: use 'first-typeA' or 'campaign:ID'")
    counts = units.groupby("index_campaign").treated.agg(n_treated="sum", n=len).reset_index()
    counts["n_control"] = counts["n"] - counts["n_treated"]
    if units.treated.sum() == 0 or (units.treated == 0).sum() == 0:
        arm = "treated" if units.treated.sum() == 0 else "control"
        raise SegtargetError(f"design {cfg.design}: no {arm} households; choose another campaign or design")
    cov = _covariates(tables, units, w, L)
    data = units.merge(cov, on="household_id", how="left").merge(_outcomes(con, units, w), on="household_id")
    data["pre_spend_week"] = data["monetary_sales"] / (L / 7)
    covariates = list(REDUCED_FEATURES) + ["active_in_lookback"]
    covariates += [c for c in ("display_exposure_rate", "mailer_exposure_rate") if c in data.columns]
    if data.index_campaign.nunique() > 1:
        for cid in sorted(data.index_campaign.unique())[1:]:
            data[f"index_{cid}"] = (data.index_campaign == cid).astype(int)
            covariates.append(f"index_{cid}")
    data = data.sort_values("household_id").reset_index(drop=True)
    return Cohort(data=data, covariates=tuple(covariates), outcomes=OUTCOMES, windows=w.reset_index(drop=True),
                  counts=counts[["index_campaign", "n_treated", "n_control"]], design=cfg.design, lookback_days=L)
