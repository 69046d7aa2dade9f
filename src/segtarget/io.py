"""File helpers: reading a user's table; atomic output directories, tables and figures.

A run writes into a temporary sibling directory and renames it into place only when every step has
succeeded, so a failed run never leaves a half-written output directory behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd

from .errors import SegtargetError


CSV_SUFFIXES = (".csv", ".txt", ".gz")


def read_table(path: str | os.PathLike, flag: str = "--input") -> pd.DataFrame:
    """A user's CSV or parquet table; every problem is one line naming ``flag`` and the file."""
    path = Path(path)
    if not path.is_file():
        raise SegtargetError(f"{flag} {path}: file not found; pass an existing .csv or .parquet file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in CSV_SUFFIXES:
            return pd.read_csv(path)
    except Exception as exc:  # parser errors of any kind become one line
        raise SegtargetError(f"{flag} {path}: cannot be read ({type(exc).__name__}: {exc})") from None
    raise SegtargetError(f"{flag} {path}: unsupported file type; use .csv or .parquet")


def _check_writable_parent(target: Path) -> Path:
    parent = target.resolve().parent
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise SegtargetError(f"output {target}: {probe} is a file, not a folder; choose another --out")
    if not os.access(probe, os.W_OK):
        raise SegtargetError(f"output directory {target}: {probe} is not writable; choose another --out")
    return parent


@contextlib.contextmanager
def atomic_output_dir(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh temporary directory that replaces ``target`` only if the block succeeds."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise SegtargetError(f"output directory {target} exists and is a file; choose another --out")
    parent = _check_writable_parent(target)
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = parent / f".{target.name}.old-{os.getpid()}"
        target.rename(old)
    tmp.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def atomic_write_table(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``df`` as CSV or parquet (by suffix) via a temporary file, so readers never see half a file."""
    path = Path(path)
    if path.suffix not in {".csv", ".parquet"}:
        raise SegtargetError(f"output file {path}: use a .csv or .parquet suffix")
    _check_writable_parent(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        if path.suffix == ".csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@dataclass(frozen=True)
class OutputDir:
    """Where one run writes: ``tables/*.csv`` and ``figures/*.png`` below ``root``."""

    root: Path

    def table(self, name: str, df: pd.DataFrame) -> Path:
        """Write ``tables/<name>.csv`` and return its path relative to the root."""
        path = self.root / "tables" / f"{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(path, index=False)
        return path.relative_to(self.root)

    def figure(self, name: str, fig) -> Path:
        """Save a matplotlib figure as ``figures/<name>.png``, close it, return the relative path."""
        import matplotlib.pyplot as plt

        path = self.root / "figures" / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
        return path.relative_to(self.root)
