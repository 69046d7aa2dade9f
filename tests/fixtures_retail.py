"""A tiny hand-made retail data set, written in the canonical layout and in the original Dunnhumby CSV layout.

Two households, four baskets; the expected feature values in test_features.py are computed by hand from
these rows.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

# household, basket, product, store, local date, HHMM, quantity, sales, retail_disc, coupon_disc, match
LINES = [
    (1, 10, 100, 1, date(2017, 1, 2), 930, 2, 4.0, 0.5, 0.0, 0.0),
    (1, 10, 200, 1, date(2017, 1, 2), 930, 1, 3.0, 0.0, 1.0, 0.0),
    (1, 11, 100, 1, date(2017, 1, 5), 1015, 1, 2.0, 0.0, 0.0, 0.0),
    (1, 12, 300, 2, date(2017, 1, 12), 1800, 1, 5.0, 1.0, 0.0, 0.0),
    (2, 20, 400, 1, date(2017, 1, 3), 1200, 1, 10.0, 0.0, 0.0, 0.0),
    (2, 20, 999, 1, date(2017, 1, 3), 1200, 1, 1.0, 0.0, 0.0, 0.0),  # product missing from products
    (2, 20, 100, 1, date(2017, 1, 3), 1200, 0, 0.0, 0.0, 0.0, 0.0),  # quantity 0: dropped
]
# product, department (original name), department (one-year release), brand
PRODUCTS = [
    (100, "GRO BAKERY", "GROCERY", "National"),
    (200, "PRODUCE", "PRODUCE", "Private"),
    (300, "PASTRY", "PASTRY", "National"),
    (400, "SPIRITS", "SPIRITS", "National"),
    (500, "KIOSK-GAS", "FUEL", "National"),
]
CAMPAIGNS = [(1, "A", date(2017, 1, 4), date(2017, 1, 10))]
MEMBERS = [(1, 1)]


def canonical_frames() -> dict[str, pd.DataFrame]:
    tx = pd.DataFrame(LINES, columns=["household_id", "basket_id", "product_id", "store_id", "date", "time_of_day",
                                      "quantity", "sales_value", "retail_disc", "coupon_disc", "coupon_match_disc"])
    tx["date"] = pd.to_datetime(tx["date"])
    products = pd.DataFrame([(p, new, b) for p, _, new, b in PRODUCTS], columns=["product_id", "department", "brand"])
    campaigns = pd.DataFrame(CAMPAIGNS, columns=["campaign_id", "campaign_type", "start_date", "end_date"])
    members = pd.DataFrame(MEMBERS, columns=["household_id", "campaign_id"])
    return {"transactions": tx, "products": products, "campaigns": campaigns, "campaign_members": members}


def write_canonical(root: Path, fmt: str = "parquet", **replace: pd.DataFrame) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, df in (canonical_frames() | replace).items():
        if fmt == "parquet":
            df.to_parquet(root / f"{name}.parquet", index=False)
        else:
            df.to_csv(root / f"{name}.csv", index=False)
    return root


def write_dunnhumby(root: Path) -> Path:
    """The same rows in the original CSV layout: DAY/WEEK_NO numbering, negative discounts, TRANS_TIME."""
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for hh, b, p, s, d, hhmm, q, sales, rd, cd, md in LINES:
        day = (d - date(2016, 3, 23)).days + 1
        rows.append({"household_key": hh, "BASKET_ID": b, "DAY": day, "PRODUCT_ID": p, "QUANTITY": q,
                     "SALES_VALUE": sales, "STORE_ID": s, "RETAIL_DISC": -rd, "TRANS_TIME": hhmm,
                     "WEEK_NO": (day + 8) // 7, "COUPON_DISC": -cd, "COUPON_MATCH_DISC": -md})
    pd.DataFrame(rows).to_csv(root / "transaction_data.csv", index=False)
    pd.DataFrame([{"PRODUCT_ID": p, "MANUFACTURER": 1, "DEPARTMENT": old, "BRAND": b, "COMMODITY_DESC": "X",
                   "SUB_COMMODITY_DESC": "Y", "CURR_SIZE_OF_PRODUCT": ""} for p, old, _, b in PRODUCTS]
                 ).to_csv(root / "product.csv", index=False)
    pd.DataFrame([{"DESCRIPTION": f"Type{t}", "CAMPAIGN": c, "START_DAY": (s - date(2016, 3, 23)).days + 1,
                   "END_DAY": (e - date(2016, 3, 23)).days + 1} for c, t, s, e in CAMPAIGNS]
                 ).to_csv(root / "campaign_desc.csv", index=False)
    pd.DataFrame([{"DESCRIPTION": "TypeA", "household_key": h, "CAMPAIGN": c} for h, c in MEMBERS]
                 ).to_csv(root / "campaign_table.csv", index=False)
    return root
