"""The one run against faults, as a user meets them: a cache damaged by a crash (a value cut to 100 bytes, another
overwritten with garbage) and two runs at once on one cache both exit 0 with the tables of a clean run.
(Killed runs and a full disk are tested where they happen: test_cache.py and test_io.py.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from conftest import FAST_RUN
from segtarget.cache import StageCache
from test_pipeline import _norm

pytestmark = pytest.mark.slow


def _cli_run(out, cache, source):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("SEGTARGET_DEBUG", None)
    code = "import sys; from segtarget.cli import main; sys.argv = ['segtarget'] + sys.argv[1:]; main()"
    sets = [a for s in FAST_RUN + [f"run.cache_dir='{cache}'", f"data.source='{source}'"] for a in ("--set", s)]
    return subprocess.Popen([sys.executable, "-c", code, "run", "--quiet", "--out", str(out), *sets], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _same_tables(clean, other):
    for csv in sorted((clean / "tables").glob("*.csv")):
        a, b = (pd.read_csv(p) for p in (csv, other / "tables" / csv.name))
        timing = [c for c in a.columns if "seconds" in c]  # wall-clock timings are the only allowed difference
        pd.testing.assert_frame_equal(_norm(a.drop(columns=timing)), _norm(b.drop(columns=timing)), obj=csv.name,
                                      check_exact=False, rtol=1e-9, atol=1e-9)
    assert (clean / "targets.csv").read_text() == (other / "targets.csv").read_text()


def _whole(cache_dir):
    """Every entry verifies against its checksums and no scratch directory is left."""
    cache = StageCache(cache_dir)
    for entry in cache.entries():
        cache._verified(entry)
    assert not [p.name for p in cache_dir.iterdir() if p.name.startswith(".")]


def _entry(cache_dir, step):
    return next(p for p in StageCache(cache_dir).entries() if p.name.rsplit("-", 1)[0] == step)


def test_a_damaged_cache_is_reported_recomputed_and_gives_the_clean_tables(small_run, small_source, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(small_run.parent / "cache", cache)
    design = _entry(cache, "design") / "value.joblib"
    design.write_bytes(design.read_bytes()[:100])  # a power cut outside the atomic rename
    features = _entry(cache, "features") / "value.joblib"
    features.write_bytes(b"\x80garbage" * 1000)
    child = _cli_run(tmp_path / "results", cache, small_source)
    out, err = child.communicate(timeout=900)
    assert child.returncode == 0, err
    damaged = [line for line in err.splitlines() if "was damaged" in line]
    assert sorted(damaged) == sorted(f"cache entry for step {s} was damaged (value.joblib does not match its "
                                     f"checksum ({n} bytes)); recomputing" for s, n in (("design", 100),
                                                                                         ("features", 8000)))
    _same_tables(small_run, tmp_path / "results")
    _whole(cache)


def test_two_runs_at_once_on_one_cache_both_succeed_with_the_same_tables(small_run, small_source, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(small_run.parent / "cache", cache)
    for step in ("design", "features", "event-study"):  # both runs recompute these and publish them at once
        shutil.rmtree(_entry(cache, step))
    runs = [_cli_run(tmp_path / f"results{i}", cache, small_source) for i in (1, 2)]
    outs = [r.communicate(timeout=900) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], [o[1][-2000:] for o in outs]
    assert not any("damaged" in err or "could not be saved" in err for _, err in outs)
    for i in (1, 2):
        _same_tables(small_run, tmp_path / f"results{i}")
    _whole(cache)
