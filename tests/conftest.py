import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
sys.path.insert(0, str(Path(__file__).parent))
# Benchmark-only helpers live in benchmarks/ (e.g. regimes.py), not in the package; the tests of them import them
# from there. Appended, so a tests/ module of the same name would win.
sys.path.append(str(Path(__file__).resolve().parents[1] / "benchmarks"))
os.environ.setdefault("PYTHONHASHSEED", "0")

import pytest


@pytest.fixture(scope="session")
def embedded():
    """The embedded Complete Journey data, loaded once per test session."""
    from segtarget.data import load_source

    return load_source("completejourney")


# A reduced but complete configuration of the one run: every step and section, small budgets.
FAST_RUN = ["segments.n_bootstrap=4", "segments.n_bootstrap_select=4", "segments.migration_n_bootstrap=4", 'cate.models=["t","linear_dml"]', "cate.n_placebo=3",
            "cate.n_random_cause=2", "cate.n_subset=2", "cate.n_dummy=2", "cate.n_boot=50", "ate.crossfit_repeats=1",
            "run.n_jobs=2"]


def run_fast(out, cache_dir, *extra: str):
    from segtarget.config import load_config
    from segtarget.pipeline import run_pipeline

    cfg = load_config(None, FAST_RUN + [f"run.cache_dir='{cache_dir}'", *extra])
    return run_pipeline(cfg, out=out)


def make_small_source(root) -> str:
    """Canonical tables of a fifth of the embedded households (every campaign kept), written under ``root``."""
    from segtarget.data import load_source

    con = load_source("completejourney", validate=False).con
    keep = "household_id % 5 = 0"
    for table, where in [("transactions", keep), ("products", "TRUE"), ("campaigns", "TRUE"),
                         ("campaign_members", keep), ("coupons", "TRUE"), ("redemptions", keep),
                         ("households", keep)]:
        cols = "* EXCLUDE (day, week)" if table == "transactions" else "*"
        con.execute(f"COPY (SELECT {cols} FROM {table} WHERE {where}) TO '{root}/{table}.parquet' (FORMAT parquet)")
    return f"tables:{root}"


@pytest.fixture(scope="session")
def small_source(tmp_path_factory):
    """A fast real-data source: see ``make_small_source``."""
    return make_small_source(tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="session")
def small_run(small_source, tmp_path_factory):
    """The whole pipeline on the real-data subset (reduced budgets): its run directory; cache beside it.

    The suite's one full run from an empty cache (the test budget, benchmarks/RESULTS.md "Test suite"): every
    end-to-end test reads it or reruns from a copy of its cache. A second full run on the whole embedded data
    cost as much as three of these and checked nothing this one does not (`make run` is that run)."""
    root = tmp_path_factory.mktemp("small-run")
    return run_fast(root / "results", root / "cache", f"data.source='{small_source}'").parent
