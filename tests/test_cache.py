"""Stage cache: a changed config key or input file changes exactly the keys that depend on it, and a cached
stage is recomputed exactly when its key changes (the whole-pipeline rerun is in test_pipeline.py); faults
(damaged or foreign entries, a full disk, runs killed at several points, runs at once) end in the right value
and a whole cache (the whole-pipeline version is in test_pipeline_faults.py)."""

from __future__ import annotations

import dataclasses
import errno
import os
import shutil
import signal
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from fixtures_retail import canonical_frames, write_canonical
from segtarget.cache import StageCache, cache_location, stage_key
from segtarget.config import Config, load_config
from segtarget.errors import SegtargetError


def _changed(value):
    """A different value of the same type that every section accepts."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value / 2 if value else 1.0
    return value


@pytest.mark.parametrize("section", [f.name for f in dataclasses.fields(Config)])
def test_stage_key_moves_with_every_numeric_or_boolean_key(section):
    cls = typing.get_type_hints(Config)[section]
    base = cls()
    moved = []
    for f in dataclasses.fields(cls):
        value = getattr(base, f.name)
        if isinstance(value, (bool, int, float)) and _changed(value) != value:
            try:
                other = dataclasses.replace(base, **{f.name: _changed(value)})
            except SegtargetError:  # a value out of the key's range: not this test's business
                continue
            assert stage_key("fp", other) != stage_key("fp", base), f"{section}.{f.name} does not change the key"
            moved.append(f.name)
    assert moved or section == "data", f"no key of [{section}] was exercised"


def test_stage_key_is_stable_and_blind_to_how_a_config_was_written():
    a = load_config(None, ["policy.top_k=[10, 20]"]).policy
    b = dataclasses.replace(Config().policy, top_k=[10, 20])  # a list from Python becomes the same tuple
    assert stage_key("fp", a, 42) == stage_key("fp", b, 42)
    assert stage_key("fp", a, 42) != stage_key("fp", a, 43) != stage_key("other-fp", a, 42)
    # an upstream key is a part like any other: a changed upstream stage changes every downstream key
    assert stage_key(stage_key("fp", a), "x") != stage_key(stage_key("fp2", a), "x")


def test_a_rewritten_input_file_changes_the_fingerprint(tmp_path):
    from segtarget.data import load_source

    root = write_canonical(tmp_path / "data", fmt="csv")
    first = load_source(f"tables:{root}", validate=False).fingerprint
    assert load_source(f"tables:{root}", validate=False).fingerprint == first  # nothing changed, same key
    path = root / "transactions.csv"
    st = path.stat()
    tx = canonical_frames()["transactions"]
    tx["sales_value"] = tx["sales_value"][::-1].to_numpy()  # the same cells reordered: same size on disk
    tx.to_csv(path, index=False)
    # a rewrite inside the same second (as a script that regenerates its data does): only the ns differ
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert path.stat().st_size == st.st_size
    assert load_source(f"tables:{root}", validate=False).fingerprint != first


def test_stage_cache_recomputes_exactly_when_the_key_changes(tmp_path):
    cache = StageCache(tmp_path / "cache")
    calls = []

    def compute(tag):
        def f():
            calls.append(tag)
            return {"tag": tag}
        return f

    assert cache.run("step", "k1", compute("a")) == {"tag": "a"} and calls == ["a"] and cache.hits == []
    assert cache.run("step", "k1", compute("b")) == {"tag": "a"} and calls == ["a"] and cache.hits == ["step"]
    assert cache.run("step", "k2", compute("c")) == {"tag": "c"} and calls == ["a", "c"]
    assert cache.run("other", "k1", compute("d")) == {"tag": "d"}  # keys are per step name
    off = StageCache(tmp_path / "cache", enabled=False)
    assert off.run("step", "k1", compute("e")) == {"tag": "e"} and off.hits == []
    assert calls == ["a", "c", "d", "e"]


# ---------------------------------------------------------------------------------------------- faults
# Every fault below must end with the right value returned, a one-line note when something was wrong, and a
# cache that is whole again (the next call is a hit). KEY is a real-looking key: entry names are checked.
KEY = "0123456789abcdef0123"
VALUE = {"table": list(range(2000)), "name": "segments"}
CHILD = """
import os, signal, sys, time
from pathlib import Path
from segtarget import cache as C

