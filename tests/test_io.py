"""Output directories and files: a run killed at any point or a full disk leaves the previous output whole and
says what happened in one line; the next run cleans up after a killed one."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from segtarget.errors import SegtargetError
from segtarget.io import _exchange, atomic_output_dir, atomic_write_table

SRC = Path(__file__).resolve().parents[1] / "src"
CHILD = """
import os, pathlib, signal, sys
from segtarget import io

target, point = pathlib.Path(sys.argv[1]), sys.argv[2]
die = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
if point == "swap":  # at the one-step swap
    io._exchange = die
if point == "between renames":  # a system without the one-step swap, between its two renames
    io._exchange = lambda a, b: False
    real = pathlib.Path.rename
    pathlib.Path.rename = lambda self, dst: die() if self.name.startswith(".results.tmp-") else real(self, dst)
with io.atomic_output_dir(target) as root:
    (root / "tables").mkdir()
    (root / "tables" / "a.csv").write_text("new")
    if point == "writing":
        die()
"""


def _previous(tmp_path) -> Path:
    target = tmp_path / "results"
    (target / "tables").mkdir(parents=True)
    (target / "tables" / "a.csv").write_text("old")
    (target / "report.html").write_text("old report")
    return target


def _state(target: Path) -> dict[str, str]:
    return {p.relative_to(target).as_posix(): p.read_text() for p in sorted(target.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("point", ["writing", "swap", "between renames"])
def test_a_run_killed_at_any_point_keeps_the_previous_output_and_the_next_run_succeeds(tmp_path, point):
    target = _previous(tmp_path)
    before = _state(target)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    child = subprocess.run([sys.executable, "-c", CHILD, str(target), point], env=env, capture_output=True,
                           timeout=60)
    assert child.returncode == -signal.SIGKILL
    if point != "between renames":
        assert _state(target) == before  # untouched at every instant
    with atomic_output_dir(target) as root:  # the next run: first restores, then tidies up
        assert _state(target) == before
        (root / "report.html").write_text("new report")
    assert _state(target) == {"report.html": "new report"}
    assert [p.name for p in tmp_path.iterdir()] == ["results"]  # no half-written directory left beside it


def test_a_failed_run_leaves_the_previous_output(tmp_path):
    target = _previous(tmp_path)
    before = _state(target)
    with pytest.raises(ValueError):
        with atomic_output_dir(target) as root:
            (root / "x").write_text("half")
            raise ValueError("a step failed")
    assert _state(target) == before and [p.name for p in tmp_path.iterdir()] == ["results"]


def test_a_full_disk_while_writing_the_report_is_one_line_and_keeps_the_previous_output(tmp_path):
    target = _previous(tmp_path)
    before = _state(target)
    with pytest.raises(SegtargetError) as err:
        with atomic_output_dir(target) as root:
            raise OSError(errno.ENOSPC, "No space left on device", str(root / "figures" / "x.png"))
    msg = str(err.value)
    assert msg.startswith(f"output directory {target}: no space left on the device while writing ")
    assert "x.png" in msg and "previous results is unchanged" in msg and "\n" not in msg
    assert _state(target) == before and [p.name for p in tmp_path.iterdir()] == ["results"]


def test_a_full_disk_while_writing_a_table_is_one_line(tmp_path, monkeypatch):
    def full(self, path, **kw):
        Path(path).write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    with pytest.raises(SegtargetError, match="output file .*t.csv: no space left on the device"):
        atomic_write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
    assert list(tmp_path.iterdir()) == []


def test_the_swap_is_one_step_where_the_system_allows(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "f").write_text("a"), (b / "f").write_text("b")
    if not _exchange(a, b):
        pytest.skip("no renameat2(RENAME_EXCHANGE) here: the two-rename fallback is tested above")
    assert (a / "f").read_text() == "b" and (b / "f").read_text() == "a"
