"""Stage cache: results keyed by input fingerprint + the config that matters.

A stage's key hashes everything it depends on (the data fingerprint, its own config section, the seed
and the keys of upstream stages). On a hit the pickled result is loaded, so a re-run that only changes cost
or margin recomputes only the policy stage. Stages write nothing while they compute (the report is rebuilt
from their results), so the cache keeps values only.

The cache checks itself, because loading a pickle runs code and a crash can leave a file cut short:

* An entry is a directory ``<step>-<key>/`` holding ``value.joblib`` and ``manifest.json`` with its sha256,
  written after it. It is built under a name unique to the
  writing process and renamed into place in one step, so no reader ever sees half an entry and two runs at
  once never touch each other's work. A valid entry is never replaced (the same key means the same value); a
  damaged one is moved aside before the new one lands (runs doing that take turns under a lock on the
  directory), so a reader holding it only finds it damaged too.
* A missing manifest, a checksum that does not match, or a value that does not load is reported in one line
  ("cache entry for step X was damaged (...); recomputing") and the step is recomputed and saved again.
* The value is hashed and unpickled from the same bytes in memory, so nothing is loaded that the checksum
  recorded at write time does not vouch for. The manifest itself could be rewritten by anyone who can write
  the directory, so the cache is used only when its directory and entries belong to the current user and
  are not writable by group or others; otherwise the run says so and computes without it.
* A write that fills the disk stops the run with one line naming the cache directory (the half-written entry
  is removed); any other failure to save an entry is reported and the run goes on without it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import functools
import hashlib
import io
import json
import logging
import os
import re
import shutil
import stat
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import joblib

from .errors import SegtargetError
from .io import DISK_FULL, pid_alive

CACHE_VERSION = "3"  # 2: entries carry a checksum manifest; 3: values only (no written files)
_ENTRY = re.compile(r"^[\w.-]+-[0-9a-f]{20}$")
_SCRATCH = re.compile(r"^\..+\.(\d+)\.[^.]+\.(tmp|old)$")  # ".<entry>.<pid>.<random>.tmp|old"
_STALE_SECONDS = 86_400  # scratch of a live process on another host (shared disk) is left alone this long
_log = logging.getLogger("segtarget.cache")


@functools.lru_cache(maxsize=1)
def code_hash() -> str:
    """Hash of the package's own source, so an upgraded or edited segtarget never reuses stale results."""
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def stage_key(*parts: Any) -> str:
    """Stable hash of config dataclasses, strings and numbers (and of the package code)."""
    def norm(p):
        return dataclasses.asdict(p) if dataclasses.is_dataclass(p) else p

    blob = json.dumps([CACHE_VERSION, code_hash(), *[norm(p) for p in parts]], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def cache_location(cache_dir: str | os.PathLike | None = None) -> Path:
    """``cache_dir`` (``~`` expanded), or the per-user default: ``$XDG_CACHE_HOME/segtarget``, else
    ``~/.cache/segtarget`` (never the working directory)."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "")
    return Path(base if os.path.isabs(base) else "~/.cache").expanduser() / "segtarget"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _not_private(path: Path) -> str:
    """Why ``path`` could have been written by someone else ("" when only the current user can write it)."""
    if not hasattr(os, "getuid"):  # no POSIX owners (Windows): the user profile's ACLs protect the default path
        return ""
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link"
    if st.st_uid != os.getuid():
        return f"belongs to another user (uid {st.st_uid})"
    if st.st_mode & 0o022:
        return f"is writable by other users (mode {stat.S_IMODE(st.st_mode):o})"
    return ""


class _Damaged(Exception):
    """An entry that is incomplete, altered or not loadable; the message says how."""


class StageCache:
    """Pickle cache under ``cache_dir`` (None: the per-user default); disabled when ``enabled`` is False.

    ``hits`` lists the steps loaded from the cache, ``notes`` every one-line message about the cache itself
    (each also goes to the ``segtarget.cache`` logger, which prints it on stderr unless logging is set up).
    """

    def __init__(self, cache_dir: str | os.PathLike | None = None, enabled: bool = True,
                 notify: Callable[[str], None] | None = None):
        self.root = cache_location(cache_dir)
        self.enabled = enabled
        self.hits: list[str] = []
        self.notes: list[str] = []
        self._notify = notify or _log.warning
        self._usable: bool | None = None  # decided on first use

    def run(self, name: str, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, or its cached value (``compute`` must write nothing: only its value is kept)."""
        entry = self.root / f"{name}-{key}"
        if self._ready() and os.path.lexists(entry):
            try:
                value = self._load(entry)
            except Exception as exc:  # any damage at all means: compute it again
                self._note(f"cache entry for step {name} was damaged ({_reason(exc)}); recomputing")
            else:
                self.hits.append(name)
                return value
        value = compute()
        if self._ready():
            self._publish(name, entry, value)
        return value

    # ------------------------------------------------------------------------------------------ housekeeping
    def entries(self) -> list[Path]:
        """The published entries, by name."""
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if _ENTRY.match(p.name) and p.is_dir())

    def clear(self) -> tuple[int, int]:
        """Remove every entry and every scratch directory left by a killed run (nothing else in the directory,
        so a cache_dir pointed at a folder with other files loses only cache files); (entries, bytes) removed."""
        if not self.root.is_dir():
            return 0, 0
        n = size = 0
        for p in self.root.iterdir():
            if not (_ENTRY.match(p.name) or _SCRATCH.match(p.name)):
                continue
            if p.is_dir() and not p.is_symlink():
                size += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
                shutil.rmtree(p, ignore_errors=True)
            else:  # a damaged entry that is a file or a link: the link goes, never what it points to
                size += p.lstat().st_size
                p.unlink()
            n += bool(_ENTRY.match(p.name))
        return n, size

    def _note(self, msg: str) -> None:
        self.notes.append(msg)
        self._notify(msg)

    def _ready(self) -> bool:
        """Enabled, and the directory exists (created private to the user) and only the user can write it."""
        if not self.enabled:
            return False
        if self._usable is None:
            try:
                self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
                problem = _not_private(self.root)
            except OSError as exc:
                problem = f"cannot be created or read ({exc.strerror})"
            if problem:
                self._note(f"cache directory {self.root} {problem}: its entries are pickles, which run code when "
                           f"loaded, so it is not used; `chmod go-w` it or set run.cache_dir to a private directory "
                           f"(this run computes every step)")
            else:
                self._sweep()
            self._usable = not problem
        return self._usable

    def _sweep(self) -> None:
        """Remove scratch directories of runs that were killed (their process is gone) or are a day old."""
        now = time.time()
        for p in self.root.iterdir():
            m = _SCRATCH.match(p.name)
            try:
                if m and (not pid_alive(int(m.group(1))) or now - p.lstat().st_mtime > _STALE_SECONDS):
                    shutil.rmtree(p, ignore_errors=True)
            except OSError:  # gone already: another run swept it
                pass

    def _scratch(self, entry: Path, kind: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=f".{entry.name}.{os.getpid()}.", suffix=f".{kind}", dir=self.root))

    # ------------------------------------------------------------------------------------------ read
    def _verified(self, entry: Path) -> bytes:
        """The value's bytes, after checking owner, manifest and checksum."""
        for p in (entry, entry / "manifest.json", entry / "value.joblib"):
            if not os.path.lexists(p):
                raise _Damaged(f"{p.name} is missing")
            if problem := _not_private(p):
                raise _Damaged(f"{p.relative_to(self.root)} {problem}; not loaded")
        try:
            manifest = json.loads((entry / "manifest.json").read_bytes())
            value_sha = manifest["value_sha256"]
        except (ValueError, KeyError, TypeError):
            raise _Damaged("manifest.json is unreadable") from None
        if manifest.get("cache_version") != CACHE_VERSION:
            raise _Damaged("written by another cache version")
        data = (entry / "value.joblib").read_bytes()
        if _sha256(data) != value_sha:
            raise _Damaged(f"value.joblib does not match its checksum ({len(data)} bytes)")
        return data

    def _load(self, entry: Path) -> Any:
        return joblib.load(io.BytesIO(self._verified(entry)))  # the very bytes the checksum vouched for

    # ------------------------------------------------------------------------------------------ write
    def _publish(self, name: str, entry: Path, value: Any) -> None:
        tmp = None
        try:
            tmp = self._scratch(entry, "tmp")
            buf = io.BytesIO()
            joblib.dump(value, buf)
            data = buf.getvalue()
            _write_synced(tmp / "value.joblib", data)
            manifest = {"cache_version": CACHE_VERSION, "code": code_hash(), "step": name,
                        "value_sha256": _sha256(data)}
            _write_synced(tmp / "manifest.json", json.dumps(manifest, indent=1).encode())  # last: completes it
            self._swap_in(tmp, entry)
        except OSError as exc:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            if exc.errno in DISK_FULL:
                raise SegtargetError(f"cache directory {self.root}: no space left on the device while saving step "
                                     f"{name}; free space, set run.cache_dir to another disk, or run with "
                                     f"--no-cache") from None
            self._note(f"cache entry for step {name} could not be saved ({_reason(exc)}); the run goes on")
        except BaseException:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            raise

    @contextlib.contextmanager
    def _writers_lock(self) -> Iterator[None]:
        """Runs replacing a damaged entry take turns (an flock on the cache directory); readers never wait."""
        try:
            import fcntl
        except ImportError:  # not POSIX: the rename that fails on an existing entry is the only guard
            yield
            return
        fd = os.open(self.root, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _swap_in(self, tmp: Path, entry: Path) -> None:
        """Rename ``tmp`` to ``entry``; an intact entry already there wins, a damaged one is moved aside first."""
        try:
            os.rename(tmp, entry)
            return
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.EISDIR, errno.ENOTDIR):
                raise
        with self._writers_lock():  # so no other run's fresh entry lands between this check and the move
            try:
                self._verified(entry)
            except (_Damaged, OSError):
                aside = self._scratch(entry, "old")
                try:
                    os.rename(entry, aside / "damaged")
                except FileNotFoundError:
                    pass
                try:
                    os.rename(tmp, entry)
                    tmp = None
                except OSError as exc:
                    if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                        raise
                shutil.rmtree(aside, ignore_errors=True)
        if tmp is not None:  # another run published an intact entry first: the same key means the same value
            shutil.rmtree(tmp, ignore_errors=True)


def _write_synced(path: Path, data: bytes) -> None:
    """Write and flush to the disk, so a power cut after the rename cannot leave a published file cut short."""
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _reason(exc: BaseException) -> str:
    if isinstance(exc, _Damaged):
        return str(exc)
    return f"{type(exc).__name__}: {exc}".strip().rstrip(":")
