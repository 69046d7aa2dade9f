"""Where the data-heavy SQL runs: ``duckdb`` (default, in process) or ``spark`` (the engine the data lives in).

``open_engine(engine, spark_cfg)`` is a context manager around the whole run; its ``load(spec, con)`` returns
the run's tables. For ``duckdb`` that is :func:`segtarget.data.load_source`. For ``spark`` it is a
:class:`SparkTables`: the same interface (``con``, ``has``, ``overview``, ``quality``, ``fingerprint``) with
``con`` a :class:`~.spark_engine.SparkConnection`, so every step's one SQL definition runs on Spark and only
household-level tables come back. Where Spark reads the canonical tables:

- ``tables:PATH``: the files themselves, so PATH may be any URI the cluster reads (``hdfs://``, ``s3a://``);
  a local PATH is also loaded by DuckDB for the validation and the data-quality table;
- any other source (``completejourney``, ``dunnhumby:PATH``): DuckDB loads and validates it and writes the
  canonical tables once as parquet under ``spark.staging_dir`` (default: a local temporary folder), which
  every executor must be able to read.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pandas as pd

from ..errors import ConfigCheck
from .db import OVERVIEW_SQL
from .schema import SCHEMA

ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class SparkConfig:
    """How the run reaches Spark when `data.engine = "spark"` (see docs/scale.md)."""

    master: str = ""  # Spark master URL, e.g. spark://head:7077; "" = SEGTARGET_SPARK_MASTER or local[*]
    staging_dir: str = ""  # where non-`tables:` sources are exported for Spark; must be readable by every executor
    executor_memory: str = ""  # spark.executor.memory, e.g. "4g"; "" = Spark's default (1g)
    shuffle_partitions: int = 8  # spark.sql.shuffle.partitions; about 2-3x the cluster's cores for large data
    cache: bool = True  # keep the clean transactions in Spark's memory (spills to disk): the run scans them often

    def __post_init__(self):
        c = ConfigCheck("spark", self)
        c.holds(self.master == "" or "://" in self.master or self.master.startswith(("local", "yarn", "k8s")),
                "master", "a Spark master URL (spark://HOST:PORT, local[N], yarn, k8s://...) or empty",
                "spark://head:7077")
        c.within("shuffle_partitions", "[1, inf)")
        c.holds(self.executor_memory == "" or self.executor_memory[-1:].lower() in "kmgt", "executor_memory",
                "empty or a JVM size like '4g'", "4g")

    def conf(self) -> dict[str, str]:
        out = {"spark.sql.shuffle.partitions": str(self.shuffle_partitions)}
        if self.executor_memory:
            out["spark.executor.memory"] = self.executor_memory
        return out


@dataclass
class SparkTables:
    """The run's tables on Spark: ``con`` answers the SQL steps; the overview is computed once, so the report
    can be written after the session stopped."""

    con: object  # SparkConnection
    source: str
    files: dict = field(default_factory=dict)
    quality: pd.DataFrame = field(default_factory=pd.DataFrame)
    fingerprint: str = ""
    _overview: pd.DataFrame | None = None

    def has(self, view: str) -> bool:
        return self.con.has_view(view)

    def overview(self) -> pd.DataFrame:
        if self._overview is None:
            self._overview = self.con.execute(OVERVIEW_SQL).df()
        return self._overview.copy()


def _remote(spec: str) -> str | None:
    kind, _, arg = str(spec).partition(":")
    return arg if kind == "tables" and "://" in arg else None


def export_canonical(tables, root: Path) -> None:
    """Write the loaded source's canonical tables as parquet (one file each) for Spark to read."""
    names = {"transactions": "transactions", "promotions": "raw_promotions"}
    root.mkdir(parents=True, exist_ok=True)
    for table in SCHEMA:
        view = names.get(table, table)
        if not tables.has(view):
            continue
        cols = "* EXCLUDE (day, week)" if table == "transactions" else "*"
        path = str(root / f"{table}.parquet").replace("'", "''")
        tables.con.execute(f"COPY (SELECT {cols} FROM {view}) TO '{path}' (FORMAT parquet)")


class _DuckEngine:
    name = "duckdb"

    def load(self, spec: str, con=None):
        from . import load_source

        return load_source(spec, con=con)


class _SparkEngine:
    name = "spark"

    def __init__(self, spark, cfg: SparkConfig, stack: contextlib.ExitStack):
        self.spark, self.cfg, self.stack = spark, cfg, stack

    def load(self, spec: str, con=None) -> SparkTables:
        from . import load_source
        from .spark_engine import SparkConnection, register_views

        remote = _remote(spec)
        duck = None if remote else load_source(spec, con=con)
        if remote or str(spec).startswith("tables:"):
            root, fill = remote or str(Path(str(spec).partition(":")[2]).expanduser()), True
        else:
            staging = Path(tempfile.mkdtemp(prefix="segtarget-canonical-", dir=self.cfg.staging_dir or None))
            self.stack.callback(shutil.rmtree, staging, True)
            export_canonical(duck, staging)
            root, fill = str(staging), False
        register_views(self.spark, root, fill_missing=fill, cache=self.cfg.cache)
        out = SparkTables(con=SparkConnection(self.spark), source=str(spec))
        if duck is not None:
            out.files, out.quality, fp = duck.files, duck.quality, duck.fingerprint
        else:  # nothing local to stat: the source is fingerprinted by what it holds
            ov = out.overview().iloc[0]
            fp = "|".join(str(v) for v in (spec, *ov.tolist()))
            out.quality = pd.DataFrame([{"table": "all", "check": "validation at load", "rows": 0, "share": None,
                                         "action": "not run: the source is read by Spark only", "example": ""}])
        # Its own fingerprint: a Spark run recomputes its steps instead of reusing a DuckDB run's cache.
        out.fingerprint = hashlib.sha256(f"spark|{fp}".encode()).hexdigest()[:16]
        return out


@contextlib.contextmanager
def open_engine(engine: str = "duckdb", spark_cfg: SparkConfig | None = None) -> Iterator:
    """The engine for one run (module docstring); a Spark session started here stops on exit."""
    if engine == "duckdb":
        yield _DuckEngine()
        return
    from .spark_engine import spark_session

    cfg = spark_cfg or SparkConfig()
    with contextlib.ExitStack() as stack:
        spark = stack.enter_context(spark_session(cfg.master or None, cfg.conf()))
        yield _SparkEngine(spark, cfg, stack)


__all__ = ["ENGINES", "SparkConfig", "SparkTables", "export_canonical", "open_engine"]
