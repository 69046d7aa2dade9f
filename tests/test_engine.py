"""The engine switch without a JVM: config keys, parameter inlining, the DuckDB path and the Spark tables'
interface (the Spark runs themselves are in test_spark_engine.py, marker ``scale``)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from segtarget.config import load_config
from segtarget.data.db import view_exists
from segtarget.data.engine import SparkConfig, SparkTables, open_engine
from segtarget.data.spark_engine import inline_params
from segtarget.errors import SegtargetError


def test_inline_params_types_and_quoted_question_marks():
    sql = "SELECT '?' AS q, x FROM t WHERE d >= ? AND d < ? AND id = ? AND name = ? AND w = ?"
    out = inline_params(sql, [date(2017, 3, 1), pd.Timestamp("2017-04-01"), np.int64(7), "O'Hara", 0.5])
    assert out == ("SELECT '?' AS q, x FROM t WHERE d >= DATE '2017-03-01' AND d < TIMESTAMP '2017-04-01 00:00:00' "
                   "AND id = 7 AND name = 'O''Hara' AND w = 0.5")
    assert inline_params("SELECT 1", None) == "SELECT 1"


def test_engine_config_keys_are_validated():
    assert load_config(None, ["data.engine='spark'"]).data.engine == "spark"
    with pytest.raises(SegtargetError, match="data.engine"):
        load_config(None, ["data.engine='polars'"])
    with pytest.raises(SegtargetError, match="spark.master"):
        load_config(None, ["spark.master='head:7077'"])
    with pytest.raises(SegtargetError, match="spark.executor_memory"):
        SparkConfig(executor_memory="lots")
    assert SparkConfig(executor_memory="4g", shuffle_partitions=16).conf() == {
        "spark.sql.shuffle.partitions": "16", "spark.executor.memory": "4g"}


def test_duckdb_engine_is_load_source(small_source):
    with open_engine("duckdb") as engine:
        tables = engine.load(small_source)
    assert view_exists(tables.con, "clean_transactions") and tables.has("campaigns")
    assert int(tables.overview().iloc[0]["households"]) > 100


class _FakeSparkConnection:
    """Answers what SparkTables asks, counting the queries."""

    def __init__(self):
        self.queries = 0

    def has_view(self, name):
        return name == "campaigns"

    def execute(self, sql, params=None):
        self.queries += 1
        frame = pd.DataFrame({"households": [3]})
        return type("R", (), {"df": lambda self: frame})()


def test_spark_tables_answer_view_checks_and_keep_the_overview():
    con = _FakeSparkConnection()
    tables = SparkTables(con=con, source="tables:s3a://bucket/x")
    assert view_exists(con, "campaigns") and tables.has("campaigns") and not tables.has("coupons")
    # The report is written after the Spark session stopped: the overview is computed once and kept.
    assert tables.overview().iloc[0]["households"] == 3 and tables.overview().iloc[0]["households"] == 3
    assert con.queries == 1


@pytest.mark.parametrize("command", ["run", "cohort"])
def test_engine_option_is_checked_before_any_work(command, tmp_path):
    from typer.testing import CliRunner

    from segtarget.cli import app

    res = CliRunner().invoke(app, [command, "--engine", "polars", "--out", str(tmp_path / "x.csv")])
    assert res.exit_code != 0 and "data.engine" in str(res.exception)
    assert not (tmp_path / "x.csv").exists()
