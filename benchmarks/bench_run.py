"""The one run on the embedded data: time per step, and a re-run that changes only cost and margin.

Baseline = the first run with an empty cache, measured in the same invocation. Run: .venv/bin/python
benchmarks/bench_run.py [--keep=DIR] (``--keep`` copies the first run's output to DIR, to read its tables)
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _results import write_section  # noqa: E402

from segtarget.config import load_config  # noqa: E402
from segtarget.pipeline import run_pipeline  # noqa: E402


def timed_run(out: Path, cache: Path, *overrides: str) -> tuple[float, dict]:
    cfg = load_config(None, [f"run.cache_dir='{cache}'", *overrides])
    t0 = time.perf_counter()
    report = run_pipeline(cfg, out=out)
    wall = time.perf_counter() - t0
    return wall, json.loads((report.parent / "manifest.json").read_text())


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-run-"))
    try:
        first, m1 = timed_run(tmp / "a", tmp / "cache")
        second, m2 = timed_run(tmp / "b", tmp / "cache", "policy.cost=5.0", "policy.margin=0.35")
        keep = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--keep=")), None)
        if keep:
            shutil.copytree(tmp / "a", keep, dirs_exist_ok=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    steps = m1["timings_seconds"]
    rows = "\n".join(f"| {k} | {v:.1f} | {m2['timings_seconds'].get(k, 0):.1f} |" for k, v in steps.items())
    body = f"""## The one run (`segtarget run`, default config, embedded data)

Script: `benchmarks/bench_run.py`. Machine: {os.cpu_count()} cores; load average at start
{os.getloadavg()[0]:.1f}. Baseline: the first run with an empty cache, measured in the same invocation.

| step | first run (s) | re-run with cost and margin changed (s) |
|---|---|---|
{rows}

- whole first run: **{first:.1f} s** (target ≤ 180 s, aim 90 s)
- re-run changing only cost and margin: **{second:.1f} s**, **{first / second:.1f}×** faster than the first
  run (target ≥ 5×); cached steps reused: {', '.join(m2['cache_hits'])}
"""
    write_section("run", body)
    print(body)


if __name__ == "__main__":
    main()
