"""Small DuckDB helpers.

DuckDB 2 refuses new work on a connection while a previous result is unfinished, so single-row reads
fetch the whole (tiny) result instead of calling ``fetchone``.
"""

from __future__ import annotations

# Households, baskets, lines, date range and spend of the clean transactions (the same on every engine).
OVERVIEW_SQL = """SELECT count(DISTINCT household_id) AS households, count(DISTINCT basket_id) AS baskets,
    count(*) AS lines, min(date) AS first_date, max(date) AS last_date, round(sum(sales_value), 2) AS sales_value
    FROM clean_transactions"""


def first_row(con, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query (None if it returned none), leaving no unfinished result behind."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def view_exists(con, name: str) -> bool:
    """True if a view or table called ``name`` exists on the connection (DuckDB's, or the Spark engine's)."""
    if hasattr(con, "has_view"):  # data.spark_engine.SparkConnection
        return con.has_view(name)
    return first_row(con, "SELECT (SELECT count(*) FROM duckdb_views() WHERE view_name = ?) + "
                          "(SELECT count(*) FROM duckdb_tables() WHERE table_name = ?)", [name, name])[0] > 0


def exact_sum(expr: str, where: str | None = None) -> str:
    """SQL for the sum of a money column as exact decimals, turned into DOUBLE once at the end.

    DuckDB sums DOUBLEs in parallel and the order in which threads combine partial sums changes the last bits
    between runs; a downstream tree or threshold can turn those bits into a different decision, so the same
    seed would not give the same numbers. DECIMAL(18, 4) keeps sub-cent values to 1/100 cent."""
    flt = f" FILTER (WHERE {where})" if where else ""
    return f"CAST(sum(CAST({expr} AS DECIMAL(18, 4))){flt} AS DOUBLE)"
