"""Feature benchmark: the 33 household features by DuckDB SQL vs a plain pandas groupby baseline.

Run as a script (not a test): ``python benchmarks/bench_features.py``. It writes the "features" section
of benchmarks/RESULTS.md.

What is measured, each implementation in its own child process so peak memory is its own:
- DuckDB: ``segtarget.features.compute_features`` on the embedded data (views over the shipped parquet,
  time-zone conversion included), 33 core features, no exposure features; median of 3 runs.
- pandas: the same 33 features written below with ordinary groupby aggregations, starting from the clean
  lines and the products already in memory (reading them is timed separately); median of 3 runs.
  Its output must equal DuckDB's (relative tolerance 1e-9), or the benchmark fails.
- Whole process, start-up included: ``segtarget features --out x.parquet --no-exposure`` against a bare
  ``pandas.read_parquet`` of the same transactions file plus one groupby sum; median of 3.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _results import PYTHON, machine, run_json, run_measured, write_section  # noqa: E402

DATA = Path(__file__).parent / "_data" / "features_input"
REPEATS = 3
TARGET_RATIO, TARGET_SECONDS, TARGET_PROCESS_RATIO = 20.0, 3.0, 3.0


def pandas_features(lines: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """The 33 core features with pandas groupby (definitions in segtarget/features/definitions.py)."""
    from segtarget.features.definitions import FEATURE_NAMES, MACRO_CATEGORY

    macro_of = {d: name for name, deps in MACRO_CATEGORY.items() for d in deps}
    df = lines.merge(products[["product_id", "department", "brand"]], on="product_id", how="left")
    df["actual"] = df["sales_value"] - df["coupon_disc"]
    df["macro"] = df["department"].map(macro_of).fillna("other")
    df["has_retail_disc"] = df["retail_disc"] > 0
    df["branded"] = df["brand"].isin(["Private", "National"])
    df["private"] = df["brand"] == "Private"
    max_day, max_week = df["day"].max(), df["week"].max()

    a = df.groupby("household_id").agg(
        transaction_count=("basket_id", "size"), frequency=("basket_id", "nunique"),
        first_day=("day", "min"), last_day=("day", "max"), first_week=("week", "min"),
        last_week=("week", "max"), weeks_with_purchase=("week", "nunique"),
        monetary_sales=("sales_value", "sum"), monetary_actual=("actual", "sum"),
        coupon=("coupon_disc", "sum"), retail=("retail_disc", "sum"),
        n_retail_disc=("has_retail_disc", "sum"), n_branded=("branded", "sum"), n_private=("private", "sum"),
        n_departments=("department", "nunique"), n_products=("product_id", "nunique"),
        quantity=("quantity", "sum"))
    baskets = df.groupby(["household_id", "basket_id"]).agg(bs=("sales_value", "sum"), ba=("actual", "sum"))
    b = baskets.groupby("household_id").agg(avg_bs=("bs", "mean"), avg_ba=("ba", "mean"), std_bs=("bs", "std"))
    days = df[["household_id", "day"]].drop_duplicates().sort_values(["household_id", "day"])
    days["gap"] = days.groupby("household_id")["day"].diff()
    g = days.dropna(subset=["gap"]).groupby("household_id")["gap"].agg(gap_avg="mean", gap_std=lambda s: s.std(ddof=0))
    by_macro = df.pivot_table(index="household_id", columns="macro", values="sales_value", aggfunc="sum", fill_value=0)

    def ratio(num, den):
        return np.where(den == 0, 0.0, num / den.where(den != 0, 1))

    a = a.join(b).join(g)
    tenure_weeks = max_week - a["first_week"] + 1
    out = pd.DataFrame(index=a.index)
    out["recency"] = max_day - a["last_day"]
    out["recency_weeks"] = max_week - a["last_week"]
    out["active_last_4w"] = (a["last_week"] >= max_week - 4).astype(int)
    out["active_last_12w"] = (a["last_week"] >= max_week - 12).astype(int)
    out["days_between_purchases_avg"] = a["gap_avg"].fillna(0)
    out["days_between_purchases_std"] = a["gap_std"].fillna(0)
    out["frequency"] = a["frequency"]
    out["frequency_per_week"] = a["frequency"] / tenure_weeks
    out["frequency_per_month"] = a["frequency"] / tenure_weeks * 4.33
    out["transaction_count"] = a["transaction_count"]
    out["weeks_with_purchase"] = a["weeks_with_purchase"]
    out["purchase_regularity"] = a["weeks_with_purchase"] / tenure_weeks
    out["monetary_sales"] = a["monetary_sales"]
    out["monetary_actual"] = a["monetary_actual"]
    out["monetary_avg_basket_sales"] = a["avg_bs"]
    out["monetary_avg_basket_actual"] = a["avg_ba"]
    out["monetary_std"] = a["std_bs"].fillna(0)
    out["monetary_per_week"] = a["monetary_sales"] / tenure_weeks
    out["coupon_savings_ratio"] = ratio(a["coupon"], a["monetary_sales"])
    out["discount_rate"] = ratio(a["retail"] + a["coupon"], a["monetary_sales"] + a["retail"] + a["coupon"])
    out["discount_usage_pct"] = ratio(a["n_retail_disc"], a["n_branded"])
    out["private_label_ratio"] = ratio(a["n_private"], a["n_branded"])
    out["n_departments"] = a["n_departments"]
    out["n_products"] = a["n_products"]
    out["avg_items_per_basket"] = a["quantity"] / a["frequency"]
    out["avg_products_per_basket"] = a["n_products"] / a["frequency"]
    for name in [*MACRO_CATEGORY, "other"]:
        col = by_macro[name] if name in by_macro else 0.0
        out[f"share_{name}"] = ratio(col, a["monetary_sales"])
    out["week_coverage"] = a["weeks_with_purchase"] / (a["last_week"] - a["first_week"] + 1)
    return out.reset_index()[["household_id", *FEATURE_NAMES]]


def _timed(fn, repeats: int = REPEATS) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def child_duckdb(out: Path) -> dict:
    from segtarget.data import load_source
    from segtarget.features import compute_features

    t0 = time.perf_counter()
    tables = load_source("completejourney")
    load = time.perf_counter() - t0
    times, feats = _timed(lambda: compute_features(tables, exposure=False))
    feats.to_parquet(out)
    lines = tables.con.execute("SELECT count(*) FROM clean_transactions").fetchall()[0][0]
    # The same SQL from the same starting point as pandas: clean lines already in memory, so the
    # view's parquet read and UTC -> local date conversion are not repeated on every run.
    from segtarget.features.sql import feature_sql

    tables.con.execute("CREATE TEMP TABLE mem_lines AS SELECT * FROM clean_transactions")
    mem_times, _ = _timed(lambda: tables.con.execute(feature_sql(source="mem_lines")).df())
    return {"load_seconds": load, "times": times, "mem_times": mem_times, "lines": lines, "households": len(feats)}


def child_pandas(out: Path) -> dict:
    t0 = time.perf_counter()
    lines = pd.read_parquet(DATA / "lines.parquet")
    products = pd.read_parquet(DATA / "products.parquet")
    load = time.perf_counter() - t0
    times, feats = _timed(lambda: pandas_features(lines, products))
    feats.to_parquet(out)
    return {"load_seconds": load, "times": times, "lines": len(lines), "households": len(feats)}


def prepare_input() -> None:
    """The clean lines (with day/week) and products as parquet, the pandas baseline's starting point."""
    from segtarget.data import load_source

    DATA.mkdir(parents=True, exist_ok=True)
    con = load_source("completejourney").con
    con.execute(f"""COPY (SELECT household_id, basket_id, product_id, day, week, quantity, sales_value,
        retail_disc, coupon_disc FROM clean_transactions) TO '{DATA / 'lines.parquet'}' (FORMAT parquet)""")
    con.execute(f"COPY (SELECT product_id, department, brand FROM products) TO '{DATA / 'products.parquet'}' "
                "(FORMAT parquet)")


