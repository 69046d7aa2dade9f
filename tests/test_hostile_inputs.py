"""Hostile inputs: every bad input gives one line "error: ..." naming what is wrong and how to fix it.

Each case runs the real command line in a subprocess (the console script next to ``sys.executable``) on a
small bad input built in a tmp dir, and checks: exit code != 0, exactly one line on stderr starting with
``error:`` (never ``error: internal``), no Python traceback, the expected words in the message, and no
output left behind (neither the output path nor a temporary sibling of it). The cases run concurrently in
one module fixture so the suite stays fast.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pytest

from fixtures_retail import canonical_frames, write_canonical, write_dunnhumby


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("segtarget")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from segtarget.cli import main; main()"]


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path], list[str]]  # makes the bad input below the case dir, returns the CLI arguments
    expect: tuple[str, ...]  # words the one-line message must contain (case-insensitive)
    out: str = "out"  # output path (relative to the case dir) that must not exist afterwards


# ---------------------------------------------------------------------------------------------- builders
def _tables(d: Path, **replace: pd.DataFrame) -> str:
    write_canonical(d / "data", **replace)
    return f"tables:{d / 'data'}"


def _tx(**changes) -> pd.DataFrame:
    tx = canonical_frames()["transactions"]
    for col, values in changes.items():
        tx[col] = values
    return tx


def _features(d: Path, *extra: str, **replace: pd.DataFrame) -> list[str]:
    return ["features", "--data", _tables(d, **replace), "--out", str(d / "out" / "f.parquet"), *extra]


def _raw_file(d: Path, name: str, content: bytes, *extra: str) -> list[str]:
    write_canonical(d / "data")
    (d / "data" / name).write_bytes(content)
    return ["features", "--data", f"tables:{d / 'data'}", "--out", str(d / "out" / "f.parquet"), *extra]


def _dunnhumby(d: Path, drop_file: str | None = None, drop_column: tuple[str, str] | None = None) -> list[str]:
    root = write_dunnhumby(d / "dh")
    if drop_file:
        (root / drop_file).unlink()
    if drop_column:
        name, col = drop_column
        pd.read_csv(root / name).drop(columns=[col]).to_csv(root / name, index=False)
    return ["features", "--data", f"dunnhumby:{root}", "--out", str(d / "out" / "f.parquet")]


def _experiment(d: Path, n: int = 40, *extra: str, **cols) -> list[str]:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"t": np.arange(n) % 2, "y": rng.normal(10, 2, n), "pre": rng.normal(5, 1, n),
                       "seg": np.where(np.arange(n) < n // 2, "a", "b")})
    for k, v in cols.items():
        df[k] = v(df) if callable(v) else v
    path = d / "exp.csv"
    df.to_csv(path, index=False)
    return ["abtest", "--input", str(path), "--treatment", "t", "--outcome", "y", "--out", str(d / "out"), *extra]


def _units(d: Path, *extra: str, n: int = 60, **cols) -> list[str]:
    """A unit-level table for `segtarget causal` (t, y, two covariates, id), with columns replaced."""
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"id": np.arange(n), "t": np.arange(n) % 2, "y": rng.normal(10, 2, n),
                       "x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    for k, v in cols.items():
        df[k] = v(df) if callable(v) else v
    path = d / "units.csv"
    df.to_csv(path, index=False)
    return ["causal", "--input", str(path), "--treatment", "t", "--outcome", "y", "--out", str(d / "out"), *extra]


def _campaign_data(d: Path, members: int) -> str:
    """24 households shopping all year, one Type A campaign in June whose first `members` households are
    targeted: enough for the segmentation, so a run gets as far as the study design."""
    rng = np.random.default_rng(3)
    rows, basket = [], 0
    for hh in range(1, 25):
        for day in sorted(rng.choice(300, size=8, replace=False)):
            basket += 1
            date = pd.Timestamp("2017-01-02") + pd.Timedelta(days=int(day))
            for p in rng.choice(np.arange(100, 120), size=3, replace=False):
                rows.append((hh, basket, int(p), 1, date, 1200, 1.0, float(rng.gamma(2, 3)), 0.0, 0.0, 0.0))
    tx = pd.DataFrame(rows, columns=list(canonical_frames()["transactions"].columns))
    departments = ["GROCERY", "PRODUCE", "MEAT", "DRUG GM", "PASTRY"]
    products = pd.DataFrame({"product_id": np.arange(100, 120), "department": departments * 4,
                             "brand": ["National", "Private"] * 10})
    campaigns = pd.DataFrame({"campaign_id": [1], "campaign_type": ["A"], "start_date": pd.to_datetime(["2017-06-01"]),
                              "end_date": pd.to_datetime(["2017-07-01"])})
    return _tables(d, transactions=tx, products=products, campaigns=campaigns,
                   campaign_members=pd.DataFrame({"household_id": np.arange(1, members + 1), "campaign_id": 1}))


RUN_SMALL = ["--quiet", "--no-cache", "--set", "segments.n_bootstrap=0", "--set", "segments.kmeans_k=2",
             "--set", "segments.nmf_k=2", "--set", "segments.kmeans_k_min=2", "--set", "segments.kmeans_k_max=3", "--set", "segments.nmf_k_max=3",
             "--set", "run.n_jobs=1"]


def _feature_table(d: Path, n: int, drop: str | None = None) -> Path:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"household_id": np.arange(n), "monetary_sales": rng.gamma(2, 100, n),
                       "frequency": rng.poisson(20, n) + 1})
    if drop:
        df = df.drop(columns=[drop])
    path = d / "features.csv"
    df.to_csv(path, index=False)
    return path


def _config(d: Path, text: str) -> Path:
    path = d / "c.toml"
    path.write_text(text)
    return path


def _file_blocking_out(d: Path) -> list[str]:
    (d / "blocker").write_text("a file, not a folder")
    return ["features", "--data", _tables(d), "--out", str(d / "blocker" / "out" / "f.parquet")]


ONE_HH = _tx()[lambda t: t.household_id == 1]

CASES = [
    # data loaders (through `segtarget features`)
    Case("source-missing-folder", lambda d: ["features", "--data", f"tables:{d / 'nope'}", "--out", str(d / "out.parquet")],
         ("not a directory", "tables:path"), out="out.parquet"),
    Case("source-unknown-prefix", lambda d: ["features", "--data", "sql:warehouse", "--out", str(d / "out.parquet")],
         ("'sql:warehouse'", "not recognised", "tables:PATH"), out="out.parquet"),
    Case("tables-missing-transactions", lambda d: (write_canonical(d / "data"), (d / "data" / "transactions.parquet").unlink(),
         ["features", "--data", f"tables:{d / 'data'}", "--out", str(d / "out" / "f.parquet")])[-1],
         ("transactions.parquet", "not found", "required")),
    Case("tables-missing-column", lambda d: _features(d, transactions=_tx().drop(columns=["sales_value"])),
         ("transactions.parquet", "missing column 'sales_value'")),
    Case("tables-wrong-dtype", lambda d: _features(d, transactions=_tx(sales_value=["abc"] * 7)),
         ("column 'sales_value'", "'abc'", "not a double")),
    Case("tables-duplicate-keys", lambda d: _features(d, products=pd.concat([canonical_frames()["products"]] * 2)),
         ("products.parquet", "duplicate key", "product_id=")),
    Case("tables-empty-transactions", lambda d: _features(d, transactions=_tx().iloc[:0]),
         ("transactions", "empty")),
    Case("tables-all-sales-negative", lambda d: _features(d, transactions=_tx(sales_value=-1.0)),
         ("no usable transactions", "sales_value")),
    Case("tables-all-sales-nan-inf", lambda d: _features(d, transactions=_tx(sales_value=[np.nan, np.inf, -np.inf] * 2 + [np.nan])),
         ("no usable transactions", "non-finite")),
    Case("tables-unreadable-parquet", lambda d: _raw_file(d, "transactions.parquet", b"this is not parquet"),
         ("transactions.parquet", "cannot be read")),
    Case("tables-campaign-ends-before-start", lambda d: _features(d, campaigns=pd.DataFrame({
         "campaign_id": [1], "campaign_type": ["A"], "start_date": pd.to_datetime(["2017-02-01"]),
         "end_date": pd.to_datetime(["2017-01-01"])})), ("campaign 1", "ends before it starts")),
    Case("tables-campaign-bad-type", lambda d: _features(d, campaigns=pd.DataFrame({
         "campaign_id": [1], "campaign_type": ["Z"], "start_date": pd.to_datetime(["2017-01-01"]),
         "end_date": pd.to_datetime(["2017-02-01"])})), ("campaign_type", "'Z'", "A, B or C")),
    Case("dates-bad-format", lambda d: _features(d, "--start", "2017-13-45"), ("start", "2017-13-45", "yyyy-mm-dd")),
    Case("dates-out-of-range", lambda d: _features(d, "--start", "2030-01-01", "--end", "2031-01-01"),
         ("2030-01-01", "no usable transactions", "--start/--end")),
    Case("dates-end-before-start", lambda d: _features(d, "--start", "2017-02-01", "--end", "2017-01-01"),
         ("end=2017-01-01", "after", "start=2017-02-01")),
    Case("dunnhumby-missing-product-csv", lambda d: _dunnhumby(d, drop_file="product.csv"),
         ("product.csv", "not found")),
    Case("dunnhumby-missing-column", lambda d: _dunnhumby(d, drop_column=("transaction_data.csv", "SALES_VALUE")),
         ("transaction_data.csv", "missing column 'SALES_VALUE'")),
    Case("out-wrong-suffix", lambda d: ["features", "--data", _tables(d), "--out", str(d / "out.xlsx")],
         ("--out", ".parquet", ".csv"), out="out.xlsx"),
    Case("out-under-a-file", _file_blocking_out, ("blocker", "is a file", "--out"), out="blocker/out"),
    # segment
    Case("segment-one-household", lambda d: ["segment", "--data", _tables(d, transactions=ONE_HH), "--out", str(d / "out")],
         ("1 households", "too few")),
    Case("segment-features-incomplete", lambda d: ["segment", "--features", str(_feature_table(d, 30)), "--out",
         str(d / "out")], ("missing", "segments.features")),
    Case("segment-missing-household-id", lambda d: ["segment", "--features", str(_feature_table(d, 30, drop="household_id")),
         "--out", str(d / "out")], ("household_id",)),
    Case("segment-no-input", lambda d: ["segment", "--out", str(d / "out")], ("--data", "--features")),
    Case("segment-config-typo", lambda d: ["segment", "--features", str(_feature_table(d, 30)), "--out", str(d / "out"),
         "--set", "segments.kmeans_kk=3"], ("segments.kmeans_kk", "did you mean 'kmeans_k'")),
    Case("assign-missing-model", lambda d: ["assign", "--model", str(d / "nomodel"), "--features",
         str(_feature_table(d, 5)), "--out", str(d / "labels.csv")], ("nomodel", "not found", "segtarget segment"),
         out="labels.csv"),
    # config
    Case("config-unknown-key-in-file", lambda d: ["config", "--show", "--config", str(_config(d, "[policy]\nmargn = 0.3\n"))],
         ("policy.margn", "did you mean 'margin'")),
    Case("config-invalid-toml", lambda d: ["config", "--show", "--config", str(_config(d, "[policy\nmargin = "))],
         ("c.toml", "invalid toml")),
    Case("config-missing-file", lambda d: ["config", "--show", "--config", str(d / "missing.toml")],
         ("missing.toml", "not found")),
    Case("config-impossible-value", lambda d: ["config", "--show", "--set", "policy.verdict_alpha=2"],
         ("policy.verdict_alpha", "(0, 0.5)")),
    # run
    Case("run-one-household", lambda d: ["run", "--quiet", "--no-cache", "--data", _tables(d, transactions=ONE_HH),
         "--out", str(d / "out")], ("1 households", "too few")),
    Case("run-unknown-campaign", lambda d: ["run", "--data", _campaign_data(d, 12), "--out", str(d / "out"), *RUN_SMALL,
         "--set", "design.design=campaign:9999"], ("campaign:9999", "no such campaign", "known ids")),
    Case("run-negative-cost", lambda d: ["run", "--data", _tables(d), "--out", str(d / "out"), "--cost", "-1"],
         ("--cost", ">= 0")),
    Case("run-cost-not-a-number", lambda d: ["run", "--data", _tables(d), "--out", str(d / "out"), "--cost", "cheap"],
         ("--cost", "not a number")),
    Case("run-margin-out-of-range", lambda d: ["run", "--data", _tables(d), "--out", str(d / "out"), "--margin", "1.5"],
         ("--margin", "(0, 1]")),
    Case("run-ate-clip-out-of-range", lambda d: ["run", "--data", _tables(d), "--out", str(d / "out"), "--set",
         "ate.clip=0.7"], ("ate.clip", "(0, 0.5)", "got 0.7")),
    Case("run-cate-one-fold", lambda d: ["run", "--data", _tables(d), "--out", str(d / "out"), "--set", "cate.folds=1"],
         ("cate.folds", ">= 2")),
    Case("causal-negative-seed", lambda d: _units(d, "--seed", "-3"), ("run.seed", "got -3")),
    Case("run-config-typo", lambda d: ["run", "--data", _tables(d), "--out", str(d / "out"), "--set", "ate.fodls=3"],
         ("ate.fodls", "did you mean 'folds'")),
    # causal (unit-level table)
    Case("causal-treatment-typo", lambda d: _units(d)[:4] + ["trt"] + _units(d)[5:], ("'trt'", "not found")),
    Case("causal-all-treated", lambda d: _units(d, t=1), ("0 control units", "per arm")),
    Case("causal-no-treated", lambda d: _units(d, t=0), ("0 treated units", "per arm")),
    Case("causal-constant-outcome", lambda d: _units(d, y=3.0), ("'y'", "constant")),
    Case("causal-nan-outcome", lambda d: _units(d, y=lambda df: df.y.where(df.index != 5)), ("'y'", "missing")),
    Case("causal-duplicate-ids", lambda d: _units(d, "--id", "id", id=lambda df: df.index // 2), ("'id'", "duplicated")),
    # abtest
    Case("abtest-missing-file", lambda d: ["abtest", "--input", str(d / "none.csv"), "--treatment", "t", "--outcome", "y",
         "--out", str(d / "out")], ("none.csv", "not found")),
    Case("abtest-missing-column", lambda d: _experiment(d, 40, "--pre", "prior"), ("'prior'", "--pre", "not found")),
    Case("abtest-empty-table", lambda d: _experiment(d, 0), ("no rows",)),
    Case("abtest-all-treated", lambda d: _experiment(d, 40, t=1), ("control arm", "fewer than 2")),
    Case("abtest-no-treated", lambda d: _experiment(d, 40, t=0), ("treatment arm", "fewer than 2")),
    Case("abtest-non-binary-treatment", lambda d: _experiment(d, 40, t=lambda df: np.arange(len(df)) % 3),
         ("'t'", "binary 0/1")),
    Case("abtest-constant-outcome", lambda d: _experiment(d, 40, y=5.0), ("'y'", "constant")),
    Case("abtest-nan-inf-outcome", lambda d: _experiment(d, 40, y=lambda df: np.where(df.index % 7 == 0, np.inf, df.y)),
         ("'y'", "infinite")),
    Case("abtest-bad-margin", lambda d: _experiment(d, 40, "--cost", "5", "--margin", "3"), ("--margin", "(0, 1]")),
    Case("abtest-negative-cost", lambda d: _experiment(d, 40, "--cost", "-5"), ("--cost", "> 0")),
    Case("abtest-out-is-a-file", lambda d: (d.joinpath("taken").write_text("x"),
         [*_experiment(d, 40)[:-2], "--out", str(d / "taken")])[-1], ("taken", "is a file"), out="none"),
]


def _read_only_dir(d: Path) -> Path | None:
    """A folder this process cannot write to: a chmod 555 one, or (root ignores permission bits) a read-only
    mount such as a container's /proc/sys; None when neither exists."""
    (d / "ro").mkdir()
    (d / "ro").chmod(0o555)
    for candidate in (d / "ro", Path("/proc/sys"), Path("/sys/fs/cgroup")):
        if candidate.is_dir() and not os.access(candidate, os.W_OK):
            return candidate
    return None


