"""Data layer: load a source into DuckDB views of the canonical data model, validated.

>>> tables = load_source("completejourney")
>>> tables.con.sql("SELECT count(*) FROM transactions")
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from .db import OVERVIEW_SQL, first_row
from ..errors import SegtargetError
from .sources import finish_views, register_completejourney, register_dunnhumby, register_tables
from .validate import CLEAN_FILTER, check_keys, check_types, quality_table

SOURCES = ("completejourney", "dunnhumby:PATH", "tables:PATH")


@dataclass
class Tables:
    """A DuckDB connection holding the canonical views, plus what validation found."""

    con: duckdb.DuckDBPyConnection
    source: str
    files: dict[str, Path]
    quality: pd.DataFrame = field(default_factory=pd.DataFrame)
    fingerprint: str = ""

    def has(self, view: str) -> bool:
        return first_row(self.con, 
            "SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [view])[0] > 0

    def overview(self) -> pd.DataFrame:
        """Households, baskets, lines, date range and spend of the clean transactions."""
        return self.con.execute(OVERVIEW_SQL).df()


def _fingerprint(source: str, files: dict[str, Path]) -> str:
    """Cheap input fingerprint: source spec plus each file's size and modification time (in nanoseconds: a file
    rewritten within the same second with the same size is still a changed input)."""
    h = hashlib.sha256(source.encode())
    for name in sorted(files):
        p = Path(str(files[name]).replace("*.parquet", ""))
        paths = sorted(p.glob("*.parquet")) if p.is_dir() else [p]
        for q in paths:
            st = q.stat()
            h.update(f"{name}:{q.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def connect(memory_limit: str = "", threads: int = 0, temp_directory: str = "") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if temp_directory:
        con.execute(f"SET temp_directory = '{temp_directory}'")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def load_source(spec: str, *, con: duckdb.DuckDBPyConnection | None = None, validate: bool = True) -> Tables:
    """Open ``completejourney``, ``dunnhumby:PATH`` or ``tables:PATH`` as canonical views."""
    con = con or connect()
    kind, _, arg = str(spec).partition(":")
    if kind == "completejourney" and not arg:
        files = register_completejourney(con)
    elif kind == "dunnhumby" and arg:
        files = register_dunnhumby(con, Path(arg).expanduser())
    elif kind == "tables" and arg:
        files = register_tables(con, Path(arg).expanduser())
    else:
        raise SegtargetError(f"data source {spec!r} is not recognised; use one of: {', '.join(SOURCES)}")
    if kind == "completejourney":
        # Converting 1.47M naive-UTC timestamps to local dates is the costliest part of every scan: do it
        # once. The embedded parquet files are typed, so the per-column type check is skipped for them.
        con.execute("CREATE TABLE raw_transactions_local AS SELECT * FROM raw_transactions")
        con.execute("CREATE OR REPLACE VIEW raw_transactions AS SELECT * FROM raw_transactions_local")
    finish_views(con)
    tables = Tables(con=con, source=str(spec), files=files)
    if validate:
        if kind != "completejourney":
            check_types(con, files)
        check_keys(con, files)
        tables.quality = quality_table(con, files)
    con.execute(f"CREATE VIEW clean_transactions AS SELECT * FROM transactions WHERE {CLEAN_FILTER}")
    tables.fingerprint = _fingerprint(str(spec), files)
    return tables


__all__ = ["Tables", "load_source", "connect", "SOURCES"]