def whole_process(tmp: Path) -> dict:
    from segtarget.data.sources import completejourney_dir

    segtarget = str(Path(PYTHON).with_name("segtarget"))
    cli = [segtarget, "features", "--data", "completejourney", "--out", str(tmp / "f.parquet"), "--no-exposure"]
    bare = [PYTHON, "-c", "import pandas as pd; df = pd.read_parquet("
            f"{str(completejourney_dir() / 'transactions.parquet')!r}); "
            "df.groupby('household_id')['sales_value'].sum()"]
    runs = {"cli": [run_measured(cli) for _ in range(REPEATS)], "bare": [run_measured(bare) for _ in range(REPEATS)]}
    return {k: {"seconds": statistics.median(r["seconds"] for r in v),
                "peak_rss_mb": max(r["peak_rss_mb"] for r in v)} for k, v in runs.items()}


def check_equal(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Assert equal features; return the largest relative difference seen."""
    a, b = a.sort_values("household_id").reset_index(drop=True), b.sort_values("household_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9, atol=1e-12)
    x, y = a.drop(columns="household_id").to_numpy(float), b.drop(columns="household_id").to_numpy(float)
    return float(np.max(np.abs(x - y) / np.maximum(np.abs(x), 1e-12)))


def report(duck: dict, pand: dict, proc: dict, max_rel: float) -> str:
    d, p = statistics.median(duck["times"]), statistics.median(pand["times"])
    ratio, pratio = p / d, proc["cli"]["seconds"] / proc["bare"]["seconds"]
    ok = lambda cond: "met" if cond else "**not met**"
    return f"""## Features (benchmarks/bench_features.py)

33 core household features on the embedded Complete Journey data: {duck['lines']:,} clean lines,
{duck['households']:,} households. Median of {REPEATS} runs; each implementation in its own process. Machine:
{machine()}.

| implementation | feature time (s) | runs (s) | input load (s) | peak RSS (MB) |
|---|---|---|---|---|
| DuckDB SQL (`compute_features`) | {d:.2f} | {', '.join(f'{t:.2f}' for t in duck['times'])} | {duck['load_seconds']:.2f} (views + validation) | {duck['peak_rss_mb']:.0f} |
| DuckDB SQL, clean lines already in memory (as pandas) | {statistics.median(duck['mem_times']):.2f} | {', '.join(f'{t:.2f}' for t in duck['mem_times'])} | (same process) | |
| pandas groupby baseline | {p:.2f} | {', '.join(f'{t:.2f}' for t in pand['times'])} | {pand['load_seconds']:.2f} (read parquet) | {pand['peak_rss_mb']:.0f} |

- Speed-up DuckDB vs pandas: **{ratio:.1f}x** (target >= {TARGET_RATIO:.0f}x: {ok(ratio >= TARGET_RATIO)}).
- DuckDB feature time {d:.2f} s for {duck['lines']:,} lines ({duck['lines'] / d / 1e6:.1f}M lines/s; target <= {TARGET_SECONDS:.0f} s: {ok(d <= TARGET_SECONDS)}).
- In-memory speed-up (same starting point for both): **{p / statistics.median(duck['mem_times']):.1f}x**.
- Same numbers: the pandas output equals DuckDB's on every household and feature (largest relative
  difference {max_rel:.1e}; asserted with rtol 1e-9).

