"""The one run against faults, as a user meets them: a cache damaged by a crash (a value cut to 100 bytes, another
overwritten with garbage), two runs at once on one cache, and runs SIGKILLed while saving a step and while
writing the report all end with the tables of a clean run and the previous results untouched. (Each kill point
and a full disk are tested one by one where they happen: test_cache.py and test_io.py.)"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FAST_RUN, run_fast
from segtarget.cache import StageCache
from test_pipeline import assert_same_tables

pytestmark = pytest.mark.slow


def _cli_run(out, cache, source):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("SEGTARGET_DEBUG", None)
    code = "import sys; from segtarget.cli import main; sys.argv = ['segtarget'] + sys.argv[1:]; main()"
    sets = [a for s in FAST_RUN + [f"run.cache_dir='{cache}'", f"data.source='{source}'"] for a in ("--set", s)]
    return subprocess.Popen([sys.executable, "-c", code, "run", "--quiet", "--out", str(out), *sets], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


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
    assert_same_tables(small_run, tmp_path / "results")
    _whole(cache)


def test_two_runs_at_once_on_one_cache_both_succeed_with_theassert_same_tables(small_run, small_source, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(small_run.parent / "cache", cache)
    for step in ("design", "features", "event-study"):  # both runs recompute these and publish them at once
        shutil.rmtree(_entry(cache, step))
    runs = [_cli_run(tmp_path / f"results{i}", cache, small_source) for i in (1, 2)]
    outs = [r.communicate(timeout=900) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], [o[1][-2000:] for o in outs]
    assert not any("damaged" in err or "could not be saved" in err for _, err in outs)
    for i in (1, 2):
        assert_same_tables(small_run, tmp_path / f"results{i}")
    _whole(cache)


KILLED = """
import os, signal, sys
sys.path.insert(0, %r)
from conftest import run_fast
from segtarget import cache
from segtarget.io import OutputDir

point, out, cache_dir, source = sys.argv[1:5]
die = lambda: os.kill(os.getpid(), signal.SIGKILL)
write, figure, figures = cache._write_synced, OutputDir.figure, []

def half_written(path, data):  # the features step's value, half on disk
    if path.name == "value.joblib" and path.parent.name.startswith(".features-"):
        path.write_bytes(data[: len(data) // 2])
        die()
    write(path, data)

def fifth_figure(self, name, fig):  # some tables and figures of the new report are written
    figures.append(name)
    if len(figures) == 5:
        die()
    return figure(self, name, fig)

if point == "cache":
    cache._write_synced = half_written
else:
    OutputDir.figure = fifth_figure
run_fast(out, cache_dir, f"data.source='{source}'")
""" % str(Path(__file__).parent)


def _snapshot(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_runs_killed_while_caching_and_while_writing_keep_the_previous_results(small_run, small_source, tmp_path):
    cache, results = tmp_path / "cache", tmp_path / "results"
    shutil.copytree(small_run.parent / "cache", cache)
    shutil.rmtree(_entry(cache, "features"))  # the first killed run dies saving it
    shutil.copytree(small_run, results)
    previous = _snapshot(results)
    env = {**os.environ, "MPLBACKEND": "Agg"}
    for expected in ("cache", "report"):
        child = subprocess.run([sys.executable, "-c", KILLED, expected, str(results), str(cache), small_source],
                               env=env, capture_output=True, text=True, timeout=900)
        assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
        assert _snapshot(results) == previous  # the previous results, byte for byte
        if expected == "cache":  # half an entry never carries the real name
            assert not [p for p in StageCache(cache).entries() if p.name.startswith("features-")]
    run_fast(results, cache, f"data.source='{small_source}'")  # the next run succeeds
    assert_same_tables(small_run, results)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no half-written output left
    _whole(cache)
