"""The canonical data model every source is mapped to.

Dates are local calendar dates. ``day`` and ``week`` follow the original Dunnhumby numbering extended to
any date: ``day = date - 2016-03-23 + 1`` (so 2017-01-01 is day 285) and ``week = (day + 8) // 7``
(Monday-start weeks; 2017-01-01 is week 41). Only differences of days and weeks enter the features, so
the epoch is a convention that makes the embedded data and the original CSVs line up exactly.
Discounts are non-negative amounts.
"""

from __future__ import annotations

DAY_EPOCH = "2016-03-23"  # original Dunnhumby DAY 1

# table -> {column: DuckDB type}; columns marked optional may be absent (filled with NULL).
SCHEMA: dict[str, dict[str, str]] = {
    "transactions": {
        "household_id": "BIGINT", "basket_id": "BIGINT", "product_id": "BIGINT", "store_id": "BIGINT",
        "date": "DATE", "day": "INTEGER", "week": "INTEGER", "time_of_day": "INTEGER",
        "quantity": "DOUBLE", "sales_value": "DOUBLE", "retail_disc": "DOUBLE", "coupon_disc": "DOUBLE",
        "coupon_match_disc": "DOUBLE",
    },
    "products": {
        "product_id": "BIGINT", "department": "VARCHAR", "brand": "VARCHAR", "commodity": "VARCHAR",
        "sub_commodity": "VARCHAR", "manufacturer_id": "BIGINT",
    },
    "households": {
        "household_id": "BIGINT", "age": "VARCHAR", "income": "VARCHAR", "home_ownership": "VARCHAR",
        "marital_status": "VARCHAR", "household_size": "VARCHAR", "household_comp": "VARCHAR",
        "kids_count": "VARCHAR",
    },
    "campaigns": {"campaign_id": "BIGINT", "campaign_type": "VARCHAR", "start_date": "DATE", "end_date": "DATE"},
    "campaign_members": {"household_id": "BIGINT", "campaign_id": "BIGINT"},
    "coupons": {"coupon_upc": "BIGINT", "product_id": "BIGINT", "campaign_id": "BIGINT"},
    "redemptions": {"household_id": "BIGINT", "coupon_upc": "BIGINT", "campaign_id": "BIGINT", "date": "DATE"},
    "promotions": {"product_id": "BIGINT", "store_id": "BIGINT", "week": "INTEGER", "display": "VARCHAR",
                   "mailer": "VARCHAR"},
}

# Tables a source may omit; the run then skips what needs them (and says so).
OPTIONAL_TABLES = {"households", "promotions", "campaigns", "campaign_members", "coupons", "redemptions"}

# Primary keys checked for uniqueness at load.
KEYS: dict[str, tuple[str, ...]] = {
    "products": ("product_id",),
    "households": ("household_id",),
    "campaigns": ("campaign_id",),
    "campaign_members": ("household_id", "campaign_id"),
}

# Columns a `tables:` source must provide (the rest are derived or optional).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "transactions": ("household_id", "basket_id", "product_id", "date", "quantity", "sales_value"),
    "products": ("product_id", "department"),
    "households": ("household_id",),
    "campaigns": ("campaign_id", "campaign_type", "start_date", "end_date"),
    "campaign_members": ("household_id", "campaign_id"),
    "coupons": ("coupon_upc", "product_id", "campaign_id"),
    "redemptions": ("household_id", "campaign_id", "date"),
    "promotions": ("product_id", "store_id", "week"),
}


def day_sql(date_expr: str) -> str:
    """SQL for the canonical day index of a DATE expression."""
    return f"(date_diff('day', DATE '{DAY_EPOCH}', {date_expr}) + 1)"


def week_sql(date_expr: str) -> str:
    """SQL for the canonical Monday-start week index of a DATE expression."""
    return f"(({day_sql(date_expr)} + 8) // 7)"