Whole process, start-up included (median of {REPEATS}):

| command | wall (s) | peak RSS (MB) |
|---|---|---|
| `segtarget features --data completejourney --out f.parquet --no-exposure` | {proc['cli']['seconds']:.2f} | {proc['cli']['peak_rss_mb']:.0f} |
| `python -c "pandas.read_parquet(transactions.parquet).groupby('household_id').sales_value.sum()"` | {proc['bare']['seconds']:.2f} | {proc['bare']['peak_rss_mb']:.0f} |

- Ratio **{pratio:.2f}x** (target <= {TARGET_PROCESS_RATIO:.0f}x: {ok(pratio <= TARGET_PROCESS_RATIO)}). The CLI also validates the
  data (types, keys, quality counts) and converts UTC timestamps to local dates; the bare line does neither."""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", choices=["duckdb", "pandas"])
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if args.child:
        res = (child_duckdb if args.child == "duckdb" else child_pandas)(args.out)
        print(json.dumps(res))
        return
    if not (DATA / "lines.parquet").exists():
        prepare_input()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        me = [PYTHON, str(Path(__file__).resolve())]
        duck = run_json(me + ["--child", "duckdb", "--out", str(tmp / "duck.parquet")])
        pand = run_json(me + ["--child", "pandas", "--out", str(tmp / "pandas.parquet")])
        max_rel = check_equal(pd.read_parquet(tmp / "duck.parquet"), pd.read_parquet(tmp / "pandas.parquet"))
        proc = whole_process(tmp)
    body = report(duck, pand, proc, max_rel)
    write_section("features", body)
    print(body)


if __name__ == "__main__":
    main()
