"""Faults injected into the step cache and the output directory, and how many runs recovered (issue 20).

Each fault is injected for real: bytes cut or overwritten on disk, permissions opened to other users, a
child process SIGKILLed at a chosen point, several processes started at once on one cache, a write that
fails with ENOSPC. A run *recovered* when the next run (or each concurrent one) returned the value a clean
run computes, the cache verifies entry by entry and the user got at most one line about it; *data lost*
counts previous results changed and intact cache entries replaced. The injection code is the tests' own
(tests/test_cache.py, tests/test_io.py); this script repeats it and counts. About a minute on 2 cores.

Run: .venv/bin/python benchmarks/bench_faults.py [--repeats N]
"""

from __future__ import annotations

import argparse
import errno
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]
from _results import machine, write_section  # noqa: E402

import test_cache as tc  # noqa: E402
import test_io as ti  # noqa: E402
from segtarget import cache as cache_mod  # noqa: E402
from segtarget.errors import SegtargetError  # noqa: E402
from segtarget.io import atomic_output_dir  # noqa: E402


class Tally:
    def __init__(self):
        self.rows: dict[str, list[int]] = {}  # kind -> [injected, recovered, lost]

    def add(self, kind: str, recovered: bool, lost: bool = False) -> None:
        row = self.rows.setdefault(kind, [0, 0, 0])
        row[0] += 1
        row[1] += bool(recovered)
        row[2] += bool(lost)


def _whole(root: Path) -> bool:
    cache = cache_mod.StageCache(root)
    try:
        for entry in cache.entries():
            cache._verified(entry)
    except Exception:
        return False
    return not [p for p in root.iterdir() if p.name.startswith(".")]


def damaged_entries(t: Tally, work: Path) -> None:
    for name, (harm, _) in tc.DAMAGE.items():
        root = work / f"damage-{name.replace(' ', '_')}"
        tc._counted(root)[2]()
        harm(root / f"step-{tc.KEY}")
        notes = []
        ok = tc._counted(root, notes)[2]() == tc.VALUE and len(notes) == 1 and _whole(root)
        t.add(f"damaged entry: {name}", ok)
    root = work / "shared-dir"
    tc._counted(root)[2]()
    root.chmod(0o777)
    notes = []
    cache, calls, run = tc._counted(root, notes)
    t.add("cache directory writable by others (not loaded)", run() == tc.VALUE and calls == [1] and len(notes) == 1)


def killed_runs(t: Tally, work: Path, repeats: int) -> None:
    for point in ("compute", "value", "manifest", "publish"):
        for i in range(repeats):
            root = work / f"kill-{point}-{i}"
            first = tc._child(root)  # a previous run's entry of another key must survive the kill
            first.communicate(timeout=120)
            other = root / f"step-{tc.KEY}"
            keep = other.rename(root / f"other-{'f' * 20}")
            before = (keep / "manifest.json").read_bytes()
            child = tc._child(root, point)
            child.communicate(timeout=120)
            notes = []
            ok = child.returncode == -signal.SIGKILL and tc._counted(root, notes)[2]() == tc.VALUE and not notes
            t.add(f"run killed while caching ({point})", ok and _whole(root),
                  lost=(keep / "manifest.json").read_bytes() != before)
    env = dict(**__import__("os").environ)
    env["PYTHONPATH"] = str(HERE.parent / "src")
    for point in ("writing", "swap", "between renames"):
        for i in range(repeats):
            target = ti._previous(work / f"out-{point.replace(' ', '_')}-{i}")
            before = ti._state(target)
            child = subprocess.run([sys.executable, "-c", ti.CHILD, str(target), point], env=env,
                                   capture_output=True, timeout=120)
            with atomic_output_dir(target) as new:
                lost = ti._state(target) != before
                (new / "report.html").write_text("new")
            ok = child.returncode == -signal.SIGKILL and ti._state(target) == {"report.html": "new"}
            t.add(f"run killed while writing results ({point})", ok and len(list(target.parent.iterdir())) == 1,
                  lost=lost)


def concurrent_runs(t: Tally, work: Path, repeats: int, n: int = 4) -> None:
    for i in range(repeats):
        root = work / f"concurrent-{i}"
        children = [tc._child(root, seconds=1.0) for _ in range(n)]
        outs = [c.communicate(timeout=120) for c in children]
        for c, (out, err) in zip(children, outs):
            t.add(f"{n} runs at once on one cache", c.returncode == 0 and out.strip() == "ok" and "damaged" not in err)
        t.rows[f"{n} runs at once on one cache"][2] += not _whole(root)


def full_disk(t: Tally, work: Path) -> None:
    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    real = cache_mod._write_synced
    cache_mod._write_synced = full
    try:
        root = work / "full-cache"
        try:
            tc._counted(root)[2]()
            ok = False
        except SegtargetError as exc:
            ok = str(root) in str(exc) and "\n" not in str(exc) and list(root.iterdir()) == []
    finally:
        cache_mod._write_synced = real
    t.add("full disk while saving the cache", ok)
    target = ti._previous(work / "full-out")
    before = ti._state(target)
    try:
        with atomic_output_dir(target) as new:
            raise OSError(errno.ENOSPC, "No space left on device", str(new / "report.html"))
    except SegtargetError as exc:
        ok = str(target) in str(exc) and "\n" not in str(exc)
    t.add("full disk while writing results", ok, lost=ti._state(target) != before)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    t, t0 = Tally(), time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        damaged_entries(t, work)
        killed_runs(t, work, args.repeats)
        concurrent_runs(t, work, args.repeats)
        full_disk(t, work)
    total = [sum(r[i] for r in t.rows.values()) for i in range(3)]
    lines = ["| fault | injected | runs recovered | data lost |", "|---|---:|---:|---:|"]
    lines += [f"| {k} | {a} | {b} | {c} |" for k, (a, b, c) in t.rows.items()]
    lines.append(f"| **total** | **{total[0]}** | **{total[1]}** | **{total[2]}** |")
    table = "\n".join(lines)
    print(table)
    body = f"""## Faults: damaged, shared and concurrent cache, killed runs, full disk (`benchmarks/bench_faults.py`)

{machine()}; {args.repeats} repeats of each kill point and of the concurrent round; {time.perf_counter() - t0:.0f} s.
A run *recovered* when the next run (or every concurrent one) returned the clean value with at most one line
about the fault and left a cache whose every entry verifies; *data lost* counts previous results that changed
and intact cache entries that were replaced. Kills are real SIGKILLs of a child process at the named point.

{table}

The whole run is checked by `tests/test_pipeline_faults.py` (slow, part of `make test`) on the real-data
subset: with the `design` entry cut to 100 bytes and the `features` entry overwritten with garbage,
`segtarget run` exits 0, prints one line per damaged step and writes the same tables as a clean run; two
`segtarget run` processes started at once on one cache (three steps missing, so both compute and publish
them) both exit 0 with the clean run's tables, and every cache entry verifies afterwards; a run SIGKILLed
while saving a step's value and another SIGKILLed after the fifth figure of its report leave the previous
`results/` byte for byte, and the next run succeeds with the clean tables and no leftovers. The "between
renames" kill applies only where the one-step swap (Linux `renameat2`) is unavailable: there `results/` is
missing until the next run, which puts the previous one back first; no data is lost.
"""
    write_section("faults", body)


if __name__ == "__main__":
    main()