root, point = Path(sys.argv[1]), sys.argv[2]
die = lambda: os.kill(os.getpid(), signal.SIGKILL)
real_write, real_rename = C._write_synced, os.rename

def write(path, data):
    if point == "value" and path.name == "value.joblib":  # half the pickle is on disk
        path.write_bytes(data[: len(data) // 2])
        die()
    if point == "manifest" and path.name == "manifest.json":  # the value is whole, its checksum not yet
        die()
    real_write(path, data)

def rename(src, dst):
    if point == "publish" and Path(dst).name.startswith("step-"):  # the entry is complete, not yet renamed
        die()
    real_rename(src, dst)

C._write_synced, os.rename = write, rename

def compute():
    if point == "compute":
        die()
    time.sleep(float(os.environ.get("COMPUTE_SECONDS", "0")))  # lets concurrent runs overlap
    return %r

value = C.StageCache(root).run("step", %r, compute)
assert value == %r
print("ok")
""" % (VALUE, KEY, VALUE)


def _child(root, point="none", seconds=0.0):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parents[1] / "src"),
                                                         os.environ.get("PYTHONPATH", "")]),
               COMPUTE_SECONDS=str(seconds))
    return subprocess.Popen([sys.executable, "-c", CHILD, str(root), point], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _counted(root, notes=None):
    calls = []

    def compute():
        calls.append(1)
        return VALUE

    cache = StageCache(root, notify=(notes.append if notes is not None else lambda msg: None))
    return cache, calls, lambda: cache.run("step", KEY, compute)


def _truncate(entry):
    (entry / "value.joblib").write_bytes((entry / "value.joblib").read_bytes()[:100])


def _garbage(entry):
    n = (entry / "value.joblib").stat().st_size
    (entry / "value.joblib").write_bytes(bytes(range(256)) * (n // 256 + 1))


def _tamper(entry):
    """Valid pickle, other content: what a bit flip or an edited file looks like to the checksum."""
    import joblib
    joblib.dump({"table": [], "name": "not what was computed"}, entry / "value.joblib")


DAMAGE = {
    "truncated value": (_truncate, "value.joblib does not match its checksum"),
    "garbage value": (_garbage, "value.joblib does not match its checksum"),
    "other pickle": (_tamper, "value.joblib does not match its checksum"),
    "value missing": (lambda e: (e / "value.joblib").unlink(), "value.joblib is missing"),
    "manifest missing": (lambda e: (e / "manifest.json").unlink(), "manifest.json is missing"),
    "manifest garbage": (lambda e: (e / "manifest.json").write_text("{not json"), "manifest.json is unreadable"),
    "entry is a file": (lambda e: (shutil.rmtree(e), e.write_bytes(b"x" * 100)), "manifest.json is missing"),
    "entry writable by others": (lambda e: e.chmod(0o777), "is writable by other users"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_entry_is_reported_recomputed_and_repaired(tmp_path, damage):
    harm, reason = DAMAGE[damage]
    notes = []
    cache, calls, run = _counted(tmp_path / "cache", notes)
    assert run() == VALUE and calls == [1] and notes == []
    harm(tmp_path / "cache" / f"step-{KEY}")
    assert run() == VALUE and calls == [1, 1] and cache.hits == []
    assert len(notes) == 1 and notes[0].startswith("cache entry for step step was damaged") and reason in notes[0]
    assert notes[0].endswith("; recomputing") and "\n" not in notes[0]
    again, calls2, run2 = _counted(tmp_path / "cache")  # repaired: the next run loads it
    assert run2() == VALUE and calls2 == [] and again.hits == ["step"]
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [f"step-{KEY}"]  # nothing aside is left


def test_a_cache_directory_others_can_write_is_not_used(tmp_path):
    root = tmp_path / "cache"
    _, calls, run = _counted(root)
    run()
    root.chmod(0o777)  # another user could have planted any pickle here
    notes = []
    cache, calls, run = _counted(root, notes)
    assert run() == VALUE and calls == [1] and cache.hits == []
    assert len(notes) == 1 and f"cache directory {root} is writable by other users (mode 777)" in notes[0]
    assert "chmod go-w" in notes[0] and "run.cache_dir" in notes[0]
    assert not list(root.glob(".*"))  # nothing written there either


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="changing an owner needs root")
def test_an_entry_owned_by_another_user_is_not_loaded(tmp_path):
    notes = []
    _, calls, run = _counted(tmp_path / "cache", notes)
    run()
    os.chown(tmp_path / "cache" / f"step-{KEY}" / "value.joblib", 12345, 12345)
    run()
    assert calls == [1, 1] and "belongs to another user (uid 12345)" in notes[0]


def test_the_default_location_is_per_user_and_private(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_location() == tmp_path / "xdg" / "segtarget" == StageCache().root
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")  # the XDG spec ignores a relative path
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_location() == tmp_path / "home" / ".cache" / "segtarget"
    assert cache_location("~/elsewhere") == tmp_path / "home" / "elsewhere"
    assert Config().run.cache_dir is None  # the run's default is the per-user location, not the working directory
    _, _, run = _counted(cache_location())
    run()
    assert (cache_location().stat().st_mode & 0o777) == 0o700


def test_a_full_disk_while_saving_is_one_line_naming_the_cache(tmp_path, monkeypatch):
    import segtarget.cache as C

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(C, "_write_synced", full)
    _, calls, run = _counted(tmp_path / "cache")
    with pytest.raises(SegtargetError, match=f"cache directory {tmp_path / 'cache'}: no space left") as err:
        run()
    assert "--no-cache" in str(err.value) and calls == [1]
    assert list((tmp_path / "cache").iterdir()) == []  # the half-written entry is gone


def test_any_other_failure_to_save_is_a_note_and_the_run_goes_on(tmp_path, monkeypatch):
    import segtarget.cache as C

    def denied(path, data):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(C, "_write_synced", denied)
    notes = []
    _, _, run = _counted(tmp_path / "cache", notes)
    assert run() == VALUE and "could not be saved" in notes[0]
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_second_writer_never_replaces_an_intact_entry(tmp_path):
    """What a run that computed the same step at the same time does: its copy is dropped, a reader's stays."""
    cache, _, run = _counted(tmp_path / "cache")
    run()
    entry = tmp_path / "cache" / f"step-{KEY}"
    inode = entry.stat().st_ino
    cache._publish("step", entry, VALUE)
    assert entry.stat().st_ino == inode and [p.name for p in entry.parent.iterdir()] == [entry.name]


@pytest.mark.parametrize("point", ["compute", "value", "manifest", "publish"])
def test_a_run_killed_while_caching_leaves_no_entry_and_the_next_run_succeeds(tmp_path, point):
    child = _child(tmp_path / "cache", point)
    child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert not (tmp_path / "cache" / f"step-{KEY}").exists()  # never half an entry under the real name
    notes = []
    cache, calls, run = _counted(tmp_path / "cache", notes)
    assert run() == VALUE and calls == [1] and notes == []
    # the killed run's scratch directory is swept (its process is gone); only the new entry remains
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [f"step-{KEY}"]


@pytest.mark.parametrize("start", ["empty", "damaged"])
def test_concurrent_runs_on_one_cache_all_succeed_with_the_same_value(tmp_path, start):
    if start == "damaged":  # all find it damaged, all recompute, all try to replace it
        _counted(tmp_path / "cache")[2]()
        _truncate(tmp_path / "cache" / f"step-{KEY}")
    children = [_child(tmp_path / "cache", seconds=1.0) for _ in range(3)]  # all miss, all publish
    outs = [c.communicate(timeout=60) for c in children]
    assert [c.returncode for c in children] == [0, 0, 0], outs
    assert all(o[0].strip() == "ok" and ("damaged" in o[1]) == (start == "damaged") for o in outs)
    cache, calls, run = _counted(tmp_path / "cache")
    assert run() == VALUE and calls == [] and cache.hits == ["step"]
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [f"step-{KEY}"]


def test_clear_removes_entries_and_leftovers_only(tmp_path):
    root = tmp_path / "cache"
    _, _, run = _counted(root)
    run()
    (root / f".step-{KEY}.999999.abc.tmp").mkdir()
    (root / f"other-{KEY}").write_bytes(b"a damaged entry that is a file")
    (root / "notes.txt").write_text("mine")  # a cache_dir pointed at a folder with other files keeps them
    cache = StageCache(root)
    assert len(cache.entries()) == 1
    n, size = cache.clear()
    assert n == 2 and size > 0 and [p.name for p in root.iterdir()] == ["notes.txt"]
