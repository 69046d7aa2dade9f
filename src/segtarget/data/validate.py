"""Validation at load: types, keys, referential integrity, out-of-range values.

Problems that make the data unusable raise one-line errors naming the file, the column and an example row.
Everything else is counted in the data-quality table that the report shows; the features then use the
``clean_transactions`` view, which drops exactly the lines counted as dropped here.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from .db import first_row
from ..errors import SegtargetError
from .schema import KEYS, SCHEMA

CLEAN_FILTER = ("household_id IS NOT NULL AND basket_id IS NOT NULL AND date IS NOT NULL "
                "AND quantity > 0 AND sales_value >= 0 AND isfinite(sales_value)")


def _exists(con: duckdb.DuckDBPyConnection, view: str) -> bool:
    return first_row(con, 
        "SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [view])[0] > 0 or \
        first_row(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [view])[0] > 0


def _where(files: dict[str, Path], table: str) -> str:
    return str(files.get(table, table))


def check_types(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    """Fail on values that cannot be read as the canonical type, naming the first bad row."""
    raw = {"transactions": "raw_transactions", "promotions": "raw_promotions"}
    for table, columns in SCHEMA.items():
        view = raw.get(table, table)
        if not _exists(con, view):
            continue
        have = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()}
        for col, typ in columns.items():
            if col not in have:
                continue
            try:
                bad = first_row(con, 
                    f"SELECT CAST({col} AS VARCHAR) FROM {view} WHERE {col} IS NOT NULL "
                    f"AND TRY_CAST({col} AS {typ}) IS NULL LIMIT 1")
            except duckdb.Error as exc:
                raise SegtargetError(f"file {_where(files, table)}: column '{col}' cannot be read "
                                     f"({str(exc).splitlines()[0]})") from None
            if bad is not None:
                raise SegtargetError(f"file {_where(files, table)}: column '{col}' has value {bad[0]!r}, "
                                     f"which is not a {typ}; fix or remove that row")


def check_keys(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    for table, key in KEYS.items():
        if not _exists(con, table):
            continue
        cols = ", ".join(key)
        dup = first_row(con, f"SELECT {cols}, count(*) AS n FROM {table} GROUP BY ALL HAVING n > 1 LIMIT 1")
        if dup is not None:
            example = ", ".join(f"{k}={v}" for k, v in zip(key, dup[:-1]))
            raise SegtargetError(f"file {_where(files, table)}: duplicate key ({cols}) for {example} "
                                 f"({dup[-1]} rows); keep one row per key")


def quality_table(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> pd.DataFrame:
    """Counts of everything dropped, repaired or merely suspicious."""
    n = first_row(con, "SELECT count(*) FROM transactions")[0]
    if n == 0:
        raise SegtargetError(f"file {_where(files, 'transactions')}: the transactions table is empty")
    rows = []

    def add(table, check, count, action, example=None):
        rows.append({"table": table, "check": check, "rows": int(count),
                     "share": (count / n) if table == "transactions" and n else None,
                     "action": action, "example": "" if example is None else str(example)})

    def count_where(cond: str):
        c, ex = first_row(con, f"SELECT count(*), min(basket_id) FROM transactions WHERE {cond}")
        return c, ex

    for cond, check, action in [
        ("household_id IS NULL OR basket_id IS NULL", "missing household or basket id", "dropped"),
        ("date IS NULL", "missing date", "dropped"),
        ("quantity <= 0", "quantity <= 0 (returns, adjustments)", "dropped (reference filter)"),
        ("sales_value < 0 OR NOT isfinite(sales_value)", "negative or non-finite sales_value", "dropped"),
        ("sales_value = 0", "zero sales_value", "kept"),
        ("quantity >= 1000", "quantity >= 1000 (fuel-like units)", "kept; distorts avg_items_per_basket"),
    ]:
        c, ex = count_where(cond)
        add("transactions", check, c, action, f"basket_id={ex}" if c else None)
    c, ex = first_row(con, """SELECT count(*), min(t.product_id) FROM transactions t
        LEFT JOIN products p USING (product_id) WHERE p.product_id IS NULL""")
    add("transactions", "product_id not in products", c, "kept; category 'other', no brand",
        f"product_id={ex}" if c else None)
    for table in ("campaign_members", "redemptions"):
        if _exists(con, table) and _exists(con, "campaigns"):
            c = first_row(con, f"""SELECT count(*) FROM {table} x LEFT JOIN campaigns c USING (campaign_id)
                WHERE c.campaign_id IS NULL""")[0]
            add(table, "campaign_id not in campaigns", c, "ignored by the causal design")
    if _exists(con, "campaigns"):
        c, ex = first_row(con, "SELECT count(*), min(campaign_id) FROM campaigns WHERE end_date < start_date")
        if c:
            raise SegtargetError(f"file {_where(files, 'campaigns')}: campaign {ex} ends before it starts; "
                                 "fix start_date/end_date")
        bad = first_row(con, "SELECT min(campaign_type) FROM campaigns WHERE campaign_type NOT IN ('A','B','C')")[0]
        if bad is not None:
            raise SegtargetError(f"file {_where(files, 'campaigns')}: column 'campaign_type' has {bad!r}; "
                                 "use A, B or C (or TypeA / Type A)")
    return pd.DataFrame(rows)


def run_quality(tables, *, exposure: bool) -> pd.DataFrame:
    """The data-quality table of a run: the load's checks, plus the duplicate promotion keys when the run computes
    exposure features (they de-duplicate those keys, so the report says how many there were)."""
    if not (exposure and tables.has("promotions")):
        return tables.quality
    return pd.concat([tables.quality, promotion_quality(tables.con)], ignore_index=True)


def promotion_quality(con) -> pd.DataFrame:
    """Duplicate promotion keys among those the clean transactions meet (the only rows an exposure feature
    reads); run only when exposure features are computed, because the table is large (20.9M rows embedded)."""
    c = first_row(con, """SELECT count(*) FROM (SELECT product_id, store_id, week FROM raw_promotions
        WHERE (product_id, store_id, week) IN (SELECT DISTINCT product_id, store_id, week FROM clean_transactions)
        GROUP BY product_id, store_id, week HAVING count(*) > 1) d""")[0]
    return pd.DataFrame([{"table": "promotions", "check": "duplicate (product, store, week) keys met by transactions",
                          "rows": int(c), "share": None,
                          "action": "one row kept: highest display code, mailer if any row has one", "example": ""}])
