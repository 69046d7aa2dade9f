"""Outcomes of a study unit over its own window [outcome_start, outcome_end] (dates, inclusive).

* ``purchase_amount``: Σ sales_value; ``purchase_count``: distinct baskets;
* ``coupon_product_spend``: Σ sales_value on the index campaign's coupon products;
* ``retailer_discount``: Σ coupon_match_disc (the retailer's match of manufacturer coupons, a retailer cost);
* ``coupon_discount``: Σ coupon_disc (coupon face value redeemed, all coupons);
* ``redeemed``: 1 if the household redeemed an index-campaign coupon inside the window (descriptive:
  controls receive no coupons);
* ``coupon_disc_index``: Σ coupon_disc on the index campaign's coupon products (cost-per-contact rule).

``as_rates`` turns the money/count outcomes into per-week rates over ``outcome_weeks`` (truncation="rate").
"""

from __future__ import annotations

import pandas as pd

from ...data.db import exact_sum, view_exists

OUTCOMES = ("purchase_amount", "purchase_count", "coupon_product_spend", "redeemed", "retailer_discount",
            "coupon_discount")
RATE_OUTCOMES = ("purchase_amount", "purchase_count", "coupon_product_spend", "retailer_discount",
                 "coupon_discount", "coupon_disc_index")


def window_outcomes(con, units: pd.DataFrame) -> pd.DataFrame:
    """One row per (household_id, index_campaign) of ``units`` with every outcome of its window."""
    con.register("design_units", units[["household_id", "index_campaign", "outcome_start", "outcome_end"]])
    coupon_join = ("LEFT JOIN (SELECT DISTINCT campaign_id, product_id FROM coupons) cp "
                   "ON cp.campaign_id = u.index_campaign AND cp.product_id = t.product_id"
                   if view_exists(con, "coupons") else
                   "LEFT JOIN (SELECT NULL::BIGINT AS campaign_id, NULL::BIGINT AS product_id) cp ON FALSE")
    out = con.execute(f"""
        SELECT u.household_id, u.index_campaign,
               coalesce({exact_sum('t.sales_value')}, 0) AS purchase_amount,
               count(DISTINCT t.basket_id) AS purchase_count,
               coalesce({exact_sum('t.sales_value', 'cp.product_id IS NOT NULL')}, 0) AS coupon_product_spend,
               coalesce({exact_sum('t.coupon_match_disc')}, 0) AS retailer_discount,
               coalesce({exact_sum('t.coupon_disc')}, 0) AS coupon_discount,
               coalesce({exact_sum('t.coupon_disc', 'cp.product_id IS NOT NULL')}, 0) AS coupon_disc_index
        FROM design_units u
        LEFT JOIN clean_transactions t ON t.household_id = u.household_id
             AND t.date BETWEEN u.outcome_start AND u.outcome_end
        {coupon_join}
        GROUP BY u.household_id, u.index_campaign""").df()
    if view_exists(con, "redemptions"):
        red = con.execute("""SELECT DISTINCT u.household_id, u.index_campaign, 1 AS redeemed FROM redemptions r
            JOIN design_units u ON r.household_id = u.household_id AND r.campaign_id = u.index_campaign
            AND (r.date IS NULL OR r.date BETWEEN u.outcome_start AND u.outcome_end)""").df()
        out = out.merge(red, on=["household_id", "index_campaign"], how="left")
    else:
        out["redeemed"] = 0
    out["redeemed"] = out["redeemed"].fillna(0).astype(int)
    return out


def as_rates(data: pd.DataFrame) -> pd.DataFrame:
    """Money/count outcomes divided by each unit's observed weeks (``outcome_weeks``)."""
    out = data.copy()
    for col in RATE_OUTCOMES:
        if col in out:
            out[col] = out[col] / out["outcome_weeks"]
    return out
