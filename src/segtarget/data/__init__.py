"""Data layer: load a source into DuckDB views of the canonical data model, validated.

>>> tables = load_source("completejourney")
>>> tables.con.sql("SELECT count(*) FROM transactions")
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .db import OVERVIEW_SQL, first_row
from .registry import DataSource, cache_token, find_source, register_source, source_specs

# DuckDB and pandas load with the first source: `segtarget --help` reads the source registry for its --data
# help and should start without them.
if TYPE_CHECKING:
    import duckdb
    import pandas as pd


def _no_quality() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame()


@dataclass
class Tables:
    """A DuckDB connection holding the canonical views, plus what validation found."""

    con: duckdb.DuckDBPyConnection
    source: str
    files: dict[str, Path]
    quality: pd.DataFrame = field(default_factory=_no_quality)
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
    import duckdb

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
    """Open a registered source (``completejourney``, ``dunnhumby:PATH``, ``tables:PATH``, or one added with
    ``register_source``) as canonical views."""
    from .sources import finish_views
    from .validate import CLEAN_FILTER, check_keys, check_types, quality_table

    source, path = find_source(spec)
    con = con or connect()
    files = source.register(con, path) if source.takes_path else source.register(con)
    finish_views(con)
    tables = Tables(con=con, source=str(spec), files=files)
    if validate:
        if source.check_types:
            check_types(con, files)
        check_keys(con, files)
        tables.quality = quality_table(con, files)
    con.execute(f"CREATE VIEW clean_transactions AS SELECT * FROM transactions WHERE {CLEAN_FILTER}")
    tables.fingerprint = _fingerprint(str(spec) + cache_token(source), files)
    return tables


__all__ = ["DataSource", "Tables", "connect", "load_source", "register_source", "source_specs"]
