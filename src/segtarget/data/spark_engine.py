"""Canonical tables on Spark behind the small connection interface the SQL steps use (optional extra ``spark``).

Every data-heavy step of the run (features, study design, covariates, outcomes, weekly panel, quarters, cost
data) talks to ``tables.con`` through five calls: ``execute(sql, params).df() / .fetchall() / .fetchone()``,
``register(name, frame)``, ``unregister(name)``, ``DESCRIBE name`` and :func:`.db.view_exists`. A
:class:`SparkConnection` answers the same five calls from a SparkSession, so the one DuckDB SQL definition of
each step runs on Spark unchanged:

- each DuckDB statement is transpiled once by sqlglot (``read="duckdb", write="spark"``, cached), with the
  fixes of :func:`to_spark_sql`; ``?`` parameters are inlined as typed literals first;
- ``CREATE [OR REPLACE] TABLE|VIEW [IF NOT EXISTS] name AS SELECT`` becomes a temp view (a TABLE is also
  cached, as DuckDB materialises it);
- a registered pandas frame becomes a temp view (it travels with the query plan: keep it household-sized);
- results come back as pandas with DuckDB's dtypes (DATE -> datetime64, DECIMAL -> float).

The canonical views (``transactions``, ``clean_transactions``, ``products``, ``raw_promotions``, the campaign
tables) are built by :func:`register_views` from canonical files, with the day/week indices and the clean-line
filter taken from the same DuckDB expressions, transpiled the same way. Only household-level results are
collected to the driver.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import tempfile
import warnings
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

import pandas as pd

from ..errors import SegtargetError
from .schema import SCHEMA, day_sql, week_sql
from .validate import CLEAN_FILTER

_ALIASES = {"promotions": "raw_promotions"}  # the de-duplicated DuckDB view is only asked about, never read


def require_spark() -> None:
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError:
        raise SegtargetError("engine spark needs pyspark and sqlglot: pip install 'segtarget[spark]' "
                             "(and Java 17+), or use engine duckdb") from None


def _spark_tree(tree):
    """The sqlglot tree with DuckDB's semantics kept on Spark (see :func:`to_spark_sql`)."""
    from sqlglot import exp

    def fix(node):
        if isinstance(node, exp.Literal) and not node.is_string and "." in node.this:
            return exp.cast(node.copy(), "DOUBLE")
        if isinstance(node, exp.Anonymous) and str(node.this).lower() == "isfinite":
            x = node.expressions[0]
            return exp.and_(exp.not_(exp.func("isnan", x.copy())),
                            exp.NEQ(this=exp.func("abs", x.copy()),
                                    expression=exp.cast(exp.Literal.string("Infinity"), "DOUBLE")))
        return node

    return tree.transform(fix)


@functools.lru_cache(maxsize=512)
def to_spark_sql(duckdb_sql: str) -> str:
    """Transpile one DuckDB statement to Spark SQL.

    Two DuckDB semantics need help: decimal literals such as ``1.0`` are DECIMAL in Spark (averages would
    lose digits), so they become DOUBLE as in DuckDB; ``isfinite(x)`` has no Spark equivalent and becomes
    ``NOT isnan(x) AND abs(x) <> 'Infinity'``."""
    import sqlglot

    return _spark_tree(sqlglot.parse_one(duckdb_sql, read="duckdb")).sql(dialect="spark")


def _literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (datetime, pd.Timestamp)):
        return f"TIMESTAMP '{pd.Timestamp(value).isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, (int, float)) or hasattr(value, "item"):
        return repr(value.item() if hasattr(value, "item") else value)
    return "'" + str(value).replace("'", "''") + "'"


def inline_params(sql: str, params) -> str:
    """DuckDB ``?`` placeholders (outside string literals) replaced by typed SQL literals."""
    if not params:
        return sql
    values = iter(params)
    parts = re.split(r"('(?:[^']|'')*')", sql)  # odd parts are string literals
    return "".join(p if i % 2 else re.sub(r"\?", lambda _: _literal(next(values)), p) for i, p in enumerate(parts))


