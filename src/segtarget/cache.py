"""Stage cache: results and written files keyed by input fingerprint + the config that matters.

A stage's key hashes everything it depends on (the data fingerprint, its own config section, the seed
and the keys of upstream stages). On a hit the pickled result is loaded (and, for a caller that lets the
stage write files into ``run_root``, those files are copied into the new run directory), so a re-run that
only changes cost or margin recomputes only the policy stage. The one run's stages write nothing while they
compute (the report is rebuilt from their results), so it caches values only.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any, Callable

import joblib

CACHE_VERSION = "1"


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


def _files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file()}


class StageCache:
    """Pickle-and-files cache under ``cache_dir``; disabled when ``enabled`` is False."""

    def __init__(self, cache_dir: str | Path, enabled: bool = True):
        self.root = Path(cache_dir)
        self.enabled = enabled
        self.hits: list[str] = []

    def run(self, name: str, key: str, run_root: Path | None, compute: Callable[[], Any]) -> Any:
        """``compute()``, or its cached value; ``run_root``: the directory the stage writes files into (None for
        a stage that writes nothing)."""
        entry = self.root / f"{name}-{key}"
        if self.enabled and (entry / "value.joblib").is_file():
            files = entry / "files"
            if files.is_dir() and run_root is not None:
                shutil.copytree(files, run_root, dirs_exist_ok=True)
            self.hits.append(name)
            return joblib.load(entry / "value.joblib")
        before = _files(run_root) if run_root is not None else set()
        value = compute()
        if self.enabled:
            tmp = self.root / f".{name}-{key}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            (tmp / "files").mkdir(parents=True)
            for rel in sorted((_files(run_root) - before) if run_root is not None else ()):
                (tmp / "files" / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(run_root / rel, tmp / "files" / rel)
            joblib.dump(value, tmp / "value.joblib")
            shutil.rmtree(entry, ignore_errors=True)
            tmp.rename(entry)
        return value
