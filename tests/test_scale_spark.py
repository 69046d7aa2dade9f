"""The Spark engine computes the same features as DuckDB (Spark local mode; `make test-scale`)."""

from __future__ import annotations

import pandas as pd
import pytest

pytestmark = pytest.mark.scale
pytest.importorskip("pyspark")
pytest.importorskip("sqlglot")

from segtarget.data import load_source  # noqa: E402
from segtarget.features import compute_features  # noqa: E402
from segtarget.features.spark import compute_features_spark, spark_session, to_spark_sql  # noqa: E402
from segtarget.synth import synthesize  # noqa: E402


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory):
    """80 real households as canonical tables, plus promotions on their (product, store, week) keys.

    The promotion codes are made up (a hash of the key) so the fixture does not scan the 20.9M embedded
    rows: display '0', '1'..'9' or 'A', mailer '0' or a letter, and a second, different row for some keys.
    """
    import duckdb

    from segtarget.data.schema import week_sql

    root = tmp_path_factory.mktemp("spark") / "tables"
    synthesize(root, 80, seed=11, promotions=False)
    keys = f"""SELECT DISTINCT product_id, store_id, {week_sql('date')} AS week, hash(product_id, store_id) AS h
               FROM read_parquet('{root}/transactions/*.parquet')"""
    code = "CASE WHEN {h} % 5 = 0 THEN 'A' ELSE CAST({h} % 10 AS VARCHAR) END"
    duckdb.sql(f"""COPY (
        SELECT product_id, store_id, week, {code.format(h='h')} AS display,
               CASE WHEN h % 3 = 0 THEN 'D' ELSE '0' END AS mailer FROM ({keys})
        UNION ALL
        SELECT product_id, store_id, week, {code.format(h='(h // 7)')}, CASE WHEN h % 2 = 0 THEN 'F' ELSE '0' END
        FROM ({keys}) WHERE h % 4 = 0) TO '{root}/promotions.parquet' (FORMAT parquet)""")
    return root


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    with spark_session("local[2]") as session:
        yield session


def test_transpiler_keeps_double_arithmetic_and_replaces_isfinite():
    out = to_spark_sql("SELECT avg(CASE WHEN x > 0 THEN 1.0 ELSE 0.0 END), isfinite(y), a // 7 FROM t")
    assert "CAST(1.0 AS DOUBLE)" in out and "ISFINITE" not in out.upper() and "ISNAN" in out.upper()
    assert "DIV 7" in out


@pytest.mark.parametrize("kwargs", [
    {},
    {"start": "2017-02-01", "end": "2017-09-01", "reference_point": "window_end", "auxiliary": True},
])
def test_spark_features_equal_duckdb(fixture_dir, spark, kwargs):
    duck = compute_features(load_source(f"tables:{fixture_dir}"), exposure=True, **kwargs)
    spk = compute_features_spark(f"tables:{fixture_dir}", exposure=True, **kwargs)
    assert list(spk.columns) == list(duck.columns) and len(duck) > 50
    pd.testing.assert_frame_equal(spk, duck, check_dtype=False, rtol=1e-9, atol=1e-12)


def test_spark_household_subset_and_empty_window(fixture_dir, spark):
    ids = compute_features(load_source(f"tables:{fixture_dir}"), exposure=False)["household_id"].head(5)
    spk = compute_features_spark(f"tables:{fixture_dir}", households=ids, exposure=False)
    assert spk["household_id"].tolist() == sorted(ids.tolist())
    from segtarget.errors import SegtargetError

    with pytest.raises(SegtargetError, match="no usable transactions"):
        compute_features_spark(f"tables:{fixture_dir}", start="2030-01-01", exposure=False)


def test_features_command_engine_option(fixture_dir, spark, tmp_path):
    from typer.testing import CliRunner

    from segtarget.cli import app

    runner = CliRunner()
    out = {}
    for engine in ("duckdb", "spark"):
        out[engine] = tmp_path / f"{engine}.parquet"
        res = runner.invoke(app, ["features", "--data", f"tables:{fixture_dir}", "--out", str(out[engine]),
                                  "--engine", engine, "--no-exposure"])
        assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(pd.read_parquet(out["spark"]), pd.read_parquet(out["duckdb"]),
                                  check_dtype=False, rtol=1e-9)
    bad = runner.invoke(app, ["features", "--data", f"tables:{fixture_dir}", "--out", str(tmp_path / "x.parquet"),
                              "--engine", "polars"])
    assert bad.exit_code != 0 and "--engine" in str(bad.exception)