class SparkResult:
    """A query result with DuckDB's relation methods: ``df()``, ``fetchall()``, ``fetchone()``."""

    def __init__(self, frame=None, pandas: pd.DataFrame | None = None):
        self._frame, self._pandas = frame, pandas

    def df(self) -> pd.DataFrame:
        if self._pandas is not None:
            return self._pandas.copy()
        if self._frame is None:
            return pd.DataFrame()
        from pyspark.sql.types import DateType, DecimalType

        with warnings.catch_warnings():  # pyspark warns on every call under pandas 3; the conversion is checked
            warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
            out = self._frame.toPandas()
        for f in self._frame.schema.fields:  # DuckDB's .df(): DATE -> datetime64, DECIMAL -> float
            if isinstance(f.dataType, DateType):
                out[f.name] = pd.to_datetime(out[f.name]).astype("datetime64[us]")
            elif isinstance(f.dataType, DecimalType):
                out[f.name] = out[f.name].astype(float)
        return out

    def fetchall(self) -> list[tuple]:
        if self._pandas is not None:
            return list(self._pandas.itertuples(index=False, name=None))
        return [] if self._frame is None else [tuple(r) for r in self._frame.collect()]

    def fetchone(self) -> tuple | None:
        rows = self.fetchall()
        return rows[0] if rows else None


class SparkConnection:
    """The part of a DuckDB connection the SQL steps use, answered by a SparkSession."""

    def __init__(self, spark):
        self.spark = spark

    def has_view(self, name: str) -> bool:
        return self.spark.catalog.tableExists(_ALIASES.get(name, name))

    def register(self, name: str, df: pd.DataFrame) -> None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
            self.spark.createDataFrame(df, schema=_spark_schema(df)).createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    def execute(self, sql: str, params=None) -> SparkResult:
        import sqlglot
        from sqlglot import exp

        text = inline_params(sql, params)
        tree = sqlglot.parse_one(text, read="duckdb")
        if isinstance(tree, exp.Create) and tree.kind in ("TABLE", "VIEW") and tree.expression is not None:
            name = tree.this.name
            if not (tree.args.get("exists") and self.has_view(name)):
                frame = self.spark.sql(to_spark_sql(tree.expression.sql(dialect="duckdb")))
                (frame.cache() if tree.kind == "TABLE" else frame).createOrReplaceTempView(name)
            return SparkResult()
        if isinstance(tree, exp.Describe):
            schema = self.spark.table(tree.this.sql(dialect="spark")).schema
            return SparkResult(pandas=pd.DataFrame({"column_name": [f.name for f in schema.fields],
                                                    "column_type": [f.dataType.simpleString() for f in schema]}))
        return SparkResult(self.spark.sql(to_spark_sql(text)))


