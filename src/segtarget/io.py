"""File helpers: reading a user's table; atomic output directories, tables and figures.

A run writes into a temporary sibling directory and renames it into place only when every step has
succeeded, so a failed run never leaves a half-written output directory behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import glob
import os
import shutil
import sys
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


DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def _disk_full(exc: BaseException, target: Path, what: str) -> SegtargetError | None:
    """The one-line error for a write that filled the disk (None for any other failure)."""
    if not (isinstance(exc, OSError) and exc.errno in DISK_FULL):
        return None
    return SegtargetError(f"{what} {target}: no space left on the device while writing "
                          f"{exc.filename or target}; free space or choose another --out "
                          f"(nothing was replaced: the previous {target.name} is unchanged)")


def pid_alive(pid: int) -> bool:
    """Whether a process of this host still runs (a killed run's leftovers are recognised by its pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _tidy_killed(target: Path, parent: Path) -> None:
    """Leftovers of a run killed while writing ``target`` (its process is gone): a half-written temporary
    directory is removed; a previous output moved aside in the instant before the swap is put back."""
    for p in parent.glob(f".{glob.escape(target.name)}.*-*"):
        kind, _, rest = p.name[len(target.name) + 2:].partition("-")
        pid = rest.split("-")[0]
        if kind not in ("tmp", "old") or not pid.isdigit() or pid_alive(int(pid)):
            continue
        if kind == "old" and not os.path.lexists(target):
            p.rename(target)
        else:
            shutil.rmtree(p, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux ``renameat2(RENAME_EXCHANGE)``), so there is no instant without
    ``b``; False where the system or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


@contextlib.contextmanager
def atomic_output_dir(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh temporary directory that replaces ``target`` only if the block succeeds.

    A run killed at any point leaves the previous ``target`` in place (the swap is one rename) and a hidden
    temporary directory that the next run removes; a full disk is one line naming the path.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise SegtargetError(f"output directory {target} exists and is a file; choose another --out")
    parent = _check_writable_parent(target)
    parent.mkdir(parents=True, exist_ok=True)
    _tidy_killed(target, parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=parent))
    try:
        yield tmp
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        full = _disk_full(exc, target, "output directory")
        if full is not None:
            raise full from None
        raise
    if target.exists() and _exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # now holds the previous output
        return
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
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        full = _disk_full(exc, path, "output file")
        if full is not None:
            raise full from None
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
