"""The same household features on Spark (optional extra ``spark``: pyspark + sqlglot).

There is one definition of every feature: the DuckDB SQL produced by :func:`segtarget.features.sql.feature_sql`.
:func:`compute_features_spark` opens the source on the Spark engine (:mod:`segtarget.data.engine`) and calls
:func:`segtarget.features.compute_features` on it: the connection it gets transpiles that SQL with sqlglot
(``read="duckdb", write="spark"``) and runs it on Spark temp views of the canonical tables
(:mod:`segtarget.data.spark_engine`, which also documents the two DuckDB semantics that need a fix).

Where Spark runs: an active SparkSession is used as is (e.g. under ``spark-submit`` on a cluster);
otherwise one is started with master ``SEGTARGET_SPARK_MASTER`` (default ``local[*]``) and stopped
afterwards. ``tables:PATH`` is read by Spark itself, so PATH may be any URI the cluster can read
(``s3a://...``, ``hdfs://...``); other sources are first exported to canonical parquet by DuckDB.
"""

from __future__ import annotations

from typing import Iterable

import pandas as pd

from ..data.spark_engine import register_views, require_spark, spark_session, to_spark_sql


def compute_features_spark(data: str, *, start=None, end=None, households: Iterable[int] | None = None,
                           reference_point: str = "data", exposure: bool | None = None,
                           fill_missing: bool = True, auxiliary: bool = False, master: str | None = None
                           ) -> pd.DataFrame:
    """Like :func:`segtarget.features.compute_features`, computed by Spark from the source spec ``data``."""
    from ..data.engine import SparkConfig, open_engine
    from . import compute_features

    require_spark()
    with open_engine("spark", SparkConfig(master=master or "", cache=False)) as engine:
        return compute_features(engine.load(data), start=start, end=end, households=households,
                                reference_point=reference_point, exposure=exposure, fill_missing=fill_missing,
                                auxiliary=auxiliary)


__all__ = ["compute_features_spark", "to_spark_sql", "register_views", "spark_session"]