def _spark_schema(df: pd.DataFrame):
    """Spark schema of a pandas frame via Arrow (also for an empty frame, which Spark cannot infer)."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(pa.Schema.from_pandas(df, preserve_index=False))


@contextlib.contextmanager
def spark_session(master: str | None = None, conf: dict[str, str] | None = None) -> Iterator:
    """The active SparkSession, or a new one (stopped on exit) for ``master`` / ``SEGTARGET_SPARK_MASTER``
    (default ``local[*]``); ``conf`` adds Spark settings (e.g. ``spark.executor.memory``)."""
    require_spark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    with tempfile.TemporaryDirectory(prefix="segtarget-spark-") as tmp:
        builder = (SparkSession.builder.appName("segtarget")
                   .master(master or os.environ.get("SEGTARGET_SPARK_MASTER", "local[*]"))
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.warehouse.dir", str(Path(tmp) / "warehouse"))
                   .config("spark.local.dir", str(Path(tmp) / "local"))
                   .config("spark.sql.session.timeZone", "UTC")
                   # DuckDB returns NULL for x / 0 instead of failing; the feature SQL relies on that.
                   .config("spark.sql.ansi.enabled", "false")
                   .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                   .config("spark.sql.shuffle.partitions", os.environ.get("SEGTARGET_SPARK_PARTITIONS", "8")))
        for key, value in (conf or {}).items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        try:
            yield spark
        finally:
            spark.stop()


def _read(spark, root: str, table: str):
    """A canonical table as a Spark DataFrame: ``table.parquet``, ``table.csv`` or a ``table/`` folder."""
    from pyspark.errors import AnalysisException

    local = "://" not in root
    for suffix in (".parquet", ".csv", ""):
        path = f"{root.rstrip('/')}/{table}{suffix}"
        if local and not Path(path).exists():
            continue
        try:
            if suffix == ".csv":
                return spark.read.csv(path, header=True, inferSchema=True)
            return spark.read.parquet(path)
        except AnalysisException:
            continue
    return None


# Every temp view a load or a step's CREATE makes (dropping a cached view also uncaches it).
_OWN_VIEWS = (*SCHEMA, *(f"src_{t}" for t in SCHEMA), "typed_transactions", "raw_promotions", "clean_transactions",
              "promotion_keys")


def register_views(spark, root: str, *, fill_missing: bool = True, cache: bool = False) -> set[str]:
    """Spark temp views of every canonical table found under ``root`` (names as on the DuckDB connection:
    ``transactions``, ``clean_transactions``, ``products``, ``raw_promotions``, ``households``, ...).

    ``fill_missing`` adds absent optional columns as NULL, as the ``tables:`` loader does; an export of a
    loaded source (``fill_missing=False``) keeps exactly the columns the DuckDB view had. ``cache`` keeps the
    clean transactions in Spark's memory (spilling to disk) for a run that scans them many times."""
    # A session outlives a load (a notebook, the tests): views of an earlier source must not leak into this one.
    for name in _OWN_VIEWS:
        spark.catalog.dropTempView(name)
    found = set()
    for table, columns in SCHEMA.items():
        df = _read(spark, root, table)
        if df is None:
            if table in ("transactions", "products"):
                raise SegtargetError(f"tables source: {root}/{table}.parquet (or .csv, or a {table}/ folder of "
                                     "parquet parts) not found; it is required")
            continue
        have = set(df.columns)
        sel = []
        for col, typ in columns.items():
            if table == "transactions" and col in ("day", "week"):
                continue
            if col in have:
                sel.append(f'CAST("{col}" AS {typ}) AS {col}')
            elif col in ("retail_disc", "coupon_disc", "coupon_match_disc"):
                sel.append(f"CAST(0 AS {typ}) AS {col}")
            elif fill_missing or table == "transactions":
                sel.append(f"CAST(NULL AS {typ}) AS {col}")
        sel += [f'"{c}"' for c in df.columns if c not in columns and not fill_missing]
        df.createOrReplaceTempView(f"src_{table}")
        name = {"transactions": "typed_transactions", "promotions": "raw_promotions"}.get(table, table)
        spark.sql(to_spark_sql(f"SELECT {', '.join(sel)} FROM src_{table}")).createOrReplaceTempView(name)
        found.add(table)
    spark.sql(to_spark_sql(f"""SELECT household_id, basket_id, product_id, store_id, date,
        CAST({day_sql('date')} AS INTEGER) AS day, CAST({week_sql('date')} AS INTEGER) AS week, time_of_day,
        quantity, sales_value, coalesce(retail_disc, 0) AS retail_disc, coalesce(coupon_disc, 0) AS coupon_disc,
        coalesce(coupon_match_disc, 0) AS coupon_match_disc FROM typed_transactions""")
              ).createOrReplaceTempView("transactions")
    clean = spark.sql(to_spark_sql(f"SELECT * FROM transactions WHERE {CLEAN_FILTER}"))
    (clean.persist() if cache else clean).createOrReplaceTempView("clean_transactions")
    return found


__all__ = ["SparkConnection", "SparkResult", "inline_params", "register_views", "require_spark", "spark_session",
           "to_spark_sql"]
