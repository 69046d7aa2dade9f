"""The same household features on Spark (optional extra ``spark``: pyspark + sqlglot).

There is one definition of every feature: the DuckDB SQL produced by :func:`segtarget.features.sql.feature_sql`.
This engine transpiles that text with sqlglot (``read="duckdb", write="spark"``) and runs it on Spark temp
views of the canonical tables. The canonical views themselves (day/week indices, the clean-line filter,
the promotion keys) are built from the same DuckDB expressions, transpiled the same way.

Two DuckDB semantics need help on Spark, both handled in :func:`to_spark_sql`:
- decimal literals such as ``1.0`` or ``4.33`` are DECIMAL in Spark, which would make averages decimals
  with a few digits; they become DOUBLE, as DuckDB computes them;
- ``isfinite(x)`` has no Spark equivalent; it becomes ``NOT isnan(x) AND abs(x) <> 'Infinity'``.

Where Spark runs: an active SparkSession is used as is (e.g. under ``spark-submit`` on a cluster);
otherwise one is started with master ``SEGTARGET_SPARK_MASTER`` (default ``local[*]``) and stopped
afterwards. ``tables:PATH`` is read by Spark itself, so PATH may be any URI the cluster can read
(``s3a://...``, ``hdfs://...``); other sources are first exported to canonical parquet by DuckDB.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from ..errors import SegtargetError

TABLE_NAMES = ("transactions", "products", "promotions")


def _require() -> None:
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError:
        raise SegtargetError("--engine spark needs pyspark and sqlglot: pip install 'segtarget[spark]' "
                             "(and Java 17+), or use --engine duckdb") from None


def to_spark_sql(duckdb_sql: str) -> str:
    """Transpile one DuckDB statement to Spark SQL (with the two fixes in the module docstring)."""
    import sqlglot
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

    tree = sqlglot.parse_one(duckdb_sql, read="duckdb").transform(fix)
    return tree.sql(dialect="spark")


@contextlib.contextmanager
def spark_session(master: str | None = None) -> Iterator:
    """The active SparkSession, or a new one (stopped on exit) for ``master`` / ``SEGTARGET_SPARK_MASTER``."""
    _require()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    with tempfile.TemporaryDirectory(prefix="segtarget-spark-") as tmp:
        spark = (SparkSession.builder.appName("segtarget-features")
                 .master(master or os.environ.get("SEGTARGET_SPARK_MASTER", "local[*]"))
                 .config("spark.ui.enabled", "false")
                 .config("spark.sql.warehouse.dir", str(Path(tmp) / "warehouse"))
                 .config("spark.local.dir", str(Path(tmp) / "local"))
                 .config("spark.sql.session.timeZone", "UTC")
                 # DuckDB returns NULL for x / 0 instead of failing; the feature SQL relies on that.
                 .config("spark.sql.ansi.enabled", "false")
                 .config("spark.sql.shuffle.partitions", os.environ.get("SEGTARGET_SPARK_PARTITIONS", "8"))
                 .getOrCreate())
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


def register_views(spark, root: str) -> set[str]:
    """Spark temp views ``transactions``, ``clean_transactions``, ``products`` (+ ``raw_promotions``)."""
    from ..data.schema import SCHEMA, day_sql, week_sql
    from ..data.validate import CLEAN_FILTER

    found = set()
    for table in TABLE_NAMES:
        df = _read(spark, root, table)
        if df is None:
            if table != "promotions":
                raise SegtargetError(f"tables source: {root}/{table}.parquet (or .csv, or a {table}/ folder of "
                                     "parquet parts) not found; it is required")
            continue
        have = set(df.columns)
        sel = []
        for col, typ in SCHEMA[table].items():
            if table == "transactions" and col in ("day", "week"):
                continue
            if col in have:
                sel.append(f'CAST("{col}" AS {typ}) AS {col}')
            elif col in ("retail_disc", "coupon_disc", "coupon_match_disc"):
                sel.append(f"CAST(0 AS {typ}) AS {col}")
            else:
                sel.append(f"CAST(NULL AS {typ}) AS {col}")
        df.createOrReplaceTempView(f"src_{table}")
        name = {"transactions": "typed_transactions", "promotions": "raw_promotions"}.get(table, table)
        spark.sql(to_spark_sql(f"SELECT {', '.join(sel)} FROM src_{table}")).createOrReplaceTempView(name)
        found.add(table)
    spark.sql(to_spark_sql(f"""SELECT household_id, basket_id, product_id, store_id, date,
        CAST({day_sql('date')} AS INTEGER) AS day, CAST({week_sql('date')} AS INTEGER) AS week, time_of_day,
        quantity, sales_value, coalesce(retail_disc, 0) AS retail_disc, coalesce(coupon_disc, 0) AS coupon_disc,
        coalesce(coupon_match_disc, 0) AS coupon_match_disc FROM typed_transactions""")
              ).createOrReplaceTempView("transactions")
    spark.sql(to_spark_sql(f"SELECT * FROM transactions WHERE {CLEAN_FILTER}")).createOrReplaceTempView(
        "clean_transactions")
    return found


def _promotion_keys(spark) -> None:
    import sqlglot

    from .sql import PROMOTION_KEYS_SQL

    create = sqlglot.parse_one(PROMOTION_KEYS_SQL, read="duckdb")
    select = create.expression.sql(dialect="duckdb")  # the SELECT under CREATE TABLE ... AS
    spark.sql(to_spark_sql(select)).cache().createOrReplaceTempView("promotion_keys")


@contextlib.contextmanager
def _canonical_root(data: str) -> Iterator[str]:
    """Where Spark reads canonical tables: the ``tables:`` path itself, else a DuckDB export of the source."""
    kind, _, arg = str(data).partition(":")
    if kind == "tables" and arg:
        yield arg if "://" in arg else str(Path(arg).expanduser())
        return
    from ..synth import synthesize

    with tempfile.TemporaryDirectory(prefix="segtarget-canonical-") as tmp:
        synthesize(Path(tmp) / "tables", None, source=data)
        yield str(Path(tmp) / "tables")


def compute_features_spark(data: str, *, start=None, end=None, households: Iterable[int] | None = None,
                           reference_point: str = "data", exposure: bool | None = None,
                           fill_missing: bool = True, auxiliary: bool = False, master: str | None = None
                           ) -> pd.DataFrame:
    """Like :func:`segtarget.features.compute_features`, computed by Spark from the source spec ``data``."""
    from . import feature_columns, feature_window
    from .sql import feature_sql

    _require()
    where, ref, start_d, end_d = feature_window(start, end, households, reference_point)
    with _canonical_root(data) as root, spark_session(master) as spark:
        found = register_views(spark, root)
        if exposure is None:
            exposure = "promotions" in found
        elif exposure and "promotions" not in found:
            raise SegtargetError("exposure features need a promotions table; the source has none (set exposure=false)")
        if exposure:
            _promotion_keys(spark)
        sql = feature_sql(where=where, reference_point=ref, exposure=exposure, fill_missing=fill_missing)
        df = spark.sql(to_spark_sql(sql)).toPandas()
    return feature_columns(df, exposure=exposure, auxiliary=auxiliary, start_d=start_d, end_d=end_d)


__all__ = ["compute_features_spark", "to_spark_sql", "register_views", "spark_session"]