def _run(case: Case, base: Path) -> tuple[Case, Path, subprocess.CompletedProcess]:
    d = base / case.id
    d.mkdir(parents=True)
    args = case.build(d)
    env = {k: v for k, v in os.environ.items() if k != "SEGTARGET_DEBUG"}
    env.setdefault("MPLBACKEND", "Agg")
    proc = subprocess.run([*_cli(), *args], cwd=d, capture_output=True, text=True, timeout=300, env=env)
    return case, d, proc


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    workers = max(2, min(4, os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(lambda c: _run(c, base), CASES))
    return {case.id: (case, d, proc) for case, d, proc in done}


def test_at_least_25_distinct_cases():
    assert len(CASES) >= 25 and len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case_id", [c.id for c in CASES])
def test_hostile_input(case_id, results):
    case, d, proc = results[case_id]
    _assert_one_line_error(proc, case.expect, d / case.out)


def _assert_one_line_error(proc: subprocess.CompletedProcess, expect: tuple[str, ...], target: Path) -> None:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    shown = f"exit {proc.returncode}; stderr: {proc.stderr.strip()[-600:]!r}"
    assert proc.returncode != 0, shown
    assert "Traceback" not in proc.stderr, shown
    assert len(lines) == 1 and lines[0].startswith("error: "), shown
    assert not lines[0].startswith("error: internal"), shown
    message = lines[0].lower()
    for word in expect:
        assert word.lower() in message, f"expected {word!r} in the message; {shown}"
    assert not target.exists(), f"{target} was left behind; {shown}"
    assert not list(target.parent.glob(f".{target.name}.tmp-*")), f"temporary output left behind; {shown}"


def test_out_not_writable(tmp_path):
    """Also as root (which ignores permission bits): then a read-only mount stands in for the chmod 555 folder."""
    ro = _read_only_dir(tmp_path)
    if ro is None:
        pytest.skip("no folder this process cannot write to: running as root and no read-only mount "
                    "(/proc/sys, /sys/fs/cgroup) to stand in for a chmod 555 folder")
    case = Case("out-not-writable", lambda d: ["features", "--data", _tables(d), "--out", str(ro / "sub" / "f.parquet")],
                ("not writable", "--out", str(ro)))
    _, d, proc = _run(case, tmp_path / "case")
    _assert_one_line_error(proc, case.expect, ro / "sub")
