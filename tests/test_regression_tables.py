"""The default run's tables stay numerically identical through refactors.

A compact digest of every table of the reduced run on the ``small_source`` subset (row count, columns, and per
column either the sum and sum of squares or a hash of the sorted text) is compared with a golden file generated
from the code before the refactor. A digest rather than the tables themselves: it is small enough to keep in
the repository, blind to formatting (column order of the CSV writer, float repr) and still moves with any number.

Regenerate after an intended change (and list the change in the commit message)::

    PYTHONPATH=$PWD/src python tests/test_regression_tables.py --update
    # or, inside the suite: SEGTARGET_UPDATE_GOLDEN=1 pytest tests/test_regression_tables.py
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

GOLDEN = Path(__file__).parent / "data" / "golden_small_run.json"
TOP_LEVEL = ("policy.csv", "targets.csv", "cohort.csv")
# Wall-clock timings are the only content allowed to differ between two runs of the same code on the same data.
_VOLATILE_COLUMN = re.compile(r"seconds|elapsed|timing|wall", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")
# The run's own input path (data_overview's source) lives under the temporary directory and changes every run.
_TMP_PATH = re.compile(re.escape(tempfile.gettempdir()) + r"/[^\s,;'\"]*")
# Threaded BLAS may move the 16th digit: numbers in text keep nine significant digits (as test_pipeline does);
# sums keep twelve, and are compared at RTOL of the sum of absolute values, the most that cells which each
# moved by RTOL can move a sum with cancellations.
_SIG, _SIG_SUM = 9, 12
RTOL, ATOL = 1e-9, 1e-9
UPDATE_HINT = ("regenerate with `PYTHONPATH=$PWD/src python tests/test_regression_tables.py --update` "
               "(or SEGTARGET_UPDATE_GOLDEN=1 pytest tests/test_regression_tables.py) if the change is intended")


def _round(x: float) -> float:
    return float(f"{x:.{_SIG_SUM}g}")


def _text(v) -> str:
    """Text cell with its embedded numbers to nine significant digits, so a reformatted float is not a change."""
    if not isinstance(v, str):
        return "<NA>" if pd.isna(v) else repr(v)
    return _NUMBER.sub(lambda m: f"{float(m.group()):.{_SIG}g}", _TMP_PATH.sub("<tmp>", v))


def _read(path: Path) -> pd.DataFrame:
    # the top-level decision files open with '#' comment lines (the verdict sentence); tables do not
    skip = 0
    with path.open() as f:
        for line in f:
            if not line.startswith("#"):
                break
            skip += 1
    return pd.read_csv(path, skiprows=skip)


def table_digest(df: pd.DataFrame) -> dict:
    cols = {}
    for c in df.columns:
        if _VOLATILE_COLUMN.search(str(c)):
            continue
        s = df[c]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            values = sorted(_text(v) for v in s)
            cols[str(c)] = {"kind": "text", "sha1": hashlib.sha1("\x1f".join(values).encode()).hexdigest()[:16]}
        else:
            x = s.to_numpy(dtype=float)
            finite = x[np.isfinite(x)]
            cols[str(c)] = {"kind": "number", "n_missing": int(np.isnan(x).sum()),
                            "n_inf": int(np.isinf(x).sum()), "sum": _round(finite.sum()),
                            "sum_abs": _round(np.abs(finite).sum()), "sum_sq": _round((finite ** 2).sum())}
    return {"rows": len(df), "columns": [str(c) for c in df.columns], "digest": cols}


def run_digest(run_dir: Path) -> dict:
    paths = sorted((run_dir / "tables").glob("*.csv")) + [run_dir / n for n in TOP_LEVEL if (run_dir / n).is_file()]
    return {p.relative_to(run_dir).as_posix(): table_digest(_read(p)) for p in paths}


def compare(got: dict, want: dict) -> list[str]:
    """Every difference, one line each, naming the table and the column."""
    problems = [f"{t}: table missing from this run" for t in sorted(set(want) - set(got))]
    problems += [f"{t}: new table not in the golden file" for t in sorted(set(got) - set(want))]
    for t in sorted(set(got) & set(want)):
        g, w = got[t], want[t]
        if g["rows"] != w["rows"]:
            problems.append(f"{t}: {g['rows']} rows, golden {w['rows']}")
        if g["columns"] != w["columns"]:
            problems.append(f"{t}: columns {g['columns']}, golden {w['columns']}")
        for c in sorted(set(g["digest"]) & set(w["digest"])):
            gc, wc = g["digest"][c], w["digest"][c]
            if gc["kind"] != wc["kind"]:
                problems.append(f"{t} column {c!r}: {gc['kind']}, golden {wc['kind']}")
                continue
            for key in wc:
                a, b = gc.get(key), wc[key]
                if isinstance(b, float) and isinstance(a, float):
                    scale = wc.get("sum_abs", b) if key == "sum" else b
                    ok = abs(a - b) <= RTOL * abs(scale) + ATOL
                else:
                    ok = a == b
                if not ok:
                    problems.append(f"{t} column {c!r}: {key} {a!r}, golden {b!r}")
    return problems


def _update_requested() -> bool:
    return os.environ.get("SEGTARGET_UPDATE_GOLDEN", "") not in ("", "0")


def write_golden(digest: dict) -> None:
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    # one line per table: small, and a diff of the golden file shows which tables moved
    lines = [f"{json.dumps(t)}: {json.dumps(digest[t], sort_keys=True)}" for t in sorted(digest)]
    GOLDEN.write_text("{\n" + ",\n".join(lines) + "\n}\n")


@pytest.mark.slow
def test_small_run_tables_match_golden(small_run):
    got = run_digest(Path(small_run))
    assert len(got) >= 30, f"only {len(got)} tables found under {small_run}"
    if _update_requested():
        write_golden(got)
        pytest.skip(f"golden file rewritten: {GOLDEN}")
    assert GOLDEN.is_file(), f"no golden file {GOLDEN}; {UPDATE_HINT}"
    problems = compare(got, json.loads(GOLDEN.read_text()))
    assert not problems, f"{len(problems)} difference(s) from {GOLDEN.name}:\n  " + "\n  ".join(problems[:40]) + \
        f"\n{UPDATE_HINT}"


def test_digest_moves_with_a_number_not_with_formatting():
    """The comparison itself can fail: one changed cell is reported by table and column; a float repr is not."""
    df = pd.DataFrame({"segment": ["a", "b"], "cate": [1.25, -0.5], "note": ["CI [0.1, 0.2]", "x"],
                       "fit_seconds": [1.0, 2.0]})
    base = {"t.csv": table_digest(df)}
    assert "fit_seconds" not in base["t.csv"]["digest"]
    assert compare({"t.csv": table_digest(df.assign(fit_seconds=[9.0, 9.0]))}, base) == []
    assert compare({"t.csv": table_digest(df.assign(note=["CI [0.100000000001, 0.2]", "x"]))}, base) == []
    assert compare({"t.csv": table_digest(df.assign(cate=[1.25, -0.5 * (1 + 1e-13)]))}, base) == []
    assert compare({"t.csv": table_digest(df.assign(cate=[1.25, -0.5000001]))}, base) == [
        "t.csv column 'cate': sum 0.7499999, golden 0.75", "t.csv column 'cate': sum_abs 1.7500001, golden 1.75",
        "t.csv column 'cate': sum_sq 1.8125001, golden 1.8125"]
    assert compare({"t.csv": table_digest(df.assign(segment=["a", "c"]))}, base)[0].startswith("t.csv column 'segment'")
    assert compare({}, base) == ["t.csv: table missing from this run"]


def _main(argv: list[str]) -> int:
    """Regenerate the golden file: the same reduced run as the ``small_run`` fixture, outside pytest."""
    if "--update" not in argv:
        print(__doc__)
        return 2
    sys.path.insert(0, str(Path(__file__).parent))
    os.environ.setdefault("PYTHONHASHSEED", "0")
    import matplotlib

    matplotlib.use("Agg")
    import conftest

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "small").mkdir()
        src = conftest.make_small_source(root / "small")
        run_dir = conftest.run_fast(root / "results", root / "cache", f"data.source='{src}'").parent
        digest = run_digest(run_dir)
    write_golden(digest)
    print(f"wrote {GOLDEN} ({len(digest)} tables)")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
