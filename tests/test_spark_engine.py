"""The run's SQL steps on a real multi-process Spark standalone cluster equal DuckDB's (`make test-scale`).

The cluster is a master and two one-core workers started as separate processes from the pyspark installation
(``bin/spark-class``), the way a retailer's standalone cluster runs; the driver is this test process. Every
data-heavy step of `segtarget run` (features, study design with covariates and outcomes, weekly panel,
migration quarters, cost data, next-campaign covariates) is computed on DuckDB and on Spark from the same
canonical tables (80 real households, fixture of test_scale_spark.py) and must give the same tables.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.scale
pyspark = pytest.importorskip("pyspark")
pytest.importorskip("sqlglot")

from test_scale_spark import fixture_dir  # noqa: E402,F401  (80 households + promotions, as canonical files)

from segtarget.data import load_source  # noqa: E402
from segtarget.data.engine import SparkConfig, SparkTables, open_engine  # noqa: E402
from segtarget.data.spark_engine import spark_session  # noqa: E402

WORKERS = 2
REGISTER_TIMEOUT_S = 180  # JVM start-up on a busy 2-core machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive_workers(webui: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{webui}/json/", timeout=5) as r:
            return int(json.load(r).get("aliveworkers", 0))
    except (OSError, ValueError):
        return 0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``spark://127.0.0.1:PORT`` of a running standalone master with two registered workers."""
    home = Path(pyspark.__file__).parent
    logs = tmp_path_factory.mktemp("spark-cluster")
    env = dict(os.environ, SPARK_HOME=str(home), SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable,
               SPARK_WORKER_DIR=str(logs / "work"))
    port, webui = _free_port(), _free_port()
    url = f"spark://127.0.0.1:{port}"
    cmds = [["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
             "--webui-port", str(webui)]]
    cmds += [["org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1", "--cores", "1",
              "--memory", "1g", "--webui-port", str(_free_port())] for _ in range(WORKERS)]
    procs = []
    try:
        for i, cmd in enumerate(cmds):
            log = open(logs / f"process-{i}.log", "wb")
            procs.append(subprocess.Popen([str(home / "bin" / "spark-class"), *cmd], stdout=log,
                                          stderr=subprocess.STDOUT, env=env, start_new_session=True))
        deadline = time.monotonic() + REGISTER_TIMEOUT_S
        while _alive_workers(webui) < WORKERS:
            dead = [p.args[1] for p in procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                tail = "\n".join((logs / f"process-{i}.log").read_text()[-1500:] for i in range(len(cmds)))
                pytest.fail(f"standalone cluster did not come up (exited: {dead}):\n{tail}")
            time.sleep(1)
        yield url
    finally:
        for p in procs:  # each process leads its own group (start_new_session): stop exactly what we started
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


@pytest.fixture(scope="module")
def spark(cluster):
    """A driver session on the cluster; the engine picks it up as the active session."""
    with spark_session(cluster, {"spark.executor.memory": "768m", "spark.driver.host": "127.0.0.1"}) as session:
        deadline = time.monotonic() + REGISTER_TIMEOUT_S
        while _executors(session) < WORKERS and time.monotonic() < deadline:  # executors join asynchronously
            time.sleep(1)
        yield session


def _executors(session) -> int:
    return session.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1  # minus the driver


def _steps(tables, design: str) -> dict[str, pd.DataFrame]:
    """Every table the run's SQL steps hand to the models, keyed by step."""
    from segtarget.causal.config import DesignConfig
    from segtarget.causal.design.covariates import covariates_at
    from segtarget.causal.design.study import build_design
    from segtarget.causal.event.panel import build_panel, design_units
    from segtarget.features import compute_features
    from segtarget.causal.design.gate import _backcast_spend
    from segtarget.causal.design.weekly_gap import _weekly_spend
    from segtarget.policy.cost_data import cost_table, typea_contacts_per_week
    from segtarget.segments.quarters import quarterly_features

    cohort = build_design(tables, DesignConfig(design=design))
    out = {"cohort": cohort.data, "windows": cohort.windows, "counts": cohort.counts}
    if design != "campaign-trials":
        return out
    out["features"] = compute_features(tables, exposure=True)
    out["panel"] = build_panel(tables.con, design_units(cohort.data, cohort.windows), pre_weeks=8)
    out |= {f"quarter_{q}": f for q, f in quarterly_features(tables).items()}
    out["cost"] = cost_table(tables, cohort.data)
    # the design gate's backcast spend and the weekly gap's spend matrix
    out["backcast"] = pd.DataFrame({"y": _backcast_spend(tables.con, cohort.data, cohort.windows, 12)})
    out["weekly"] = pd.DataFrame(_weekly_spend(tables.con, cohort.data, cohort.windows, -24, 9))
    out["contacts"] = pd.DataFrame({"per_week": [typea_contacts_per_week(tables)]})
    out["next_campaign"] = covariates_at(tables, "2017-12-01", cohort.lookback_days)
    out["overview"] = tables.overview()
    return out


# A local path is validated by DuckDB and read by Spark; a URI (here file://) is read by Spark alone.
@pytest.mark.parametrize("design,uri", [("campaign-trials", False), ("first-typeA", True)])
def test_run_sql_steps_on_standalone_cluster_equal_duckdb(fixture_dir, spark, design, uri):
    assert spark.sparkContext.master.startswith("spark://") and _executors(spark) == WORKERS
    duck = _steps(load_source(f"tables:{fixture_dir}"), design)
    with open_engine("spark", SparkConfig()) as engine:
        tables = engine.load(f"tables:file://{fixture_dir}" if uri else f"tables:{fixture_dir}")
        assert isinstance(tables, SparkTables)
        assert ("not run" in tables.quality["action"].iloc[0]) == uri
        spk = _steps(tables, design)
    assert spk.keys() == duck.keys()
    assert len(duck["cohort"]) > 50 and duck["cohort"]["treated"].sum() > 0
    for name, frame in duck.items():
        assert list(spk[name].columns) == list(frame.columns), name
        pd.testing.assert_frame_equal(spk[name], frame, check_dtype=False, rtol=1e-9, atol=1e-6, obj=name)


@pytest.mark.slow
def test_segtarget_run_engine_spark_equals_duckdb(small_source, spark, tmp_path):
    """The whole reduced run (conftest.FAST_RUN) on a fifth of the embedded households, once per engine: every
    SQL step ran on the cluster, so the models saw the same tables and give the same numbers."""
    from conftest import FAST_RUN

    from segtarget.config import load_config
    from segtarget.pipeline import run

    res = {}
    for engine in ("duckdb", "spark"):
        cfg = load_config(None, FAST_RUN + [f"data.source='{small_source}'", f"data.engine='{engine}'",
                                            "run.use_cache=false", f"run.cache_dir='{tmp_path / engine}'"])
        res[engine] = run(cfg)
    duck, spk = res["duckdb"], res["spark"]
    assert isinstance(spk.data, SparkTables) and not isinstance(duck.data, SparkTables)
    pd.testing.assert_frame_equal(spk.design.data, duck.design.data, check_dtype=False, rtol=1e-9, atol=1e-6)
    pd.testing.assert_frame_equal(spk.features, duck.features, check_dtype=False, rtol=1e-9, atol=1e-6)
    pd.testing.assert_frame_equal(spk.data.overview(), duck.data.overview(), check_dtype=False)
    for name, table in duck.tables().items():
        timings = [c for c in table.columns if c.endswith("_seconds")]  # wall-clock, not results
        pd.testing.assert_frame_equal(spk.tables()[name].drop(columns=timings), table.drop(columns=timings),
                                      check_dtype=False, rtol=1e-6, atol=1e-6, obj=name)
