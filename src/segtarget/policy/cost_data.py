"""The per-household coupon-discount table behind the cost per contact (see :mod:`.economics`).

``cost_table`` joins the study design's per-household index-campaign discount with the reference's
"ever used a TypeA coupon" total, computed here from the canonical views:

* ``index_campaign_coupon_disc`` = Σ coupon_disc on the index campaign's coupon products inside the
  outcome window (from the cohort, column ``coupon_disc_index`` or ``index_campaign_coupon_disc``);
* ``ever_typeA_pool_coupon_disc`` = Σ coupon_disc over the whole data on products that appear in the
  coupon pool of *any* TypeA campaign (the reference's rule, §7.1 of its spec), 0 if none.
"""

from __future__ import annotations

import pandas as pd

from ..data.db import exact_sum
from ..errors import require


def typea_pool_coupon_disc(tables, household_ids) -> pd.DataFrame:
    """household_id, ever_typeA_pool_coupon_disc for the given households (0 when nothing was used)."""
    ids = pd.DataFrame({"household_id": pd.Series(household_ids).astype("int64").unique()})
    con = tables.con
    con.register("_policy_hh", ids)
    try:
        df = con.execute(f"""
            WITH pool AS (
                SELECT DISTINCT cp.product_id
                FROM coupons cp JOIN campaigns c ON c.campaign_id = cp.campaign_id
                WHERE c.campaign_type = 'A')
            SELECT h.household_id, coalesce({exact_sum('t.coupon_disc')}, 0) AS ever_typeA_pool_coupon_disc
            FROM _policy_hh h
            LEFT JOIN clean_transactions t
              ON t.household_id = h.household_id AND t.coupon_disc > 0
             AND t.product_id IN (SELECT product_id FROM pool)
            GROUP BY h.household_id
            ORDER BY h.household_id""").df()
    finally:
        con.unregister("_policy_hh")
    return df


def cost_table(tables, cohort: pd.DataFrame) -> pd.DataFrame:
    """The ``cost_data`` for :class:`~segtarget.policy.pipeline.PolicyInputs` from the cohort table."""
    disc = "index_campaign_coupon_disc" if "index_campaign_coupon_disc" in cohort else "coupon_disc_index"
    require({"household_id", "treated", disc} <= set(cohort.columns),
            "cohort: needs household_id, treated and coupon_disc_index to derive the cost per contact")
    base = cohort[["household_id", "treated", disc]].rename(columns={disc: "index_campaign_coupon_disc"})
    if not (tables.has("coupons") and tables.has("campaigns")):
        return base
    pool = typea_pool_coupon_disc(tables, base["household_id"])
    return base.merge(pool, on="household_id", how="left").fillna({"ever_typeA_pool_coupon_disc": 0.0})


def typea_contacts_per_week(tables) -> float | None:
    """Households the retailer's Type A campaigns contacted per week: memberships / weeks from the first
    Type A start to the last Type A end (the pace at which a test's contacted arm can be filled)."""
    if not (tables.has("campaigns") and tables.has("campaign_members")):
        return None
    row = tables.con.execute("""
        SELECT count(*), min(c.start_date), max(c.end_date)
        FROM campaign_members m JOIN campaigns c USING (campaign_id) WHERE c.campaign_type = 'A'""").fetchone()
    n, start, end = row
    if not n or start is None or end is None:
        return None
    weeks = max((pd.Timestamp(end) - pd.Timestamp(start)).days + 1, 7) / 7.0
    return float(n) / weeks
