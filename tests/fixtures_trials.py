"""A hand-made source for the campaign-trials design (tests/test_design.py checks its assignments by hand).

Two Type A campaigns whose windows overlap (A2 starts inside A1's outcome window) and one Type B campaign.
With lookback_weeks=4, post_weeks=1, min_lookback_weeks=1:

trial 1 (A1 starts Mon 2017-02-06, ends 02-12): look-back [01-09, 02-06), outcome window [02-06, 02-19]
trial 2 (A2 starts Wed 2017-02-15, ends 02-20): look-back [01-18, 02-15), outcome window [02-15, 02-27]

| household | campaigns | baskets (date: sales)                  | trial 1                          | trial 2            |
|-----------|-----------|----------------------------------------|----------------------------------|--------------------|
| 1         | A1        | 01-15: 10, 02-08: 20                   | treated                          | not eligible (A1)  |
| 2         | A2        | 01-20: 5, 02-10: 7, 02-16: 30          | control, truncated at 02-14      | treated            |
| 3         | -         | 01-25: 8, 02-07: 9, 02-20: 11          | control                          | control            |
| 4         | -         | 01-03: 50                              | no look-back basket              | no look-back basket|
| 5         | A1        | 02-08: 40                              | no look-back basket              | not eligible (A1)  |
| 6         | B3        | 01-22: 6, 02-09: 12                    | control (1 earlier B/C campaign) | control            |
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

D = date
BASKETS = [  # household, basket, date, sales
    (1, 101, D(2017, 1, 15), 10.0), (1, 102, D(2017, 2, 8), 20.0),
    (2, 201, D(2017, 1, 20), 5.0), (2, 202, D(2017, 2, 10), 7.0), (2, 203, D(2017, 2, 16), 30.0),
    (3, 301, D(2017, 1, 25), 8.0), (3, 302, D(2017, 2, 7), 9.0), (3, 303, D(2017, 2, 20), 11.0),
    (4, 401, D(2017, 1, 3), 50.0),
    (5, 501, D(2017, 2, 8), 40.0),
    (6, 601, D(2017, 1, 22), 6.0), (6, 602, D(2017, 2, 9), 12.0),
    (3, 399, D(2017, 3, 31), 1.0),  # keeps the data running past the last window
]
CAMPAIGNS = [(1, "A", D(2017, 2, 6), D(2017, 2, 12)), (2, "A", D(2017, 2, 15), D(2017, 2, 20)),
             (3, "B", D(2017, 1, 20), D(2017, 3, 1))]
MEMBERS = [(1, 1), (5, 1), (2, 2), (6, 3)]
# "run": these tiny fixtures test the window rules, and shifted trials here start before 4 weeks of data
CONFIG = {"lookback_weeks": 4, "post_weeks": 1, "min_lookback_weeks": 1, "short_history": "run"}


def frames(baskets=BASKETS, members=MEMBERS, campaigns=CAMPAIGNS) -> dict[str, pd.DataFrame]:
    tx = pd.DataFrame([{"household_id": h, "basket_id": b, "product_id": 100, "store_id": 1, "date": pd.Timestamp(d),
                        "time_of_day": 1200, "quantity": 1, "sales_value": s, "retail_disc": 0.0,
                        "coupon_disc": 0.5 if h == 2 else 0.0, "coupon_match_disc": 0.25 if h == 2 else 0.0}
                       for h, b, d, s in baskets])
    return {
        "transactions": tx,
        "products": pd.DataFrame({"product_id": [100], "department": ["GROCERY"], "brand": ["National"]}),
        "campaigns": pd.DataFrame(campaigns, columns=["campaign_id", "campaign_type", "start_date", "end_date"]),
        "campaign_members": pd.DataFrame(members, columns=["household_id", "campaign_id"]),
        "households": pd.DataFrame({"household_id": [1], "age": ["45-54"], "income": ["50-74K"],
                                    "home_ownership": ["Homeowner"], "marital_status": [None],
                                    "household_size": ["2"], "household_comp": ["2 Adults No Kids"],
                                    "kids_count": ["0"]}),
    }


def write(root: Path, **kw) -> str:
    root.mkdir(parents=True, exist_ok=True)
    for name, df in frames(**kw).items():
        df.to_parquet(root / f"{name}.parquet", index=False)
    return f"tables:{root}"
