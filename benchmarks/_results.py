"""Shared helpers for benchmark scripts: one RESULTS.md, one section per benchmark, plus measurement.

Each script owns the text between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` and rewrites only that,
under a file lock, so scripts run by different people never overwrite each other's sections.

>>> write_section("features", "## Features\\n\\n| a | b |\\n|---|---|\\n| 1 | 2 |")
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = ("# Benchmark results\n\nEach section is written by the script named in it; rerun that script to "
          "refresh it. Sections are replaced in place between their BEGIN/END markers.\n")


@contextmanager
def _locked(path: Path):
    lock = path.parent / "_data" / ".results.lock"  # git-ignored
    lock.parent.mkdir(exist_ok=True)
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def write_section(name: str, body: str, path: Path = RESULTS) -> Path:
    """Replace the section ``name`` in ``path`` (append it if new), atomically and under a lock."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"section name {name!r}: use letters, digits, '_', '-' or '.'")
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{body.strip()}\n{end}"
    with _locked(path):
        text = path.read_text() if path.exists() else HEADER
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
        text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".RESULTS.")
        with os.fdopen(fd, "w") as fh:
            fh.write(text.rstrip("\n") + "\n")
        os.replace(tmp, path)
    return path


def machine() -> str:
    """One line describing where the numbers were measured."""
    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 2**30:.0f} GB RAM"
    except ImportError:
        mem = "RAM unknown"
    load = os.getloadavg()[0]
    return (f"{platform.machine()}, {os.cpu_count()} cores, {mem}, Python {platform.python_version()}, "
            f"load average {load:.1f} at start (the machine is shared)")


def run_measured(cmd: list[str], env: dict | None = None, cwd: str | None = None) -> dict:
    """Run ``cmd`` as a child process: wall seconds, its peak RSS (MB), exit code and stdout.

    ``os.wait4`` reports the resource usage of exactly that child (and what it waited for), so the peak
    memory is the process's own, start-up included.
    """
    # Output goes to files, not pipes: a full pipe would block the child, and communicate() would reap
    # it before wait4 could read its resource usage.
    with tempfile.TemporaryFile("w+") as fout, tempfile.TemporaryFile("w+") as ferr:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fout, stderr=ferr, env=env, cwd=cwd, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        fout.seek(0), ferr.seek(0)
        out, err = fout.read(), ferr.read()
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({code}):\n{err[-3000:]}")
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "stdout": out, "stderr": err,
            "cpu_seconds": usage.ru_utime + usage.ru_stime}  # the child and every descendant it reaped


def run_json(cmd: list[str], **kw) -> dict:
    """``run_measured`` for a child that prints one JSON object as its last stdout line."""
    res = run_measured(cmd, **kw)
    payload = json.loads(res["stdout"].strip().splitlines()[-1])
    return payload | {"wall_seconds": res["seconds"], "peak_rss_mb": res["peak_rss_mb"]}


PYTHON = sys.executable
