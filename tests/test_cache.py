"""Stage cache: a changed config key or input file changes exactly the keys that depend on it, and a cached
stage is recomputed exactly when its key changes (the whole-pipeline rerun is in test_pipeline.py)."""

from __future__ import annotations

import dataclasses
import os
import typing

import pytest

from fixtures_retail import canonical_frames, write_canonical
from segtarget.cache import StageCache, stage_key
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
            (run / "tables").mkdir(parents=True, exist_ok=True)
            (run / "tables" / f"{tag}.csv").write_text(tag)
            return {"tag": tag}
        return f

    run = tmp_path / "run1"
    assert cache.run("step", "k1", run, compute("a")) == {"tag": "a"} and calls == ["a"] and cache.hits == []
    run = tmp_path / "run2"  # a new run directory: the hit restores the files the step wrote
    assert cache.run("step", "k1", run, compute("b")) == {"tag": "a"} and calls == ["a"]
    assert cache.hits == ["step"] and (run / "tables" / "a.csv").read_text() == "a"
    assert cache.run("step", "k2", run, compute("c")) == {"tag": "c"} and calls == ["a", "c"]
    assert cache.run("other", "k1", run, compute("d")) == {"tag": "d"}  # keys are per step name
    off = StageCache(tmp_path / "cache", enabled=False)
    assert off.run("step", "k1", run, compute("e")) == {"tag": "e"} and off.hits == []
    assert calls == ["a", "c", "d", "e"]
